"""Why a route server filtered a path, and what its member should do about it, in the reader's
language.

The route servers tag every filtered path with its Euro-IX reasons (``routing.policy.reasons``);
this turns each reason into words and into one concrete step naming the path's own prefix, origin
AS, AS_PATH or NEXT_HOP, e.g. "Create a route object for 203.0.113.0/24 with origin AS64500 ...".
The limits quoted are the exchange's defaults (``PolicySettings``); an exchange that changes them
changes them here too by passing its settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from ixcenter.portal.i18n import gettext as _
from ixcenter.routing.lg_index import LgPath
from ixcenter.routing.policy.model import PolicySettings
from ixcenter.routing.policy.reasons import Reason

DEFAULTS = PolicySettings()


@dataclass(frozen=True, slots=True)
class Advice:
    """One reason a path was filtered: the reason in words and what fixes it."""

    reason: Reason
    words: str
    fix: str


def reason_words(reason: Reason) -> str:
    """The reason in the current language."""
    words = {
        Reason.PREFIX_TOO_LONG: _("prefix length too long"),
        Reason.PREFIX_TOO_SHORT: _("prefix length too short"),
        Reason.BOGON: _("bogon prefix (special-purpose or the exchange's own LAN)"),
        Reason.BOGON_ASN: _("private, reserved or documentation ASN in the AS_PATH"),
        Reason.AS_PATH_TOO_LONG: _("AS_PATH too long"),
        Reason.AS_PATH_TOO_SHORT: _("AS_PATH too short"),
        Reason.FIRST_AS_NOT_PEER_AS: _("first AS in the AS_PATH is not the peer's AS"),
        Reason.NEXT_HOP_NOT_PEER_IP: _("NEXT_HOP is not the peer's address"),
        Reason.IRR_PREFIX: _("prefix not covered by route objects of the member's AS-SET"),
        Reason.IRR_ORIGIN: _("origin AS not in the member's AS-SET"),
        Reason.PREFIX_NOT_IN_ORIGIN_AS: _("prefix not registered for its origin AS"),
        Reason.RPKI_UNKNOWN: _("RPKI not found"),
        Reason.RPKI_INVALID: _("RPKI invalid"),
        Reason.TRANSIT_FREE_ASN: _("transit-free ASN in the AS_PATH"),
        Reason.TOO_MANY_COMMUNITIES: _("too many communities"),
        Reason.WRONG_ADDRESS_FAMILY: _("route of the wrong address family for the session"),
    }
    return words[reason]


def advise(path: LgPath, settings: PolicySettings = DEFAULTS) -> list[Advice]:
    """Every reason ``path`` was filtered for, each with its fix (empty for an accepted path)."""
    return [Advice(r, reason_words(r), _fix(r, path, settings)) for r in path.reasons]


def _fix(reason: Reason, path: LgPath, settings: PolicySettings) -> str:
    route = path.route
    prefix = str(route.prefix)
    origin = route.origin_asn
    lengths = settings.lengths(route.prefix.version)
    family = "IPv4" if route.prefix.version == 4 else "IPv6"
    route_object = "route" if route.prefix.version == 4 else "route6"
    values = {
        "prefix": prefix,
        "origin": f"AS{origin}" if origin is not None else _("its origin AS"),
        "peer": f"AS{path.peer_asn}" if path.peer_asn is not None else _("your AS"),
        "first": f"AS{route.as_path[0]}" if route.as_path else "-",
        "path": " ".join(str(a) for a in route.as_path) or "-",
        "hops": len(route.as_path),
        "longest": lengths.longest,
        "shortest": lengths.shortest,
        "family": family,
        "object": route_object,
        "next_hop": str(route.next_hop) if route.next_hop is not None else "-",
        "count": max(len(route.communities), len(route.large_communities)),
        "max_communities": settings.max_communities,
        "max_hops": settings.as_path_longest,
    }
    fixes = {
        Reason.PREFIX_TOO_LONG: _(
            "Announce %(prefix)s as an aggregate of /%(longest)d or shorter: the route servers "
            "accept %(family)s prefixes up to /%(longest)d."
        ),
        Reason.PREFIX_TOO_SHORT: _(
            "Do not announce %(prefix)s: the route servers accept %(family)s prefixes of "
            "/%(shortest)d or longer."
        ),
        Reason.BOGON: _(
            "Stop announcing %(prefix)s: it is a special-purpose address block or the "
            "exchange's own peering LAN; filter it on your router's export to the exchange."
        ),
        Reason.BOGON_ASN: _(
            "Remove private, reserved or documentation AS numbers from the AS_PATH "
            "(%(path)s) before announcing %(prefix)s."
        ),
        Reason.AS_PATH_TOO_LONG: _(
            "Shorten the AS_PATH of %(prefix)s (%(hops)d AS numbers, prepends included) to at "
            "most %(max_hops)d."
        ),
        Reason.AS_PATH_TOO_SHORT: _(
            "Send %(prefix)s with your AS number in the AS_PATH: the path is empty."
        ),
        Reason.FIRST_AS_NOT_PEER_AS: _(
            "Send %(prefix)s with %(peer)s first in the AS_PATH (it starts with %(first)s); "
            "do not strip your own AS."
        ),
        Reason.NEXT_HOP_NOT_PEER_IP: _(
            "Set the NEXT_HOP of %(prefix)s to your own router's address on the exchange LAN "
            "(it is %(next_hop)s)."
        ),
        Reason.IRR_PREFIX: _(
            "Create a %(object)s object for %(prefix)s with origin %(origin)s in an IRR "
            "database, and make sure %(origin)s is in your AS-SET."
        ),
        Reason.IRR_ORIGIN: _(
            "Add %(origin)s to your AS-SET (the one the exchange has for you), or stop "
            "announcing its route %(prefix)s."
        ),
        Reason.PREFIX_NOT_IN_ORIGIN_AS: _(
            "Create a %(object)s object for %(prefix)s with origin %(origin)s in an IRR database."
        ),
        Reason.RPKI_UNKNOWN: _(
            "Create a ROA for %(prefix)s with origin %(origin)s at your regional Internet registry."
        ),
        Reason.RPKI_INVALID: _(
            "Fix the ROA of %(prefix)s so that it allows origin %(origin)s at this length, "
            "or stop announcing the route."
        ),
        Reason.TRANSIT_FREE_ASN: _(
            "Do not send routes learned from transit-free networks to the route servers: "
            "the AS_PATH of %(prefix)s is %(path)s."
        ),
        Reason.TOO_MANY_COMMUNITIES: _(
            "Send %(prefix)s with at most %(max_communities)d communities (it carries %(count)d)."
        ),
        Reason.WRONG_ADDRESS_FAMILY: _(
            "Announce %(family)s routes such as %(prefix)s over your %(family)s session only."
        ),
    }
    return fixes[reason] % values
