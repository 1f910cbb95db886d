"""A member's own pages: what it sees of itself, what it never sees of others, and figures
worked out by hand from the routes and traffic written here.

Alpha (AS131072) and Beta (AS131073) of ``tests.api.world`` each have a port with a MAC and an
address on the BJ LAN, a second port, an interconnect between their own two ports, and share the
"Alpha-Beta cloud" interconnect.
"""

from __future__ import annotations

import datetime as dt
import html
import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ixcenter.api.app import create_app
from ixcenter.api.routes.looking_glass import install
from ixcenter.config import Settings
from ixcenter.core.clock import FixedClock
from ixcenter.registry.db import Registry
from ixcenter.registry.models import IpAssignment
from ixcenter.routing.control.model import Route, Session, SessionState
from ixcenter.routing.policy.reasons import FILTERED, Reason
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import FlowStoreWriter
from tests.api.stand_in import StandIn
from tests.api.world import World
from tests.conftest import NOW  # the registry fixture's clock
from tests.telemetry.store.world import (
    EXPORTER,
    CounterSample,
    Flow,
    MemberPort,
    batch,
    counter_batch,
    member_ports,
)

RS = 64500
ALPHA, BETA = 131072, 131073


def _text(page: object) -> str:
    return html.unescape(page.text)  # type: ignore[attr-defined]


# --- registry data and scope --------------------------------------------------------------


def test_a_member_sees_its_ports_macs_addresses_and_interconnects(
    client: TestClient, registry: Registry, world: World
) -> None:
    page = client.get(f"/members/{world.alpha.org_id}", headers=world.headers("member"))
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    text = _text(page)
    with registry.read() as session:
        ipv6 = session.scalars(
            select(IpAssignment.ipv6).where(IpAssignment.id == world.alpha.ip_id)
        ).one()
    assert "<h1>Alpha Net</h1>" in text
    assert "AS131072" in text
    assert "B1-131072, valid until 2030-01-01" in text  # licence, as the registry holds it
    assert "02:00:00:00:00:01" in text  # Alpha's MAC
    assert world.alpha.ipv4 in text and ipv6 and ipv6 in text
    ports = re.findall(r'<tr id="port-(\d+)"><td>(\w+)</td><td>([\w-]+)</td><td>(\w+)</td>', text)
    assert sorted(ports) == sorted(
        [
            (str(world.alpha.port_id), "BJ", "bj1-sw1", "Eth1"),
            (str(world.alpha.second_port_id), "BJ", "bj1-sw1", "Eth1b"),
        ]
    )
    assert "10 Gbit/s" in text and "connected" in text
    # its own interconnect, between its two ports, and the shared one with Beta named as a peer
    assert "Alpha Net DCI" in text and "bj1-sw1 Eth1 (VLAN 300); bj1-sw1 Eth1b (VLAN 300)" in text
    assert "Alpha-Beta cloud" in text and "Beta Net (AS131073)" in text
    assert "multi-cloud interconnect" in text and "enterprise cloud access" in text
    assert "100 Mbit/s" in text
    # nothing of Beta beyond its name and ASN
    for secret in ("02:00:00:00:01:01", world.beta.ipv4, "Beta Net DCI", "B1-131073", "Eth2"):
        assert secret not in text
    # no settings: no flow store; no looking glass: no sessions (not "being read")
    assert "No traffic has been recorded yet." in text
    assert "No sessions with the route servers." in text
    assert f'href="/members/{world.alpha.org_id}/traffic"' in text


@pytest.mark.parametrize("suffix", ["", "/traffic"])
def test_another_members_pages_read_like_missing_ones(
    client: TestClient, world: World, suffix: str
) -> None:
    member = world.headers("member")
    hidden = client.get(f"/members/{world.beta.org_id}{suffix}", headers=member)
    missing = client.get(f"/members/99999{suffix}", headers=member)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == f"no member #{world.beta.org_id} visible to token 'alpha'"
    assert missing.json()["detail"] == "no member #99999 visible to token 'alpha'"
    assert "Beta" not in hidden.text
    for org in (world.alpha.org_id, world.beta.org_id):
        assert client.get(f"/members/{org}{suffix}").status_code == 401
        for role in ("operator", "supervisor"):
            seen = client.get(f"/members/{org}{suffix}", headers=world.headers(role))
            assert seen.status_code == 200, seen.text
    own = client.get(f"/members/{world.beta.org_id}{suffix}", headers=world.headers("beta"))
    assert own.status_code == 200 and "Beta Net" in own.text


def test_a_port_of_another_member_reads_like_a_missing_one(
    client: TestClient, world: World
) -> None:
    path = f"/members/{world.alpha.org_id}/traffic"
    for headers in (world.headers("member"), world.headers("operator")):
        other = client.get(path, params={"port": world.beta.port_id}, headers=headers)
        missing = client.get(path, params={"port": 99999}, headers=headers)
        assert other.status_code == missing.status_code == 404
    member = world.headers("member")
    assert client.get(path, params={"period": "year"}, headers=member).status_code == 422
    own = client.get(path, params={"port": world.alpha.second_port_id}, headers=member)
    assert own.status_code == 200
    assert "No traffic has been recorded yet." in own.text  # the app has no settings


# --- route servers ------------------------------------------------------------------------


def _route(prefix: str, session: str, path: tuple[int, ...], *reasons: Reason) -> Route:
    return Route(
        ipaddress.ip_network(prefix),
        session,
        as_path=path,
        best=not reasons,
        large_communities=tuple((RS, FILTERED, r.value) for r in reasons),
    )


def _session(name: str, asn: int, address: str, state: SessionState, hours: float) -> Session:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    return Session(name, asn, ipaddress.ip_address(address), state, since)


def _readers() -> list[StandIn]:
    rs1 = StandIn(
        "BJ-rs1",
        "bird",
        [
            _route("203.0.113.0/24", "AS131072_v4", (ALPHA,)),
            _route("198.51.100.0/25", "AS131072_v4", (ALPHA, 64512), Reason.IRR_PREFIX),
            _route("192.0.2.0/24", "AS131073_v4", (BETA,), Reason.BOGON, Reason.RPKI_INVALID),
        ],
        [
            _session("AS131072_v4", ALPHA, "198.51.100.11", SessionState.ESTABLISHED, 26.5),
            _session("AS131073_v4", BETA, "198.51.100.12", SessionState.ESTABLISHED, 1),
        ],
    )
    rs2 = StandIn(
        "BJ-rs2",
        "openbgpd",
        [_route("203.0.113.0/24", "Alpha Net", (ALPHA,))],
        [_session("Alpha Net", ALPHA, "198.51.100.11", SessionState.ACTIVE, 2)],
    )
    return [rs1, rs2]


@pytest.fixture
def glass(registry: Registry, world: World, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(registry)
    install(app, Settings(data_dir=tmp_path), readers=_readers(), start=False).refresh()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _rows(text: str, section: str) -> list[list[str]]:
    """The cells of each body row of the tables in ``<section id=section>``, tags stripped."""
    part = text.split(f'<section id="{section}">', 1)[1].split("</section>", 1)[0]
    bodies = "".join(re.findall(r"<tbody>(.*?)</tbody>", part, re.S))
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", bodies, re.S)
    ]


def test_sessions_and_filtered_routes_with_what_to_fix(glass: TestClient, world: World) -> None:
    page = glass.get(f"/members/{world.alpha.org_id}", headers=world.headers("member"))
    assert page.status_code == 200
    text = _text(page)
    sessions = _rows(text, "sessions")
    assert [row[:5] for row in sessions] == [
        ["BJ-rs1", "AS131072_v4", "AS131072", "198.51.100.11", "Established"],
        ["BJ-rs2", "Alpha Net", "AS131072", "198.51.100.11", "Active"],
    ]
    assert [row[5] for row in sessions] == ["1d 2h", "2h 0m"]
    assert [row[6:] for row in sessions] == [["1", "1"], ["1", "0"]]  # accepted, filtered
    [filtered] = _rows(text, "filtered")
    assert filtered == [
        "198.51.100.0/25",
        "BJ-rs1",
        "131072 64512",
        "prefix not covered by route objects of the member's AS-SET",
        "Create a route object for 198.51.100.0/25 with origin AS64512 in an IRR database, "
        "and make sure AS64512 is in your AS-SET.",
    ]
    assert 'href="/looking-glass/BJ-rs1/AS131072?state=filtered"' in text
    assert 'href="/looking-glass/BJ-rs2/AS131072?state=filtered"' in text
    # Beta's filtered route and its reasons are Beta's own
    assert "192.0.2.0/24" not in text and "RPKI invalid" not in text and "AS131073_v4" not in text

    beta = _text(glass.get(f"/members/{world.beta.org_id}", headers=world.headers("operator")))
    first, second = _rows(beta, "filtered")  # one route, two reasons: two rows
    assert first[:4] == [
        "192.0.2.0/24",
        "BJ-rs1",
        "131073",
        "bogon prefix (special-purpose or the exchange's own LAN)",
    ]
    assert second[0] == "RPKI invalid"
    assert second[1].startswith("Fix the ROA of 192.0.2.0/24 so that it allows origin AS131073")
    assert "198.51.100.0/25" not in beta


def test_no_filtered_routes_says_none(registry: Registry, world: World, tmp_path: Path) -> None:
    app = create_app(registry)
    clean = StandIn("BJ-rs1", "bird", [_route("203.0.113.0/24", "AS131072_v4", (ALPHA,))], [])
    install(app, Settings(data_dir=tmp_path), readers=[clean], start=False).refresh()
    page = TestClient(app).get(f"/members/{world.alpha.org_id}", headers=world.headers("member"))
    assert 'id="no-filtered"' in page.text


def test_before_the_first_read_the_page_shows_the_rest(
    registry: Registry, world: World, tmp_path: Path
) -> None:
    app = create_app(registry)
    install(app, Settings(data_dir=tmp_path), readers=_readers(), start=False)  # never read
    page = TestClient(app).get(f"/members/{world.alpha.org_id}", headers=world.headers("member"))
    assert page.status_code == 200
    assert "The route servers are being read for the first time" in page.text
    assert '<section id="filtered">' not in page.text
    assert "02:00:00:00:00:01" in page.text


# --- traffic ------------------------------------------------------------------------------


def _ports(registry: Registry, world: World) -> tuple[MemberPort, MemberPort]:
    found = {p.port: p for p in member_ports(registry)}
    return found[world.alpha.port_id], found[world.beta.port_id]


@pytest.fixture
def traffic(registry: Registry, world: World, tmp_path: Path) -> TestClient:
    """Half an hour of flows between Alpha and Beta and three hours of Alpha's port counters.

    Per minute from 08:00 to 08:29: Alpha sends Beta 1,500 bytes of IPv4 and 600 of IPv6, Beta
    sends Alpha 750 of IPv4, each sampled 1 in 1,000. Alpha's port counters (ifIndex 1) grow by
    k+1 Mbit/s in (k/2+1/2 out) over the k-th of twenty 5-minute intervals from 06:00.
    """
    alpha, beta = _ports(registry, world)
    clock = FixedClock(NOW)
    settings = Settings(data_dir=tmp_path)
    writer = FlowStoreWriter(settings.flow_store_path, clock=clock)
    sink = EnrichingSink(
        RegistryWatch(registry, clock),
        writer,
        clock=clock,
        interfaces={(EXPORTER, 1): world.alpha.port_id},
    )
    start = NOW - dt.timedelta(hours=1)
    flows = []
    for minute in range(30):
        at = start + dt.timedelta(minutes=minute, seconds=10)
        flows.append(Flow(at, alpha, beta, 1_500, 1_000))
        flows.append(Flow(at, alpha, beta, 600, 1_000, ip_version=6))
        flows.append(Flow(at, beta, alpha, 750, 1_000))
    counters, octets_in = [], 0
    first = NOW - dt.timedelta(hours=3)
    for k in range(21):
        if k:
            octets_in += k * 1_000_000 * 300 // 8  # k Mbit/s over the interval before sample k
        counters.append(
            CounterSample(first + dt.timedelta(minutes=5 * k), 1, octets_in, octets_in // 2)
        )
    sink.write(batch(flows), counter_batch(counters))
    sink.flush()
    writer.close()
    return TestClient(create_app(registry, settings), raise_server_exceptions=False)


def _legend(figure: str) -> dict[str, list[str]]:
    body = figure.split('<table class="legend">', 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr><td>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in row.split("</td><td")]
        rows[cells[0]] = [re.sub(r"^[^>]*>", "", c).replace("</td>", "") for c in cells[1:]]
    return rows


def _figure(text: str, port_id: int) -> str:
    return text.split(f'<figure class="chart" id="port-{port_id}">', 1)[1].split("</figure>")[0]


def test_the_traffic_page_draws_in_and_out_ipv4_and_ipv6(traffic: TestClient, world: World) -> None:
    page = traffic.get(f"/members/{world.alpha.org_id}/traffic", headers=world.headers("member"))
    assert page.status_code == 200, page.text
    text = _text(page)
    alpha = _figure(text, world.alpha.port_id)
    # 5-minute buckets of five flows: 5 x 1,500 x 1,000 x 8 / 300 s = 200 kbit/s in over IPv4,
    # 5 x 600 x 1,000 x 8 / 300 = 80 kbit/s in over IPv6, 5 x 750 x 1,000 x 8 / 300 out;
    # six such buckets of 288 in the day: the averages are 6/288 of the peaks
    assert _legend(alpha) == {
        "In, IPv4": ["200 kbit/s", "4.17 kbit/s", "0 bit/s"],
        "In, IPv6": ["80 kbit/s", "1.67 kbit/s", "0 bit/s"],
        "Out, IPv4": ["100 kbit/s", "2.08 kbit/s", "0 bit/s"],
        "Out, IPv6": ["0 bit/s", "0 bit/s", "0 bit/s"],
    }
    assert alpha.count("<polyline") == 4
    assert "bj1-sw1 Eth1 · 10 Gbit/s · 85.5 MB in this period" in alpha  # 45 + 18 + 22.5 MB
    assert re.findall(r'text-anchor="end" font-size="11">([^<]+)<', alpha) == [
        "0 bit/s",
        "100 kbit/s",
        "200 kbit/s",
    ]  # the peak is a round top
    quiet = _legend(_figure(text, world.alpha.second_port_id))
    assert {v[0] for v in quiet.values()} == {"0 bit/s"}
    assert f'id="port-{world.beta.port_id}"' not in text

    one = _text(
        traffic.get(
            f"/members/{world.alpha.org_id}/traffic",
            params={"port": world.alpha.port_id, "period": "week"},
            headers=world.headers("member"),
        )
    )
    assert one.count('<figure class="chart"') == 1
    # hourly buckets: 30 minutes of flows in one hour, 30 x 1.5 MB x 8 / 3600 s = 100 kbit/s
    assert _legend(_figure(one, world.alpha.port_id))["In, IPv4"][0] == "100 kbit/s"

    beta = _text(
        traffic.get(f"/members/{world.beta.org_id}/traffic", headers=world.headers("beta"))
    )
    assert _legend(_figure(beta, world.beta.port_id))["Out, IPv6"][0] == "80 kbit/s"


def test_the_member_page_shows_the_95th_percentile_and_top_peers(
    traffic: TestClient, world: World
) -> None:
    text = _text(traffic.get(f"/members/{world.alpha.org_id}", headers=world.headers("member")))
    rows = _rows(text, "traffic")
    # twenty samples of 1..20 Mbit/s in: rank ceil(0.95 x 20) = 19 is 19 Mbit/s; out is half
    percentile = ["19 Mbit/s", "9.5 Mbit/s", "19 Mbit/s", "20"]
    assert ["bj1-sw1 Eth1", *percentile] in rows
    assert ["All ports", *percentile] in rows
    assert not any(row[0] == "bj1-sw1 Eth1b" for row in rows)  # no counters: no samples
    assert "95th percentile, 2026-06" in text
    # sent 30 x (1,500 + 600) x 1,000 = 63 MB, received 30 x 750 x 1,000 = 22.5 MB
    assert ["Beta Net", "AS131073", "63 MB", "22.5 MB", "85.5 MB"] in rows

    beta = _rows(
        _text(traffic.get(f"/members/{world.beta.org_id}", headers=world.headers("beta"))),
        "traffic",
    )
    assert ["Alpha Net", "AS131072", "22.5 MB", "63 MB", "85.5 MB"] in beta
    assert not any(row[0] == "All ports" for row in beta)
    assert "No traffic yet this month." in _text(
        traffic.get(f"/members/{world.beta.org_id}", headers=world.headers("beta"))
    )


# --- language -----------------------------------------------------------------------------


def test_the_pages_render_in_chinese(glass: TestClient, world: World) -> None:
    headers = {**world.headers("member"), "Accept-Language": "zh-CN"}
    page = glass.get(f"/members/{world.alpha.org_id}", headers=headers)
    assert page.status_code == 200
    assert page.headers["content-language"] == "zh-CN"
    text = _text(page)
    assert '<html lang="zh-CN">' in text
    assert "被过滤的路由" in text  # "Filtered routes"
    assert "前缀未被会员 AS-SET 的 route 对象覆盖" in text  # the reason, in words
    assert "prefix not covered by route objects" not in text
    assert "路由服务器会话" in text and "修正方法" in text  # "Route-server sessions", "What to fix"
    assert "已建立" in text and "1 天 2 小时" in text  # "Established", "1d 2h"
    traffic = glass.get(f"/members/{world.alpha.org_id}/traffic", headers=headers)
    assert "最近一天" in traffic.text and "最近一周" in traffic.text  # "Last day", "Last week"
    assert "Alpha Net 的流量" in traffic.text  # "Traffic of %(member)s"
