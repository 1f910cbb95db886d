"""A lab run: its namespaces, LANs and processes, remembered in a state file so it can be torn
down even after the Python side crashed.

::

    with Lab(run_dir) as lab:
        lan = lab.add_lan(ipv4="192.0.2.0/24", ipv6="2001:db8::/64")
        rs1 = lab.add_node("rs1")
        lan.attach(rs1, ipv4="192.0.2.1", ipv6="2001:db8::1")
        lab.start("bird", ["bird", "-f", "-c", conf, "-s", sock], node="rs1")
    # leaving the block stops the processes and deletes the namespaces

Several sites: fabrics joined by links with a one-way latency, LANs spanning fabrics::

    bj, sh = lab.add_fabric("bj"), lab.add_fabric("sh")
    lab.add_link("bj", "sh", latency_ms=12.5)
    lan = lab.add_lan(ipv4="192.0.2.0/24", fabric="bj", spans=["sh"])
    lan.attach(lab.add_node("m1"), ipv4="192.0.2.11", fabric=bj)
    lan.attach(lab.add_node("m2"), ipv4="192.0.2.12", fabric=sh)  # 25 ms round trip

(``fabric.py``, ``underlay.py`` and ``lan.py`` say how: routed underlay, a delaying ``wire``
process per link, VXLAN per LAN.)

Every namespace is named ``ixc-<run>-<node>``. The state file (``lab.json`` in the run
directory) lists the namespaces and the processes with their PIDs and start times; it is written
before anything is created, so ``Lab(run_dir).down()`` after a crash finds everything: the
recorded processes, any other process left inside the run's namespaces, and every namespace
whose name starts with the run's prefix. ``down()`` is idempotent. Opening a ``Lab`` on a run
directory that holds a state file adopts that run.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import secrets
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ixcenter.core.errors import ConfigurationError, NotFound, Problem, ValidationFailed
from ixcenter.lab import fabric as fabrics
from ixcenter.lab import netns, processes
from ixcenter.lab.fabric import Fabric
from ixcenter.lab.lan import EmulatedLan, Segment
from ixcenter.lab.processes import LabProcess
from ixcenter.lab.underlay import Link, path_latency, vtep
from ixcenter.routing.control.namespaces import exec_prefix

logger = logging.getLogger(__name__)

STATE_FILE = "lab.json"
_NODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_RUN = re.compile(r"^[a-z0-9]{1,16}$")


@dataclass(frozen=True, slots=True)
class Teardown:
    """What ``down()`` found still running or present."""

    processes: int
    namespaces: int


class Lab:
    """One lab run in ``run_dir``; ``run_id`` names it (random if not given)."""

    def __init__(self, run_dir: Path, *, run_id: str | None = None) -> None:
        netns.require_privileges()
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._state = self.run_dir / STATE_FILE
        self._namespaces: list[str] = []
        self._processes: dict[str, LabProcess] = {}
        self._lans: list[EmulatedLan] = []
        self._fabrics: dict[str, Fabric] = {}
        self._links: list[Link] = []
        if self._state.exists():
            self.run_id = self._load()
            logger.info("lab %s: adopted from %s", self.run_id, self._state)
        else:
            self.run_id = run_id or secrets.token_hex(4)
            if not _RUN.match(self.run_id):
                raise ValidationFailed([Problem("run_id", f"{self.run_id!r}: use a-z, 0-9")])
            self._save()

    @property
    def prefix(self) -> str:
        return f"{netns.PREFIX}{self.run_id}-"

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.down()

    # -- building -------------------------------------------------------------------------

    def namespace(self, node: str) -> str:
        """The namespace name of ``node`` (whether or not it exists yet)."""
        if not _NODE.match(node):
            raise ValidationFailed([Problem("node", f"{node!r}: use a-z, 0-9, '-', 40 at most")])
        return f"{self.prefix}{node}"

    def add_node(self, node: str) -> str:
        """Create the namespace of ``node``; returns its name."""
        name = self.namespace(node)
        if name in self._namespaces:
            raise ValidationFailed([Problem("node", f"{node} exists already", "duplicate")])
        self._namespaces.append(name)
        self._save()  # recorded first: a crash right after creating still finds it
        netns.create(name)
        return name

    def add_fabric(self, node: str) -> str:
        """Create fabric ``node`` (a site: bridges, VXLAN, link ends); returns its namespace."""
        name = self.namespace(node)
        if node in self._fabrics:
            raise ValidationFailed([Problem("fabric", f"{node} exists already", "duplicate")])
        made = Fabric(node, name, vtep(len(self._fabrics)))
        self.add_node(node)
        self._fabrics[node] = made
        fabrics.prepare(made)
        return name

    def add_link(self, a: str, b: str, *, latency_ms: float, name: str | None = None) -> Link:
        """Join fabrics ``a`` and ``b`` with a link that delays each frame by ``latency_ms``
        one way; refreshes every fabric's routes (least total latency)."""
        ends = [self.fabric(node) for node in (a, b)]
        link = Link(len(self._links), name or f"{a}-{b}", a, b, float(latency_ms))
        wire = self.start(f"wire-lk{link.index}", fabrics.wire_argv(link), node=a)
        fabrics.connect(link, ends[0], ends[1], wire)
        self._links.append(link)
        fabrics.install_routes(self._fabrics, self._links)
        return link

    def fabric(self, node: str) -> Fabric:
        try:
            return self._fabrics[node]
        except KeyError:
            raise NotFound(f"lab {self.run_id} has no fabric {node}") from None

    @property
    def links(self) -> tuple[Link, ...]:
        return tuple(self._links)

    def latency_ms(self, a: str, b: str) -> float | None:
        """One-way latency between fabrics ``a`` and ``b`` over the links; None if cut off."""
        return path_latency(self.fabric(a).node, self.fabric(b).node, self._links)

    def add_lan(
        self,
        *,
        ipv4: str | ipaddress.IPv4Network | None = None,
        ipv6: str | ipaddress.IPv6Network | None = None,
        fabric: str = "fabric",
        spans: Sequence[str] = (),
        vni: int | None = None,
    ) -> EmulatedLan:
        """A new LAN: a bridge in fabric ``fabric`` (created on first use), extended into the
        fabrics ``spans`` over VXLAN with ``vni`` (the next free from 100 if None)."""
        name = self.namespace(fabric)
        if fabric not in self._fabrics and name not in self._namespaces:
            self.add_fabric(fabric)
        taken = {lan.vni for lan in self._lans}
        vni = vni if vni is not None else max(taken | {99}) + 1
        if vni in taken or not 0 < vni < 2**24:
            raise ValidationFailed([Problem("vni", f"{vni} is taken or out of range")])
        lan = EmulatedLan(
            name,
            self._next_bridge(name),
            None if ipv4 is None else ipaddress.IPv4Network(ipv4),
            None if ipv6 is None else ipaddress.IPv6Network(ipv6),
            vni=vni,
        )
        self._lans.append(lan.create())
        for other in spans:
            self.span_lan(lan, other)
        return lan

    def span_lan(self, lan: EmulatedLan, fabric: str) -> Segment:
        """Extend ``lan`` into fabric ``fabric`` (over VXLAN); attach routers there with
        ``lan.attach(..., fabric=<its namespace>)``. Frames pass once the links join the
        fabrics (links may be added before or after)."""
        target = self.fabric(fabric)
        by_namespace = {f.namespace: f for f in self._fabrics.values()}
        for segment in lan.segments:
            if segment.fabric not in by_namespace:
                raise ValidationFailed(
                    [Problem("fabric", f"{segment.fabric} is not a fabric: it cannot span")]
                )
        vteps = {n: f.vtep for n, f in by_namespace.items()}
        return lan.span(target.namespace, self._next_bridge(target.namespace), vteps)

    def _next_bridge(self, namespace: str) -> str:
        used = sum(s.fabric == namespace for lan in self._lans for s in lan.segments)
        return f"br{used}"

    # -- processes ------------------------------------------------------------------------

    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        node: str | None = None,
        log: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> LabProcess:
        """Start ``argv`` inside ``node``'s namespace (the host's if None) and record it."""
        if name in self._processes and self._processes[name].alive():
            raise ValidationFailed([Problem("name", f"process {name} runs already", "duplicate")])
        namespace = None if node is None else self.namespace(node)
        if namespace is not None and namespace not in self._namespaces:
            raise NotFound(f"lab {self.run_id} has no node {node}")
        log = log or self.run_dir / "logs" / f"{name}.log"
        process = processes.start(name, argv, log=log, namespace=namespace, env=env)
        self._processes[name] = process
        self._save()
        return process

    def processes(self) -> tuple[LabProcess, ...]:
        """Every process the run started (and has not stopped), in start order."""
        return tuple(self._processes.values())

    def process(self, name: str) -> LabProcess:
        try:
            return self._processes[name]
        except KeyError:
            raise NotFound(f"lab {self.run_id} has no process {name}") from None

    def stop(self, name: str, *, timeout: float = 5.0) -> bool:
        """Stop the recorded process ``name``; True if it was running."""
        stopped = processes.terminate(self.process(name), timeout=timeout)
        del self._processes[name]
        self._save()
        return stopped

    def run(
        self, node: str, argv: Sequence[str], *, check: bool = True, timeout: float = 30.0
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside ``node`` and wait for it."""
        return netns.run(self.namespace(node), argv, check=check, timeout=timeout)

    def exec_prefix(self, node: str) -> tuple[str, ...]:
        """Command prefix that runs a program inside ``node`` (for daemons started elsewhere)."""
        return exec_prefix(self.namespace(node))

    # -- teardown -------------------------------------------------------------------------

    def down(self, *, timeout: float = 5.0) -> Teardown:
        """Stop every process and delete every namespace of this run; safe to call again."""
        stopped = 0
        for process in reversed(list(self._processes.values())):
            stopped += processes.terminate(process, timeout=timeout)
        self._processes.clear()
        found = sorted(set(self._namespaces) | set(netns.namespaces(self.prefix)))
        deleted = 0
        for name in found:
            stopped += processes.sweep(name, timeout=timeout)
            deleted += netns.delete(name)
        self._namespaces.clear()
        self._lans.clear()
        self._fabrics.clear()
        self._links.clear()
        left = netns.namespaces(self.prefix)
        if left:
            raise ConfigurationError(f"lab {self.run_id}: namespaces still present: {left}")
        self._state.unlink(missing_ok=True)
        if stopped or deleted:
            logger.info("lab %s down: %d processes, %d namespaces", self.run_id, stopped, deleted)
        return Teardown(stopped, deleted)

    # -- state file -----------------------------------------------------------------------

    def _save(self) -> None:
        document = {
            "run": self.run_id,
            "namespaces": self._namespaces,
            "processes": [p.to_json() for p in self._processes.values()],
        }
        temporary = self._state.with_name(f".{STATE_FILE}.tmp")
        temporary.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        temporary.replace(self._state)

    def _load(self) -> str:
        try:
            document = json.loads(self._state.read_text(encoding="utf-8"))
            run_id = document["run"]
            self._namespaces = [str(n) for n in document["namespaces"]]
            for record in document["processes"]:
                process = LabProcess.from_json(record)
                self._processes[process.name] = process
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"lab state {self._state} unreadable: {exc}") from None
        if not isinstance(run_id, str) or not _RUN.match(run_id):
            raise ConfigurationError(f"lab state {self._state}: bad run id {run_id!r}")
        return run_id


def leftovers(prefix: str = netns.PREFIX) -> list[str]:
    """Namespaces of lab runs (any run by default) that still exist."""
    return netns.namespaces(prefix)
