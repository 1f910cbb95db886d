"""Scenario set "communities": every announcement-control community, standard and large form,
IPv4 and IPv6, and what the route servers strip or pass on.

Alpha (m1) sends almost every case to Bravo (m2), Charlie (m3) and Delta (m4, a 32-bit ASN,
which the standard forms cannot name); Bravo and Delta send one each, so Alpha receives too. Each case has its own prefix; route objects are exact (the
default ``irr_more_specifics`` off), one per prefix, generated from the cases.
"""

from __future__ import annotations

from ixcenter.routing.rpki.vrps import Vrp
from tests.routing.scenarios.scenario import (
    RS_ASN,
    Case,
    Member,
    ScenarioSet,
    case,
    rpsl_routes,
)

ALPHA, BRAVO, CHARLIE, DELTA = 1001, 1002, 1003, 200_100
RS = RS_ASN

MEMBERS = (
    Member("m1", ALPHA, "Alpha", 11),
    Member("m2", BRAVO, "Bravo", 12),
    Member("m3", CHARLIE, "Charlie", 13),
    Member("m4", DELTA, "Delta", 14),
)
EVERYONE = ("m2", "m3", "m4")

# fmt: off
# (name, communities, large communities, receivers); each becomes an IPv4 and an IPv6 case
CONTROLS: tuple[tuple[str, tuple[tuple[int, int], ...], tuple[tuple[int, int, int], ...],
                      tuple[str, ...]], ...] = (
    ("no control community", (), (), EVERYONE),
    ("not to Bravo, standard 0:P", ((0, BRAVO),), (), ("m3", "m4")),
    ("not to Bravo, large RS:0:P", (), ((RS, 0, BRAVO),), ("m3", "m4")),
    ("not to Delta (32-bit), large RS:0:P", (), ((RS, 0, DELTA),), ("m2", "m3")),
    ("to nobody, standard 0:RS", ((0, RS),), (), ()),
    ("to nobody, large RS:0:0", (), ((RS, 0, 0),), ()),
    ("only to Charlie, standard 0:RS RS:P", ((0, RS), (RS, CHARLIE)), (), ("m3",)),
    ("only to Charlie, large RS:0:0 RS:1:P", (), ((RS, 0, 0), (RS, 1, CHARLIE)), ("m3",)),
    ("only to Delta (32-bit), large", (), ((RS, 0, 0), (RS, 1, DELTA)), ("m4",)),
    ("only to Bravo, standard 0:RS and large RS:1:P", ((0, RS),), ((RS, 1, BRAVO),), ("m2",)),
    ("RS:P alone changes nothing", ((RS, CHARLIE),), (), EVERYONE),
    ("prepend once to Bravo, standard", ((65501, BRAVO),), (), EVERYONE),
    ("prepend twice to Charlie, standard", ((65502, CHARLIE),), (), EVERYONE),
    ("prepend three times to Bravo, standard", ((65503, BRAVO),), (), EVERYONE),
    ("prepend once to Charlie, large", (), ((RS, 101, CHARLIE),), EVERYONE),
    ("prepend twice to Delta (32-bit), large", (), ((RS, 102, DELTA),), EVERYONE),
    ("prepend three times to Bravo, large", (), ((RS, 103, BRAVO),), EVERYONE),
    ("the largest prepend wins", ((65501, BRAVO),), ((RS, 103, BRAVO),), EVERYONE),
    ("prepend to Bravo, not to Charlie", (), ((RS, 102, BRAVO), (RS, 0, CHARLIE)), ("m2", "m4")),
    ("others' communities pass, the route server's go",
     ((1, 2), (RS, 5), (65501, 4000)), ((7, 8, 9), (RS, 55, 66)), EVERYONE),
    ("NO_EXPORT passes on", ((65535, 65281),), (), EVERYONE),
    ("NO_ADVERTISE passes on", ((65535, 65282),), (), EVERYONE),
    ("NO_EXPORT_SUBCONFED passes on", ((65535, 65283),), (), EVERYONE),
    ("NO_PEER passes on", ((65535, 65284),), (), EVERYONE),
    ("LLGR_STALE and NO_LLGR pass on", ((65535, 6), (65535, 7)), (), EVERYONE),
    ("GRACEFUL_SHUTDOWN passes on", ((65535, 0),), (), EVERYONE),
)
# fmt: on


def _cases() -> tuple[Case, ...]:
    found = []
    for number, (name, communities, large, receivers) in enumerate(CONTROLS, start=1):
        for prefix, family in ((f"11.1.{number}.0/24", "v4"), (f"2a0b:1001:{number}::/48", "v6")):
            found.append(
                case(
                    f"{name} {family}",
                    "m1",
                    prefix,
                    receivers=receivers,
                    communities=communities,
                    large=large,
                )
            )
    found.append(
        case(
            "Delta's own, not to Charlie v4",
            "m4",
            "11.4.1.0/24",
            receivers=("m1", "m2"),
            large=((RS, 0, CHARLIE), (DELTA, 1, 1)),
        )
    )
    found.append(
        case(
            "Bravo's own, prepend twice to Delta v6",
            "m2",
            "2a0b:1002:1::/48",
            receivers=("m1", "m3", "m4"),
            large=((RS, 102, DELTA),),
        )
    )
    return tuple(found)


CASES = _cases()

RPSL = "\n".join(
    rpsl_routes(m.asn, *(str(c.prefix) for c in CASES if c.announcements[0].sender == m.node))
    for m in MEMBERS
    if any(c.announcements[0].sender == m.node for c in CASES)
)

VRPS = (Vrp(CASES[0].prefix, 24, ALPHA),)  # one VALID route, the others NOT FOUND

SCENARIO = ScenarioSet(name="communities", members=MEMBERS, rpsl=RPSL, vrps=VRPS, cases=CASES)
