"""What a community on a route server's path means, in words, for the looking glass.

Three families are recognised (``RS`` is the route server's ASN, ``P`` a peer's):

* RFC 1997/7999/8326/9494 well-known communities (``65535:0`` graceful shutdown, ``65535:666``
  blackhole, ``NO_EXPORT``, ...);
* the announcement-control communities members set (``routing.policy.model``: ``0:P``, ``0:RS``,
  ``RS:P``, ``65501-65503:P``; large ``RS:0:P``, ``RS:0:0``, ``RS:1:P``, ``RS:101-103:P``);
* the route server's own informational and filter tags (``routing.policy.reasons``:
  ``RS:1000:<rpki state>``, ``RS:1001:<n>``, ``RS:1101:<reason>``; rs2's internal
  ``RS:1999:<n>`` marks, normally undone by ``looking_glass.restored``).

Anything else is a member's own community: it has no meaning the exchange can tell
(``None``). Communities repeat across hundreds of thousands of paths, so answers are cached.
"""

from __future__ import annotations

import functools

from ixcenter.routing.control.model import Community, LargeCommunity
from ixcenter.routing.policy.model import (
    ANNOUNCE,
    DO_NOT_ANNOUNCE,
    PREPEND_LARGE,
    PREPEND_STANDARD,
)
from ixcenter.routing.policy.reasons import FILTERED, IRR_INFO, RPKI_INFO, Reason, RpkiInfo
from ixcenter.routing.render.openbgpd import INTERNAL

WELL_KNOWN: dict[int, str] = {
    0: "graceful shutdown (RFC 8326)",
    666: "blackhole (RFC 7999)",
    65281: "NO_EXPORT (RFC 1997)",
    65282: "NO_ADVERTISE (RFC 1997)",
    65283: "NO_EXPORT_SUBCONFED (RFC 1997)",
    65284: "NO_PEER (RFC 3765)",
}
_RPKI_WORDS = {
    RpkiInfo.VALID: "RPKI valid",
    RpkiInfo.UNKNOWN: "RPKI not found",
    RpkiInfo.NOT_CHECKED: "RPKI not checked",
}


def community_text(community: Community) -> str:
    return f"{community[0]}:{community[1]}"


def large_text(community: LargeCommunity) -> str:
    return f"{community[0]}:{community[1]}:{community[2]}"


@functools.lru_cache(maxsize=65536)
def standard_meaning(community: Community, rs_asn: int) -> str | None:
    """The meaning of a standard community on a route server of AS ``rs_asn``; None: unknown."""
    high, low = community
    if high == 65535:
        return WELL_KNOWN.get(low, f"well-known community {low}")
    if high == 0:
        if low == rs_asn:
            return "do not announce to any peer"
        return f"do not announce to AS{low}"
    if high == rs_asn:
        return f"announce to AS{low}"
    if high in PREPEND_STANDARD:
        return f"prepend {PREPEND_STANDARD.index(high) + 1}x to AS{low}"
    return None


@functools.lru_cache(maxsize=65536)
def large_meaning(community: LargeCommunity, rs_asn: int) -> str | None:
    """The meaning of a large community on a route server of AS ``rs_asn``; None: unknown."""
    admin, kind, value = community
    if admin != rs_asn:
        return None
    if kind == DO_NOT_ANNOUNCE:
        return "do not announce to any peer" if value == 0 else f"do not announce to AS{value}"
    if kind == ANNOUNCE:
        return f"announce to AS{value}"
    if kind in PREPEND_LARGE:
        return f"prepend {PREPEND_LARGE.index(kind) + 1}x to AS{value}"
    if kind == FILTERED:
        try:
            return f"filtered: {Reason(value).words}"
        except ValueError:
            return f"filtered: reason {value} (unknown to this version)"
    if kind == RPKI_INFO:
        try:
            return _RPKI_WORDS[RpkiInfo(value)]
        except ValueError:
            return f"RPKI state {value}"
    if kind == IRR_INFO:
        return f"IRR state {value}"
    if kind == INTERNAL:
        return f"route server internal mark {value}"
    return None
