"""A small peering LAN with both route servers and two member routers, all real daemons.

    LAN 192.0.2.0/24 and 2001:db8::/64 (a bridge in the lab's fabric namespace)
    rs1  BIRD 2      AS64500  192.0.2.1   2001:db8::1
    rs2  OpenBGPD    AS64500  192.0.2.2   2001:db8::2
    m1   BIRD 2      AS64511  192.0.2.11  2001:db8::11
         announces 203.0.113.0/25 with (64511,100) and (64511,1,2), 198.51.100.0/25 (which
         both route servers filter; rs1 tags it 64500:1101:5) and 2001:db8:1000::/36
    m2   BIRD 2      AS64512  192.0.2.12
         announces 203.0.113.0/25 and 203.0.113.128/25, its path prepended (64512 64512)

Each route server also has a session to 192.0.2.99 (AS64599), which nobody answers. The
configs are hand-written and minimal: the real ones come from the renderers.
"""

from __future__ import annotations

import ipaddress
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.errors import ConfigurationError
from ixcenter.lab import Lab
from ixcenter.routing.control.bird import BirdClient
from ixcenter.routing.control.daemons import DaemonKind, RouteServer
from ixcenter.routing.control.deploy import Plan, deploy_all
from ixcenter.routing.control.openbgpd import BgpctlClient
from tests.lab.livelab import wait_for

RS_ASN = 64500
M1_ASN, M2_ASN = 64511, 64512
FILTERED = ipaddress.ip_network("198.51.100.0/25")
M1_V4 = ipaddress.ip_network("203.0.113.0/25")
M1_V6 = ipaddress.ip_network("2001:db8:1000::/36")
M2_ONLY = ipaddress.ip_network("203.0.113.128/25")
REASON = (RS_ASN, 1101, 5)

_FAST = "connect delay time 1; connect retry time 2; error wait time 1, 4;"

RS1_BIRD = f"""\
router id 192.0.2.1;
log stderr all;
protocol device {{}}
protocol bgp m1 {{
  description "AS64511 router 1";
  local 192.0.2.1 as {RS_ASN}; neighbor 192.0.2.11 as {M1_ASN}; rs client; {_FAST}
  ipv4 {{
    import keep filtered on;
    import filter {{
      if net = {FILTERED} then {{ bgp_large_community.add({REASON}); reject; }}
      accept;
    }};
    export all;
  }};
}}
protocol bgp m1_6 {{
  local 2001:db8::1 as {RS_ASN}; neighbor 2001:db8::11 as {M1_ASN}; rs client; {_FAST}
  ipv6 {{ import all; export all; }};
}}
protocol bgp m2 {{
  local 192.0.2.1 as {RS_ASN}; neighbor 192.0.2.12 as {M2_ASN}; rs client; {_FAST}
  ipv4 {{ import all; export all; }};
}}
protocol bgp silent {{
  local 192.0.2.1 as {RS_ASN}; neighbor 192.0.2.99 as 64599; rs client;
  ipv4 {{ import all; export all; }};
}}
"""


def rs2_openbgpd(socket: Path) -> str:
    return f"""\
AS {RS_ASN}
router-id 192.0.2.2
fib-update no
socket "{socket}"
listen on 192.0.2.2
listen on 2001:db8::2
group "clients" {{
  transparent-as yes
  neighbor 192.0.2.11 {{
    remote-as {M1_ASN}
    descr "AS64511 router 1"
  }}
  neighbor 2001:db8::11 {{
    remote-as {M1_ASN}
    descr "AS64511 router 1 v6"
  }}
  neighbor 192.0.2.12 {{
    remote-as {M2_ASN}
  }}
  neighbor 192.0.2.99 {{
    remote-as 64599
    descr "silent"
  }}
}}
allow from any
allow to any
deny from any prefix {FILTERED}
"""


def _member(router_id: str, asn: int, statics4: str, statics6: str, sessions: str) -> str:
    return f"""\
router id {router_id};
log stderr all;
protocol device {{}}
protocol static s4 {{ ipv4; {statics4} }}
protocol static s6 {{ ipv6; {statics6} }}
{sessions}
"""


def _session(name: str, local: str, peer: str, asn: int, family: str, export: str) -> str:
    return (
        f"protocol bgp {name} {{ local {local} as {asn}; neighbor {peer} as {RS_ASN}; {_FAST}\n"
        f"  {family} {{ import all; export {export}; }}; }}\n"
    )


_STATIC = "where source = RTS_STATIC"
M1_BIRD = _member(
    "192.0.2.11",
    M1_ASN,
    f"route {M1_V4} blackhole {{ bgp_community.add((64511,100)); "
    f"bgp_large_community.add((64511,1,2)); }}; route {FILTERED} blackhole;",
    f"route {M1_V6} blackhole;",
    "".join(
        _session(f"to_{rs}{suffix}", local, peer, M1_ASN, family, _STATIC)
        for rs, at in (("rs1", 1), ("rs2", 2))
        for suffix, local, peer, family in (
            ("", "192.0.2.11", f"192.0.2.{at}", "ipv4"),
            ("_6", "2001:db8::11", f"2001:db8::{at}", "ipv6"),
        )
    ),
)
_PREPEND = f"filter {{ if source != RTS_STATIC then reject; bgp_path.prepend({M2_ASN}); accept; }}"
M2_BIRD = _member(
    "192.0.2.12",
    M2_ASN,
    f"route {M1_V4} blackhole; route {M2_ONLY} blackhole;",
    "",
    "".join(
        _session(f"to_{rs}", "192.0.2.12", f"192.0.2.{at}", M2_ASN, "ipv4", _PREPEND)
        for rs, at in (("rs1", 1), ("rs2", 2))
    ),
)


@dataclass(frozen=True)
class Exchange:
    lab: Lab
    rs1: RouteServer
    rs2: RouteServer
    members: dict[str, Path]  # member name -> its BIRD control socket


def route_servers(lab: Lab, directory: Path) -> tuple[RouteServer, RouteServer]:
    """rs1 and rs2 as deployment sees them (their daemons run in the lab's namespaces)."""
    rs1 = RouteServer("rs1", DaemonKind.BIRD, directory / "rs1", namespace=lab.namespace("rs1"))
    rs2 = RouteServer("rs2", DaemonKind.OPENBGPD, directory / "rs2", namespace=lab.namespace("rs2"))
    return rs1, rs2


def build(lab: Lab, directory: Path) -> tuple[Exchange, dict[str, str]]:
    """Namespaces, LAN and member routers running; route servers described, not started."""
    lan = lab.add_lan(ipv4="192.0.2.0/24", ipv6="2001:db8::/64")
    for node, last in (("rs1", 1), ("rs2", 2), ("m1", 11), ("m2", 12)):
        lan.attach(lab.add_node(node), ipv4=f"192.0.2.{last}", ipv6=f"2001:db8::{last}")
    members = {}
    for name, text in (("m1", M1_BIRD), ("m2", M2_BIRD)):
        config = directory / f"{name}.conf"
        config.write_text(text)
        members[name] = directory / f"{name}.ctl"
        lab.start(name, ["bird", "-f", "-c", str(config), "-s", str(members[name])], node=name)
    rs1, rs2 = route_servers(lab, directory)
    texts = {"rs1": RS1_BIRD, "rs2": rs2_openbgpd(rs2.socket)}
    return Exchange(lab, rs1, rs2, members), texts


def _check(argv: list[str], text: str, suffix: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=suffix) as handle:
        handle.write(text)
        handle.flush()
        done = subprocess.run([*argv, handle.name], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ConfigurationError((done.stderr or done.stdout).strip())


def bird_check(text: str) -> None:
    """``bird -p``: stands in for the renderers' checker in these tests."""
    _check(["bird", "-p", "-c"], text, ".conf")


def bgpd_check(text: str) -> None:
    """``bgpd -n``."""
    _check(["bgpd", "-n", "-f"], text, ".conf")


BIRD_SESSIONS = ("m1", "m1_6", "m2")
BGPD_SESSIONS = ("AS64511 router 1", "AS64511 router 1 v6", "192.0.2.12")


def all_established(exchange: Exchange) -> bool:
    bird = {s.name: s.established for s in BirdClient(exchange.rs1.socket).sessions()}
    bgpd = {s.name: s.established for s in BgpctlClient(exchange.rs2.socket).sessions()}
    members = [BirdClient(socket).sessions() for socket in exchange.members.values()]
    return (
        all(bird.get(name) for name in BIRD_SESSIONS)
        and all(bgpd.get(name) for name in BGPD_SESSIONS)
        and all(s.established for sessions in members for s in sessions)
    )


# Routes each route server has to have received before the tests read it.
BIRD_RECEIVED = {"m1": 2, "m1_6": 1, "m2": 2}
BGPD_RECEIVED = dict(zip(BGPD_SESSIONS, (2, 1, 2), strict=True))
# Member sessions that get at least one route back from a route server.
MEMBER_RECEIVES = {"m1": ("to_rs1", "to_rs2"), "m2": ("to_rs1", "to_rs2")}


def all_routes_in(exchange: Exchange) -> bool:
    """Sessions come up before their routes: wait until every announced route arrived."""
    bird = {s.name: s.routes_received for s in BirdClient(exchange.rs1.socket).sessions()}
    bgpd = {s.name: s.routes_received for s in BgpctlClient(exchange.rs2.socket).sessions()}
    members = {
        name: {s.name: s.routes_received or 0 for s in BirdClient(socket).sessions()}
        for name, socket in exchange.members.items()
    }
    return (
        all(bird.get(name) == count for name, count in BIRD_RECEIVED.items())
        and all(bgpd.get(name) == count for name, count in BGPD_RECEIVED.items())
        and all(
            members[member].get(session, 0) >= 1
            for member, sessions in MEMBER_RECEIVES.items()
            for session in sessions
        )
    )


def start_exchange(lab: Lab, directory: Path) -> Exchange:
    """Build the scenario, deploy both route servers, wait for every session."""
    built, texts = build(lab, directory)
    wait_for(lambda: all(p.exists() for p in built.members.values()), what="member sockets")
    deploy_all(
        [
            Plan(built.rs1, texts["rs1"], bird_check, (*BIRD_SESSIONS, "silent")),
            Plan(built.rs2, texts["rs2"], bgpd_check, (*BGPD_SESSIONS, "silent")),
        ]
    )
    wait_for(lambda: all_established(built), what="all sessions Established")
    wait_for(lambda: all_routes_in(built), what="every announced route received")
    return built
