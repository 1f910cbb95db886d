from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ixcenter.core.errors import FormatError, Problem
from ixcenter.registry.interchange import ixf_schema
from ixcenter.registry.interchange.ixf_import import parse_ixf, plan_ixf

BASE = {
    "version": "1.0",
    "timestamp": "2026-01-01T00:00:00Z",
    "ixp_list": [{"ixp_id": 1, "ixf_id": 3, "shortname": "X", "vlan": [{"id": 1}]}],
    "member_list": [
        {
            "asnum": 64500,
            "connection_list": [
                {
                    "ixp_id": 1,
                    "if_list": [{"switch_id": 2, "if_speed": 1000}],
                    "vlan_list": [
                        {"vlan_id": 1, "ipv4": {"address": "192.0.2.1", "mac_addresses": []}}
                    ],
                }
            ],
        }
    ],
}


def test_shipped_schemas_match_the_shared_standards(standards: Path) -> None:
    for version in ixf_schema.VERSIONS:
        shared = standards / f"ixf-member-export-{version}.schema.json"
        assert ixf_schema.schema(version) == json.loads(shared.read_text())


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{", "not JSON"),
        (b"\xff\xfe\x00", "not JSON"),
        ("[]", "JSON object"),
        ('{"version": "2.0"}', "unsupported version '2.0'"),
        ('{"version": "1.0", "x": NaN}', "not JSON"),
    ],
)
def test_malformed_input_is_a_format_error(raw: bytes | str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse_ixf(raw)


def test_schema_errors_are_all_reported_with_paths() -> None:
    document = json.loads(json.dumps(BASE))
    del document["timestamp"]
    document["ixp_list"][0]["ixp_id"] = "one"
    document["member_list"][0]["connection_list"][0]["if_list"][0]["if_speed"] = True
    with pytest.raises(FormatError) as caught:
        parse_ixf(json.dumps(document))
    assert [p.field for p in caught.value.problems] == [
        "$",
        "$.ixp_list[0].ixp_id",
        "$.member_list[0].connection_list[0].if_list[0].if_speed",
    ]


@pytest.mark.parametrize("version", ["0.6", "0.7"])
def test_older_versions_are_validated_by_their_own_schema(version: str) -> None:
    document = json.loads(json.dumps(BASE))
    document["version"] = version
    document["member_list"][0]["member_type"] = "probono"  # only 0.6 knows it
    if version == "0.6":
        assert plan_ixf(parse_ixf(json.dumps(document))).version == "0.6"
    else:
        with pytest.raises(FormatError, match="probono"):
            parse_ixf(json.dumps(document))


def test_plan_of_a_valid_document() -> None:
    plan = plan_ixf(parse_ixf(json.dumps(BASE)))
    (exchange,) = plan.exchanges
    assert (exchange.code, exchange.ixf_id) == ("X", 3)
    assert [s.key for s in exchange.switches] == [2]  # used by a member, so planned
    (member,) = plan.members
    (connection,) = member.connections
    assert (connection.name, connection.macs) == ("AS64500-1", ())


_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.text(max_size=20),
    st.sampled_from(["192.0.2.300", "::g", "zz:zz", "1.0", "", "2001:db8::1"]),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@given(data=st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_random_mutations_raise_nothing_but_format_error(data: st.DataObject) -> None:
    document = json.loads(json.dumps(BASE))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)[1:]))
        parent = document
        for part in path[:-1]:
            parent = parent[part]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_VALUES)
        if not _paths(document)[1:]:
            break
    raw = json.dumps(document)
    if data.draw(st.booleans()):
        cut = data.draw(st.integers(0, len(raw)))
        raw = raw[:cut]
    problems = _problems_of(raw)
    assert problems is None or (problems and all(p.field.startswith("$") for p in problems))


def _problems_of(raw: str) -> tuple[Problem, ...] | None:
    """The problems parsing and mapping ``raw`` found; any other exception fails the test."""
    try:
        plan_ixf(parse_ixf(raw))
    except FormatError as exc:
        return exc.problems
    return None
