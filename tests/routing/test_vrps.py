from __future__ import annotations

import datetime as dt
import ipaddress
import json
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.core.errors import FormatError
from ixcenter.routing.rpki.vrps import Vrp, dump_vrps, load_vrps, parse_vrps, write_vrps

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_rpki_client_example(standards: Path) -> None:
    found = load_vrps(standards / "vrp-examples" / "rpki-client.json")
    assert found.vrps == (Vrp(ipaddress.ip_network("1.0.0.0/24"), 24, 13335, "apnic", 1027049909),)
    assert found.metadata["roas"] == 93445 and not found.problems


def test_octorpki_example(standards: Path) -> None:
    found = load_vrps(standards / "vrp-examples" / "octorpki.json")
    assert found.vrps == (
        Vrp(ipaddress.ip_network("98.147.0.0/16"), 16, 20001, "tals/ARIN-Pilot.tal"),
    )
    assert found.metadata["counts"] == 42855


def test_expired_entries_are_dropped_and_counted(standards: Path) -> None:
    found = load_vrps(standards / "vrp-examples" / "rpki-client.json", now=NOW)
    assert found.vrps == () and found.expired == 1


def test_every_bad_entry_is_reported_with_its_json_path() -> None:
    document = {
        "roas": [
            {"prefix": "192.0.2.0/24", "maxLength": 24, "asn": "AS64500"},
            {"prefix": "192.0.2.1/24", "maxLength": 24, "asn": 1},
            {"prefix": "192.0.2.0/24", "maxLength": 20, "asn": 1},
            {"prefix": "192.0.2.0/24", "maxLength": 33, "asn": 1},
            {"prefix": "2001:db8::/32", "maxLength": 129, "asn": 1},
            {"prefix": "192.0.2.0/24", "maxLength": 24, "asn": "ASX"},
            {"prefix": "192.0.2.0/24", "maxLength": 24, "asn": 2**32},
            {"prefix": "192.0.2.0/24", "maxLength": True, "asn": 1},
            {"prefix": "0.0.0.0/0", "maxLength": 0, "asn": 1},
            {"prefix": 7, "asn": None},
            "nonsense",
            {"prefix": "2001:db8::/32", "maxLength": 48, "asn": 64501, "ta": "ripe"},
        ]
    }
    found = parse_vrps(document)
    assert [v.asn for v in found.vrps] == [64500, 64501]
    assert [p.field for p in found.problems] == [
        "$.roas[1].prefix",
        "$.roas[2].maxLength",
        "$.roas[3].maxLength",
        "$.roas[4].maxLength",
        "$.roas[5].asn",
        "$.roas[6].asn",
        "$.roas[7].maxLength",
        "$.roas[8].prefix",
        "$.roas[9].prefix",
        "$.roas[9].maxLength",
        "$.roas[9].asn",
        "$.roas[10]",
    ]
    with pytest.raises(FormatError) as exc:
        found.raise_if_problems()
    assert len(exc.value.problems) == 12


@pytest.mark.parametrize("document", [[], {"roas": {}}, {"metadata": {}}, "x"])
def test_wrong_shapes_are_format_errors(document: object) -> None:
    with pytest.raises(FormatError):
        parse_vrps(document)


def test_unreadable_json(tmp_path: Path) -> None:
    path = tmp_path / "vrps.json"
    path.write_text("{not json")
    with pytest.raises(FormatError):
        load_vrps(path)


def test_canonical_output_for_stayrtr(tmp_path: Path) -> None:
    net = ipaddress.ip_network
    vrps = [
        Vrp(net("2001:db8::/32"), 48, 64501),
        Vrp(net("192.0.2.0/24"), 24, 64500, "ripe", 1780000000),
        Vrp(net("192.0.2.0/24"), 24, 64500),
        Vrp(net("10.0.0.0/8"), 8, 0),
    ]
    document = dump_vrps(vrps, generated=NOW)
    assert document == {
        "metadata": {"buildtime": "2026-06-01T09:00:00Z", "generated": 1780304400, "vrps": 3},
        "roas": [
            {"prefix": "10.0.0.0/8", "maxLength": 8, "asn": "AS0"},
            {
                "prefix": "192.0.2.0/24",
                "maxLength": 24,
                "asn": "AS64500",
                "ta": "ripe",
                "expires": 1780000000,
            },
            {"prefix": "2001:db8::/32", "maxLength": 48, "asn": "AS64501"},
        ],
    }
    path = tmp_path / "rpki.json"
    assert write_vrps(path, vrps, clock=FixedClock(NOW)) == 3
    assert json.loads(path.read_text()) == document
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["rpki.json"]
    again = load_vrps(path)
    assert len(again.vrps) == 3 and not again.problems
