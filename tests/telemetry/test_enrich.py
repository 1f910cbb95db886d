from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
from sqlalchemy import select

from ixcenter.core.clock import FixedClock
from ixcenter.core.kinds import OrgCategory
from ixcenter.registry import demo_data
from ixcenter.registry.db import Registry
from ixcenter.registry.models import Switch
from ixcenter.registry.services import members
from ixcenter.telemetry.enrich import EnrichmentTables, RegistryWatch, enrich, lookup
from ixcenter.telemetry.interfaces import InterfaceMap
from ixcenter.telemetry.unknown_macs import UnknownMacs
from tests.telemetry.store.world import (
    START,
    Flow,
    MemberPort,
    batch,
    demo_registry,
    member_ports,
    one_per_member,
)

__all__ = ["demo_registry"]

SIDES = ("org", "asn", "port", "node", "center")


def _expected(port: MemberPort | None) -> tuple[int, ...]:
    if port is None:
        return (0, 0, 0, 0, 0)
    return (port.org, port.asn, port.port, port.node, port.center)


def _sides(enriched, row: int, side: str) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    return tuple(int(enriched.sides[f"{side}_{c}"][row]) for c in SIDES)


def test_every_member_mac_maps_to_its_member_port_node_and_center(registry: Registry) -> None:
    demo_data.generate(registry, seed=3, members=12)
    ports = member_ports(registry)
    assert len({p.center for p in ports}) == 3
    with registry.read() as s:
        tables = EnrichmentTables.load(s)
    flows = [Flow(START, a, b, 100, 1) for a, b in zip(ports, ports[1:] + ports[:1], strict=True)]
    enriched = enrich(tables, batch(flows))
    for row, f in enumerate(flows):
        assert _sides(enriched, row, "src") == _expected(f.src)
        assert _sides(enriched, row, "dst") == _expected(f.dst)


def test_untagged_or_unregistered_vlan_falls_back_to_the_mac(
    demo_registry: Registry,
) -> None:
    ports = one_per_member(member_ports(demo_registry))
    with demo_registry.read() as s:
        tables = EnrichmentTables.load(s)
    a, b = ports[0], ports[1]
    rows = batch([Flow(START, a, b, 100, 1), Flow(START, a, b, 100, 1)])
    rows.rows["vlan"] = [0, 3999]
    enriched = enrich(tables, rows)
    for row in range(2):
        assert _sides(enriched, row, "src") == _expected(a)
        assert _sides(enriched, row, "dst") == _expected(b)


def test_unknown_macs_are_zero_and_recorded_with_first_and_last_seen(
    demo_registry: Registry,
) -> None:
    known = one_per_member(member_ports(demo_registry))[0]
    stranger = dataclasses.replace(known, mac=0x02_00_5E_00_00_99)
    broadcast = dataclasses.replace(known, mac=0xFF_FF_FF_FF_FF_FF)
    with demo_registry.read() as s:
        tables = EnrichmentTables.load(s)
    t = [START + dt.timedelta(seconds=s) for s in (10, 20, 30)]
    flows = [
        Flow(t[1], stranger, known, 1000, 10),  # unknown source
        Flow(t[0], stranger, broadcast, 500, 10),  # unknown source, broadcast destination
        Flow(t[2], known, stranger, 200, 1),  # unknown unicast destination
    ]
    enriched = enrich(tables, batch(flows))
    assert _sides(enriched, 0, "src") == _expected(None)
    assert _sides(enriched, 0, "dst") == _expected(known)
    unknown = UnknownMacs()
    assert unknown.observe(enriched)
    rows = unknown.table().to_pylist()
    assert rows == [
        {
            "vlan": known.vlan,
            "mac": stranger.mac,
            "first_seen_ms": int(t[0].timestamp() * 1000),
            "last_seen_ms": int(t[2].timestamp() * 1000),
            "samples": 3,
            "bytes": 1000 * 10 + 500 * 10 + 200,
            "exporter": "192.0.2.10",
            "in_if": 0,
        }
    ]
    # all known, nothing to record
    assert not unknown.observe(enrich(tables, batch([Flow(t[0], known, known, 1, 1)])))


def test_lookup_of_a_million_rows_is_one_array(demo_registry: Registry) -> None:
    ports = member_ports(demo_registry)
    with demo_registry.read() as s:
        tables = EnrichmentTables.load(s)
    rng = np.random.default_rng(5)
    pick = rng.integers(0, len(ports), 1_000_000)
    vlans = np.array([p.vlan for p in ports])[pick]
    macs = np.array([p.mac for p in ports], np.uint64)[pick]
    entries = lookup(tables, vlans, macs)
    assert (entries > 0).all()
    orgs = tables.values["org"][entries]
    assert (orgs == np.array([p.org for p in ports])[pick]).all()


def _onboard(registry: Registry, mac: str) -> int:
    request = members.Onboarding(
        name="Late Joiner Net",
        category=OrgCategory.ISP,
        country="CN",
        asn=132_000,
        switch=_a_switch(registry),
        port="Ethernet9/0/48",
        speed_mbps=10_000,
        licence_number="B1-LATE",
        licence_expires=dt.date(2030, 1, 1),
        macs=(mac,),
    )
    with registry.transaction("test") as s:
        return members.onboard(s, request, registry.clock).organisation_id


def _a_switch(registry: Registry) -> str:
    with registry.read() as s:
        return min(s.scalars(select(Switch.name)))


def test_registry_changes_are_picked_up_on_the_next_check_or_refresh(
    demo_registry: Registry,
) -> None:
    clock = FixedClock(START)
    watch = RegistryWatch(demo_registry, clock, check_every_s=30)
    mac = "02:aa:bb:cc:dd:01"
    value = np.array([0x02AABBCCDD01], np.uint64)
    assert watch.reloads == 1
    org = _onboard(demo_registry, mac)
    assert lookup(watch.tables(), np.array([0]), value)[0] == 0  # not checked yet
    clock.advance(dt.timedelta(seconds=29))
    assert lookup(watch.tables(), np.array([0]), value)[0] == 0
    clock.advance(dt.timedelta(seconds=1))
    tables = watch.tables()
    assert watch.reloads == 2
    assert tables.values["org"][lookup(tables, np.array([0]), value)[0]] == org
    clock.advance(dt.timedelta(seconds=30))
    watch.tables()
    assert watch.reloads == 2  # nothing changed: nothing reloaded


def test_refresh_reloads_at_once(demo_registry: Registry) -> None:
    watch = RegistryWatch(demo_registry, FixedClock(START), check_every_s=3600)
    org = _onboard(demo_registry, "02:aa:bb:cc:dd:02")
    tables = watch.refresh()
    entry = lookup(tables, np.array([0]), np.array([0x02AABBCCDD02], np.uint64))[0]
    assert tables.values["org"][entry] == org


def test_interfaces_are_learned_from_the_macs_seen_on_them(demo_registry: Registry) -> None:
    a, b, c = one_per_member(member_ports(demo_registry))[:3]
    with demo_registry.read() as s:
        tables = EnrichmentTables.load(s)
    flows = [Flow(START, a, b, 100, 1, in_if=7, out_if=9)] * 5 + [
        Flow(START, c, b, 100, 1, in_if=7, out_if=9)  # one stray vote for c on ifIndex 7
    ]
    learned = InterfaceMap()
    learned.learn(enrich(tables, batch(flows)))
    assert learned.resolve("192.0.2.10", 7, tables).port == a.port
    assert learned.resolve("192.0.2.10", 9, tables).port == b.port
    assert learned.resolve("192.0.2.10", 9, tables).org == b.org
    assert learned.resolve("192.0.2.10", 8, tables).port == 0
    fixed = InterfaceMap(fixed={("192.0.2.10", 7): c.port})
    fixed.learn(enrich(tables, batch(flows)))
    assert fixed.resolve("192.0.2.10", 7, tables).port == c.port
    again = InterfaceMap()
    again.load_state(learned.state())
    assert again.port_of("192.0.2.10", 7) == a.port
