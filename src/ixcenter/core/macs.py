"""MAC addresses in one canonical form: lower-case, colon-separated (``00:1b:21:3a:4f:10``)."""

from __future__ import annotations

import re

from ixcenter.core.errors import Problem, ValidationFailed

_HEX = re.compile(r"^[0-9a-f]{12}$")


def normalise_mac(text: str) -> str:
    """Canonical form of a MAC written with colons, dashes, dots (Cisco) or no separators."""
    digits = re.sub(r"[:\-.\s]", "", text.strip().lower())
    if not _HEX.match(digits):
        raise ValidationFailed([Problem("mac", f"{text!r} is not a MAC address", "invalid-mac")])
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


def is_multicast(mac: str) -> bool:
    return int(normalise_mac(mac)[:2], 16) & 1 == 1
