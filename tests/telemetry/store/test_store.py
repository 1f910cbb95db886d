from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import ConfigurationError
from ixcenter.registry.db import Registry
from ixcenter.telemetry.analytics import (
    SubjectKind,
    Window,
    center_traffic,
    ip_share,
    series,
    top_peers,
    traffic_matrix,
)
from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import Family, FlowStoreReader, FlowStoreWriter, StoreOptions
from tests.telemetry.store.world import (
    START,
    Flow,
    MemberPort,
    batch,
    expected_matrix,
    member_ports,
    random_flows,
)

HOUR = dt.timedelta(hours=1)


def _store(
    registry: Registry, directory: Path, clock: FixedClock, **options: object
) -> tuple[FlowStoreWriter, EnrichingSink]:
    writer = FlowStoreWriter(directory, StoreOptions(**options), clock)  # type: ignore[arg-type]
    sink = EnrichingSink(
        RegistryWatch(registry, clock), writer, clock=clock, maintain_every_s=1e9, background=False
    )
    return writer, sink


def _write(sink: EnrichingSink, flows: Sequence[Flow], per_flush: int = 700) -> None:
    for n in range(0, len(flows), per_flush):
        sink.write(batch(flows[n : n + per_flush]), CounterBatch.empty())
        sink.flush()


def _within(flows: Sequence[Flow], start: dt.datetime, end: dt.datetime) -> list[Flow]:
    return [f for f in flows if start <= f.at < end]


@pytest.fixture
def ports(demo_registry: Registry) -> list[MemberPort]:
    return member_ports(demo_registry)


def test_matrix_and_reports_equal_sums_worked_out_from_the_samples(
    demo_registry: Registry, ports: list[MemberPort], tmp_path: Path
) -> None:
    clock = FixedClock(START)
    writer, sink = _store(demo_registry, tmp_path / "flows", clock)
    flows = random_flows(ports, 6000, START, span_s=3 * 3600, seed=11)
    _write(sink, flows)
    clock.advance(4 * HOUR)
    report = writer.maintain()
    assert report.rolled_up["flows_1h"] > 0
    reader = FlowStoreReader(tmp_path / "flows")

    # the whole span, and a window with ragged edges stitched from 1 h, 5 min and 1 min tiers
    for start, end in (
        (START, START + 3 * HOUR),
        (START + dt.timedelta(minutes=17), START + dt.timedelta(hours=2, minutes=3)),
    ):
        window = Window(start, end)
        matrix = traffic_matrix(reader, window)
        expected = expected_matrix(_within(flows, start, end))
        assert {(c.src_org, c.dst_org): c.bytes for c in matrix.cells} == dict(expected)
        assert matrix.total_bytes == sum(expected.values())
        assert matrix.unknown_bytes == 0
        assert [c.bytes for c in matrix.cells] == sorted(expected.values(), reverse=True)
    tiers = {p.tier.name for p in reader.plan(Family.FLOWS, *window.seconds)}
    assert tiers == {"flows_1h", "flows_5m", "flows_1m"}

    window = Window(START, START + 3 * HOUR)
    member = ports[0].org
    sent: Counter[int] = Counter()
    received: Counter[int] = Counter()
    for f in flows:
        if f.src.org == member and f.dst.org != member:
            sent[f.dst.org] += f.size * f.rate
        if f.dst.org == member and f.src.org != member:
            received[f.src.org] += f.size * f.rate
    peers = top_peers(reader, member, window, limit=5)
    totals = {p: sent[p] + received[p] for p in set(sent) | set(received)}
    assert [p.total_bytes for p in peers] == sorted(totals.values(), reverse=True)[:5]
    for p in peers:
        assert (p.sent_bytes, p.received_bytes) == (sent[p.peer_org], received[p.peer_org])

    share = ip_share(reader, window)
    assert share.v4_bytes == sum(f.size * f.rate for f in flows if f.ip_version == 4)
    assert share.v6_bytes == sum(f.size * f.rate for f in flows if f.ip_version == 6)
    assert share.v6_share == pytest.approx(share.v6_bytes / (share.v4_bytes + share.v6_bytes))

    between: Counter[tuple[int, int]] = Counter()
    for f in flows:
        if f.src.center != f.dst.center:
            between[(f.src.center, f.dst.center)] += f.size * f.rate
    got = center_traffic(reader, window)
    assert {(c.src_center, c.dst_center): c.bytes for c in got} == dict(between)

    for kind, key in ((SubjectKind.MEMBER, "org"), (SubjectKind.CENTER, "center")):
        subject = getattr(ports[0], key)
        points = series(reader, kind, subject, window, step=300).points
        assert len(points) == 36
        for point in points:
            in_bucket = _within(flows, point.ts, point.ts + dt.timedelta(minutes=5))
            assert point.sent_bytes == sum(
                f.size * f.rate for f in in_bucket if getattr(f.src, key) == subject
            )
            assert point.received_bytes == sum(
                f.size * f.rate for f in in_bucket if getattr(f.dst, key) == subject
            )
            assert point.sent_bps == point.sent_bytes * 8 / 300
    reader.close()
    writer.close()


def test_data_and_state_survive_a_restart(
    demo_registry: Registry, ports: list[MemberPort], tmp_path: Path
) -> None:
    clock = FixedClock(START)
    flows = random_flows(ports, 1000, START, span_s=600, seed=2)
    writer, sink = _store(demo_registry, tmp_path / "flows", clock)
    _write(sink, flows[:500])
    writer.close()
    writer, sink = _store(demo_registry, tmp_path / "flows", clock)
    _write(sink, flows[500:])
    writer.close()
    with FlowStoreReader(tmp_path / "flows") as reader:
        matrix = traffic_matrix(reader, Window(START, START + HOUR))
    assert matrix.total_bytes == sum(expected_matrix(flows).values())


def test_a_second_writer_is_refused(tmp_path: Path) -> None:
    writer = FlowStoreWriter(tmp_path / "flows")
    with pytest.raises(ConfigurationError, match="already has a writer"):
        FlowStoreWriter(tmp_path / "flows")
    writer.close()
    FlowStoreWriter(tmp_path / "flows").close()  # free again


def test_late_rows_reach_the_tiers_already_rolled_up(
    demo_registry: Registry, ports: list[MemberPort], tmp_path: Path
) -> None:
    clock = FixedClock(START)
    writer, sink = _store(demo_registry, tmp_path / "flows", clock)
    on_time = [
        Flow(START + dt.timedelta(minutes=m), ports[0], ports[1], 1000, 10) for m in range(60)
    ]
    _write(sink, on_time)
    clock.advance(3 * HOUR)
    writer.maintain()
    assert writer.manifest.complete_until["flows_1h"] == int((START + 2 * HOUR).timestamp())
    late = Flow(START + dt.timedelta(minutes=10, seconds=5), ports[2], ports[3], 700, 100)
    _write(sink, [late])
    reader = FlowStoreReader(tmp_path / "flows")
    window = Window(START, START + HOUR)
    assert [p.tier.name for p in reader.plan(Family.FLOWS, *window.seconds)] == ["flows_1h"]
    matrix = traffic_matrix(reader, window)
    assert matrix.get(ports[2].org, ports[3].org) == 70_000
    assert matrix.total_bytes == 60 * 10_000 + 70_000
    writer.close()


def test_merging_parts_keeps_every_total(
    demo_registry: Registry, ports: list[MemberPort], tmp_path: Path
) -> None:
    clock = FixedClock(START)
    writer, sink = _store(demo_registry, tmp_path / "flows", clock)
    flows = random_flows(ports, 3000, START, span_s=1800, seed=4)
    _write(sink, flows, per_flush=100)
    assert len(writer.manifest.tier_files("flows_1m")) == 30
    clock.advance(2 * HOUR)
    report = writer.maintain()
    assert report.merged["flows_1m"] == 30
    assert len(writer.manifest.tier_files("flows_1m")) == 1
    with FlowStoreReader(tmp_path / "flows") as reader:
        minutes = reader.query(
            Family.FLOWS,
            *Window(START, START + HOUR).seconds,
            "SELECT SUM(bytes), SUM(samples) FROM {rows}",
            step=60,
        )
    assert minutes == [(sum(expected_matrix(flows).values()), 3000)]
    writer.close()


def test_tiers_past_their_retention_are_dropped_and_coarser_ones_answer(
    demo_registry: Registry, ports: list[MemberPort], tmp_path: Path
) -> None:
    clock = FixedClock(START)
    day = 86_400
    writer, sink = _store(
        demo_registry,
        tmp_path / "flows",
        clock,
        retention={"raw": 3600, "flows_1m": day, "flows_5m": 2 * day},
    )
    flows = random_flows(ports, 2000, START, span_s=7200, seed=9)
    _write(sink, flows)
    clock.advance(dt.timedelta(days=1, hours=3))
    writer.maintain()
    assert writer.manifest.tier_files("raw") == ()
    assert writer.manifest.tier_files("flows_1m") == ()
    assert writer.manifest.tier_files("flows_5m") != ()
    reader = FlowStoreReader(tmp_path / "flows")
    window = Window(START + dt.timedelta(minutes=5), START + dt.timedelta(minutes=95))
    assert traffic_matrix(reader, window).total_bytes == sum(
        expected_matrix(_within(flows, window.start, window.end)).values()
    )
    clock.advance(dt.timedelta(days=2))
    writer.maintain()
    assert writer.manifest.tier_files("flows_5m") == ()
    # the hour tier still knows, at its own grain
    whole = Window(START, START + 2 * HOUR)
    assert traffic_matrix(reader, whole).total_bytes == sum(expected_matrix(flows).values())
    writer.close()


def test_every_tier_sums_to_the_minute_tier_across_partitions(
    demo_registry: Registry, ports: list[MemberPort], tmp_path: Path
) -> None:
    clock = FixedClock(START)
    keep = {"raw": 0, "flows_1m": 90 * 86_400}
    writer, sink = _store(demo_registry, tmp_path / "flows", clock, retention=keep)
    begin = START + dt.timedelta(hours=13, minutes=7)  # not aligned to any partition
    flows = random_flows(ports, 4000, begin, span_s=40 * 86_400, seed=5)  # crosses 30-day blocks
    _write(sink, sorted(flows, key=lambda f: f.at), per_flush=500)
    clock.advance(dt.timedelta(days=42))
    writer.maintain()
    manifest = writer.manifest
    assert manifest.complete_until["flows_1d"] == int((START + dt.timedelta(days=41)).timestamp())
    with FlowStoreReader(tmp_path / "flows") as reader:
        for tier in ("flows_1m", "flows_5m", "flows_1h", "flows_1d"):
            paths = [str(tmp_path / "flows" / f.path) for f in manifest.tier_files(tier)]
            listed = ", ".join(f"'{p}'" for p in paths)
            total = reader._con.sql(f"SELECT SUM(bytes) FROM read_parquet([{listed}])").fetchall()  # noqa: S608
            assert total == [(sum(expected_matrix(flows).values()),)], tier
