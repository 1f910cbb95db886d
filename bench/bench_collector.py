"""Flow collector throughput per core: ixcenter's collector and pmacct's, on the same datagrams.

For sFlow v5 (against sfacctd) and IPFIX (against nfacctd): the same generated datagrams
(``tests/telemetry/collector/traffic_mix.py``: IXP-like, 7 flow samples of 128-byte headers per
sFlow datagram, 20 records per IPFIX message) are replayed over UDP on 127.0.0.1 by a sender
process pinned to one core, to a collector pinned to another (``taskset``), as fast as the sender
can. Counted end to end, never from a collector's own rate:

* samples that reached the end: for ixcenter (default ``--store flow``: ``ixc flows collect``
  with its default sink, i.e. receive + decode + enrich from a registry that holds the mix's 12
  members + the flow store in a temporary data dir) the samples its 1-minute tier holds, read
  back with the store's reader once the collector has stopped (and checked against the raw
  tier's row count and the collector's own count); ``--store none`` (``--dry-run``: decode and
  count, store nothing) and ``--store spool`` isolate stages; for pmacct the PACKETS its print
  plugin wrote at exit (sFlow samples are one packet each without renormalisation, and every
  generated IPFIX record has 1 packet);
* CPU seconds of the collector's whole process tree (pmacct: core and plugin), read from
  /proc before the sender starts and once everything is read;
* kernel drops of the collector's socket (/proc/net/udp), so loss splits into kernel drops and
  what went missing inside the collector ("unaccounted").

The sustained run sends at a fixed rate (default 200,000 samples/s) for ``--sustained`` seconds
to ixcenter's collector and reports unaccounted loss and the collector's RSS over time.
``--profile`` runs the receive path (and the sink of ``--store``) in this process under cProfile
and prints the CPU share of each stage (receive, decode, enrich, store) and the top functions;
``--receive-methods`` compares ways of reading a socket's backlog and handing it to the decoders
as one buffer: the old ``recvfrom`` loop, ``recvmsg_into`` and ``recvmmsg`` (ctypes) into slots.

Run from the repository root, as root or not (CPU numbers assume cores 0 and 1 exist)::

    .venv/bin/python -m bench.bench_collector --datagrams 150000
    .venv/bin/python -m bench.bench_collector --raw-hours 0   # the store without its raw tier
    .venv/bin/python -m bench.bench_collector --dry-run       # receive + decode only
    .venv/bin/python -m bench.bench_collector --only-sustained --sustained 600   # 10 minutes
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import shutil
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
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.telemetry.collector import traffic_mix  # noqa: E402

SFLOW_SAMPLES = 7
IPFIX_RECORDS = 20
DISTINCT = 3000  # distinct datagrams generated, then replayed round-robin
TICK = os.sysconf("SC_CLK_TCK")

SENDER = r"""
import socket, struct, sys, time, json
path, port, total, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
data = open(path, "rb").read()
grams, off = [], 0
while off < len(data):
    (n,) = struct.unpack_from(">I", data, off)
    grams.append(data[off + 4 : off + 4 + n])
    off += 4 + n
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
s.connect(("127.0.0.1", port))
send = s.send
count = len(grams)
start = time.perf_counter()
sent = 0
errors = 0
burst = 64
while sent < total:
    if rate:
        due = int((time.perf_counter() - start) * rate) - sent
        if due <= 0:
            time.sleep(0.0005)
            continue
        n = min(due, total - sent, 512)
    else:
        n = min(burst, total - sent)
    for i in range(sent, sent + n):
        try:
            send(grams[i % count])
        except OSError:
            errors += 1
    sent += n
print(json.dumps({"sent": sent, "errors": errors, "seconds": time.perf_counter() - start}))
"""


# -- measuring processes from /proc ---------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and every live descendant."""
    tree = _children()
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        todo.extend(tree.get(current, []))
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def socket_state(port: int) -> tuple[int, int]:
    """(bytes queued, datagrams dropped) of whatever listens on UDP ``port``."""
    needle = f":{port:04X}"
    queued = dropped = 0
    for table in ("udp", "udp6"):
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            parts = line.split()
            if parts[1].endswith(needle):
                queued += int(parts[4].split(":")[1], 16)
                dropped += int(parts[12])
    return queued, dropped


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return False


# -- workloads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    protocol: str
    datagrams: list[bytes]
    per_datagram: int  # samples or records in each

    def write(self, path: Path) -> None:
        path.write_bytes(b"".join(struct.pack(">I", len(d)) + d for d in self.datagrams))


def workload(protocol: str, distinct: int = DISTINCT) -> Workload:
    if protocol == "sflow":
        grams = traffic_mix.sflow_datagrams(distinct, samples=SFLOW_SAMPLES, fixed=True)
        # no counter samples in the timed stream: keep "samples" exact
        from ixcenter.telemetry.decode.sflow_records import FlowSample, SflowDatagram

        clean = []
        for raw in grams:
            datagram = SflowDatagram.from_bytes(raw)
            flows = tuple(s for s in datagram.samples if isinstance(s, FlowSample))
            clean.append(SflowDatagram(datagram.agent, datagram.sequence, datagram.uptime_ms,
                                       datagram.sub_agent, flows).to_bytes())  # fmt: skip
        return Workload("sflow", clean, SFLOW_SAMPLES)
    grams = traffic_mix.ipfix_messages(distinct, records=IPFIX_RECORDS, sampling=1, packets=1)
    return Workload("ipfix", grams, IPFIX_RECORDS)


# -- collectors ---------------------------------------------------------------------------


@dataclass
class Outcome:
    collector: str
    protocol: str
    sent: int  # samples
    counted: int  # samples that reached the end
    kernel_dropped: int  # datagrams
    cpu: float
    wall: float
    rss_mib: float

    @property
    def per_cpu_second(self) -> float:
        return self.counted / self.cpu if self.cpu else 0.0

    def unaccounted(self, per_datagram: int) -> int:
        return self.sent - self.counted - self.kernel_dropped * per_datagram


def mix_registry(data_dir: Path) -> None:
    """A registry in ``data_dir`` with the traffic mix's members on their MACs (the demo topology
    without its members, then each mix member onboarded with ``traffic_mix.member_mac``)."""
    from sqlalchemy import select

    from ixcenter.config import Settings
    from ixcenter.core.kinds import OrgCategory
    from ixcenter.registry import demo_data
    from ixcenter.registry.db import Registry
    from ixcenter.registry.models import Switch
    from ixcenter.registry.services import members

    data_dir.mkdir(parents=True, exist_ok=True)
    registry = Registry(Settings(data_dir=data_dir).registry_url)
    try:
        registry.migrate()
        demo_data.generate(registry, seed=1, members=0)
        with registry.read() as session:
            switch = min(session.scalars(select(Switch.name)))
        for i in range(traffic_mix.MEMBERS):
            request = members.Onboarding(
                name=f"Mix member {i}", category=OrgCategory.ISP, country="CN", asn=132_100 + i,
                switch=switch, port=f"Ethernet1/0/{i + 1}", speed_mbps=100_000,
                licence_number=f"B1-MIX{i}", licence_expires=dt.date(2035, 1, 1),
                macs=(traffic_mix.member_mac(i),),
            )  # fmt: skip
            with registry.transaction("bench") as session:
                members.onboard(session, request, registry.clock)
    finally:
        registry.close()


def store_env(raw_hours: int) -> dict[str, str]:
    """Settings for the benchmark's store: nothing expires during the run (the IPFIX mix's
    records carry 2023 timestamps), raw tier kept ``raw_hours`` (0: off)."""
    return {
        "IXC_FLOW_RETENTION_RAW_HOURS": str(raw_hours * 100_000),
        "IXC_FLOW_RETENTION_1M_DAYS": "100000",
    }


def count_store(flows: Path) -> tuple[int, int, int]:
    """(samples in the flow tiers, of them with both sides enriched, raw rows) of a store."""
    from ixcenter.telemetry.store import Family, FlowStoreReader

    end = 1 << 40
    with FlowStoreReader(flows) as reader:
        ((samples, enriched),) = reader.query(
            Family.FLOWS, 0, end,
            "SELECT COALESCE(SUM(samples), 0), "
            "COALESCE(SUM(samples) FILTER (WHERE src_org <> 0 AND dst_org <> 0), 0) FROM {rows}",
        )  # fmt: skip
        ((raw,),) = reader.query(Family.RAW, 0, end, "SELECT COUNT(*) FROM {rows}")
    return int(samples), int(enriched), int(raw)


class Ours:
    name = "ixcenter"

    def __init__(
        self, protocol: str, port: int, cpu: int, workdir: Path, store: str, raw_hours: int = 6
    ) -> None:
        self.store = store
        self.raw_hours = raw_hours
        self.data = workdir / f"data-{protocol}-{time.monotonic_ns()}"
        env = dict(os.environ)
        if store == "flow":
            template = workdir / "registry-template"
            if not (template / "registry.db").exists():
                mix_registry(template)
            self.data.mkdir(parents=True)
            shutil.copyfile(template / "registry.db", self.data / "registry.db")
            env.update(store_env(raw_hours))
        elif store == "spool":
            env["IXC_COLLECTOR_SINK"] = "spool"
        args = ["taskset", "-c", str(cpu), sys.executable, "-c",
                "from ixcenter.cli.main import main; main()", "--data-dir", str(self.data),
                "flows", "collect", "--json", "--status-every", "0", "--bind", "127.0.0.1",
                "--only", protocol, f"--{protocol}-port", str(port)]  # fmt: skip
        if store == "none":
            args.append("--dry-run")
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True, cwd=ROOT, env=env)  # fmt: skip
        self.pid = self.process.pid
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if line.startswith("writing to"):
                break

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=300)
        if self.process.returncode:
            raise RuntimeError(f"ixc flows collect failed: {err}")
        rows: int = json.loads(out)["collected"]["rows_written"]
        if self.store != "flow":
            return rows
        samples, enriched, raw = count_store(self.data / "flows")
        from ixcenter.telemetry.store import manifest as manifests

        manifest = manifests.read(self.data / "flows")
        parts = {t: len(manifest.tier_files(t)) for t in ("raw", "flows_1m", "flows_5m")}
        print(f"  store: parts {parts}, rolled up to {manifest.complete_until}", file=sys.stderr)
        print(f"  store: {samples:,} samples in the flow tiers ({enriched:,} with both "
              f"members known), {raw:,} raw rows; the collector said {rows:,}",
              file=sys.stderr)  # fmt: skip
        if samples != rows or (self.raw_hours and raw != rows):
            print("  MISMATCH between the store and the collector's count", file=sys.stderr)
        shutil.rmtree(self.data, ignore_errors=True)
        return samples


class Pmacct:
    def __init__(self, protocol: str, port: int, cpu: int, workdir: Path) -> None:
        program = "sfacctd" if protocol == "sflow" else "nfacctd"
        self.name = program
        self.output = workdir / f"{program}.csv"
        config = workdir / f"{program}.conf"
        config.write_text(
            "daemonize: false\n"
            f"{program}_ip: 127.0.0.1\n"
            f"{program}_port: {port}\n"
            f"{program}_pipe_size: {32 << 20}\n"
            "plugins: print\n"
            "aggregate: src_mac, dst_mac\n"
            "print_output: csv\n"
            f"print_output_file: {self.output}\n"
            "print_refresh_time: 86400\n"
            f"logfile: {workdir / program}.log\n"
        )
        command = ["taskset", "-c", str(cpu), program, "-f", str(config)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.pid = self.process.pid
        log = workdir / f"{program}.log"
        wait_until(lambda: log.exists() and "cache entries=" in log.read_text(errors="replace"), 10)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)  # SIGTERM is ignored while idle
        self.process.wait(120)
        total = 0
        with self.output.open() as stream:
            header = stream.readline().strip().split(",")
            column = header.index("PACKETS")
            for line in stream:
                total += int(line.strip().split(",")[column])
        return total


def measure(
    make: Callable[[int], Ours | Pmacct],
    load: Workload,
    datagrams: int,
    sender_cpu: int,
    workdir: Path,
    rate: float = 0.0,
    on_tick: Callable[[float, int], None] | None = None,
) -> Outcome:
    port = free_port()
    if not port_is_free(port):
        raise RuntimeError(f"port {port} is taken")
    collector = make(port)
    try:
        if not wait_until(lambda: _bound(port), 10):
            raise RuntimeError(f"{collector.name} did not bind {port}")
        source = workdir / f"{load.protocol}.bin"
        if not source.exists():
            load.write(source)
        cpu_before = tree_cpu(collector.pid)
        started = time.monotonic()
        sender = subprocess.Popen(["taskset", "-c", str(sender_cpu), sys.executable, "-c", SENDER,
                                   str(source), str(port), str(datagrams), str(rate)],
                                  stdout=subprocess.PIPE, text=True)  # fmt: skip
        while sender.poll() is None:
            time.sleep(1.0)
            if on_tick is not None:
                on_tick(time.monotonic() - started, collector.pid)
        report = json.loads(sender.communicate()[0])
        _settle(collector.pid, port)
        wall = time.monotonic() - started
        cpu = tree_cpu(collector.pid) - cpu_before
        _, dropped = socket_state(port)
        rss = rss_mib(collector.pid)
    except BaseException:
        collector.process.kill()
        raise
    counted = collector.stop()
    sent = (report["sent"] - report["errors"]) * load.per_datagram
    return Outcome(collector.name, load.protocol, sent, counted, dropped, cpu, wall, rss)


def _bound(port: int) -> bool:
    needle = f":{port:04X}"
    return any(line.split()[1].endswith(needle)
               for line in Path("/proc/net/udp").read_text().splitlines()[1:])  # fmt: skip


def _settle(pid: int, port: int) -> None:
    """Until the socket is empty and the process tree stops using CPU (its queues are done)."""
    wait_until(lambda: socket_state(port)[0] == 0, 120)
    last = tree_cpu(pid)
    for _ in range(600):
        time.sleep(0.2)
        now = tree_cpu(pid)
        if now - last < 0.01:
            return
        last = now


# -- profile ------------------------------------------------------------------------------


# Stages by the cumulative CPU time of their entry points: (file suffix, function) -> sign.
STAGES: dict[str, dict[tuple[str, str], int]] = {
    "decode": {("pipeline.py", "feed"): 1, ("batcher.py", "add"): -1},
    "enrich": {("enrich.py", "write"): 1, ("writer.py", "append"): -1,
               ("writer.py", "append_counters"): -1},
    "store": {("writer.py", "append"): 1, ("writer.py", "append_counters"): 1,
              ("writer.py", "flush"): 1},
}  # fmt: skip


def stage_seconds(stats: pstats.Stats) -> dict[str, float]:
    """CPU seconds per stage; what is left of the total is receiving and handing over."""
    table: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    out = {stage: 0.0 for stage in STAGES}
    for (filename, _, function), (_, _, _, cumulative, _) in table.items():
        for stage, entries in STAGES.items():
            for (suffix, name), sign in entries.items():
                ours = "ixcenter/telemetry/" in filename and filename.endswith(f"/{suffix}")
                if ours and function == name:
                    out[stage] += sign * cumulative
                    break
    total = float(stats.total_tt)  # type: ignore[attr-defined]
    out["receive, gather, hand-over"] = total - sum(out.values())
    return out


def profile(
    load: Workload, datagrams: int, sender_cpu: int, workdir: Path, store: str, raw_hours: int
) -> str:
    """cProfile (CPU time) of the receive path and the sink of ``store``, in this process."""
    from ixcenter.config import Settings
    from ixcenter.registry.db import Registry
    from ixcenter.telemetry.collector import Collector, CountingSink, Endpoint, Pipeline, Protocol
    from ixcenter.telemetry.enrich import open_sink
    from ixcenter.telemetry.sink import TelemetrySink

    source = workdir / f"{load.protocol}.bin"
    load.write(source)
    sink: TelemetrySink = CountingSink()
    registry = None
    if store == "flow":
        data = workdir / f"profile-{load.protocol}"
        mix_registry(data)
        os.environ.update(store_env(raw_hours))
        settings = Settings(data_dir=data)
        registry = Registry(settings.registry_url)
        sink = open_sink(settings, registry)
    collector = Collector(Pipeline(sink), [Endpoint(Protocol(load.protocol), "127.0.0.1", 0)])
    collector.open()
    port = collector.endpoints[0].port
    sender = subprocess.Popen(["taskset", "-c", str(sender_cpu), sys.executable, "-c", SENDER,
                               str(source), str(port), str(datagrams), "0"],
                              stdout=subprocess.DEVNULL)  # fmt: skip
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    while sender.poll() is None:
        collector.poll(0.1)
    collector.close()
    close = getattr(sink, "close", None)
    if callable(close):
        close()
    profiler.disable()
    rows = collector.pipeline.batcher.rows_written
    if registry is not None:
        registry.close()
    shares = stage_seconds(pstats.Stats(profiler))
    total = sum(shares.values()) or 1.0
    lines = [f"{load.protocol} (--store {store}): {rows:,} rows, {total:.2f} CPU s profiled"]
    lines.append("| stage | CPU s | share | us per row |")
    lines.append("|---|---:|---:|---:|")
    for stage, seconds in shares.items():
        lines.append(f"| {stage} | {seconds:.2f} | {seconds / total:.0%} | "
                     f"{seconds / max(rows, 1) * 1e6:.3f} |")  # fmt: skip
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(16)
    return "\n".join(lines) + "\n" + out.getvalue()


# -- receive methods ----------------------------------------------------------------------


MAPPED = "::ffff:"


def _recvfrom_reader(sock: socket.socket, limit: int = 512) -> Callable[[], int]:
    """The collector's receive path until 2026-11: a non-blocking ``recvfrom`` loop, one
    ``(bytes, address)`` pair per datagram, joined into one buffer for the decoders."""
    from ixcenter.telemetry.decode.datagrams import Datagrams

    recv = sock.recvfrom

    def read() -> int:
        out = []
        try:
            for _ in range(limit):
                data, addr = recv(65535)
                host = addr[0]
                if host.startswith(MAPPED) and "." in host:
                    host = host[7:]
                out.append((data, host))
        except BlockingIOError:
            pass
        return len(Datagrams.join(out)) if out else 0

    return read


def _slots_reader(sock: socket.socket, mmsg: bool, limit: int = 512) -> Callable[[], int]:
    """The collector's receive path: into ``DatagramSlots`` (``recvmmsg``, or one
    ``recvmsg_into`` per datagram), handed over in place as ``Datagrams``."""
    from ixcenter.telemetry.collector.slots import DatagramSlots

    slots = DatagramSlots(limit, mmsg=mmsg)

    def read() -> int:
        got = slots.receive(sock, limit)
        if got:
            batch, _ = slots.datagrams()
            slots.clear()
            return len(batch)
        return 0

    return read


def _recvmmsg_bytes_reader(sock: socket.socket, limit: int = 512) -> Callable[[], int]:
    """The 2026-11-21 experiment: ``recvmmsg`` into slots, then every datagram copied out as
    ``bytes`` with its address as a string, joined for the decoders."""
    from ixcenter.telemetry.collector.slots import DatagramSlots
    from ixcenter.telemetry.decode.datagrams import Datagrams

    slots = DatagramSlots(limit)

    def read() -> int:
        got = slots.receive(sock, limit)
        if not got:
            return 0
        view, size = slots.buffer.data, slots.slot_size
        names = slots.addresses
        pairs = [(bytes(view[i * size : i * size + int(slots.lengths[i])]),
                  socket.inet_ntoa(names[i, 4:8].tobytes())) for i in range(got)]  # fmt: skip
        slots.clear()
        return len(Datagrams.join(pairs))

    return read


RECEIVE_METHODS: dict[str, Callable[[socket.socket], Callable[[], int]]] = {
    "recvfrom loop + join (collector before)": _recvfrom_reader,
    "recvmmsg, copied out as bytes + join (first experiment)": _recvmmsg_bytes_reader,
    "recvmsg_into per datagram into slots (the fallback)": lambda s: _slots_reader(s, False),
    "recvmmsg into slots, read in place (collector now)": lambda s: _slots_reader(s, True),
}


def receive_methods(load: Workload, datagrams: int, rounds: int = 3) -> None:
    """Receiver CPU per datagram, per method, for a socket that holds a backlog (a busy
    collector's case): 3,000 datagrams are sent to it while nobody reads, then read (up to 512
    at a time) and handed over as the decoders take them (one ``Datagrams`` buffer); CPU time
    of the reading alone, best of ``rounds`` passes of ``datagrams``. IPv4 socket, loopback."""
    grams = load.datagrams[:3000]
    print("| receive method | datagrams read | us per datagram (CPU) | datagrams per CPU-s |")
    print("|---|---:|---:|---:|")
    best: dict[str, float] = {}
    for _ in range(rounds):
        for method, make in RECEIVE_METHODS.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
            sock.bind(("127.0.0.1", 0))
            sock.setblocking(False)
            sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sender.connect(sock.getsockname())
            read = make(sock)
            count, cpu = 0, 0.0
            while count < datagrams:
                for data in grams:
                    sender.send(data)
                started = time.thread_time()
                while got := read():
                    count += got
                cpu += time.thread_time() - started
            sender.close()
            sock.close()
            best[method] = min(best.get(method, 1e9), cpu / count)
    for method, seconds in best.items():
        print(f"| {method} | {datagrams:,} | {seconds * 1e6:.2f} | {1 / seconds:,.0f} |")


# -- report -------------------------------------------------------------------------------


def print_table(outcomes: list[Outcome], loads: dict[str, Workload]) -> None:
    print(
        "| protocol | collector | samples sent | counted | kernel drops (dg) | unaccounted "
        "| CPU s | samples per CPU-s | wall samples/s | vs peer |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for o in outcomes:
        peer = next((p for p in outcomes if p.protocol == o.protocol and p is not o), None)
        ratio = f"{o.per_cpu_second / peer.per_cpu_second:.2f}x" if peer and peer.cpu else "-"
        print(
            f"| {o.protocol} | {o.collector} | {o.sent:,} | {o.counted:,} | "
            f"{o.kernel_dropped:,} | {o.unaccounted(loads[o.protocol].per_datagram):,} | "
            f"{o.cpu:.2f} | {o.per_cpu_second:,.0f} | {o.counted / o.wall:,.0f} | {ratio} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datagrams", type=int, default=150_000, help="per run")
    parser.add_argument("--protocols", default="sflow,ipfix")
    parser.add_argument(
        "--store",
        choices=["flow", "none", "spool"],
        default="flow",
        help="ixcenter's sink: flow (enrich + flow store, the default), none (decode and count "
        "only, as --dry-run) or the debugging spool",
    )
    parser.add_argument("--dry-run", action="store_true", help="the same as --store none")
    parser.add_argument(
        "--raw-hours", type=int, default=6, help="the flow store's raw tier (0: off)"
    )
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--sender-cpu", type=int, default=0)
    parser.add_argument("--collector-cpu", type=int, default=1)
    parser.add_argument("--sustained", type=float, default=60.0, help="seconds (0: skip)")
    parser.add_argument("--sustained-rate", type=float, default=200_000, help="samples/s")
    parser.add_argument("--only-sustained", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--receive-methods", action="store_true")
    args = parser.parse_args()
    if args.dry_run:
        args.store = "none"

    protocols = args.protocols.split(",")
    loads = {p: workload(p) for p in protocols}
    print(
        f"# bench_collector {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}, "
        f"ixcenter --store {args.store}"
        + (f" (raw tier {args.raw_hours} h)" if args.store == "flow" else "")
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(os.environ.get("BENCH_WORKDIR", tmp))
        if args.profile:
            for p in protocols:
                print(profile(loads[p], args.datagrams, args.sender_cpu, work, args.store,
                              args.raw_hours))  # fmt: skip
            return
        if args.receive_methods:
            receive_methods(loads[protocols[0]], args.datagrams)
            return
        if not args.only_sustained:
            outcomes = []
            for p in protocols:
                runs: list[Callable[[int], Ours | Pmacct]] = [
                    lambda port, p=p: Ours(
                        p, port, args.collector_cpu, work, args.store, args.raw_hours
                    )
                ]
                if not args.no_peers:
                    runs.append(lambda port, p=p: Pmacct(p, port, args.collector_cpu, work))
                for make in runs:
                    outcomes.append(measure(make, loads[p], args.datagrams, args.sender_cpu, work))
                    print(f"  {outcomes[-1]}", file=sys.stderr)
            print_table(outcomes, loads)
            print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        if args.sustained:
            sustained(loads["sflow"] if "sflow" in loads else workload("sflow"), args, work)


def sustained(load: Workload, args: argparse.Namespace, work: Path) -> None:
    rate_dg = args.sustained_rate / load.per_datagram
    total = int(rate_dg * args.sustained)
    rss: list[tuple[float, float]] = []
    lock = threading.Lock()

    def tick(elapsed: float, pid: int) -> None:
        if not rss or elapsed - rss[-1][0] >= 10:
            with lock:
                rss.append((elapsed, rss_mib(pid)))

    outcome = measure(lambda port: Ours(load.protocol, port, args.collector_cpu, work, args.store,
                                        args.raw_hours),
                      load, total, args.sender_cpu, work, rate=rate_dg, on_tick=tick)  # fmt: skip
    print(
        f"\nsustained {load.protocol}: {args.sustained_rate:,.0f} samples/s for "
        f"{args.sustained:.0f} s ({outcome.wall:.0f} s with the drain)"
    )
    print(
        f"sent {outcome.sent:,} samples, counted {outcome.counted:,}, kernel drops "
        f"{outcome.kernel_dropped:,} datagrams, unaccounted "
        f"{outcome.unaccounted(load.per_datagram):,}; CPU {outcome.cpu:.1f} s "
        f"({outcome.cpu / outcome.wall:.0%} of a core)"
    )
    print(
        "RSS MiB over time: "
        + ", ".join(f"{t:.0f}s {m:.1f}" for t, m in rss)
        + f", end {outcome.rss_mib:.1f}"
    )


if __name__ == "__main__":
    main()
