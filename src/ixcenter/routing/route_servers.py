"""An exchange's route servers end to end: registry + IRR + RPKI in, checked configs, deployed.

Every exchange center with a route-server ASN runs two route servers on its peering LAN: ``rs1``
on BIRD 2 and ``rs2`` on OpenBGPD. Each has a directory of its own under the route-server root
(``<data dir>/route-servers/<EXCHANGE>-<rs>/``) holding

* ``candidate.conf`` and ``candidate.json``: what ``build`` wrote last (the config, and a summary
  with the sessions it defines and the IRR problems met), accepted by ``bird -p``/``bgpd -n``;
* ``versions/`` and ``current``: what ``deploy`` loaded (``routing.control.deploy``), the daemon's
  control socket, PID record and log.

The prefix sets rendered last are kept in ``<root>/render-cache.bin`` (``render.texts``): a
build renders again only the sets whose IRR data changed. ``build`` never touches a running
daemon; ``deploy`` loads the candidates one route server at a
time and rolls a server back if its daemon refuses the config or does not come back healthy.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from ixcenter.core.errors import ConfigurationError, NotFound
from ixcenter.registry.db import Registry
from ixcenter.registry.models import ExchangeCenter
from ixcenter.routing.control.daemons import DaemonKind, daemon_for
from ixcenter.routing.control.daemons import RouteServer as ServerProcess
from ixcenter.routing.control.deploy import Deployment, Plan, deploy_all
from ixcenter.routing.control.model import DaemonError, Session
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.inputs import read_inputs
from ixcenter.routing.policy.model import PolicySettings, RouteServer
from ixcenter.routing.policy.sources import IrrSource
from ixcenter.routing.render.bird import render_bird
from ixcenter.routing.render.check import check_bgpd, check_bird
from ixcenter.routing.render.openbgpd import render_openbgpd
from ixcenter.routing.render.texts import FILE_NAME as TEXTS_FILE
from ixcenter.routing.render.texts import TextCache, write_text

logger = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``(what, done, total)`` while clients are compiled."""

SERVERS: tuple[tuple[str, DaemonKind], ...] = (
    ("rs1", DaemonKind.BIRD),
    ("rs2", DaemonKind.OPENBGPD),
)
CANDIDATE = "candidate.conf"
SUMMARY = "candidate.json"


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """Where one route server of one exchange lives."""

    exchange: str
    name: str  # rs1, rs2
    kind: DaemonKind
    directory: Path
    namespace: str | None = None

    @property
    def label(self) -> str:
        return f"{self.exchange}-{self.name}"

    def process(self) -> ServerProcess:
        return ServerProcess(self.label, self.kind, self.directory, self.namespace)


@dataclass(frozen=True, slots=True)
class Built:
    """A candidate config written by ``build``."""

    spec: ServerSpec
    path: Path
    clients: int
    sessions: tuple[str, ...]
    irr_problems: tuple[str, ...]
    lines: int


@dataclass(frozen=True, slots=True)
class ServerStatus:
    spec: ServerSpec
    running: bool
    sessions: tuple[Session, ...]
    deployed_version: int | None
    problem: str | None = None


def specs(root: Path, exchanges: Sequence[str], namespace: str | None = None) -> list[ServerSpec]:
    return [
        ServerSpec(code, name, kind, root / f"{code}-{name}", namespace)
        for code in exchanges
        for name, kind in SERVERS
    ]


def exchanges_with_route_servers(registry: Registry, only: Sequence[str] = ()) -> list[str]:
    """Codes of the exchange centers that have a route-server ASN (``only``: these, checked)."""
    with registry.read() as session:
        rows = session.execute(select(ExchangeCenter.code, ExchangeCenter.rs_asn)).all()
    known = {code: asn for code, asn in rows}
    for code in only:
        if code not in known:
            raise NotFound(f"no exchange center {code!r}")
        if known[code] is None:
            raise ConfigurationError(f"{code} has no route-server ASN: set one first")
    wanted = only or sorted(code for code, asn in known.items() if asn is not None)
    return list(wanted)


def session_names(policy: RouteServer) -> tuple[str, ...]:
    """The names both daemons give the sessions ``policy`` defines (``AS64500_1_v4``)."""
    names: list[str] = []
    for client in policy.clients:
        for version in (4, 6):
            if client.address(version) is None or policy.address(version) is None:
                continue
            names.append(f"{client.key}_v{version}")
    return tuple(names)


def render(policy: RouteServer, spec: ServerSpec, texts: TextCache | None = None) -> str:
    """The daemon's config for ``policy``, checked by the daemon's own parser (``texts``: the
    prefix sets of earlier builds, see ``render.texts``)."""
    if spec.kind is DaemonKind.BIRD:
        text = render_bird(policy, texts=texts)
        check_bird(text)
        return text
    text = render_openbgpd(policy, socket_path=str(spec.process().socket), texts=texts)
    check_bgpd(text)
    return text


def build(
    registry: Registry,
    irr: IrrSource,
    root: Path,
    *,
    exchanges: Sequence[str] = (),
    settings: PolicySettings | None = None,
    rtr_host: str = "127.0.0.1",
    rtr_port: int = 8323,
    namespace: str | None = None,
    progress: Progress | None = None,
) -> list[Built]:
    """Compile, render and check both route servers of each exchange; write the candidates.

    Nothing is written for any server unless every config of the run passed its daemon's check.
    """
    codes = exchanges_with_route_servers(registry, exchanges)
    texts = TextCache.read(root / TEXTS_FILE)
    results: list[tuple[ServerSpec, RouteServer, str]] = []
    for spec in specs(root, codes, namespace):
        with registry.read() as session:
            inputs = read_inputs(session, spec.exchange)

        def step(done: int, total: int, label: str = spec.label) -> None:
            if progress is not None:
                progress(label, done, total)

        policy = compile_route_server(
            inputs.lan,
            inputs.routers,
            irr,
            name=spec.name,
            settings=settings,
            rtr_host=rtr_host,
            rtr_port=rtr_port,
            progress=step,
        )
        results.append((spec, policy, render(policy, spec, texts)))
    built = []
    for spec, policy, text in results:
        built.append(_write_candidate(spec, policy, text))
    if results:
        texts.write(root / TEXTS_FILE)
    return built


def _write_candidate(spec: ServerSpec, policy: RouteServer, text: str) -> Built:
    spec.directory.mkdir(parents=True, exist_ok=True)
    path = spec.directory / CANDIDATE
    sessions = session_names(policy)
    problems = tuple(f"{c.key}: {p}" for c in policy.clients for p in c.irr_problems)
    _private_write(path, text)
    summary = {
        "exchange": spec.exchange,
        "server": spec.name,
        "daemon": spec.kind.value,
        "rs_asn": policy.asn,
        "clients": len(policy.clients),
        "sessions": list(sessions),
        "irr_problems": list(problems),
    }
    _private_write(spec.directory / SUMMARY, json.dumps(summary, indent=1) + "\n")
    logger.info("%s: candidate written, %d sessions", spec.label, len(sessions))
    return Built(spec, path, len(policy.clients), sessions, problems, text.count("\n"))


def _private_write(path: Path, text: str) -> None:
    """Write atomically, readable by the owner only (configs may hold session passwords)."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        write_text(handle, text)
    temporary.replace(path)


def _validator(kind: DaemonKind) -> Callable[[str], None]:
    return check_bird if kind is DaemonKind.BIRD else check_bgpd


def deploy(
    registry: Registry,
    root: Path,
    *,
    exchanges: Sequence[str] = (),
    servers: Sequence[str] = (),
    namespace: str | None = None,
    timeout: float = 60.0,
) -> list[Deployment]:
    """Load the candidates ``build`` wrote, one route server at a time (see the module doc).

    ``servers`` limits the run to some of rs1/rs2. Raises ``ConfigurationError`` when a candidate
    is missing, and ``DeployError`` (the failed server is back on its last good config) when a
    daemon refuses a config or is not healthy with it; later servers are then left untouched.
    """
    codes = exchanges_with_route_servers(registry, exchanges)
    plans = []
    for spec in specs(root, codes, namespace):
        if servers and spec.name not in servers:
            continue
        candidate = spec.directory / CANDIDATE
        summary = spec.directory / SUMMARY
        if not candidate.exists() or not summary.exists():
            raise ConfigurationError(f"{spec.label}: no candidate config; run `ixc rs build`")
        expect = tuple(json.loads(summary.read_text(encoding="utf-8"))["sessions"])
        plans.append(
            Plan(
                spec.process(),
                candidate.read_text(encoding="utf-8"),
                _validator(spec.kind),
                expect=expect,
            )
        )
    return deploy_all(plans, timeout=timeout)


def status(
    registry: Registry,
    root: Path,
    *,
    exchanges: Sequence[str] = (),
    namespace: str | None = None,
) -> list[ServerStatus]:
    """Each route server's daemon: running or not, its sessions, the deployed version."""
    result = []
    for spec in specs(root, exchanges_with_route_servers(registry, exchanges), namespace):
        daemon = daemon_for(spec.process())
        current = spec.directory / "current"
        version = None
        if current.is_symlink():
            version = int(Path(os.readlink(current)).stem)
        if not daemon.running():
            result.append(ServerStatus(spec, False, (), version))
            continue
        try:
            sessions = tuple(daemon.sessions())
        except DaemonError as exc:
            result.append(ServerStatus(spec, True, (), version, str(exc)))
            continue
        result.append(ServerStatus(spec, True, sessions, version))
    return result
