from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ixcenter.core.errors import ValidationFailed
from ixcenter.core.macs import is_multicast, normalise_mac


@pytest.mark.parametrize(
    "text", ["00:1B:21:3a:4f:10", "00-1b-21-3a-4f-10", "001b.213a.4f10", "001b213a4f10"]
)
def test_every_spelling_normalises_alike(text: str) -> None:
    assert normalise_mac(text) == "00:1b:21:3a:4f:10"


@pytest.mark.parametrize(
    "text", ["", "00:1b:21:3a:4f", "00:1b:21:3a:4f:10:11", "zz:1b:21:3a:4f:10"]
)
def test_refuses(text: str) -> None:
    with pytest.raises(ValidationFailed):
        normalise_mac(text)


def test_multicast_bit() -> None:
    assert is_multicast("01:00:5e:00:00:01")
    assert not is_multicast("02:00:00:00:00:01")


@given(st.binary(min_size=6, max_size=6))
def test_round_trip(raw: bytes) -> None:
    canonical = normalise_mac(raw.hex("-"))
    assert canonical == raw.hex(":")
    assert normalise_mac(canonical.upper()) == canonical


@given(st.text(max_size=30))
def test_arbitrary_text_is_either_a_canonical_mac_or_a_validation_error(text: str) -> None:
    digits = re.sub(r"[:\-.\s]", "", text.strip().lower())
    if re.fullmatch(r"[0-9a-f]{12}", digits):
        assert normalise_mac(text) == ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    else:
        with pytest.raises(ValidationFailed):
            normalise_mac(text)
