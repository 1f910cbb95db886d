"""The operator views: who may open them, and what they show from real flow rows, stand-in route
servers, a collector status file and the audit log.

The world of ``tests.api.world`` has Alpha (AS131072) and Beta (AS131073) at center BJ and the
link BJ-SH-1 (400 Gbit/s, 11.5 ms); the tests add Gamma (AS131074) at center SH, so that traffic
crosses the link. The registry's clock stands at ``NOW`` (2026-06-01 09:00 UTC).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import ipaddress
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ixcenter.api.app import create_app
from ixcenter.api.routes.looking_glass import install
from ixcenter.config import Settings
from ixcenter.core.clock import FixedClock
from ixcenter.core.kinds import Role
from ixcenter.registry.db import Registry
from ixcenter.registry.models import AuditEntry, UserAccount
from ixcenter.registry.services import accounts, ports
from ixcenter.routing.control.model import DaemonError, Route, Session, SessionState
from ixcenter.telemetry.collector.accounting import (
    CollectorSnapshot,
    ExporterCounts,
    SocketCounts,
)
from ixcenter.telemetry.collector.status import StatusFile, status_path
from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import FlowStoreWriter
from tests.api.world import World
from tests.conftest import NOW
from tests.registry.services.builders import onboard
from tests.telemetry.store.world import Flow, MemberPort, batch, member_ports

RS = 64500
ALPHA, BETA, GAMMA = 131072, 131073, 131074
PAGES = ("/ops/map", "/ops/peering", "/ops/health", "/ops/audit")


class StandIn:
    """A route server's sessions and routes, as a reader returns them (or its failure)."""

    def __init__(
        self,
        label: str,
        routes: Sequence[Route],
        sessions: Sequence[Session],
        failure: str | None = None,
    ) -> None:
        self.label, self.daemon, self.rs_asn = label, "bird", RS
        self._routes, self._sessions, self._failure = list(routes), list(sessions), failure

    def sessions(self) -> list[Session]:
        if self._failure:
            raise DaemonError(self._failure)
        return self._sessions

    def routes(self) -> list[Route]:
        return self._routes


def route(prefix: str, session: str, asn: int, **extra: object) -> Route:
    return Route(ipaddress.ip_network(prefix), session, as_path=(asn,), best=True, **extra)  # type: ignore[arg-type]


def session(
    name: str, asn: int, last: int, state: SessionState = SessionState.ESTABLISHED
) -> Session:
    since = NOW - dt.timedelta(hours=2)
    return Session(name, asn, ipaddress.ip_address(f"192.0.2.{last}"), state, since, "Connect")


@pytest.fixture
def gamma(registry: Registry, world: World) -> int:
    """A third member, at center SH; its organisation id."""
    onboard(registry, "Gamma Net", GAMMA, "Eth1", switch="sh1-sw1", macs=("02:00:00:00:02:01",))
    return next(p.org for p in member_ports(registry) if p.asn == GAMMA)


def by_asn(registry: Registry) -> dict[int, MemberPort]:
    return {p.asn: p for p in member_ports(registry)}


def write_flows(registry: Registry, settings: Settings, flows: Sequence[Flow]) -> None:
    clock = FixedClock(NOW)
    writer = FlowStoreWriter(settings.flow_store_path, clock=clock)
    sink = EnrichingSink(RegistryWatch(registry, clock), writer, clock=clock)
    sink.write(batch(flows), CounterBatch.empty())
    sink.flush()
    writer.close()


def every_minute(start: dt.datetime, src: MemberPort, dst: MemberPort, size: int) -> list[Flow]:
    """30 samples a minute apart, each ``size`` bytes sampled 1 in 1,000."""
    return [Flow(start + dt.timedelta(minutes=m), src, dst, size, 1_000) for m in range(30)]


@contextlib.contextmanager
def app_client(
    registry: Registry, tmp_path: Path, readers: Sequence[StandIn] = ()
) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path)
    app = create_app(registry, settings)
    app.state.looking_glass.stop()  # the app's own refresher: replaced by the stand-ins
    refresher = install(app, settings, readers=list(readers), start=False)
    refresher.clock = FixedClock(NOW)
    refresher.refresh()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def cell(text: str, attribute: str, value: str) -> str:
    """The inner HTML of the element with ``attribute="value"`` (a table row or cell)."""
    found = re.search(rf'<(tr|td)[^>]*{attribute}="{re.escape(value)}"[^>]*>(.*?)</\1>', text, re.S)
    assert found, f"no {attribute}={value!r}"
    return found.group(2)


def body(text: str, table: str) -> str:
    """The rows of the table with id ``table``."""
    found = re.search(rf'<table id="{table}">.*?<tbody>(.*?)</tbody>', text, re.S)
    assert found, f"no table {table!r}"
    return found.group(1)


def words(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


# --- access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [("operator", 200), ("supervisor", 200), ("member", 403), ("beta", 403), ("public", 401)],
)
def test_only_staff_open_the_operator_views(
    client: TestClient, world: World, path: str, role: str, status: int
) -> None:
    answer = client.get(path, headers=world.headers(role))
    assert answer.status_code == status, answer.text
    if status == 200:
        assert answer.headers["cache-control"] == "no-store"
        assert 'href="/ops/map"' in answer.text  # the staff's navigation


def test_without_a_data_directory_the_pages_say_there_is_no_data(
    client: TestClient, world: World
) -> None:
    staff = world.headers("operator")
    assert "No traffic has been recorded yet" in client.get("/ops/map", headers=staff).text
    assert "No traffic has been recorded yet" in client.get("/ops/peering", headers=staff).text
    health = client.get("/ops/health", headers=staff).text
    assert "This server has no data directory" in health
    assert "No route server is running." in health


# --- the map ---------------------------------------------------------------------------------


def test_the_map_shows_both_centers_and_the_traffic_on_the_link(
    registry: Registry, world: World, gamma: int, data_dir: Path
) -> None:
    at = by_asn(registry)
    alpha, beta, sh = at[ALPHA], at[BETA], at[GAMMA]
    hour_ago = NOW - dt.timedelta(hours=1)
    flows = every_minute(hour_ago, alpha, sh, 1_500)  # BJ -> SH: 45 MB in the hour
    flows += every_minute(hour_ago, sh, alpha, 750)  # SH -> BJ: 22.5 MB
    flows += every_minute(hour_ago, alpha, beta, 1_500)  # within BJ: not on the link
    flows += every_minute(NOW - dt.timedelta(hours=3), alpha, sh, 1_500)  # before the hour
    write_flows(registry, Settings(data_dir=data_dir), flows)
    with app_client(registry, data_dir) as client:
        page = client.get("/ops/map", headers=world.headers("supervisor"))
        assert page.status_code == 200, page.text
        text = page.text
        assert 'data-place="BJ"' in text and 'data-place="SH"' in text
        assert 'data-link="BJ-SH-1"' in text
        row = words(cell(text, "id", "link-BJ-SH-1"))
        # 45e6 bytes x 8 / 3600 s = 100 kbit/s; 22.5e6 x 8 / 3600 = 50 kbit/s;
        # 100 kbit/s of 400 Gbit/s is 0.000025 %
        assert row == "BJ-SH-1 BJ SH 400 Gbit/s 11.5 ms 100 kbit/s 50 kbit/s <0.01% no"
        assert "No traffic has been recorded yet" not in text


# --- the peering matrix ------------------------------------------------------------------------


def route_servers() -> list[StandIn]:
    """rs1: everyone up; Alpha keeps its route from Beta (RS:0:Beta); Gamma's only route is
    filtered. rs2: Alpha's route without communities, but Beta's session is down there."""
    rs1 = StandIn(
        "BJ-rs1",
        [
            route("203.0.113.0/24", "alpha", ALPHA, large_communities=((RS, 0, BETA),)),
            route("198.51.100.0/24", "beta", BETA),
            route("192.0.2.0/24", "gamma", GAMMA, large_communities=((RS, 1101, 9),)),
        ],
        [session("alpha", ALPHA, 11), session("beta", BETA, 12), session("gamma", GAMMA, 13)],
    )
    rs2 = StandIn(
        "BJ-rs2",
        [route("203.0.113.0/24", "alpha", ALPHA)],
        [
            session("alpha", ALPHA, 11),
            session("beta", BETA, 12, SessionState.ACTIVE),
            session("gamma", GAMMA, 13),
        ],
    )
    return [rs1, rs2]


def test_the_peering_matrix_shows_reachability_and_traffic(
    registry: Registry, world: World, gamma: int, data_dir: Path
) -> None:
    at = by_asn(registry)
    day_ago = NOW - dt.timedelta(hours=20)
    flows = every_minute(day_ago, at[ALPHA], at[BETA], 1_500)  # 45 MB
    flows += every_minute(day_ago, at[BETA], at[ALPHA], 750)  # 22.5 MB
    flows += every_minute(NOW - dt.timedelta(days=3), at[ALPHA], at[BETA], 1_500)  # week only
    write_flows(registry, Settings(data_dir=data_dir), flows)
    a, b, g = world.alpha.org_id, world.beta.org_id, gamma
    with app_client(registry, data_dir, route_servers()) as client:
        page = client.get("/ops/peering", headers=world.headers("operator"))
        assert page.status_code == 200, page.text
        text = page.text
        reach = {
            (int(x), int(y)): state
            for x, y, state in re.findall(r'data-pair="(\d+)-(\d+)" data-reach="(\w+)"', text)
        }
        assert reach == {
            (a, b): "blocked",
            (a, g): "yes",
            (b, a): "yes",
            (b, g): "yes",
            (g, a): "no",
            (g, b): "no",
        }
        assert "Alpha Net reaches Gamma Net through BJ-rs1, BJ-rs2" in html.unescape(text)
        assert "Beta Net reaches Gamma Net through BJ-rs1" in html.unescape(text)
        # a day: 45e6 x 8 / 86400 s = 4.17 kbit/s; 22.5e6 x 8 / 86400 = 2.08 kbit/s
        assert words(cell(text, "data-pair", f"{a}-{b}")) == "✗ 4.17 kbit/s"
        assert words(cell(text, "data-pair", f"{b}-{a}")) == "✓ 2.08 kbit/s"
        assert words(cell(text, "data-pair", f"{g}-{a}")) == "·"
        assert re.search(r'id="matrix-total">6.25 kbit/s<', text)
        assert "3 of 6 ordered member pairs reach each other" in text

        week = client.get("/ops/peering?period=week", headers=world.headers("operator")).text
        # a week: (45e6 + 45e6) x 8 / 604800 s = 1.19 kbit/s; 22.5e6 x 8 / 604800 = 298 bit/s
        assert words(cell(week, "data-pair", f"{a}-{b}")) == "✗ 1.19 kbit/s"
        assert words(cell(week, "data-pair", f"{b}-{a}")) == "✓ 298 bit/s"
        assert (
            client.get("/ops/peering?period=year", headers=world.headers("operator")).status_code
            == 422
        )


# --- health ----------------------------------------------------------------------------------


def write_status(settings: Settings, written: dt.datetime, *, running: bool = True) -> None:
    clock = FixedClock(written - dt.timedelta(seconds=100))
    status = StatusFile(status_path(settings), clock=clock, pid=4242)
    clock.advance(dt.timedelta(seconds=100))  # it ran 100 s
    snapshot = CollectorSnapshot(
        exporters=(
            ExporterCounts("sflow", "192.0.2.10", datagrams=1_000, samples=5_000, malformed=3),
            ExporterCounts("ipfix", "192.0.2.20", datagrams=200, samples=800, no_template=4),
        ),
        sockets=(
            SocketCounts("sflow", "192.0.2.1", 6343, received=1_003, kernel_drops=7),
            SocketCounts("ipfix", "192.0.2.1", 4739, received=204),
        ),
        rows_written=5_800,
    )
    status.write(snapshot, running=running)


def test_health_shows_a_session_down_a_failed_server_and_collector_loss(
    registry: Registry, world: World, data_dir: Path
) -> None:
    write_status(Settings(data_dir=data_dir), NOW - dt.timedelta(seconds=2))
    servers = [
        StandIn(
            "BJ-rs1",
            [
                route("203.0.113.0/24", "alpha", ALPHA),
                route("198.51.100.0/25", "alpha", ALPHA, large_communities=((RS, 1101, 9),)),
            ],
            [session("alpha", ALPHA, 11), session("beta", BETA, 12, SessionState.ACTIVE)],
        ),
        StandIn("BJ-rs2", [], [], failure="control socket refused"),
    ]
    with app_client(registry, data_dir, servers) as client:
        page = client.get("/ops/health", headers=world.headers("operator"))
        assert page.status_code == 200, page.text
        text = page.text
        rs1 = words(cell(text, "id", "server-BJ-rs1"))
        assert rs1 == "BJ-rs1 bird AS64500 2026-06-01 09:00:00 0 s 1 / 2 1 1 ok"
        rs2 = words(cell(text, "id", "server-BJ-rs2"))
        assert rs2 == "BJ-rs2 bird AS64500 – – 0 / 0 0 0 failed: control socket refused"
        down = words(body(text, "sessions-down"))
        assert down == "BJ-rs1 beta AS131073 192.0.2.12 active 2026-06-01 07:00:00 Connect"
        assert "Collector running (process 4242), status written 2 s ago." in text
        protocols = words(body(text, "collector-protocols"))
        # rates over the 100 s it ran: 200 / 100, 800 / 100; 1000 / 100, 5000 / 100
        assert protocols == "ipfix 1 204 200 2.0 800 8.0 sflow 1 1003 1000 10.0 5000 50.0"
        loss = {
            cause: words(row)
            for cause, row in re.findall(r'<tr data-cause="(\w+)">(.*?)</tr>', text, re.S)
        }
        assert loss == {
            "no_template": "ipfix records with an unknown template 4",
            "malformed": "sflow malformed datagrams 3",
            "kernel_drop": "sflow dropped by this machine's kernel 7",
        }


@pytest.mark.parametrize(
    ("age", "running", "expected"),
    [
        (
            dt.timedelta(hours=1),
            True,
            "Collector not running: its last status was written 1 h 0 min ago",
        ),
        (
            dt.timedelta(seconds=3),
            False,
            "Collector not running: its last status was written 3 s ago",
        ),
        (None, True, "Collector not running: it has never written its status here."),
    ],
)
def test_health_says_when_the_collector_is_not_running(
    registry: Registry,
    world: World,
    data_dir: Path,
    age: dt.timedelta | None,
    running: bool,
    expected: str,
) -> None:
    if age is not None:
        write_status(Settings(data_dir=data_dir), NOW - age, running=running)
    with app_client(registry, data_dir) as client:
        text = html.unescape(client.get("/ops/health", headers=world.headers("supervisor")).text)
        assert expected in text
        assert "Collector running" not in text


# --- the audit log ---------------------------------------------------------------------------


def test_the_audit_log_hides_password_hashes(
    client: TestClient, registry: Registry, world: World
) -> None:
    with registry.transaction("api:noc") as s:
        accounts.create(
            s, "ops.li", "Li Ops", Role.OPERATOR, None, "a long enough secret 1", registry.clock
        )
    with registry.read() as s:
        stored = s.query(UserAccount).filter_by(login="ops.li").one().password_hash
    with registry.transaction("import") as s:  # an entry that carries a hash anyway
        s.add(
            AuditEntry(
                at=NOW, actor="import", action="create", object_type="user_accounts",
                object_id=99, before=None,
                after={"login": "old.admin", "password_hash": "$argon2id$leaked"},
            )
        )  # fmt: skip
    staff = world.headers("operator")
    page = client.get("/ops/audit", params={"kind": "user_accounts"}, headers=staff)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert stored not in text and "$argon2id$leaked" not in text
    entries = re.findall(r'<tr data-entry="(\d+)">(.*?)</tr>', page.text, re.S)
    assert len(entries) == 2
    newest, account = (words(row) for _, row in entries)
    assert "password_hash : [redacted]" in newest and "login : old.admin" in newest
    assert "api:noc create user_accounts" in account and "login : ops.li" in account
    assert "password_hash" not in account  # never recorded
    api = client.get("/api/v1/audit", params={"object_type": "user_accounts"}, headers=staff)
    assert [str(e["id"]) for e in api.json()] == [i for i, _ in entries]
    assert stored not in api.text


def test_the_audit_log_pages_newest_first_and_filters(
    client: TestClient, registry: Registry, world: World
) -> None:
    with registry.transaction("api:noc") as s:  # 60 more entries: three pages in all
        for n in range(60):
            ports.add_port(s, "sh1-sw1", f"Eth{n + 100}", 10_000)
    staff = world.headers("supervisor")
    every = [e["id"] for e in client.get("/api/v1/audit?limit=10000", headers=staff).json()]
    assert 100 < len(every) < 150
    first = client.get("/ops/audit", headers=staff).text
    shown = [int(i) for i in re.findall(r'<tr data-entry="(\d+)">', first)]
    assert shown == every[:50]
    assert 'href="?offset=50" rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/ops/audit?offset=50", headers=staff).text
    assert [int(i) for i in re.findall(r'<tr data-entry="(\d+)">', second)] == every[50:100]
    assert 'href="?" rel="prev"' in second and 'href="?offset=100" rel="next"' in second
    filters = {"actor": "api:noc", "kind": "ports"}
    by_noc = client.get("/ops/audit", params=filters, headers=staff).text
    ids = [int(i) for i in re.findall(r'<tr data-entry="(\d+)">', by_noc)]
    api = client.get(
        "/api/v1/audit", params={"actor": "api:noc", "object_type": "ports"}, headers=staff
    ).json()
    assert len(api) == 60 and ids == [e["id"] for e in api][:50]
    assert 'href="?actor=api%3Anoc&amp;kind=ports&amp;offset=50" rel="next"' in by_noc
    last = client.get("/ops/audit", params={**filters, "offset": 50}, headers=staff).text
    assert [int(i) for i in re.findall(r'<tr data-entry="(\d+)">', last)] == [e["id"] for e in api][
        50:
    ]
    assert 'rel="next"' not in last
    assert client.get("/ops/audit?offset=-1", headers=staff).status_code == 422


# --- Chinese ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_the_operator_views_render_in_chinese(client: TestClient, world: World, path: str) -> None:
    headers = {**world.headers("operator"), "Accept-Language": "zh-CN"}
    page = client.get(path, headers=headers)
    assert page.status_code == 200, page.text
    assert '<html lang="zh-CN">' in page.text
    assert "Overview" not in page.text  # the frame is in Chinese


def test_the_map_table_speaks_chinese(client: TestClient, world: World) -> None:
    headers = {**world.headers("operator"), "Accept-Language": "zh-CN"}
    text = client.get("/ops/map", headers=headers).text
    for chinese in ("长途链路", "容量", "时延", "跨境"):
        assert chinese in text
    assert "Long-distance links" not in text
