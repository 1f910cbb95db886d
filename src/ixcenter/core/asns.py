"""Autonomous System numbers: parsing, and the ranges that must never appear on a peering LAN.

Ranges follow the IANA "Special-Purpose AS Numbers" registry (RFC 5398, 6996, 7300, 7607, 4893).
"""

from __future__ import annotations

import re

from ixcenter.core.errors import Problem, ValidationFailed

ASN_MAX = 4_294_967_295
AS_TRANS = 23456

_RESERVED: tuple[tuple[int, int, str], ...] = (
    (0, 0, "reserved (RFC 7607)"),
    (AS_TRANS, AS_TRANS, "AS_TRANS (RFC 6793)"),
    (64496, 64511, "documentation (RFC 5398)"),
    (64512, 65534, "private use (RFC 6996)"),
    (65535, 65535, "reserved (RFC 7300)"),
    (65536, 65551, "documentation (RFC 5398)"),
    (65552, 131071, "reserved (IANA)"),
    (4_200_000_000, 4_294_967_294, "private use (RFC 6996)"),
    (4_294_967_295, 4_294_967_295, "reserved (RFC 7300)"),
)

_ASDOT = re.compile(r"^(\d+)\.(\d+)$")


def parse_asn(text: str | int) -> int:
    """Return the ASN in ``text``: ``64500``, ``AS64500``, ``as64500`` or asdot ``1.10``."""
    if isinstance(text, int):
        value = text
    else:
        raw = text.strip()
        if raw[:2].upper() == "AS":
            raw = raw[2:]
        dotted = _ASDOT.match(raw)
        if dotted:
            high, low = int(dotted.group(1)), int(dotted.group(2))
            if high > 0xFFFF or low > 0xFFFF:
                raise _invalid(text)
            value = (high << 16) | low
        elif raw.isdigit():
            value = int(raw)
        else:
            raise _invalid(text)
    if not 0 <= value <= ASN_MAX:
        raise _invalid(text)
    return value


def _invalid(text: str | int) -> ValidationFailed:
    return ValidationFailed([Problem("asn", f"{text!r} is not an AS number", "invalid-asn")])


def special_purpose(asn: int) -> str | None:
    """The reason ``asn`` is special-purpose (private, reserved, documentation), or ``None``."""
    for low, high, reason in _RESERVED:
        if low <= asn <= high:
            return reason
    return None


def is_public(asn: int) -> bool:
    """True for an ASN that may be used on the public internet."""
    return 0 < asn <= ASN_MAX and special_purpose(asn) is None


def is_four_byte(asn: int) -> bool:
    return asn > 0xFFFF
