"""Capture what the real daemons answer in the scenario of ``../scenario.py`` (see README.md).

Run as root from the repository root; it overwrites the samples only with ``--write``:

    .venv/bin/python -m tests.routing.control.samples.capture --write
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from ixcenter.core.clock import SystemClock
from ixcenter.core.errors import DecodeError
from ixcenter.lab import Lab
from ixcenter.routing.control import rtr
from ixcenter.routing.control.daemons import daemon_for
from ixcenter.routing.control.stayrtr import RtrServer, StayRtr
from ixcenter.routing.rpki.vrps import Vrp, write_vrps
from tests.routing.control import scenario

HERE = Path(__file__).resolve().parent

#: sample file -> BIRD command (rs1, or a member where the name says so)
BIRD = {
    "bird-show-status.txt": "show status",
    "bird-show-protocols-all.txt": "show protocols all",
    "bird-show-route-all-protocol-m1.txt": "show route protocol m1 all",
    "bird-show-route-all-filtered-protocol-m1.txt": "show route filtered protocol m1 all",
    "bird-show-route-all-protocol-m2.txt": "show route protocol m2 all",
    "bird-show-route-all-protocol-m1_6.txt": "show route protocol m1_6 all",
    "bird-show-route-all-export-m1.txt": "show route export m1 all",
    "bird-show-route-all.txt": "show route all",
    "bird-show-route-for-missing.txt": "show route for 10.0.0.0/8 all",
    "bird-reload-in-m1.txt": "reload in m1",
    "bird-show-protocols-unknown.txt": "show protocols all nosuch",
}
#: sample file -> bgpctl arguments (rs2)
BGPCTL = {
    "openbgpd-show-neighbor.json": ["show", "neighbor"],
    "openbgpd-show-summary.json": ["show", "summary"],
    "openbgpd-show-rib-detail.json": ["show", "rib", "detail"],
    "openbgpd-show-rib-in-neighbor-m1.json": ["show", "rib", "in", "neighbor", "AS64511 router 1", "detail"],
    "openbgpd-show-rib-neighbor-m1.json": ["show", "rib", "neighbor", "AS64511 router 1", "detail"],
    "openbgpd-show-rib-out-neighbor-m1.json": ["show", "rib", "out", "neighbor", "AS64511 router 1", "detail"],
    "openbgpd-show-neighbor-unknown.json": ["show", "neighbor", "192.0.2.200"],
    "openbgpd-reload-ok.txt": ["reload", "capture"],
}  # fmt: skip


def bird_raw(path: Path, command: str) -> bytes:
    """The reply to ``command`` exactly as BIRD sent it (greeting not included)."""
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(str(path))
        reader = connection.makefile("rb")
        reader.readline()
        connection.sendall(command.encode() + b"\n")
        lines = []
        while True:
            line = reader.readline()
            lines.append(line)
            if line[:4].isdigit() and line[4:5] == b" ":
                return b"".join(lines)


def bgpctl_raw(sock: Path, args: list[str]) -> bytes:
    command = ["bgpctl", "-s", str(sock), "-j", *args]
    return subprocess.run(command, capture_output=True, check=True).stdout


def capture(exchange: scenario.Exchange, directory: Path) -> dict[str, bytes]:
    samples = {name: bird_raw(exchange.rs1.socket, cmd) for name, cmd in BIRD.items()}
    samples["bird-member-show-route-all-protocol-to_rs1.txt"] = bird_raw(
        exchange.members["m1"], "show route protocol to_rs1 all"
    )
    bad = directory / "bad.conf"
    bad.write_text("router id 192.0.2.1;\nprotocol bgp {\n")
    samples["bird-configure-check-bad.txt"] = bird_raw(
        exchange.rs1.socket, f'configure check "{bad}"'
    )
    samples["bird-configure-good.txt"] = bird_raw(
        exchange.rs1.socket, f'configure "{exchange.rs1.directory / "current"}"'
    )
    for name, args in BGPCTL.items():
        samples[name] = bgpctl_raw(exchange.rs2.socket, args)
    config = exchange.rs2.directory / "bgpd.conf"
    good = config.read_text()
    config.write_text(good + "\nthis is not bgpd.conf\n")
    try:
        samples["openbgpd-reload-failed.txt"] = bgpctl_raw(exchange.rs2.socket, ["reload"])
    finally:
        config.write_text(good)
    return samples


#: what stayrtr serves for ``stayrtr-reset-response.bin``
VRPS = (
    Vrp(ipaddress.ip_network("203.0.113.0/24"), 25, 64511),
    Vrp(ipaddress.ip_network("2001:db8:1000::/36"), 48, 64511),
    Vrp(ipaddress.ip_network("198.51.100.0/24"), 24, 4200000000),
)


def stayrtr_reset_response(directory: Path) -> bytes:
    """What stayrtr sends for an RTR v1 Reset Query, up to and including End of Data."""
    vrp_file = directory / "vrps.json"
    write_vrps(vrp_file, VRPS, clock=SystemClock())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = StayRtr(RtrServer(vrp_file, directory / "stayrtr", port=port))
    try:
        server.start()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(rtr.ResetQuery().to_bytes())
            data = b""
            while True:
                data += connection.recv(65536)
                with contextlib.suppress(DecodeError):  # not all there yet
                    if isinstance(rtr.decode_all(data)[-1], rtr.EndOfData):
                        return data
    finally:
        server.stop()


def main(write: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="ixc-samples-") as temporary:
        directory = Path(temporary)
        lab = Lab(directory / "lab")
        try:
            exchange = scenario.start_exchange(lab, directory)
            samples = capture(exchange, directory)
            samples["stayrtr-reset-response.bin"] = stayrtr_reset_response(directory)
        finally:
            for server in scenario.route_servers(lab, directory):
                daemon_for(server).stop()
            lab.down()
    root = str(directory)
    for name, data in sorted(samples.items()):
        data = data.replace(root.encode(), b"/DIR")  # no machine paths in the repository
        target = HERE / name
        if write:
            target.write_bytes(data)
        status = "same" if target.exists() and target.read_bytes() == data else "differs"
        sys.stdout.write(f"{name}: {len(data)} bytes ({status})\n")


if __name__ == "__main__":
    main(write="--write" in sys.argv)
