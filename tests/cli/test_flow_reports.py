from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from ixcenter.cli import flow_reports
from ixcenter.cli.main import cli
from ixcenter.core.clock import FixedClock
from ixcenter.registry.db import Registry
from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import FlowStoreWriter
from tests.telemetry.store.world import (
    START,
    CounterSample,
    Flow,
    MemberPort,
    batch,
    counter_batch,
    demo_registry,
    member_ports,
    one_per_member,
)

__all__ = ["demo_registry"]

Invoke = Callable[..., Result]
WINDOW = ["--since", "2026-05-01T00:00", "--until", "2026-05-01T01:00"]


def _flows_group() -> click.Group:
    group = cli.commands["flows"]
    assert isinstance(group, click.Group)
    if "top" not in group.commands:  # until the flows module registers the reports itself
        flow_reports.register(group)
    return group


@pytest.fixture
def members(demo_registry: Registry) -> list[MemberPort]:
    return one_per_member(member_ports(demo_registry))[:3]


@pytest.fixture
def ixc(demo_registry: Registry, members: list[MemberPort], tmp_path: Path) -> Invoke:
    """Three members' traffic in the store: a->b 3 MB, b->a 1 MB, a->c 0.5 MB, c->b 2 kB."""
    a, b, c = members
    clock = FixedClock(START)
    writer = FlowStoreWriter(tmp_path / "flows", clock=clock)
    sink = EnrichingSink(
        RegistryWatch(demo_registry, clock),
        writer,
        clock=clock,
        interfaces={("192.0.2.10", 1): a.port},
    )
    at = START + dt.timedelta(minutes=5)
    stranger = MemberPort(0, 0, 0, 0, 0, a.vlan, 0x020000BEEF01)
    flows = [
        Flow(at, a, b, 1000, 1000, src_ip="203.0.113.7", dst_ip="198.51.100.9"),
        Flow(at, a, b, 2000, 1000, ip_version=6, src_ip="2001:db8::7", dst_ip="2001:db8:1::9"),
        Flow(at, b, a, 1000, 1000),
        Flow(at, a, c, 500, 1000),
        Flow(at, c, b, 2000, 1),
        Flow(at + dt.timedelta(minutes=1), stranger, a, 100, 10),
    ]
    sink.write(batch(flows), CounterBatch.empty())
    month = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    samples = [
        CounterSample(month + dt.timedelta(minutes=5 * k), 1, k * 3_750_000_000, k * 37_500_000_000)
        for k in range(21)
    ]  # 100 Mbit/s in, 1 Gbit/s out, for 20 buckets
    sink.write(batch([]), counter_batch(samples))
    sink.flush()
    writer.close()
    _flows_group()
    runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"})

    def invoke(*args: str) -> Result:
        return runner.invoke(
            cli, ["--database-url", demo_registry.url, "--data-dir", str(tmp_path), *args]
        )

    return invoke


def _lines(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return [line.rstrip() for line in result.output.splitlines()]


def _name(registry: Registry, member: MemberPort) -> str:
    from ixcenter.registry.models import Organisation

    with registry.read() as s:
        org = s.get(Organisation, member.org)
        assert org is not None
        return org.name


def test_top_lists_peers_by_total_traffic(
    ixc: Invoke, demo_registry: Registry, members: list[MemberPort]
) -> None:
    a, b, c = members
    names = [_name(demo_registry, m) for m in members]
    result = ixc("flows", "top", f"#{a.org}", *WINDOW, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(r["peer"], r["sent"], r["received"], r["total"]) for r in data] == [
        (names[1], 3_000_000, 1_000_000, 4_000_000),
        (names[2], 500_000, 0, 500_000),
    ]
    assert data[0]["asns"] == f"AS{b.asn}"
    assert _lines(ixc("flows", "top", f"#{a.org}", *WINDOW)) == [
        f"top peers of {names[0]}, 2026-05-01 00:00 to 2026-05-01 01:00 UTC",
        *_table(
            ["peer", "asns", "sent", "received", "total"],
            [
                [names[1], f"AS{b.asn}", "3.00 MB", "1.00 MB", "4.00 MB"],
                [names[2], f"AS{c.asn}", "500.00 kB", "0 B", "500.00 kB"],
            ],
        ),
    ]


def test_matrix_shows_the_largest_pairs_and_their_share(
    ixc: Invoke, demo_registry: Registry, members: list[MemberPort]
) -> None:
    n = [_name(demo_registry, m) for m in members]
    assert _lines(ixc("flows", "matrix", *WINDOW, "--limit", "3")) == [
        "traffic matrix, 2026-05-01 00:00 to 2026-05-01 01:00 UTC: 4.50 MB between members",
        *_table(
            ["from", "to", "bytes", "packets", "share"],
            [
                [n[0], n[1], "3.00 MB", "2000", "66.6 %"],
                [n[1], n[0], "1.00 MB", "1000", "22.2 %"],
                [n[0], n[2], "500.00 kB", "1000", "11.1 %"],
            ],
        ),
    ]
    data = json.loads(ixc("flows", "matrix", *WINDOW, "--limit", "0", "--json").output)
    assert [(r["from"], r["to"], r["bytes"]) for r in data] == [
        (n[0], n[1], 3_000_000),
        (n[1], n[0], 1_000_000),
        (n[0], n[2], 500_000),
        (n[2], n[1], 2_000),
    ]


def test_p95_per_member_from_counters(
    ixc: Invoke, demo_registry: Registry, members: list[MemberPort]
) -> None:
    name = _name(demo_registry, members[0])
    assert _lines(ixc("flows", "p95", "--month", "2026-04")) == [
        "95th percentile per member, 2026-04",
        *_table(
            ["member", "samples", "in", "out", "p95"],
            [[name, "20", "100.00 Mbit/s", "1.00 Gbit/s", "1.00 Gbit/s"]],
        ),
    ]
    data = json.loads(ixc("flows", "p95", "--month", "2026-04", "--by", "port", "--json").output)
    assert data == [
        {
            "port": data[0]["port"],
            "samples": 20,
            "in": 100_000_000.0,
            "out": 1_000_000_000.0,
            "p95": 1_000_000_000.0,
        }
    ]
    assert _lines(ixc("flows", "p95", "--month", "2026-03")) == [
        "no 95th percentile per member, 2026-03"
    ]


def test_unknown_macs_and_traffic_between_centers(ixc: Invoke) -> None:
    data = json.loads(ixc("flows", "unknown-macs", "--json").output)
    assert [(r["mac"], r["samples"], r["bytes"], r["last_seen"]) for r in data] == [
        ("02:00:00:be:ef:01", 1, 1000, "2026-05-01T00:06:00+00:00")
    ]
    assert _lines(ixc("flows", "centers", *WINDOW)) == [
        "traffic between exchange centers",
        *_table(
            ["from", "to", "bytes", "average", "links"],
            [
                ["BJIX", "SHIX", "3.00 MB", "6.67 kbit/s", "BJIX-SHIX-1"],
                ["SHIX", "BJIX", "1.00 MB", "2.22 kbit/s", "BJIX-SHIX-1"],
                ["BJIX", "GDIX", "500.00 kB", "1.11 kbit/s", "BJIX-GDIX-1"],
                ["GDIX", "SHIX", "2.00 kB", "4 bit/s", "SHIX-GDIX-1"],
            ],
        ),
    ]


def test_samples_name_both_ends_and_filter_by_member_and_address(
    ixc: Invoke, demo_registry: Registry, members: list[MemberPort]
) -> None:
    c = members[2]
    n = [_name(demo_registry, m) for m in members]
    window = ["--since", "2026-05-01T00:00", "--until", "2026-05-01T01:00"]
    everything = json.loads(ixc("flows", "samples", *window, "--json").output)
    assert len(everything) == 6
    assert everything[0]["from"] == "02:00:00:be:ef:01"  # newest first; the unknown MAC as such
    of_c = json.loads(ixc("flows", "samples", *window, "--member", f"#{c.org}", "--json").output)
    assert sorted((r["from"], r["to"], r["bytes"]) for r in of_c) == sorted(
        [(n[0], n[2], 500), (n[2], n[1], 2000)]
    )
    v4 = json.loads(
        ixc("flows", "samples", *window, "--address", "203.0.113.0/24", "--json").output
    )
    assert [(r["from"], r["to"], r["source"], r["destination"]) for r in v4] == [
        (n[0], n[1], "203.0.113.7", "198.51.100.9")
    ]
    v6 = json.loads(
        ixc("flows", "samples", *window, "--address", "2001:db8:1::/48", "--json").output
    )
    assert [(r["source"], r["destination"], r["bytes"]) for r in v6] == [
        ("2001:db8::7", "2001:db8:1::9", 2000)
    ]
    assert (
        json.loads(
            ixc("flows", "samples", *window, "--address", "2001:db8:2::/48", "--json").output
        )
        == []
    )
    lines = _lines(ixc("flows", "samples", *window, "--member", f"#{c.org}"))
    assert lines[0] == "raw samples, 2026-05-01 00:00:00 to 01:00:00 UTC"
    assert any(f"AS{c.asn}" in line and "00:05:00.000" in line for line in lines)
    bad = ixc("flows", "samples", "--address", "203.0.113.300")
    assert bad.exit_code != 0
    assert "not an IP address or prefix" in bad.output


def test_reports_say_clearly_when_there_is_no_store(
    tmp_path: Path, demo_registry: Registry
) -> None:
    _flows_group()
    runner = CliRunner(env={"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"})
    result = runner.invoke(
        cli,
        ["--database-url", demo_registry.url, "--data-dir", str(tmp_path / "empty"), "flows",
         "matrix", *WINDOW],
    )  # fmt: skip
    assert result.exit_code == 4
    assert "no flow store in" in result.output


def _table(columns: list[str], rows: list[list[str]]) -> list[str]:
    """The rich table the output layer prints (heavy head, light body), rows as given."""
    widths = [max(len(c), *(len(r[n]) for r in rows)) for n, c in enumerate(columns)]

    def line(left: str, fill: str, cross: str, right: str) -> str:
        return left + cross.join(fill * (w + 2) for w in widths) + right

    def cells(values: list[str], bar: str) -> str:
        return bar + bar.join(f" {v:<{w}} " for v, w in zip(values, widths, strict=True)) + bar

    return [
        line("┏", "━", "┳", "┓"),
        cells(columns, "┃"),
        line("┡", "━", "╇", "┩"),
        *(cells(r, "│") for r in rows),
        line("└", "─", "┴", "┘"),
    ]
