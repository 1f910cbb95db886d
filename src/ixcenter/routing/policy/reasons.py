"""Why a route server filtered a route: the Euro-IX ``RS:1101:<reason>`` large communities.

Every violation a route server finds is tagged with one of these on import. Tagged routes stay in
the route server's table (for the looking glass) with the lowest preference, and are never
exported. Codes 1-15 are the Euro-IX standard list; 16 is ixcenter's own (Euro-IX has no code for
a route of the wrong address family) and kept clear of the standard numbers so far.

The informational ``RS:1000:<n>`` communities record the RPKI state of accepted routes, as the
Euro-IX list defines them; they are stripped on export like every community of the route server.
"""

from __future__ import annotations

import enum

FILTERED = 1101  # the Euro-IX "filtered" class: RS:1101:<reason>
RPKI_INFO = 1000  # RS:1000:<n>, RPKI state of an accepted route
IRR_INFO = 1001  # RS:1001:<n>, IRR state of an accepted route


class Reason(enum.IntEnum):
    """A filter reason; the value is the third field of ``RS:1101:<value>``."""

    PREFIX_TOO_LONG = 1
    PREFIX_TOO_SHORT = 2
    BOGON = 3
    BOGON_ASN = 4
    AS_PATH_TOO_LONG = 5
    AS_PATH_TOO_SHORT = 6
    FIRST_AS_NOT_PEER_AS = 7
    NEXT_HOP_NOT_PEER_IP = 8
    IRR_PREFIX = 9
    IRR_ORIGIN = 10
    PREFIX_NOT_IN_ORIGIN_AS = 11
    RPKI_UNKNOWN = 12
    RPKI_INVALID = 13
    TRANSIT_FREE_ASN = 14
    TOO_MANY_COMMUNITIES = 15
    WRONG_ADDRESS_FAMILY = 16

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS: dict[Reason, str] = {
    Reason.PREFIX_TOO_LONG: "prefix length too long",
    Reason.PREFIX_TOO_SHORT: "prefix length too short",
    Reason.BOGON: "bogon prefix (special-purpose or the exchange's own LAN)",
    Reason.BOGON_ASN: "private, reserved or documentation ASN in the AS_PATH",
    Reason.AS_PATH_TOO_LONG: "AS_PATH too long",
    Reason.AS_PATH_TOO_SHORT: "AS_PATH too short",
    Reason.FIRST_AS_NOT_PEER_AS: "first AS in the AS_PATH is not the peer's AS",
    Reason.NEXT_HOP_NOT_PEER_IP: "NEXT_HOP is not the peer's address",
    Reason.IRR_PREFIX: "prefix not covered by route objects of the member's AS-SET",
    Reason.IRR_ORIGIN: "origin AS not in the member's AS-SET",
    Reason.PREFIX_NOT_IN_ORIGIN_AS: "prefix not registered for its origin AS",
    Reason.RPKI_UNKNOWN: "RPKI not found",
    Reason.RPKI_INVALID: "RPKI invalid",
    Reason.TRANSIT_FREE_ASN: "transit-free ASN in the AS_PATH",
    Reason.TOO_MANY_COMMUNITIES: "too many communities",
    Reason.WRONG_ADDRESS_FAMILY: "route of the wrong address family for the session",
}


class RpkiInfo(enum.IntEnum):
    """``RS:1000:<value>``: the RPKI state of a route the route server accepted."""

    VALID = 1
    UNKNOWN = 2
    NOT_CHECKED = 3
