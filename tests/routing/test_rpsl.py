from __future__ import annotations

import gzip
import ipaddress
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.routing.irr.rpsl import (
    AsSet,
    AutNum,
    Route,
    RpslReader,
    normalise_member,
    parse_rpsl,
    set_kind,
)

DUMP = """\
% This is the RADB-style dump header
% with comments

route:      192.0.2.0/24
descr:      documentation
origin:     AS64500   # trailing comment
mnt-by:     MAINT-EXAMPLE
source:     radb

ROUTE6:     2001:db8::/32
Origin:     as64500
SOURCE:     RADB

as-set:     AS-EXAMPLE
descr:      customers
members:    AS64500, AS64501,
            AS-CUSTOMERS  # a nested set
+
members:    AS1.10
mbrs-by-ref: MAINT-EXAMPLE
source:     RIPE

person:     Somebody
address:    not: parsed: at all
source:     RIPE

aut-num:    AS64500
as-name:    EXAMPLE
source:     RIPE
"""


def test_parses_the_classes_it_keeps() -> None:
    objects, problems = parse_rpsl(DUMP)
    assert not problems
    route, route6, as_set, aut_num = objects
    assert route == Route(ipaddress.ip_network("192.0.2.0/24"), 64500, "RADB", 4)
    assert isinstance(route6, Route) and route6.prefix.version == 6 and route6.origin == 64500
    assert isinstance(as_set, AsSet)
    assert as_set.name == "AS-EXAMPLE"
    assert as_set.members == ("AS64500", "AS64501", "AS-CUSTOMERS", "AS65546")
    assert as_set.mbrs_by_ref == ("MAINT-EXAMPLE",)
    assert as_set.source == "RIPE"
    assert aut_num == AutNum(64500, "RIPE", 27)


def test_malformed_objects_are_reported_with_their_line_and_skipped() -> None:
    text = """\
route: 192.0.2.1/24
origin: AS64500
source: RADB

route: 192.0.2.0/24
source: RADB

route6: 192.0.2.0/24
origin: AS1
source: RADB

route: 198.51.100.0/24
origin: ASX
source: RADB

garbage line without colon
more garbage

  continuation out of nowhere

as-set: AS-BAD
members: AS1, 10.0.0.0/8, AS-GOOD, RS-ROUTES
source: RADB

route: 203.0.113.0/24
origin: AS64501
source: RADB
"""
    objects, problems = parse_rpsl(text, where="dump")
    fields = [p.field for p in problems.items]
    assert fields == ["dump:1", "dump:5", "dump:8", "dump:12", "dump:16", "dump:19", "dump:21"]
    assert {p.code for p in problems.items} >= {"rpsl-invalid-value", "rpsl-syntax"}
    assert "10.0.0.0/8" in problems.items[-1].message
    as_set, route = objects
    assert isinstance(as_set, AsSet) and as_set.members == ("AS1", "AS-GOOD", "RS-ROUTES")
    assert isinstance(route, Route) and route.origin == 64501


def test_default_source_and_missing_source() -> None:
    text = "route: 192.0.2.0/24\norigin: AS1\n"
    objects, problems = parse_rpsl(text)
    assert objects == [] and problems.items[0].code == "rpsl-missing-attribute"
    objects, problems = parse_rpsl(text, default_source="local")
    assert not problems and objects[0].source == "LOCAL"


def test_reads_plain_and_gzip_dumps(tmp_path: Path) -> None:
    plain = tmp_path / "radb.db"
    plain.write_text(DUMP)
    packed = tmp_path / "radb.db.gz"
    packed.write_bytes(gzip.compress(DUMP.encode()))
    for path in (plain, packed):
        reader = RpslReader(where=path.name)
        objects = list(reader.read(path))
        assert len(objects) == 4
        assert reader.counts["route"] == 1 and reader.counts["skipped"] == 1


def test_one_percent_garbage_still_loads() -> None:
    chunks = []
    for i in range(1000):
        if i % 100 == 7:
            chunks.append(f"route: 10.{i // 256}.{i % 256}.1/24\norigin: AS1\nsource: X\n")
        else:
            chunks.append(f"route: 10.{i // 256}.{i % 256}.0/24\norigin: AS{i + 1}\nsource: X\n")
    objects, problems = parse_rpsl("\n".join(chunks))
    assert len(objects) == 990 and len(problems) == 10


def test_problem_cap_counts_the_rest() -> None:
    reader = RpslReader(max_problems=3)
    list(reader.parse(["nonsense\n", "\n"] * 10))
    assert len(reader.problems) == 3 and reader.dropped_problems == 7


def test_member_names() -> None:
    assert normalise_member(" as64500 ") == "AS64500"
    assert normalise_member("AS1.10") == "AS65546"
    assert normalise_member("as64500:as-customers") == "AS64500:AS-CUSTOMERS"
    assert normalise_member("10.0.0.0/8") is None
    assert normalise_member("AS99999999999") is None
    assert set_kind("AS64500:AS-CUSTOMERS") == "as-set"
    assert set_kind("AS-FOO:RS-BAR") == "route-set"
    assert set_kind("AS64500") is None
    assert set_kind("FOO") is None


_LINES = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "",
                "route: 192.0.2.0/24",
                "route6: 2001:db8::/32",
                "origin: AS64500",
                "source: TEST",
                "as-set: AS-X",
                "members: AS1, AS-Y",
                " AS2,",
                "+",
                "% comment",
                "aut-num: AS1",
            ]
        ),
        st.text(max_size=40),
    ),
    max_size=40,
)


@settings(max_examples=300)
@given(_LINES)
def test_never_crashes_and_every_failure_is_a_problem(lines: list[str]) -> None:
    text = "\n".join(lines)
    reader = RpslReader(where="fuzz")
    objects = list(reader.parse(text.splitlines(keepends=True)))
    kept = sum(reader.counts[k] for k in ("route", "route6", "as-set", "aut-num"))
    assert len(objects) == kept
    assert reader.counts["malformed"] <= len(reader.problems)
    for problem in reader.problems.items:
        assert problem.field.startswith("fuzz:")
