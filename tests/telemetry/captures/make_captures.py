"""Make the committed captures of real exporters' output (see README.md in this folder).

Writes ``traffic.pcap`` from ``TRAFFIC`` (known MACs, VLANs, addresses, ports, sizes), has the
real exporters read it and export to a UDP listener on 127.0.0.1, and saves what arrived:

- ``softflowd-ipfix.bin``: ``softflowd -r traffic.pcap -v 10 -T ether -6 -d -n 127.0.0.1:PORT``
- ``softflowd-nf9.bin``:   the same with ``-v 9``
- ``sfprobe-sflow.bin``:   ``pmacctd -f pmacctd.conf`` (pcap_savefile, plugins: sfprobe,
  pmacctd_ext_sampling_rate: 10, so every packet is sampled and flagged as 1-in-10;
  pcap_savefile_wait, then SIGINT after 8 s so that sfprobe has exported)

Each ``.bin`` is a sequence of datagrams, each a 4-byte big-endian length and the payload.
Run as root from the repository root: ``.venv/bin/python tests/telemetry/captures/make_captures.py``.
"""

from __future__ import annotations

import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Flow:
    src_mac: str
    dst_mac: str
    vlan: int | None
    src_ip: str
    dst_ip: str
    protocol: int
    src_port: int
    dst_port: int
    payload: int
    packets: int


#: The generated traffic: members' routers on an exchange's peering LANs (VLAN 100 and 200) and
#: untagged, IPv4 and IPv6, TCP and UDP.
_MEMBERS = (
    Flow("02:00:00:00:01:01", "02:00:00:00:02:02", 100, "100.64.0.11", "100.64.0.22", 6, 40001, 443, 1000, 12),
    Flow("02:00:00:00:02:02", "02:00:00:00:01:01", 100, "100.64.0.22", "100.64.0.11", 6, 443, 40001, 200, 9),
    Flow("02:00:00:00:03:03", "02:00:00:00:04:04", 200, "2001:db8::33", "2001:db8::44", 17, 5353, 53, 300, 7),
    Flow("02:00:00:00:04:04", "02:00:00:00:03:03", None, "100.64.1.44", "100.64.1.33", 17, 123, 123, 48, 5),
    Flow("02:00:00:00:05:05", "02:00:00:00:06:06", None, "2001:db8:1::55", "2001:db8:1::66", 6, 50000, 179, 60, 6),
)  # fmt: skip
_SMALL = tuple(  # enough small flows that the exporters send several datagrams
    Flow("02:00:00:00:07:07", "02:00:00:00:08:08", 300, "100.64.2.77", "100.64.2.88", 17, 20000 + i, 4789, 100 + i, 2)
    for i in range(60)
)  # fmt: skip
TRAFFIC = (*_MEMBERS, *_SMALL)


def frames() -> list[bytes]:
    """The frames of ``TRAFFIC``, interleaved round-robin."""
    from ixcenter.telemetry.decode.frames import build_frame

    per_flow = [
        [
            build_frame(
                f.src_mac,
                f.dst_mac,
                f.src_ip,
                f.dst_ip,
                protocol=f.protocol,
                src_port=f.src_port,
                dst_port=f.dst_port,
                vlan=f.vlan,
                payload=f.payload,
            )
        ]
        * f.packets
        for f in TRAFFIC
    ]
    out: list[bytes] = []
    for i in range(max(f.packets for f in TRAFFIC)):
        out.extend(frames[i] for frames in per_flow if i < len(frames))
    return out


def write_pcap(path: Path, packets: list[bytes], start: float = 1_700_000_000.0) -> None:
    with path.open("wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, frame in enumerate(packets):
            ts = start + i * 0.01
            sec, usec = int(ts), round((ts % 1) * 1e6)
            out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)


def read_datagrams(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, off = [], 0
    while off < len(data):
        (n,) = struct.unpack_from(">I", data, off)
        out.append(data[off + 4 : off + 4 + n])
        off += 4 + n
    return out


def _listen(sock: socket.socket, got: list[bytes], stop: threading.Event) -> None:
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            got.append(sock.recv(65535))
        except TimeoutError:
            continue


def capture(
    command: Callable[[int], list[str]],
    settle: float = 2.0,
    timeout: float = 60.0,
    interrupt_after: float = 0,
) -> list[bytes]:
    """Run ``command(port)`` and return the datagrams it sent to 127.0.0.1:port.

    With ``interrupt_after``, the command gets SIGINT after that many seconds (pmacctd waits
    for a signal after its savefile, so that its sfprobe plugin has time to export).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    got: list[bytes] = []
    stop = threading.Event()
    thread = threading.Thread(target=_listen, args=(sock, got, stop))
    thread.start()
    try:
        proc = subprocess.Popen(command(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if interrupt_after:
            time.sleep(interrupt_after)
            proc.send_signal(signal.SIGINT)  # only the process started here, by its handle
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.terminate()  # only the process started here, by its handle
            proc.wait(5)
        time.sleep(settle)
    finally:
        stop.set()
        thread.join()
        sock.close()
    return got


def save(path: Path, datagrams: list[bytes]) -> None:
    path.write_bytes(b"".join(struct.pack(">I", len(d)) + d for d in datagrams))
    print(f"{path.name}: {len(datagrams)} datagrams", file=sys.stderr)


PMACCTD_CONF = """\
daemonize: false
pcap_savefile: {pcap}
plugins: sfprobe
sfprobe_receiver: 127.0.0.1:{port}
sfprobe_agentip: 192.0.2.10
sfprobe_agentsubid: 7
pmacctd_ext_sampling_rate: 10
pcap_savefile_wait: true
"""


def main() -> None:
    pcap = HERE / "traffic.pcap"
    write_pcap(pcap, frames())
    for version, name in (("10", "softflowd-ipfix.bin"), ("9", "softflowd-nf9.bin")):
        with tempfile.TemporaryDirectory() as tmp:

            def softflowd(port: int, version: str = version, tmp: str = tmp) -> list[str]:
                return ["softflowd", "-r", str(pcap), "-v", version, "-T", "ether", "-6", "-d",
                        "-p", f"{tmp}/softflowd.pid", "-n", f"127.0.0.1:{port}"]  # fmt: skip

            save(HERE / name, capture(softflowd))
    with tempfile.TemporaryDirectory() as tmp:
        conf = Path(tmp) / "pmacctd.conf"

        def pmacctd(port: int) -> list[str]:
            conf.write_text(PMACCTD_CONF.format(pcap=pcap, port=port))
            return ["pmacctd", "-f", str(conf)]

        save(HERE / "sfprobe-sflow.bin", capture(pmacctd, interrupt_after=8))


if __name__ == "__main__":
    main()
