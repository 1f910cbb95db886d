"""Looking glass latency: ixcenter's snapshot index against asking the daemon per request.

A lab LAN with rs1 (BIRD 2, AS64500) and one BIRD "feeder" holding ``--members`` BGP sessions,
one per member (each from an address of its own, AS 10000+i), each announcing
``--routes-per-member`` IPv4 prefixes from a table of its own: mostly /24, some /23, /22 and /20
that cover other members' /24s, every route with a standard and a large community. rs1 tags
the /20s ``RS:1101:9`` (kept with preference 1, as the rendered configs do) and exports nothing.

Once rs1 holds every route, the HTTP servers run in subprocesses, one after the other, and
the same requests hit each at ``--concurrency`` (``hammer_raw``):

* ``ixcenter``: ``api.serving`` as ``ixc serve`` runs it: a master process reads rs1 and forks
  a worker (uvicorn, ``create_app`` behind ``api.looking_glass_lane.serving_app``) to serve
  the snapshot; rs1 is read once, before the requests;
* with ``--refreshing``, the same again while the master reads rs1 over and over, back to
  back, and forks a new worker after each read: the requests are sent again and again, as one
  measurement, from the middle of a read until the worker that served then has been retired
  (the latency a read, a fork and a worker swap cost; ``spanning_a_swap``);
* ``baseline``: a minimal FastAPI app answering the same two questions straight from BIRD's
  control socket per request (``show route for ADDR all``; ``show route protocol mN all``
  parsed with ``BirdClient``), with the same response schema.

Requests: ``GET /api/v1/looking-glass/prefix/{address}`` (an address inside a random announced
prefix; 1 in 20 outside every prefix) and ``GET
/api/v1/looking-glass/servers/BJ-rs1/members/AS{asn}/routes`` (first page of 100 accepted
routes). Latency is client-side (request sent to response read), p50 and p99.

Run as root (namespaces) from the repository root::

    .venv/bin/python -m bench.bench_looking_glass --members 1000 --routes-per-member 500
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import ipaddress
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from ixcenter.lab import Lab
from ixcenter.routing.control.bird import BirdClient, BirdSocket
from ixcenter.routing.control.daemons import DaemonKind, RouteServer, daemon_for
from ixcenter.routing.control.model import DaemonError

RS_ASN = 64500
RS_ADDRESS = "100.64.0.1"
BASE = int(ipaddress.IPv4Address("16.0.0.0"))
LENGTHS = (24, 24, 24, 24, 24, 24, 24, 23, 22, 20)
SERVER = "BJ-rs1"
API = "/api/v1/looking-glass"
# one BIRD feeding 1000 sessions is busy for minutes: with the default 240 s hold time its
# keepalives came late and sessions flapped while the table loaded; and of 1000 connections
# opened at once some are lost in rs1's listen backlog, so OpenSent gives up after 15 s
HOLD = "hold time 3600; startup hold time 15; keepalive time 60; connect retry time 5;"


def member_address(i: int) -> str:
    return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("100.64.1.0")) + i))


def rs_address(i: int) -> str:
    """rs1's address for member ``i``: BIRD 2.0 locks a session on its neighbor's address, so
    1000 sessions of one feeder to one rs1 address would wait for each other."""
    return str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("100.64.8.0")) + i))


def member_asn(i: int) -> int:
    return 10000 + i


def member_prefixes(i: int, count: int) -> list[ipaddress.IPv4Network]:
    """Member ``i``'s prefixes, each once (its shorter ones may coincide: fewer than count)."""
    found = []
    for j in range(count):
        k = i * count + j
        length = LENGTHS[j % len(LENGTHS)]
        found.append(ipaddress.IPv4Network((BASE + (k << 8), length), strict=False))
    return list(dict.fromkeys(found))


def feeder_config(members: int, per_member: int) -> str:
    parts = ["router id 100.64.0.2;", "protocol device {}"]
    for i in range(members):
        asn = member_asn(i)
        routes = "\n".join(
            f"  route {p} blackhole {{ bgp_community.add(({asn},{j % 100})); "
            f"bgp_large_community.add(({asn},1,{j})); }};"
            for j, p in enumerate(member_prefixes(i, per_member))
        )
        parts.append(f"ipv4 table t{i};")
        parts.append(f"protocol static s{i} {{ ipv4 {{ table t{i}; }};\n{routes}\n}}")
        parts.append(
            f"protocol bgp m{i} {{ local {member_address(i)} as {asn}; "
            f"neighbor {rs_address(i)} as {RS_ASN}; connect delay time 1; {HOLD} "
            f"ipv4 {{ table t{i}; import none; export all; }}; }}"
        )
    return "\n".join(parts) + "\n"


def route_server_config(members: int) -> str:
    parts = [
        f"router id {RS_ADDRESS};",
        "protocol device {}",
        "filter lg_import {",
        f"  if net.len = 20 then {{ bgp_large_community.add(({RS_ASN}, 1101, 9)); "
        "preference = 1; }",
        "  accept;",
        "}",
    ]
    for i in range(members):
        parts.append(
            f'protocol bgp m{i} {{ description "AS{member_asn(i)}"; local {rs_address(i)} '
            f"as {RS_ASN}; neighbor {member_address(i)} as {member_asn(i)}; rs client; "
            f"passive on; {HOLD} ipv4 {{ import filter lg_import; export none; }}; }}"
        )
    return "\n".join(parts) + "\n"


def rs_routes(socket: Path) -> int:
    """Routes rs1 holds; 0 while it is too busy taking routes in to answer."""
    try:
        with BirdSocket(socket, timeout=120) as bird:
            text = bird.command("show route count").text
    except DaemonError:
        return 0
    found = re.search(r"Total: \d+ of (\d+) routes", text)  # the Y of "X of Y": every route
    return int(found[1]) if found else 0


# --- servers (run as subprocesses: `python -m bench.bench_looking_glass serve ...`) ----------


def serve_ixcenter(socket: Path, port: int, work: Path, *, refreshing: bool = False) -> None:
    """``api.serving`` as ``ixc serve`` runs it: this process reads rs1 and forks a worker
    serving ``create_app`` behind ``serving_app`` for each snapshot. Without ``refreshing``
    rs1 is read once; with it, again and again, back to back (no pause), while requests are
    served. The first snapshot notes how long its read took and the master's peak RSS."""
    from ixcenter.api import serving
    from ixcenter.api.looking_glass_lane import render_first_pages
    from ixcenter.api.routes.looking_glass import refresher_for
    from ixcenter.config import Settings
    from ixcenter.registry.db import Registry
    from ixcenter.routing import lg_snapshot

    registry = Registry(f"sqlite:///{work / 'registry.db'}")
    registry.migrate()
    settings = Settings(data_dir=work)
    reader = lg_snapshot.BirdReader(SERVER, socket, RS_ASN)
    interval = 0.0 if refreshing else 1e9
    lg_snapshot.REFRESH_DUTY = 0.0
    refresher = refresher_for(settings, readers=[reader], interval=interval)
    began = time.perf_counter()
    note = work / "snapshot.json"

    def prepare(snapshot: lg_snapshot.Snapshot) -> None:
        render_first_pages(snapshot)
        if not note.exists():
            status = Path("/proc/self/status").read_text()
            peak_kb = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
            taken = {"snapshot_s": time.perf_counter() - began, "rss_mb": peak_kb / 1024}
            note.write_text(json.dumps({**taken, "paths": snapshot.index.size}))

    refresher.prepare = prepare
    listener = serving.listen("127.0.0.1", port)
    serving.serve(registry, settings, listener, refresher=refresher, log_level="warning")


def serve_baseline(socket: Path, port: int) -> None:
    import uvicorn
    from fastapi import FastAPI, HTTPException

    from ixcenter.api.schemas.looking_glass import PathOut, PrefixMatchOut, RoutesPage
    from ixcenter.routing.control.model import RouteSet
    from ixcenter.routing.lg_snapshot import explain

    class PatientClient(BirdClient):
        """BIRD's control socket refuses connections past its small backlog (EAGAIN) when 50
        requests ask at once; the baseline tries again rather than fail."""

        def connect(self) -> BirdSocket:
            for _ in range(2000):
                try:
                    return super().connect()
                except DaemonError:
                    time.sleep(0.005)
            return super().connect()

    client = PatientClient(socket)
    app = FastAPI()
    sessions = {s.peer_asn: s.name for s in client.sessions()}
    sessions_asn = {name: asn for asn, name in sessions.items()}

    @app.get(f"{API}/prefix/{{address}}", response_model=PrefixMatchOut)
    def prefix(address: str) -> PrefixMatchOut:
        routes = client.query(f"show route for {ipaddress.ip_address(address)} all")
        if not routes:
            raise HTTPException(404, f"no route to {address}")
        paths = [explain(r, RS_ASN, SERVER, sessions_asn.get(r.from_peer)) for r in routes]
        return PrefixMatchOut(
            query=address,
            prefix=str(routes[0].prefix),
            read_at=None,
            paths=[PathOut.of(p, RS_ASN) for p in paths],
        )

    @app.get(f"{API}/servers/{{server}}/members/{{member}}/routes", response_model=RoutesPage)
    def member_routes(server: str, member: str, limit: int = 100) -> RoutesPage:
        asn = int(member.removeprefix("AS"))
        name = sessions.get(asn)
        if name is None:
            raise HTTPException(404, f"no session of {member}")
        paths = [explain(r, RS_ASN, SERVER, asn) for r in client.routes(name, RouteSet.ACCEPTED)]
        accepted = [p for p in paths if p.accepted]
        return RoutesPage(
            server=server,
            asns=[asn],
            state="accepted",
            read_at=None,
            total=len(accepted),
            paths=[PathOut.of(p, RS_ASN) for p in accepted[:limit]],
        )

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


# --- load -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Latencies:
    name: str
    seconds: list[float]
    errors: int
    statuses: dict[int, int]
    wall: float
    reconnects: int = 0  # requests sent again on a new connection (``hammer_raw``)

    def percentile(self, q: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def hammer_raw(base: str, urls: list[str], concurrency: int, name: str) -> Latencies:
    """The same as ``hammer`` over plain asyncio streams: one keep-alive HTTP/1.1 connection
    per worker, so the client's own cost (httpx's is several ms per request on this machine)
    does not decide the latencies.

    A connection the server closes before a response begins (an idle keep-alive connection
    let go by a retiring ``ixc serve`` worker) is opened again and the request sent once more,
    as HTTP/1.1 clients do (RFC 9112, 9.3.1); its latency counts from the first attempt. So
    does ``Connection: close`` on a response."""
    host, port = base.removeprefix("http://").split(":")
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    seconds: list[float] = []
    statuses: dict[int, int] = {}
    errors = reconnects = 0
    Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]

    async def exchange(connection: Connection, url: str) -> tuple[int, bool]:
        """(status, whether the server closes the connection); ``_NotBegun`` if the
        connection closed before any byte of the response."""
        reader, writer = connection
        try:
            writer.write(f"GET {url} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            raise _NotBegun from None
        except (ConnectionResetError, BrokenPipeError):
            raise _NotBegun from None
        lines = head.decode("latin-1").split("\r\n")
        fields = dict(line.lower().split(":", 1) for line in lines[1:] if ":" in line)
        await reader.readexactly(int(fields["content-length"]))
        return int(lines[0].split()[1]), fields.get("connection", "").strip() == "close"

    async def worker() -> None:
        nonlocal errors, reconnects
        connection: Connection | None = None
        while True:
            try:
                url = queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            start = time.perf_counter()
            for attempt in (1, 2):
                if connection is None:
                    connection = await asyncio.open_connection(host, int(port))
                try:
                    status, closing = await exchange(connection, url)
                except _NotBegun:
                    connection[1].close()
                    connection = None
                    if attempt == 1:
                        reconnects += 1
                        continue
                    errors += 1
                    break
                except (OSError, asyncio.IncompleteReadError, KeyError, ValueError):
                    connection[1].close()
                    connection = None
                    errors += 1
                    break
                seconds.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
                if closing:
                    connection[1].close()
                    connection = None
                break
        if connection is not None:
            connection[1].close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - began
    return Latencies(name, seconds, errors, statuses, wall, reconnects)


class _NotBegun(Exception):
    """The connection closed before the response began: the request may be sent again."""


async def hammer(base: str, urls: list[str], concurrency: int, name: str) -> Latencies:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    seconds: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=600) as client:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    url = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                try:
                    answer = await client.get(url)
                    await answer.aread()
                except httpx.HTTPError:
                    errors += 1
                    continue
                seconds.append(time.perf_counter() - start)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - began
    return Latencies(name, seconds, errors, statuses, wall)


def prefix_urls(members: int, per_member: int, count: int, rng: random.Random) -> list[str]:
    """Addresses inside random announced prefixes; every 20th outside all of them."""
    urls = []
    for n in range(count):
        if n % 20 == 19:
            address = ipaddress.IPv4Address(int(ipaddress.IPv4Address("60.0.0.0")) + n)
        else:
            i, j = rng.randrange(members), rng.randrange(per_member)
            k = i * per_member + j
            length = LENGTHS[j % len(LENGTHS)]
            network = ipaddress.IPv4Network((BASE + (k << 8), length), strict=False)
            address = network.network_address + rng.randrange(network.num_addresses)
        urls.append(f"{API}/prefix/{address}")
    return urls


def member_urls(members: int, count: int, rng: random.Random) -> list[str]:
    return [
        f"{API}/servers/{SERVER}/members/AS{member_asn(rng.randrange(members))}/routes"
        for _ in range(count)
    ]


def start_server(argv: list[str], port: int, ready: Callable[[], bool], timeout: float) -> Any:
    process = subprocess.Popen(argv, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server {argv} exited with {process.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
        except httpx.HTTPError:
            time.sleep(0.5)
            continue
        if ready():
            return process
        time.sleep(0.5)
    process.kill()
    raise SystemExit(f"server {argv} not up after {timeout:.0f}s")


def wait_refreshing(pid: int, timeout: float = 30.0) -> None:
    """Until server ``pid`` burns CPU while idle: its background refresh is under way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before > 0.3:
            return


def looking_glass_ready(port: int) -> bool:
    """Whether the server on ``port`` serves a snapshot (before, the looking glass is 503)."""
    try:
        answer = httpx.get(f"http://127.0.0.1:{port}{API}/servers", timeout=5)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (``/proc/PID/stat``)."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of ``pid``, its children alive and those it has reaped (its workers)."""
    fields = _stat(pid)
    ticks = sum(int(f) for f in fields[11:15])
    for task in Path(f"/proc/{pid}/task").glob("*"):
        for child in (task / "children").read_text().split():
            try:
                ticks += sum(int(f) for f in _stat(int(child))[11:13])
            except OSError:
                continue  # gone meanwhile: counted with the reaped ones next time
    return ticks / os.sysconf("SC_CLK_TCK")


def stop_server(process: Any) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run(options: argparse.Namespace) -> dict[str, Any]:
    members, per_member = options.members, options.routes_per_member
    total = sum(len(member_prefixes(i, per_member)) for i in range(members))
    rng = random.Random(options.seed)
    results: dict[str, Any] = {"members": members, "routes": total}
    with tempfile.TemporaryDirectory(prefix="ixc-bench-lg-") as temporary:
        directory = Path(temporary)
        with Lab(directory / "lab") as lab:
            lan = lab.add_lan(ipv4="100.64.0.0/16")
            lan.attach(lab.add_node("rs1"), ipv4=RS_ADDRESS)
            lan.attach(lab.add_node("feed"), ipv4="100.64.0.2")
            batch = directory / "addresses.batch"
            batch.write_text(
                "".join(f"addr add {member_address(i)}/16 dev lan0\n" for i in range(members))
            )
            lab.run("feed", ["ip", "-batch", str(batch)], timeout=300)
            batch.write_text(
                "".join(f"addr add {rs_address(i)}/16 dev lan0\n" for i in range(members))
            )
            lab.run("rs1", ["ip", "-batch", str(batch)], timeout=300)
            rs1 = RouteServer("rs1", DaemonKind.BIRD, directory / "rs1", lab.namespace("rs1"))
            rs1.directory.mkdir()
            config = rs1.directory / "start.conf"
            config.write_text(route_server_config(members))
            daemon = daemon_for(rs1)
            try:
                daemon.start(config)
                feed = directory / "feed.conf"
                feed.write_text(feeder_config(members, per_member))
                began = time.perf_counter()
                argv = ["bird", "-f", "-c", str(feed), "-s", str(directory / "feed.ctl")]
                lab.start("feed", argv, node="feed")
                deadline = time.monotonic() + options.load_timeout
                held = 0
                while held < total:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"rs1 holds {held} of {total} routes: gave up")
                    time.sleep(5)
                    held = rs_routes(rs1.socket) or held
                    progress(f"rs1 holds {held:,} of {total:,} routes")
                results["load_s"] = time.perf_counter() - began
                results["bird"] = measure_servers(options, rs1.socket, directory, rng)
            finally:
                daemon.stop()
    return results


def progress(text: str) -> None:
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} {text}\n")


def workers_of(pid: int) -> set[int]:
    """The child processes of ``pid`` (the ``ixc serve`` workers of a master)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def spanning_a_swap(
    load: Callable[..., Any], base: str, urls: list[str], concurrency: int, pid: int, timeout: float
) -> Latencies:
    """``urls`` sent again and again, as one measurement, until no worker of master ``pid``
    that served at the start is left: the rest of a read, the fork of the next worker and
    the retirement of the old one all happened under load."""
    first = workers_of(pid)
    total = Latencies("refreshing", [], 0, {}, 0.0)
    deadline = time.monotonic() + timeout
    while True:
        done: Latencies = asyncio.run(load(base, urls, concurrency, "refreshing"))
        total.seconds += done.seconds
        total.errors += done.errors
        total.reconnects += done.reconnects
        total.wall += done.wall
        for status, count in done.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + count
        if not workers_of(pid) & first:
            return total
        if time.monotonic() > deadline:
            raise SystemExit(f"no worker swap in {timeout:.0f} s")


def measure_servers(
    options: argparse.Namespace, socket: Path, directory: Path, rng: random.Random
) -> dict[str, Any]:
    members, per_member = options.members, options.routes_per_member
    found: dict[str, Any] = {}
    prefixes = prefix_urls(members, per_member, options.requests, rng)
    pages = member_urls(members, options.requests, rng)
    python = sys.executable
    names = ["ixcenter"] + (["refreshing"] if options.refreshing else []) + ["baseline"]
    for name in names:
        port = options.port + names.index(name)
        argv = [python, "-m", "bench.bench_looking_glass", "serve", name]
        argv += ["--socket", str(socket), "--port", str(port), "--work", str(directory)]
        progress(f"starting the {name} server")
        began = time.perf_counter()
        ready = functools.partial(looking_glass_ready, port)
        if name == "baseline":
            ready = functools.partial(bool, True)
        process = start_server(argv, port, ready, options.load_timeout)
        found[f"{name}_startup_s"] = time.perf_counter() - began
        try:
            base = f"http://127.0.0.1:{port}"
            count = options.baseline_requests if name == "baseline" else options.requests
            if name == "refreshing":
                wait_refreshing(process.pid)
            for kind, urls in (("prefix", prefixes[:count]), ("member", pages[:count])):
                load = hammer_raw if options.client == "raw" else hammer
                asyncio.run(load(base, urls[: min(50, count)], options.concurrency, "warm"))
                progress(f"{name} {kind}: {len(urls)} requests at {options.concurrency}")
                cpu = tree_cpu_seconds(process.pid)
                if name == "refreshing":
                    done = spanning_a_swap(
                        load, base, urls, options.concurrency, process.pid, options.load_timeout
                    )
                else:
                    done = asyncio.run(load(base, urls, options.concurrency, f"{name} {kind}"))
                cpu = tree_cpu_seconds(process.pid) - cpu
                found[f"{name}_{kind}"] = {
                    "requests": len(done.seconds),
                    "errors": done.errors,
                    "reconnects": done.reconnects,
                    "statuses": done.statuses,
                    "p50_ms": done.percentile(0.50) * 1000,
                    "p99_ms": done.percentile(0.99) * 1000,
                    "per_s": len(done.seconds) / done.wall if done.wall else 0.0,
                    "server_cpu_ms_per_request": cpu * 1000 / max(1, len(done.seconds)),
                    "load1": os.getloadavg()[0],
                }
                progress(json.dumps(found[f"{name}_{kind}"]))
        finally:
            stop_server(process)
        if name == "ixcenter":
            found["snapshot"] = json.loads((directory / "snapshot.json").read_text())
    return found


def table(results: dict[str, Any]) -> str:
    bird = results["bird"]
    lines = [
        f"members {results['members']:,}, routes {results['routes']:,}, "
        f"rs1 loaded in {results['load_s']:.0f} s; snapshot of {bird['snapshot']['paths']:,} "
        f"paths read in {bird['snapshot']['snapshot_s']:.1f} s, "
        f"server peak RSS {bird['snapshot']['rss_mb']:.0f} MB",
        "",
        "| request | server | requests | p50 ms | p99 ms | req/s | server CPU ms/req "
        "| load (1 min) | p99 baseline/this |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in ("prefix", "member"):
        ours, base = bird[f"ixcenter_{kind}"], bird[f"baseline_{kind}"]
        rows = [("ixcenter (snapshot)", ours), ("baseline (daemon socket)", base)]
        if f"refreshing_{kind}" in bird:
            rows.insert(1, ("ixcenter across a refresh + swap", bird[f"refreshing_{kind}"]))
        for name, row in rows:
            ratio = base["p99_ms"] / row["p99_ms"]
            lines.append(
                f"| {kind} | {name} | {row['requests']:,} | {row['p50_ms']:.1f} | "
                f"{row['p99_ms']:.1f} | {row['per_s']:.0f} | "
                f"{row['server_cpu_ms_per_request']:.2f} | {row.get('load1', 0):.1f} | "
                f"{ratio:.1f}x |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        parser = argparse.ArgumentParser()
        parser.add_argument("kind", choices=["ixcenter", "refreshing", "baseline"])
        parser.add_argument("--socket", type=Path, required=True)
        parser.add_argument("--port", type=int, required=True)
        parser.add_argument("--work", type=Path, required=True)
        served = parser.parse_args(sys.argv[2:])
        if served.kind != "baseline":
            refreshing = served.kind == "refreshing"
            serve_ixcenter(served.socket, served.port, served.work, refreshing=refreshing)
        else:
            serve_baseline(served.socket, served.port)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--routes-per-member", type=int, default=500)
    parser.add_argument(
        "--requests", type=int, default=5000, help="per kind, ixcenter (and while refreshing)"
    )
    parser.add_argument("--baseline-requests", type=int, default=1000, help="per kind")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--port", type=int, default=18470)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--client", choices=["raw", "httpx"], default="raw", help="load generator (see hammer_raw)"
    )
    parser.add_argument(
        "--refreshing",
        action="store_true",
        help="also measure ixcenter while it reads the route server again, back to back",
    )
    parser.add_argument("--load-timeout", type=float, default=1800.0)
    parser.add_argument("--json", type=Path, help="write every number here too")
    options = parser.parse_args()
    results = run(options)
    if options.json:
        options.json.write_text(json.dumps(results, indent=1))
    sys.stdout.write(table(results))


if __name__ == "__main__":
    main()
