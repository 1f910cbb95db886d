"""Flow export from the lab's fabric: real exporters on the bridge ports, and the collector.

The exporters run in the fabric namespace and capture on the fabric side of every member's
veth (a capture on the bridge device itself would miss frames forwarded between ports), each
port in the ``in`` direction only, so a frame is seen once: where it enters the exchange. A
port's ifIndex is its real one in the fabric namespace, so the collector can learn which
interface is which member port from the samples.

- ``start_sfprobe``: pmacct's ``pmacctd`` with the ``sfprobe`` plugin, one process for all ports
  (``pcap_interfaces_map``), sampling 1 in ``sampling_rate``, exporting sFlow v5. sFlow carries
  the sampled frame's header, so the collector sees the members' MACs.
- ``start_softflowd``: one ``softflowd`` per port (it captures one interface), IPFIX (``-v 10``)
  or NetFlow v9, ``-T ether`` so flows are keyed and exported with their MACs. softflowd keeps
  flows in a cache and exports them when idle (``idle_s``) or at most ``active_s`` after they
  began; ``expire_softflowd`` asks for everything at once (``softflowctl expire-all``).
  Caveat (softflowd 1.1.0 with libpcap 1.10): softflowd opens its capture with no timeout, so
  libpcap hands it packets a 256 KiB block at a time and only once the ring is full: it lags
  about a ring (~2 MB) of a port's traffic behind, a quiet port's flows arrive late, and its
  control socket answers only between blocks. Fine for busy ports; sfprobe is the default.

``collector_link`` joins a collector node to the fabric with a veth pair (the fabric has IPv6
off, so IPv4 only), and ``start_collector`` runs ``ixc flows collect`` there, which writes the
flow store into a data directory on the host's file system: any namespace can read it.
Exporters must be started after the members are attached: ports added later are not watched.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.errors import ConfigurationError, Problem, UpstreamError, ValidationFailed
from ixcenter.lab import netns
from ixcenter.lab.lab import Lab
from ixcenter.lab.lan import EmulatedLan
from ixcenter.lab.processes import LabProcess

logger = logging.getLogger(__name__)

COLLECTOR_NETWORK = "100.64.0.0/30"  # fabric .1, collector .2 (shared address space, lab only)
SFLOW_PORT, IPFIX_PORT, NETFLOW9_PORT = 6343, 4739, 2055
_CLI = "from ixcenter.cli.main import main; main()"


@dataclass(frozen=True, slots=True)
class CollectorLink:
    """The veth pair between the fabric and the collector's node, and both ends' addresses."""

    node: str
    fabric_address: ipaddress.IPv4Address  # the exporters' source (their agent address)
    address: ipaddress.IPv4Address  # where the collector listens


@dataclass(frozen=True, slots=True)
class BridgePort:
    """A member's port on a LAN bridge, as the exporters see it in the fabric namespace."""

    name: str
    if_index: int


def collector_link(
    lab: Lab, *, node: str = "collector", fabric: str = "fabric", network: str = COLLECTOR_NETWORK
) -> CollectorLink:
    """Create ``node`` and connect it to the ``fabric`` node (which ``Lab.add_lan`` made)."""
    subnet = ipaddress.IPv4Network(network)
    if subnet.num_addresses < 4:
        raise ValidationFailed([Problem("network", f"{subnet}: need a /30 or larger")])
    fabric_address, address = subnet[1], subnet[2]
    fabric_ns = lab.namespace(fabric)
    if fabric_ns not in netns.namespaces(lab.prefix):
        raise ConfigurationError(f"lab {lab.run_id} has no {fabric} node: add a LAN first")
    inside = lab.add_node(node)
    netns.ip(
        "-n", fabric_ns, "link", "add", "collector0", "type", "veth",
        "peer", "name", "fabric0", "netns", inside,
    )  # fmt: skip
    for namespace, device, own in (
        (fabric_ns, "collector0", fabric_address),
        (inside, "fabric0", address),
    ):
        netns.ip("-n", namespace, "addr", "add", f"{own}/{subnet.prefixlen}", "dev", device)
        netns.ip("-n", namespace, "link", "set", device, "up")
    logger.info("lab %s: collector node %s at %s via the fabric", lab.run_id, node, address)
    return CollectorLink(node, fabric_address, address)


def start_collector(
    lab: Lab,
    link: CollectorLink,
    data_dir: Path,
    *,
    database_url: str | None = None,
    name: str = "collector",
    batch_ms: int = 1000,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> LabProcess:
    """``ixc flows collect`` in the link's node, listening on its address (all three protocols),
    writing to the flow store in ``data_dir`` (enriched from the registry at ``database_url``).

    Returns once it listens. Stop it with ``lab.stop(name)``: on SIGTERM it flushes and closes
    the store, and its summary (JSON) is the last thing in its log.
    """
    environment = {**os.environ, "IXC_COLLECTOR_BATCH_MS": str(batch_ms), **(env or {})}
    if database_url is not None:
        environment["IXC_DATABASE_URL"] = database_url
    argv = [sys.executable, "-c", _CLI, "--data-dir", str(data_dir), "flows", "collect",
            "--bind", str(link.address), "--status-every", "0", "--json"]  # fmt: skip
    log = lab.run_dir / "logs" / f"{name}.log"
    offset = log.stat().st_size if log.exists() else 0
    process = lab.start(name, argv, node=link.node, log=log, env=environment)
    _wait_for_log(process, offset, "writing to", timeout)
    return process


def bridge_ports(lan: EmulatedLan) -> list[BridgePort]:
    """The members' ports on ``lan``'s bridge with their ifIndex in the fabric namespace."""
    out = []
    for attachment in lan.attachments:
        line = netns.ip("-n", lan.fabric, "-o", "link", "show", "dev", attachment.port)
        out.append(BridgePort(attachment.port, int(line.split(":", 1)[0])))
    return out


def start_sfprobe(
    lab: Lab,
    lan: EmulatedLan,
    link: CollectorLink,
    *,
    sampling_rate: int = 64,
    port: int = SFLOW_PORT,
    name: str | None = None,
) -> LabProcess:
    """pmacctd + sfprobe on every port of ``lan``, exporting sFlow v5 to the collector."""
    if sampling_rate < 1:
        raise ValidationFailed([Problem("sampling_rate", "1 or more")])
    ports = _ports(lan)
    name = name or f"sfprobe-{lan.bridge}"
    directory = _directory(lab)
    interfaces = directory / f"{name}.interfaces.map"
    interfaces.write_text(
        "".join(f"ifindex={p.if_index} ifname={p.name} direction=in\n" for p in ports),
        encoding="utf-8",
    )
    config = directory / f"{name}.conf"
    config.write_text(
        "daemonize: false\n"
        f"pcap_interfaces_map: {interfaces}\n"
        "pcap_ifindex: map\n"
        "plugins: sfprobe\n"
        f"sampling_rate: {sampling_rate}\n"
        f"sfprobe_receiver: {link.address}:{port}\n"
        f"sfprobe_agentip: {link.fabric_address}\n"
        f"sfprobe_source_ip: {link.fabric_address}\n"
        "sfprobe_ifspeed: 10000000000\n",
        encoding="utf-8",
    )
    process = lab.start(name, ["pmacctd", "-f", str(config)], node=_node(lab, lan))
    logger.info("lab %s: %s samples 1:%d on %d ports", lab.run_id, name, sampling_rate, len(ports))
    return process


def start_softflowd(
    lab: Lab,
    lan: EmulatedLan,
    link: CollectorLink,
    *,
    version: int = 10,
    port: int | None = None,
    active_s: int = 10,
    idle_s: int = 5,
) -> list[LabProcess]:
    """One softflowd per port of ``lan`` (IPFIX, or NetFlow v9 with ``version=9``), named
    ``softflowd-<port>``; returns once each has opened its control socket."""
    if version not in (9, 10):
        raise ValidationFailed([Problem("version", "9 (NetFlow v9) or 10 (IPFIX)")])
    port = port or (IPFIX_PORT if version == 10 else NETFLOW9_PORT)
    directory = _directory(lab)
    started = []
    for bridge_port in _ports(lan):
        name = f"softflowd-{bridge_port.name}"
        argv = ["softflowd", "-d", "-i", f"{bridge_port.if_index}:{bridge_port.name}",
                "-v", str(version), "-T", "ether", "-n", f"{link.address}:{port}",
                "-t", f"maxlife={active_s}", "-t", f"general={idle_s}",
                "-t", f"udp={idle_s}", "-t", "expint=1",
                "-p", str(directory / f"{name}.pid"), "-c", str(_control(lab, name)),
                "inbound"]  # fmt: skip
        started.append(lab.start(name, argv, node=_node(lab, lan)))
    for process in started:
        control = _control(lab, process.name)
        _wait_for(control.exists, process, 10.0, "its control socket")
    logger.info("lab %s: softflowd v%d on %d ports of %s", lab.run_id, version, len(started),
                lan.bridge)  # fmt: skip
    return started


def expire_softflowd(lab: Lab, processes: Sequence[LabProcess], fabric: str = "fabric") -> None:
    """Make every softflowd export all the flows it holds now (``softflowctl expire-all``)."""
    for process in processes:
        lab.run(fabric, ["softflowctl", "-c", str(_control(lab, process.name)), "expire-all"])


def _ports(lan: EmulatedLan) -> list[BridgePort]:
    ports = bridge_ports(lan)
    if not ports:
        raise ConfigurationError(f"LAN {lan.bridge} has no members to watch yet")
    return ports


def _node(lab: Lab, lan: EmulatedLan) -> str:
    if not lan.fabric.startswith(lab.prefix):
        raise ConfigurationError(f"LAN {lan.bridge} is not in lab {lab.run_id}")
    return lan.fabric.removeprefix(lab.prefix)


def _directory(lab: Lab) -> Path:
    directory = lab.run_dir / "exporters"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _control(lab: Lab, name: str) -> Path:
    return lab.run_dir / "exporters" / f"{name}.ctl"


def _wait_for_log(process: LabProcess, offset: int, text: str, timeout: float) -> None:
    def logged() -> bool:
        with process.log.open("rb") as stream:
            stream.seek(offset)
            return text.encode() in stream.read()

    _wait_for(logged, process, timeout, repr(text))


def _wait_for(probe: Callable[[], bool], process: LabProcess, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        if not process.alive():
            raise UpstreamError(f"{process.name} exited before {what}; see {process.log}")
        if time.monotonic() > deadline:
            raise UpstreamError(
                f"{process.name}: no {what} after {timeout:.0f}s; see {process.log}"
            )
        time.sleep(0.05)
