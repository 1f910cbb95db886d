"""Scenario set "variants": the policy knobs away from their defaults, and a 32-bit RS ASN.

* prefix lengths IPv4 /10-/23 and IPv6 /16-/44, AS_PATH at most 5 ASNs, at most 5 communities;
* NEXT_HOP of any router of the same member (``SAME_MEMBER``): Alpha has two routers, m1 and
  m1b, which never get each other's routes (same ASN);
* RPKI-invalid routes accepted (tagged with no ``RS:1000``), RPKI-valid routes still need their
  route object;
* blackholing and graceful shutdown off: ``65535:666`` and ``65535:0`` are ordinary communities;
* the route servers' ASN does not fit 16 bits, so only the large control communities name it
  (``0:P`` and ``65501-65503:P`` still work: they name the peer);
* Charlie (m3) has no IPv6 session and never gets an IPv6 route.

Route objects are exact, one per case prefix (the cases under "IRR" are left out on purpose).
"""

from __future__ import annotations

import ipaddress

from ixcenter.routing.policy.model import LengthLimits, NextHopMode, PolicySettings
from ixcenter.routing.policy.reasons import Reason
from ixcenter.routing.rpki.vrps import Vrp
from tests.routing.scenarios.scenario import (
    Announcement,
    Case,
    Member,
    ScenarioSet,
    case,
    rpsl_routes,
)

RS = 215_000
ALPHA, BRAVO, CHARLIE, CUSTOMER = 1001, 1002, 1003, 1010
R = Reason

MEMBERS = (
    Member("m1", ALPHA, "Alpha", 11, as_set="AS-ALPHA", organisation=1),
    Member("m1b", ALPHA, "Alpha", 21, as_set="AS-ALPHA", organisation=1),
    Member("m2", BRAVO, "Bravo", 12),
    Member("m3", CHARLIE, "Charlie", 13, ipv6=False),
)
V4 = ("m2", "m3")  # Alpha's IPv4 routes: not to its own other router
V6 = ("m2",)

# fmt: off
CASES = (
    case("/24 too long v4", "m1", "11.1.1.0/24", reasons=(R.PREFIX_TOO_LONG,)),
    case("/23 accepted v4", "m1", "11.1.2.0/23", receivers=V4),
    case("/44 accepted v6", "m1", "2a0b:1001:10::/44", receivers=V6),
    case("/45 too long v6", "m1", "2a0b:1001:20::/45", reasons=(R.PREFIX_TOO_LONG,)),
    case("/9 too short v4", "m1", "12.0.0.0/9", reasons=(R.PREFIX_TOO_SHORT,)),
    case("/15 too short v6", "m1", "2c00::/15", reasons=(R.PREFIX_TOO_SHORT,)),
    case("next hop of the member's other router v4", "m1", "11.1.4.0/23", receivers=V4,
         next_hop="185.1.0.21"),
    case("next hop of the member's other router v6", "m1", "2a0b:1001:30::/44", receivers=V6,
         next_hop="2a0c:1::15"),  # host 21
    case("next hop of another member v4", "m1", "11.1.6.0/23",
         reasons=(R.NEXT_HOP_NOT_PEER_IP,), next_hop="185.1.0.12"),
    case("the other router's own v4", "m1b", "11.1.8.0/23", receivers=V4),
    case("the other router's own v6", "m1b", "2a0b:1001:40::/44", receivers=V6),
    case("AS_PATH of 5 v4", "m1", "11.1.10.0/23", receivers=V4, path=(ALPHA,) * 5),
    case("AS_PATH of 6 v6", "m1", "2a0b:1001:50::/44", reasons=(R.AS_PATH_TOO_LONG,),
         path=(ALPHA,) * 6),
    case("5 communities v4", "m1", "11.1.12.0/23", receivers=V4,
         communities=tuple((1, n) for n in range(5))),
    case("6 communities v6", "m1", "2a0b:1001:60::/44", reasons=(R.TOO_MANY_COMMUNITIES,),
         communities=tuple((1, n) for n in range(6))),
    case("RPKI invalid accepted v4", "m1", "11.1.14.0/23", receivers=V4),
    case("RPKI invalid accepted v6", "m1", "2a0b:1001:70::/44", receivers=V6),
    case("RPKI valid needs its route object v4", "m1", "11.9.0.0/23",
         reasons=(R.IRR_PREFIX,)),
    case("RPKI valid with its route object v6", "m1", "2a0b:1001:80::/44", receivers=V6),
    case("BLACKHOLE /32 is too long v4", "m1", "11.1.16.1/32", reasons=(R.PREFIX_TOO_LONG,),
         communities=((65535, 666),)),
    case("BLACKHOLE is ordinary v4", "m1", "11.1.18.0/23", receivers=V4,
         communities=((65535, 666),)),
    case("BLACKHOLE is ordinary v6", "m1", "2a0b:1001:90::/44", receivers=V6,
         communities=((65535, 666),)),
    Case(
        "GRACEFUL_SHUTDOWN is ordinary v4",
        (
            Announcement("m1", "11.1.20.0/23", communities=((65535, 0),)),
            Announcement("m2", "11.1.20.0/23", path=(BRAVO, BRAVO)),
        ),
        receivers=V4,
        wins="m1",
    ),
    case("0:P still works v4", "m1", "11.1.22.0/23", receivers=("m3",),
         communities=((0, BRAVO),)),
    case("RS:0:0 to nobody v6", "m1", "2a0b:1001:a0::/44", large=((RS, 0, 0),)),
    case("RS:0:0 RS:1:P only to Charlie v4", "m1", "11.1.24.0/23", receivers=("m3",),
         large=((RS, 0, 0), (RS, 1, CHARLIE))),
    case("65502:P still prepends v4", "m1", "11.1.26.0/23", receivers=V4,
         communities=((65502, BRAVO),)),
    case("RS:103:P prepends v6", "m1", "2a0b:1001:b0::/44", receivers=V6,
         large=((RS, 103, BRAVO),)),
    case("a standard community with the RS's low 16 bits means nothing v4", "m1",
         "11.1.28.0/23", receivers=V4,
         communities=((0, RS & 0xFFFF), (RS & 0xFFFF, CHARLIE))),
    case("origin outside the AS-SET v4", "m1", "11.1.30.0/23", reasons=(R.IRR_ORIGIN,),
         path=(ALPHA, 2000)),
    case("customer's route v6", "m1", "2a0b:1001:c0::/44", receivers=V6,
         path=(ALPHA, CUSTOMER)),
    Case("loop through the route servers' (public) ASN v4",
         (Announcement("m1", "11.1.32.0/23", path=(ALPHA, RS, CUSTOMER)),),
         discarded=True),
    case("Bravo's own v6", "m2", "2a0b:1002::/44", receivers=("m1", "m1b")),
    case("Charlie's own v4", "m3", "11.3.0.0/23", receivers=("m1", "m1b", "m2")),
)
# fmt: on

UNREGISTERED = {"11.9.0.0/23"}  # RPKI VALID, no route object


def _rpsl() -> str:
    objects = []
    for member in MEMBERS:
        if member.node == "m1b":
            continue  # the same ASN as m1: its prefixes are registered under AS1001 below
        nodes = {member.node} | ({"m1b"} if member.node == "m1" else set())
        prefixes = [
            str(c.prefix)
            for c in CASES
            if c.announcements[0].sender in nodes and str(c.prefix) not in UNREGISTERED
        ]
        objects.append(rpsl_routes(member.asn, *prefixes))
    return "as-set: AS-ALPHA\nmembers: AS1001, AS1010\nsource: LAB\n\n" + "\n".join(objects)


def vrp(prefix: str, asn: int) -> Vrp:
    network = ipaddress.ip_network(prefix)
    return Vrp(network, network.prefixlen, asn)


VRPS = (
    vrp("11.1.14.0/23", 9999),
    vrp("2a0b:1001:70::/44", 9999),
    vrp("11.9.0.0/23", ALPHA),
    vrp("2a0b:1001:80::/44", ALPHA),
)

SCENARIO = ScenarioSet(
    name="variants",
    members=MEMBERS,
    rpsl=_rpsl(),
    vrps=VRPS,
    cases=CASES,
    settings=PolicySettings(
        ipv4_lengths=LengthLimits(10, 23),
        ipv6_lengths=LengthLimits(16, 44),
        as_path_longest=5,
        max_communities=5,
        next_hop=NextHopMode.SAME_MEMBER,
        reject_rpki_invalid=False,
        rpki_valid_bypasses_irr_prefix=False,
        blackhole=False,
        graceful_shutdown=False,
    ),
    rs_asn=RS,
)
