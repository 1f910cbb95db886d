"""Onboarding throughput: the service layer and the REST API, against plain SQL INSERTs.

Each member is one transaction, as an operator onboards them: organisation, ASN, a new 10G port,
its MAC, a dual-stack address pair and the public-peering VLAN. Three paths write the same rows:

* ``service``: ``members.onboard`` in ``registry.transaction`` (validation, locking, audit log);
* ``api``: ``POST /api/v1/members`` to a uvicorn server in a subprocess on 127.0.0.1, one request
  at a time over a keep-alive httpx connection (adds HTTP, JSON, auth and the response document);
* ``sql``: the same six INSERTs as literal SQL through the registry's own engine, no reads, no
  checks, no audit: the floor the other two are compared with.

Run from the repository root (PostgreSQL is a private server started like the test suite's)::

    .venv/bin/python -m bench.bench_onboarding --members 1000
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from ixcenter.core.kinds import OrgCategory, Role
from ixcenter.registry.db import Registry
from ixcenter.registry.services import members, tokens, topology

ROOT = Path(__file__).resolve().parents[1]
SWITCHES = 4
CATEGORIES = list(OrgCategory)
LICENCE_EXPIRES = dt.date.today() + dt.timedelta(days=3 * 365)  # noqa: DTZ011 - a date only


@dataclass(frozen=True, slots=True)
class Result:
    backend: str
    path: str
    count: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def tenth(self, which: int) -> float:
        """Members per second over the first (0) or last (-1) tenth of the run."""
        size = max(1, self.count // 10)
        part = self.latencies[:size] if which == 0 else self.latencies[-size:]
        return len(part) / sum(part)

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100)[q - 1] * 1000


def _asn(i: int) -> int:
    return 131_072 + i  # APNIC 4-byte block: public, never special-purpose


def request(i: int) -> members.Onboarding:
    return members.Onboarding(
        name=f"Bench Network {i:05d} Co., Ltd.",
        category=CATEGORIES[i % len(CATEGORIES)],
        country="CN",
        asn=_asn(i),
        switch=f"bench-sw{i % SWITCHES + 1}",
        port=f"XGE{1 + i // SWITCHES // 48}/0/{1 + i // SWITCHES % 48}",
        licence_number=f"91310115BENCH{i:05d}",
        licence_expires=LICENCE_EXPIRES,
        speed_mbps=10_000,
        macs=(f"02:be:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}",),
        as_set=f"AS-BENCH{i}",
        irr_sources="APNIC",
    )


def build_exchange(registry: Registry, count: int) -> None:
    """One center, one node, four switches, one LAN large enough for ``count`` members."""
    length = min(22, 32 - (count + 8).bit_length())
    with registry.transaction("bench") as s:
        topology.add_exchange(
            s, topology.NewExchange("BENCH", "Bench IXC", "Shanghai", "Shanghai", "CN")
        )
        topology.add_node(
            s, topology.NewNode("BENCH", "BENCH1", "Bench 1", "Shanghai", "Shanghai", "CN")
        )
        for n in range(1, SWITCHES + 1):
            topology.add_switch(s, "BENCH1", f"bench-sw{n}")
        topology.add_lan(
            s,
            topology.NewLan(
                "BENCH",
                "Bench LAN",
                100,
                f"100.64.0.0/{length}",
                "2001:db8:100::/64",
                reserved=(
                    ("100.64.0.1", "rs1"),
                    ("100.64.0.2", "rs2"),
                    ("2001:db8:100::1", "rs1"),
                    ("2001:db8:100::2", "rs2"),
                ),
            ),
            registry.clock,
        )


def _timed(count: int, one: Callable[[int], None]) -> tuple[float, list[float]]:
    latencies: list[float] = []
    start = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        one(i)
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - start, latencies


def run_service(registry: Registry, count: int) -> tuple[float, list[float]]:
    def one(i: int) -> None:
        with registry.transaction("bench") as s:
            members.onboard(s, request(i), registry.clock)

    return _timed(count, one)


_SQL = {
    "org": "INSERT INTO organisations (name, category, country, licence_number, licence_expires, "
    "sme) VALUES (:name, :category, :country, :licence_number, :licence_expires, false) "
    "RETURNING id",
    "asn": "INSERT INTO member_asns (organisation_id, asn, name, as_set, irr_sources, "
    "max_prefix_v4, max_prefix_v6, rs_participation) VALUES (:org, :asn, :name, :as_set, "
    ":irr_sources, :v4, :v6, true) RETURNING id",
    "port": "INSERT INTO ports (switch_id, name, kind, speed_mbps, status, organisation_id) "
    "VALUES (:switch, :name, 'physical', :speed, 'connected', :org) RETURNING id",
    "mac": "INSERT INTO port_macs (port_id, mac) VALUES (:port, :mac)",
    "ip": "INSERT INTO ip_assignments (lan_id, port_id, asn_id, ipv4, ipv6) "
    "VALUES (:lan, :port, :asn, :ipv4, :ipv6)",
    "vlan": "INSERT INTO service_endpoints (service_id, port_id, vlan) VALUES (:svc, :port, 100)",
}


def run_sql(registry: Registry, count: int) -> tuple[float, list[float]]:
    """The same rows with plain INSERTs: addresses counted up in Python, nothing read or checked."""
    statements = {key: text(sql) for key, sql in _SQL.items()}
    with registry.writer.connect() as conn:
        switches = {name: id_ for name, id_ in conn.execute(text("SELECT name, id FROM switches"))}
        lan = conn.execute(text("SELECT id FROM peering_lans")).scalar_one()
        service = conn.execute(text("SELECT id FROM services")).scalar_one()

    def one(i: int) -> None:
        r = request(i)
        with registry.writer.begin() as conn:
            org = conn.execute(
                statements["org"],
                {
                    "name": r.name,
                    "category": r.category.value,
                    "country": r.country,
                    "licence_number": r.licence_number,
                    "licence_expires": r.licence_expires,
                },
            ).scalar_one()
            asn = conn.execute(
                statements["asn"],
                {
                    "org": org,
                    "asn": r.asn,
                    "name": r.name,
                    "as_set": r.as_set,
                    "irr_sources": r.irr_sources,
                    "v4": r.max_prefix_v4,
                    "v6": r.max_prefix_v6,
                },
            ).scalar_one()
            port = conn.execute(
                statements["port"],
                {"switch": switches[r.switch], "name": r.port, "speed": r.speed_mbps, "org": org},
            ).scalar_one()
            conn.execute(statements["mac"], {"port": port, "mac": r.macs[0]})
            host = i + 3  # .1 and .2 are the route servers
            conn.execute(
                statements["ip"],
                {
                    "lan": lan,
                    "port": port,
                    "asn": asn,
                    "ipv4": f"100.64.{host >> 8}.{host & 255}",
                    "ipv6": f"2001:db8:100::{host:x}",
                },
            )
            conn.execute(statements["vlan"], {"svc": service, "port": port})

    return _timed(count, one)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def api_server(url: str) -> Iterator[str]:
    """A uvicorn server in a subprocess serving the registry at ``url``; yields its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "bench.bench_onboarding", "--serve", url, str(port)]
    server = subprocess.Popen(command, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the API server exited with {server.returncode}")
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not start in 30 s")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def serve(url: str, port: int) -> None:
    import uvicorn

    from ixcenter.api.app import create_app

    registry = Registry(url)
    uvicorn.run(
        create_app(registry), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )


def _body(i: int) -> dict[str, Any]:
    values = dataclasses.asdict(request(i))
    values["licence_expires"] = LICENCE_EXPIRES.isoformat()
    values["macs"] = list(values["macs"])
    values["category"] = values["category"].value
    return values


def run_api(registry: Registry, count: int) -> tuple[float, list[float]]:
    with registry.transaction("bench") as s:
        _, secret = tokens.create(s, "bench-operator", Role.OPERATOR, None, registry.clock)
    bodies = [_body(i) for i in range(count)]
    with (
        api_server(registry.url) as base,
        httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {secret}"}, timeout=30
        ) as client,
    ):

        def one(i: int) -> None:
            answer = client.post("/api/v1/members", json=bodies[i])
            if answer.status_code != 201:
                raise RuntimeError(f"member {i}: HTTP {answer.status_code}: {answer.text}")

        return _timed(count, one)


RUNNERS: dict[str, Callable[[Registry, int], tuple[float, list[float]]]] = {
    "sql": run_sql,
    "service": run_service,
    "api": run_api,
}


@contextmanager
def databases(backend: str) -> Iterator[Callable[[str], str]]:
    """A factory of empty, migrated databases (by name) on ``backend``."""
    if backend == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="ixc-bench-"))
        try:
            yield lambda name: f"sqlite:///{directory / name}.db"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    sys.path.insert(0, str(ROOT))
    from tests.postgres_server import PostgresServer

    server = PostgresServer.start()
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")

    def create(name: str) -> str:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return server.url_for(name)

    try:
        yield create
    finally:
        admin.dispose()
        server.stop()


def measure(backend: str, paths: list[str], count: int) -> list[Result]:
    results: list[Result] = []
    with databases(backend) as create:
        for path in paths:
            registry = Registry(create(f"bench_{path}"))
            try:
                registry.migrate()
                build_exchange(registry, count)
                seconds, latencies = RUNNERS[path](registry, count)
            finally:
                registry.close()
            results.append(Result(backend, path, count, seconds, latencies))
            print(f"  {backend:10} {path:8} {count / seconds:8.1f} members/s", file=sys.stderr)
    return results


def table(results: list[Result]) -> str:
    floor = {r.backend: r.rate for r in results if r.path == "sql"}
    lines = [
        "| backend | path | members | seconds | members/s | first 10% /s | last 10% /s "
        "| p50 ms | p95 ms | vs plain SQL |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ratio = f"{floor[r.backend] / r.rate:.1f}x slower" if r.backend in floor else "-"
        if r.path == "sql":
            ratio = "1.0x (baseline)"
        lines.append(
            f"| {r.backend} | {r.path} | {r.count} | {r.seconds:.2f} | {r.rate:.1f} | "
            f"{r.tenth(0):.1f} | {r.tenth(-1):.1f} | "
            f"{r.percentile(50):.2f} | {r.percentile(95):.2f} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000, help="members per run (1000)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--paths", default="sql,service,api", help="sql,service,api")
    parser.add_argument("--serve", nargs=2, metavar=("URL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    if args.members < 2:
        parser.error("--members must be at least 2")
    paths = args.paths.split(",")
    results: list[Result] = []
    for backend in args.backends.split(","):
        results += measure(backend, paths, args.members)
    cpu = os.cpu_count()
    print(
        f"{platform.python_implementation()} {platform.python_version()}, {cpu} CPUs, "
        f"{platform.machine()}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
