"""The lab's traffic, end to end: members registered in a registry, their senders following the
gravity plan over one peering LAN, pmacct's sfprobe sampling the fabric's ports, the real
collector (``ixc flows collect``) enriching into the flow store, and the store read back."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ixcenter.config import Settings
from ixcenter.lab import exporters, sender, traffic
from ixcenter.registry.db import Registry
from ixcenter.registry.services import members
from ixcenter.telemetry.analytics.traffic import traffic_matrix
from ixcenter.telemetry.analytics.window import Window
from ixcenter.telemetry.store import open_reader
from ixcenter.telemetry.store.schema import Family
from tests.lab.livelab import live_lab, require_namespaces, wait_for
from tests.live import require
from tests.registry.services.builders import onboarding, small_exchange

pytestmark = pytest.mark.live

SAMPLING = 10
RUN_S = 12.0
# name, ASN, port speed (Mbit/s): the gravity model's sizes
EXCHANGE = (("Big Net", 131072, 100_000), ("Mid Net", 131073, 40_000),
            ("Small Net", 131074, 10_000), ("Tiny Net", 131075, 10_000))  # fmt: skip
KNOBS = traffic.Knobs(total_pps=1500, attack_every_s=RUN_S, attack_s=4, attack_sources=2,
                      attack_pps=800)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Registered:
    node: str
    org: int
    mac: str
    member: traffic.Member


def register(url: str) -> list[Registered]:
    registry = Registry(url)
    try:
        small_exchange(registry)
        out = []
        for n, (name, asn, speed) in enumerate(EXCHANGE, start=1):
            request = onboarding(name, asn, f"Ethernet1/{n}", speed_mbps=speed)
            with registry.transaction("test") as s:
                done = members.onboard(s, request, registry.clock)
            assert done.ipv4 is not None and done.ipv6 is not None
            node = f"m{n}"
            member = traffic.Member(node, speed, ipaddress.IPv4Address(done.ipv4),
                                    ipaddress.IPv6Address(done.ipv6))  # fmt: skip
            out.append(Registered(node, done.organisation_id, request.macs[0], member))
        return out
    finally:
        registry.close()


def test_gravity_traffic_and_an_attack_reach_the_store(
    tmp_path: Path, sqlite_template: Path
) -> None:
    require_namespaces()
    require("pmacctd")
    database = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template, database)
    url = f"sqlite:///{database}"
    registered = register(url)
    data_dir = tmp_path / "data"
    plan = traffic.plan([r.member for r in registered], KNOBS, seed=11, period_s=RUN_S)
    (attack,) = plan.attacks
    began = dt.datetime.now(dt.UTC)
    with live_lab(tmp_path / "lab") as lab:
        lan = lab.add_lan(ipv4="198.51.100.0/24", ipv6="2001:db8:100::/64")
        for r in registered:
            lan.attach(lab.add_node(r.node), ipv4=r.member.ipv4, ipv6=r.member.ipv6, mac=r.mac)
        link = exporters.collector_link(lab)
        exporters.start_collector(lab, link, data_dir, database_url=url, batch_ms=200,
                                  env={"IXC_FLOW_SETTLE_S": "0"})  # fmt: skip
        exporters.start_sfprobe(lab, lan, link, sampling_rate=SAMPLING)
        sender.start_senders(lab, plan, duration_s=RUN_S)
        sent = {
            r.node: wait_for(lambda r=r: sender.read_stats(lab, r.node), timeout=60, what=r.node)
            for r in registered
        }
        time.sleep(1.0)  # the last samples on their way: sfprobe, then the collector's batch
        assert lab.stop("collector")
        log = (lab.run_dir / "logs" / "collector.log").read_text()
    assert '"malformed": 0' in log

    org = {r.node: r.org for r in registered}
    settings = Settings(data_dir=data_dir)
    window = Window(
        began - dt.timedelta(minutes=1), dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    )
    start, end = window.seconds
    with open_reader(settings) as reader:
        matrix = traffic_matrix(reader, window)
        normal = reader.query(
            Family.RAW, start, end,
            "SELECT src_org, dst_org, ip_version, SUM(packets * sampling_rate)::BIGINT FROM {rows} "
            "WHERE src_org != 0 AND dst_org != 0 AND dst_l4 != $port GROUP BY ALL",
            {"port": attack.port},
        )  # fmt: skip
        burst = reader.query(
            Family.RAW, start, end,
            "SELECT src_org, dst_org, SUM(packets * sampling_rate)::BIGINT FROM {rows} "
            "WHERE dst_l4 = $port GROUP BY ALL",
            {"port": attack.port},
        )  # fmt: skip
        ((strangers,),) = reader.query(  # unicast frames from or to a MAC no member has
            Family.RAW, start, end,
            "SELECT COUNT(*) FROM {rows} WHERE (src_org = 0 OR dst_org = 0) "
            "AND (dst_mac >> 40) & 1 = 0",
        )  # fmt: skip

    # every pair of members; unknown only the multicast of neighbour discovery, if sampled
    assert strangers == 0
    assert matrix.unknown_bytes < 0.001 * matrix.total_bytes
    pairs = {(c.src_org, c.dst_org) for c in matrix.cells}
    assert pairs == {(org[a], org[b]) for a, b in plan.pair_pps()}
    # gravity: the biggest pair carries the most, both ways
    big, mid = org["m1"], org["m2"]
    assert {(c.src_org, c.dst_org) for c in matrix.cells[:2]} == {(big, mid), (mid, big)}

    # the sampled estimate of each pair's packets is near what its sender sent
    measured: dict[tuple[int, int], int] = {}
    v6 = 0
    for src, dst, version, packets in normal:
        measured[(src, dst)] = measured.get((src, dst), 0) + packets
        v6 += packets if version == 6 else 0
    by_org = {r.org: r.node for r in registered}
    for (src, dst), packets in measured.items():
        really = sent[by_org[src]].sent[by_org[dst]]
        if really >= 1000:  # 100+ samples: within 30 %
            assert packets == pytest.approx(really, rel=0.3), (by_org[src], by_org[dst])
    assert v6 / sum(measured.values()) == pytest.approx(KNOBS.ipv6_share, abs=0.1)

    # the attack: its port, only from its sources, only to its victim, about its size
    assert {(s, d) for s, d, _ in burst} == {(org[s], org[attack.victim]) for s in attack.sources}
    flood = sum(p for *_, p in burst)
    expected = sum(sent[s].attack[attack.victim] for s in attack.sources)
    assert expected >= 0.9 * attack.pps * len(attack.sources) * attack.duration_s
    assert flood == pytest.approx(expected, rel=0.3)
