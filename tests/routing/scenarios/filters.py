"""Scenario set "filters": one case per import filter of the route servers, IPv4 and IPv6.

Alpha (m1) sends almost every case; Bravo (m2) opts in to blackholes and competes for the
graceful-shutdown prefixes; Charlie (m3) is a transit-free network. Route objects allow more
specifics up to the longest accepted length (``irr_more_specifics``), so each member registers a
few covering prefixes; the cases that must not be caught by the IRR check register their
prefix exactly (``11.1.7.0/25``: only "too long" applies).

Filter 1 (address family) has no case: both renderers negotiate one family per session (BIRD:
one channel; OpenBGPD: ``announce IPv4 unicast`` / ``announce IPv6 none``), so a member cannot
send a route of the other family on it; a BGP speaker that tried would send a family it did not
negotiate, which OpenBGPD answers by resetting the session and BIRD by ignoring the NLRI. The
``RS:1101:16`` tag exists in ``evaluate`` and in BIRD's import function for completeness only.

The default routes also fail the IRR check: a route object for ``0.0.0.0/0`` with more
specifics would cover every other case's prefix.
"""

from __future__ import annotations

import ipaddress

from ixcenter.routing.policy.model import PolicySettings
from ixcenter.routing.policy.reasons import Reason
from ixcenter.routing.rpki.vrps import Vrp
from tests.routing.scenarios.scenario import (
    RS_ASN,
    Announcement,
    Case,
    Member,
    ScenarioSet,
    case,
    rpsl_routes,
)

ALPHA, BRAVO, CHARLIE = 1001, 1002, 1003
CUSTOMER = 1010  # in AS-ALPHA
STRANGER = 2000  # in no AS-SET
TRANSIT_FREE = 174

MEMBERS = (
    Member("m1", ALPHA, "Alpha", 11, as_set="AS-ALPHA"),
    Member("m2", BRAVO, "Bravo", 12, blackhole_opt_in=True),
    Member("m3", CHARLIE, "Charlie", 13),
)

RPSL = f"""\
as-set: AS-ALPHA
descr: Alpha and its customer
members: AS{ALPHA}, AS{CUSTOMER}
source: LAB

{rpsl_routes(ALPHA, "11.1.0.0/16", "2a0b:1001::/32")}
{rpsl_routes(ALPHA, "11.1.7.0/25", "2a0b:1001:7::/49")}
{rpsl_routes(ALPHA, "12.0.0.0/7", "2c00::/11")}
{rpsl_routes(ALPHA, "10.0.0.0/8", "2001:db8::/32")}
{rpsl_routes(ALPHA, "185.1.0.0/23", "2a0c:1::/64", "2a0c:2::/48")}
{rpsl_routes(CUSTOMER, "11.10.0.0/16", "2a0b:1010::/32")}
{rpsl_routes(BRAVO, "11.2.0.0/16", "2a0b:1002::/32")}
{rpsl_routes(BRAVO, "11.1.13.0/24", "11.1.14.0/24", "2a0b:1001:14::/48")}
{rpsl_routes(CHARLIE, "11.3.0.0/16", "2a0b:1003::/32")}
"""


def vrp(prefix: str, asn: int) -> Vrp:
    network = ipaddress.ip_network(prefix)
    return Vrp(network, network.prefixlen, asn)


VRPS = (
    vrp("11.1.40.0/24", ALPHA),
    vrp("11.1.41.0/24", 9999),
    vrp("11.9.0.0/24", ALPHA),
    vrp("2a0b:1001:40::/48", ALPHA),
    vrp("2a0b:1001:41::/48", 9999),
    vrp("2a0b:1009::/48", ALPHA),
)

OTHERS = ("m2", "m3")
R = Reason
BLACKHOLE = ((65535, 666),)
GSHUT = ((65535, 0),)


def competing(name: str, prefix: str, first: Announcement, wins: str) -> Case:
    """``first`` against Bravo's longer path for the same prefix."""
    second = Announcement("m2", prefix, path=(BRAVO, BRAVO))
    return Case(name, (first, second), receivers=OTHERS, wins=wins)


# fmt: off
CASES = (
    case("accepted v4", "m1", "11.1.1.0/24", receivers=OTHERS, communities=((1, 2),)),
    case("accepted v6", "m1", "2a0b:1001:1::/48", receivers=OTHERS, large=((7, 8, 9),)),
    # 2. prefix length
    case("2 too long v4", "m1", "11.1.7.0/25", reasons=(R.PREFIX_TOO_LONG,)),
    case("2 too long v6", "m1", "2a0b:1001:7::/49", reasons=(R.PREFIX_TOO_LONG,)),
    case("2 too short v4", "m1", "12.0.0.0/7", reasons=(R.PREFIX_TOO_SHORT,)),
    case("2 too short v6", "m1", "2c00::/11", reasons=(R.PREFIX_TOO_SHORT,)),
    case("2 default v4", "m1", "0.0.0.0/0", reasons=(R.PREFIX_TOO_SHORT, R.BOGON, R.IRR_PREFIX)),
    case("2 default v6", "m1", "::/0", reasons=(R.PREFIX_TOO_SHORT, R.BOGON, R.IRR_PREFIX)),
    # 3. bogons and the exchange's LANs
    case("3 bogon v4", "m1", "10.1.0.0/16", reasons=(R.BOGON,)),
    case("3 bogon v6", "m1", "2001:db8:1::/48", reasons=(R.BOGON,)),
    case("3 this LAN v4", "m1", "185.1.0.0/24", reasons=(R.BOGON,)),
    case("3 this LAN v6", "m1", "2a0c:1::/64", reasons=(R.PREFIX_TOO_LONG, R.BOGON)),
    case("3 another LAN v4", "m1", "185.1.1.0/24", reasons=(R.BOGON,)),
    case("3 another LAN v6", "m1", "2a0c:2::/48", reasons=(R.BOGON,)),
    # 4. AS_PATH
    case("4 too long v4", "m1", "11.1.5.0/24", reasons=(R.AS_PATH_TOO_LONG,), path=(ALPHA,) * 33),
    case("4 too long v6", "m1", "2a0b:1001:5::/48", reasons=(R.AS_PATH_TOO_LONG,),
         path=(ALPHA,) * 33),
    case("4 empty AS_PATH v4", "m1", "11.1.21.0/24", path=(),
         reasons=(R.AS_PATH_TOO_SHORT, R.FIRST_AS_NOT_PEER_AS, R.IRR_ORIGIN)),
    case("4 32 ASNs v4", "m1", "11.1.6.0/24", receivers=OTHERS, path=(ALPHA,) * 32),
    case("4 first AS not the peer's v4", "m1", "11.10.1.0/24",
         reasons=(R.FIRST_AS_NOT_PEER_AS,), path=(CUSTOMER,)),
    case("4 first AS not the peer's v6", "m1", "2a0b:1010:1::/48",
         reasons=(R.FIRST_AS_NOT_PEER_AS,), path=(CUSTOMER,)),
    case("4 private ASN v4", "m1", "11.1.11.0/24", reasons=(R.BOGON_ASN,),
         path=(ALPHA, 64512, CUSTOMER)),
    case("4 private 32-bit ASN v4", "m1", "11.1.12.0/24", reasons=(R.BOGON_ASN,),
         path=(ALPHA, 4_200_000_001, CUSTOMER)),
    case("4 AS_TRANS v4", "m1", "11.1.19.0/24", reasons=(R.BOGON_ASN,),
         path=(ALPHA, 23456, CUSTOMER)),
    case("4 documentation ASN v6", "m1", "2a0b:1001:11::/48", reasons=(R.BOGON_ASN,),
         path=(ALPHA, 64496, CUSTOMER)),
    case("4 reserved ASN v6", "m1", "2a0b:1001:12::/48", reasons=(R.BOGON_ASN,),
         path=(ALPHA, 65535, CUSTOMER)),
    case("4 32-bit documentation ASN v6", "m1", "2a0b:1001:19::/48", reasons=(R.BOGON_ASN,),
         path=(ALPHA, 65536, CUSTOMER)),
    # 5. transit-free networks
    case("5 transit-free ASN v4", "m1", "11.1.8.0/24", reasons=(R.TRANSIT_FREE_ASN,),
         path=(ALPHA, TRANSIT_FREE, CUSTOMER)),
    case("5 transit-free member behind another v6", "m1", "2a0b:1001:8::/48",
         reasons=(R.TRANSIT_FREE_ASN,), path=(ALPHA, CHARLIE, CUSTOMER)),
    case("5 transit-free member's own v4", "m3", "11.3.1.0/24", receivers=("m1", "m2"),
         path=(CHARLIE, CHARLIE)),
    case("5 transit-free member's own v6", "m3", "2a0b:1003:1::/48", receivers=("m1", "m2")),
    # 6. NEXT_HOP
    case("6 next hop of another member v4", "m1", "11.1.9.0/24",
         reasons=(R.NEXT_HOP_NOT_PEER_IP,), next_hop="185.1.0.12"),
    case("6 next hop of nobody v6", "m1", "2a0b:1001:9::/48",
         reasons=(R.NEXT_HOP_NOT_PEER_IP,), next_hop="2a0c:1::99"),
    # 7. RPKI
    case("7 RPKI invalid v4", "m1", "11.1.41.0/24", reasons=(R.RPKI_INVALID,)),
    case("7 RPKI invalid v6", "m1", "2a0b:1001:41::/48", reasons=(R.RPKI_INVALID,)),
    case("7 RPKI valid v4", "m1", "11.1.40.0/24", receivers=OTHERS),
    case("7 RPKI valid v6", "m1", "2a0b:1001:40::/48", receivers=OTHERS),
    case("7 RPKI valid outside the IRR v4", "m1", "11.9.0.0/24", receivers=OTHERS),
    case("7 RPKI valid outside the IRR v6", "m1", "2a0b:1009::/48", receivers=OTHERS),
    # 8. IRR
    case("8 origin not in the AS-SET v4", "m1", "11.1.20.0/24", reasons=(R.IRR_ORIGIN,),
         path=(ALPHA, STRANGER)),
    case("8 origin not in the AS-SET v6", "m1", "2a0b:1001:20::/48", reasons=(R.IRR_ORIGIN,),
         path=(ALPHA, STRANGER)),
    case("8 prefix not covered v4", "m1", "11.20.0.0/24", reasons=(R.IRR_PREFIX,)),
    case("8 prefix not covered v6", "m1", "2a0b:2000::/48", reasons=(R.IRR_PREFIX,)),
    case("8 customer's route v4", "m1", "11.10.2.0/24", receivers=OTHERS,
         path=(ALPHA, CUSTOMER)),
    case("8 customer's route v6", "m1", "2a0b:1010:2::/48", receivers=OTHERS,
         path=(ALPHA, CUSTOMER)),
    # 9. RFC 7999 blackholes: only to Bravo, which opted in
    case("9 blackhole v4", "m1", "11.1.15.32/32", receivers=("m2",), communities=BLACKHOLE),
    case("9 blackhole v6", "m1", "2a0b:1001:15::1/128", receivers=("m2",),
         communities=BLACKHOLE),
    case("9 blackhole /24 v4", "m1", "11.1.22.0/24", receivers=("m2",),
         communities=(*BLACKHOLE, (1, 2))),
    case("9 blackhole in an RPKI-invalid /24 v4", "m1", "11.1.41.1/32", receivers=("m2",),
         communities=BLACKHOLE),
    case("9 blackhole outside the member's space v4", "m1", "11.20.8.8/32",
         reasons=(R.IRR_PREFIX,), communities=BLACKHOLE),
    case("9 blackhole outside the member's space v6", "m1", "2a0b:2000::1/128",
         reasons=(R.IRR_PREFIX,), communities=BLACKHOLE),
    case("9 /32 without BLACKHOLE v4", "m1", "11.1.23.1/32",
         reasons=(R.PREFIX_TOO_LONG, R.IRR_PREFIX)),
    # 10. RFC 8326 graceful shutdown: Alpha's shorter path loses to Bravo's
    competing("10 graceful shutdown v4", "11.1.14.0/24",
              Announcement("m1", "11.1.14.0/24", communities=GSHUT), wins="m2"),
    competing("10 graceful shutdown v6", "2a0b:1001:14::/48",
              Announcement("m1", "2a0b:1001:14::/48", communities=GSHUT), wins="m2"),
    case("10 graceful shutdown on a filtered route v4", "m1", "11.20.14.0/24",
         reasons=(R.IRR_PREFIX,), communities=GSHUT),
    case("10 graceful shutdown, no other path v4", "m1", "11.1.24.0/24", receivers=OTHERS,
         communities=GSHUT),
    competing("10 without graceful shutdown v4", "11.1.13.0/24",
              Announcement("m1", "11.1.13.0/24"), wins="m1"),
    # the rest of the import policy
    Case("0 loop through the route server's ASN v4",
         (Announcement("m1", "11.1.16.0/24", path=(ALPHA, RS_ASN, CUSTOMER)),),
         discarded=True),
    case("15 too many communities v4", "m1", "11.1.17.0/24", reasons=(R.TOO_MANY_COMMUNITIES,),
         communities=tuple((1, n) for n in range(101))),
    case("15 too many large communities v6", "m1", "2a0b:1001:17::/48",
         reasons=(R.TOO_MANY_COMMUNITIES,),
         large=tuple((ALPHA, 1, n) for n in range(101))),
    case("members cannot set the route server's tags v4", "m1", "11.1.18.0/24",
         receivers=OTHERS,
         large=((RS_ASN, 1101, 3), (RS_ASN, 1500, 7), (RS_ASN, 1000, 1), (RS_ASN, 1999, 65281),
                (RS_ASN, 1999, 666), (7, 8, 9))),
    case("NO_EXPORT on a filtered route v6", "m1", "2a0b:2000:1::/48", reasons=(R.IRR_PREFIX,),
         communities=((65535, 65281),)),
    case("Bravo's own v4", "m2", "11.2.1.0/24", receivers=("m1", "m3")),
)
# fmt: on

SCENARIO = ScenarioSet(
    name="filters",
    members=MEMBERS,
    rpsl=RPSL,
    vrps=VRPS,
    cases=CASES,
    settings=PolicySettings(
        transit_free_asns=frozenset({TRANSIT_FREE, CHARLIE}), irr_more_specifics=True
    ),
    other_lans=("185.1.1.0/24", "2a0c:2::/48"),
)
