from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixcenter.core.asns import ASN_MAX, is_four_byte, is_public, parse_asn, special_purpose
from ixcenter.core.errors import ValidationFailed


@pytest.mark.parametrize(
    ("text", "asn"),
    [
        ("64500", 64500),
        ("AS64500", 64500),
        ("as4200000000", 4200000000),
        ("1.10", 65546),
        (" AS131072 ", 131072),
        (3356, 3356),
    ],
)
def test_parse(text: str | int, asn: int) -> None:
    assert parse_asn(text) == asn


@pytest.mark.parametrize("text", ["", "AS", "AS-FOO", "-1", "4294967296", "65536.1", "1.2.3"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_asn(text)
    assert exc.value.problems[0].code == "invalid-asn"


@pytest.mark.parametrize(
    ("asn", "reason"),
    [
        (0, "reserved"),
        (23456, "AS_TRANS"),
        (64496, "documentation"),
        (64512, "private"),
        (65535, "reserved"),
        (65551, "documentation"),
        (100000, "reserved"),
        (4200000000, "private"),
        (ASN_MAX, "reserved"),
    ],
)
def test_special_purpose(asn: int, reason: str) -> None:
    found = special_purpose(asn)
    assert found is not None and reason in found
    assert not is_public(asn)


@pytest.mark.parametrize("asn", [1, 3356, 4134, 131072, 399999])
def test_public(asn: int) -> None:
    assert is_public(asn)


@given(st.integers(min_value=0, max_value=ASN_MAX))
def test_every_asn_round_trips_in_asplain_and_asdot(asn: int) -> None:
    assert parse_asn(str(asn)) == asn
    assert parse_asn(f"AS{asn}") == asn
    assert parse_asn(f"{asn >> 16}.{asn & 0xFFFF}") == asn
    assert is_four_byte(asn) == (asn > 65535)
