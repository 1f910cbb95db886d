"""Rows carry an index into a table of distinct sides: equal sides share one entry, and the
ten side columns come back exactly as they were looked up."""

from __future__ import annotations

import numpy as np

from ixcenter.telemetry.decode.batch import FLOW_DTYPE, FlowBatch
from ixcenter.telemetry.enrich import EnrichmentTables, enrich
from ixcenter.telemetry.store.counters import PortSide
from ixcenter.telemetry.store.raw_log import rows_table
from ixcenter.telemetry.store.records import EnrichedFlows, empty_sides

MAC_A, MAC_B = 0x02_00_00_00_00_0A, 0x02_00_00_00_00_0B
A, B = PortSide(port=11, org=1, node=2, center=3), PortSide(port=22, org=5, node=6, center=3)


def _tables() -> EnrichmentTables:
    entries = [(100, MAC_A, A, 64_501), (200, MAC_A, A, 64_501), (100, MAC_B, B, 64_505),
               (300, MAC_B, B, 64_506)]  # fmt: skip
    return EnrichmentTables.build(1, entries, {11: A, 22: B})


def test_equal_sides_share_one_entry() -> None:
    tables = _tables()
    # zero, A on both its VLANs, B with two ASNs (two sides)
    assert len(tables.values) == 4
    rows = np.zeros(6, FLOW_DTYPE)
    rows["vlan"] = [100, 200, 0, 100, 300, 999]
    rows["src_mac"] = [MAC_A, MAC_A, MAC_A, MAC_B, MAC_B, 0x02_FF]
    rows["dst_mac"] = MAC_B
    enriched = enrich(tables, FlowBatch(rows, ["192.0.2.1"]))
    src = enriched.src.tolist()
    assert src[0] == src[1] == src[2] != 0  # by (VLAN, MAC) twice, then by the MAC alone
    assert src[3] != src[4] and src[5] == 0  # B's ASN differs per VLAN; an unknown MAC is 0
    assert enriched.side("src", "asn").tolist() == [64_501, 64_501, 64_501, 64_505, 64_506, 0]
    assert enriched.side("src", "org").tolist() == [1, 1, 1, 5, 5, 0]


def test_sides_given_as_columns_come_back_the_same() -> None:
    rng = np.random.default_rng(3)
    sides = empty_sides(500)
    for name in sides.dtype.names or ():
        sides[name] = rng.integers(0, 4, 500)
    enriched = EnrichedFlows.from_sides(FlowBatch(np.zeros(500, FLOW_DTYPE), ["e"]), sides)
    assert (enriched.sides == sides).all()
    assert enriched.table[0].tolist() == (0, 0, 0, 0, 0)  # entry 0: unknown
    raw = rows_table(enriched)  # as the raw tier reads them back
    for name in sides.dtype.names or ():
        assert raw.column(name).to_pylist() == sides[name].tolist()
