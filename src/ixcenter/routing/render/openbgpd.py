"""rs2: one ``RouteServer`` rendered as an OpenBGPD 7.7 ``bgpd.conf``.

Python computes every line (set contents, sessions, filter rules); ``templates/bgpd.conf.j2`` only
prints them. The daemon must do what ``routing.policy.evaluate`` says; how that maps onto bgpd:

* **Tag, then untag.** bgpd rules cannot negate a set match ("not in the member's prefix-set")
  and the last matching ``allow``/``deny`` decides. So every check that needs a negation tags
  ``RS:1101:<reason>`` on all of a client's routes and deletes the tag where the positive match
  holds; a rule's ``set`` applies at once, so later rules see it. Every check runs on every route.
* **Filtered routes never compete.** Input rules run once per RIB: a tagged route is denied in
  ``Loc-RIB`` (the decision, the exports) and kept, with its tags, in the RIB ``filtered`` (``no
  evaluate``) for the looking glass (``bgpctl show rib table filtered``). ``rde evaluate all``
  offers a client the next path when the best one is denied to it (``0:P``, its own AS, not opted
  in to blackholes). bgpd still sends a member nothing for a prefix whose best path is its own.
* **Members cannot set** ``RS:1000-1999:*``: one rule, guarded by ``large-community RS:*:*`` so
  only routes with some ``RS:`` community pay, deletes the thousand classes (bgpd has no ranges).
* **Well-known communities** (``NO_EXPORT``, ``NO_ADVERTISE``, ``NO_EXPORT_SUBCONFED``): bgpd 7.7
  acts on them before its export filters even with ``transparent-as yes`` (measured: a member's
  ``NO_EXPORT`` route reached no one), while the route server must pass them on. So they ride in
  the RIB as ``RS:1999:<low 16 bits>`` (``WELL_KNOWN``) and come back on export; the looking glass
  reads them back the same way. A blackhole request gets its ``NO_EXPORT`` that way too.
* **Address family (16) cannot happen**: each session negotiates only its own family (``announce
  IPv4 unicast`` / ``announce IPv6 none`` and the reverse), and bgpd resets a session that sends
  NLRI of a family it did not negotiate. No rule is written.
* **Too many communities (15)**: standard and large are counted apart (``max-communities``,
  ``max-large-communities``) after the import strip, as ``evaluate`` defines it.
* **Sessions**: one ``group`` per client named by ``Client.key`` with its IPv4 and IPv6 neighbors,
  passive, ``transparent-as yes``, ``set nexthop no-modify``, ``enforce neighbor-as no`` (the
  first-AS check is a tag, so the looking glass can say why), ``announce policy rs`` (RFC 9234; 7.7
  has no ``role`` keyword). ``max-prefix`` cannot "block" in bgpd: ``BLOCK`` restarts like
  ``RESTART``. ``fib-update no`` (a route server installs no routes), ``rde route-age ignore``
  (deterministic decision), no ``log updates`` (one log line per update is too many at scale).
* **Blackhole next hops** must be on the peering LAN: bgpd sends a directly connected client only a
  next hop inside its connected network, else its own address.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ixcenter.core.errors import Problem, ValidationFailed
from ixcenter.routing.policy import bogons
from ixcenter.routing.policy.model import (
    ANNOUNCE,
    DO_NOT_ANNOUNCE,
    NO_EXPORT,
    PREPEND_LARGE,
    PREPEND_STANDARD,
    Client,
    MaxPrefixAction,
    PrefixRule,
    RouteServer,
)
from ixcenter.routing.policy.reasons import FILTERED, RPKI_INFO, Reason, RpkiInfo
from ixcenter.routing.policy.rules import PrefixRules
from ixcenter.routing.render.bgpd_sets import (
    asns,
    irr_entries,
    packed_irr_entries,
    packed_roots,
    root_entries,
)
from ixcenter.routing.render.texts import TextCache

logger = logging.getLogger(__name__)

INTERNAL = 1999  # RS:1999:<n>: the route server's own marks (members' are stripped on import)
FILTERED_RIB = "filtered"  # the RIB holding filtered routes for the looking glass (no decision)
# RFC 1997 well-known communities are kept on routes as RS:1999:<low 16 bits> (see the docstring)
WELL_KNOWN = {65281: "NO_EXPORT", 65282: "NO_ADVERTISE", 65283: "NO_EXPORT_SUBCONFED"}
_BLACKHOLE_CANDIDATE = 666  # RS:1999:666 on one import pass: an accepted blackhole request

_BITS = {4: 32, 6: 128}
_ANY = {4: "0.0.0.0/0", 6: "::/0"}
_FAMILY = {4: "IPv4", 6: "IPv6"}
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,30}$")  # bgpd: group names up to 31 chars
_QUOTABLE = re.compile(r"^[\x20-\x7e]+$")
_DESCR_MAX = 31
_MD5_MAX = 80
_TEMPLATES = Path(__file__).parent / "templates"
_INET = {4: "inet", 6: "inet6"}
_ONE_LINE_SETS = 3  # longer set lists get one line per item
_FORMAT = 1  # of the prefix-set texts in a TextCache: change it when their rendering changes


@dataclass(frozen=True, slots=True)
class NamedSet:
    """A ``prefix-set`` or ``as-set`` definition; ``body`` holds one ``\t<item>\n`` per item."""

    kind: str
    name: str
    comment: str
    body: str

    @classmethod
    def of(cls, kind: str, name: str, comment: str, items: Iterable[str]) -> NamedSet:
        return cls(kind, name, comment, _body(items))

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(line[1:] for line in self.body.splitlines())


def _body(items: Iterable[str]) -> str:
    return "".join(f"\t{item}\n" for item in items)


@dataclass(frozen=True, slots=True)
class Neighbor:
    address: str
    descr: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Group:
    """One client: its session options and one neighbor per address."""

    name: str
    comment: str
    lines: tuple[str, ...]
    neighbors: tuple[Neighbor, ...]


@dataclass(frozen=True, slots=True)
class RuleBlock:
    comment: str
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BgpdConfig:
    """Everything the template prints, in the order bgpd.conf wants its sections."""

    title: str
    global_lines: tuple[str, ...]
    sets: tuple[NamedSet, ...]
    rtr_address: str
    rtr_port: int
    groups: tuple[Group, ...]
    import_rules: tuple[RuleBlock, ...]  # Loc-RIB: the decision and the exports
    filtered_rules: tuple[RuleBlock, ...]  # the same checks again, for the RIB "filtered"
    export_rules: tuple[RuleBlock, ...]


def render_openbgpd(
    rs: RouteServer,
    *,
    socket_path: str,
    restricted_socket_path: str | None = None,
    texts: TextCache | None = None,
) -> str:
    """The bgpd.conf of ``rs``; ``socket_path`` is the control socket (and one for the LG)."""
    return "".join(
        bgpd_chunks(
            rs, socket_path=socket_path, restricted_socket_path=restricted_socket_path, texts=texts
        )
    )


def bgpd_chunks(
    rs: RouteServer,
    *,
    socket_path: str,
    restricted_socket_path: str | None = None,
    texts: TextCache | None = None,
) -> Iterator[str]:
    """``render_openbgpd`` in pieces, to write a large config without holding all of it."""
    config = build_openbgpd(
        rs, socket_path=socket_path, restricted_socket_path=restricted_socket_path, texts=texts
    )
    return _template().generate(cfg=config)


def build_openbgpd(
    rs: RouteServer,
    *,
    socket_path: str,
    restricted_socket_path: str | None = None,
    texts: TextCache | None = None,
) -> BgpdConfig:
    """Every line of rs2's config as data; raises ``ValidationFailed`` listing all problems.

    ``texts``: prefix sets rendered by earlier builds, reused where their rules are the same.
    """
    _validate(rs, [socket_path] + ([restricted_socket_path] if restricted_socket_path else []))
    clients = tuple(c for c in rs.clients if c.ipv4 is not None or c.ipv6 is not None)
    for client in rs.clients:
        if client.ipv4 is None and client.ipv6 is None:
            logger.warning("%s: client %s has no address, no session rendered", rs.name, client.key)
    policy = _Policy(rs, clients, texts if texts is not None else TextCache())
    loc_rib, filtered = policy.import_rules()
    return BgpdConfig(
        title=f"{rs.name} (OpenBGPD) of exchange {rs.exchange}, AS{rs.asn}",
        global_lines=_global_lines(rs, socket_path, restricted_socket_path),
        sets=policy.sets(),
        rtr_address=str(ipaddress.ip_address(rs.rtr_host)),
        rtr_port=rs.rtr_port,
        groups=tuple(_group(rs, c) for c in clients),
        import_rules=loc_rib,
        filtered_rules=filtered,
        export_rules=policy.export_rules(),
    )


# --- sessions ----------------------------------------------------------------------------------


def _global_lines(rs: RouteServer, socket: str, restricted: str | None) -> tuple[str, ...]:
    lines = [f"AS {rs.asn}", f"router-id {rs.router_id}", f'socket "{socket}"']
    if restricted:
        lines.append(f'socket "{restricted}" restricted')
    lines += [f"listen on {addr}" for addr in (rs.ipv4, rs.ipv6) if addr is not None]
    lines += ["fib-update no", "transparent-as yes", "rde evaluate all", "rde route-age ignore"]
    lines.append(f"rde rib {FILTERED_RIB} no evaluate")
    return tuple(lines)


def _group(rs: RouteServer, client: Client) -> Group:
    settings = rs.settings
    lines = [
        f"remote-as {client.asn}",
        "passive",
        "enforce neighbor-as no",
        "set nexthop no-modify",
    ]
    if settings.bgp_role:
        lines.append("announce policy rs")
    if client.md5_password:
        lines.append(f'tcp md5sig password "{client.md5_password}"')
    neighbors = []
    for address, limit in (
        (client.ipv4, client.max_prefix_v4),
        (client.ipv6, client.max_prefix_v6),
    ):
        if address is None:
            continue
        other = 6 if address.version == 4 else 4
        n_lines = [
            f"announce {_FAMILY[address.version]} unicast",
            f"announce {_FAMILY[other]} none",
        ]
        if limit > 0:
            if settings.max_prefix_action is MaxPrefixAction.SHUTDOWN:
                n_lines.append(f"max-prefix {limit}")
            else:  # RESTART, and BLOCK which bgpd cannot do
                n_lines.append(f"max-prefix {limit} restart {settings.max_prefix_restart_minutes}")
        # the session's name, the same on both route servers (BIRD's protocol name)
        descr = _descr(f"{client.key}_v{address.version}")
        neighbors.append(Neighbor(str(address), descr, tuple(n_lines)))
    comment = _printable(f"AS{client.asn} {client.name}")
    return Group(client.key, comment, tuple(lines), tuple(neighbors))


def _printable(text: str) -> str:
    """``text`` as printable ASCII without quotes or backslashes (for descr and comments)."""
    return "".join(ch for ch in text if " " <= ch <= "~" and ch not in '"\\')


def _descr(text: str) -> str:
    return _printable(text)[:_DESCR_MAX].rstrip()


def _validate(rs: RouteServer, paths: Sequence[str]) -> None:
    problems: list[Problem] = []
    for path in paths:
        if not _QUOTABLE.match(path) or '"' in path:
            problems.append(Problem("socket_path", f"{path!r} cannot be written in bgpd.conf"))
    try:
        ipaddress.ip_address(rs.rtr_host)
    except ValueError:
        problems.append(Problem("rtr_host", f"{rs.rtr_host!r}: bgpd needs an RTR address"))
    seen: set[str] = set()
    for client in rs.clients:
        field = f"clients.{client.key}"
        if not _NAME.match(client.key):
            problems.append(Problem(field, "key is not a bgpd name (letters, digits, _.-, <=31)"))
        if client.key in seen:
            problems.append(Problem(field, "key is used twice"))
        seen.add(client.key)
        password = client.md5_password
        if password is not None and (
            not _QUOTABLE.match(password) or '"' in password or "\\" in password
        ):
            problems.append(Problem(f"{field}.md5_password", "not printable ASCII without quotes"))
        elif password is not None and len(password) > _MD5_MAX:
            problems.append(Problem(f"{field}.md5_password", f"longer than {_MD5_MAX}"))
    if problems:
        raise ValidationFailed(problems)


# --- policy ------------------------------------------------------------------------------------

IN = "from any"
OUT = "to any"


def _rule(action: str, peer: str, match: str = "", *sets: str) -> str:
    parts = [action, peer, match] if match else [action, peer]
    if len(sets) == 1:
        parts.append(f"set {sets[0]}")
    elif 1 < len(sets) <= _ONE_LINE_SETS:
        parts.append("set { " + ", ".join(sets) + " }")
    elif sets:
        parts.append("set {\n\t" + "\n\t".join(sets) + "\n}")
    return " ".join(parts)


def _match(match: str, *sets: str, peer: str = IN) -> str:
    return _rule("match", peer, match, *sets)


def _in_rib(rule: str, rib: str) -> str:
    """``rule`` (an input rule, never ``quick``) applied to the RIB ``rib`` instead of Loc-RIB."""
    action, rest = rule.split(" ", 1)
    return f"{action} rib {rib} {rest}"


def _group_peer(direction: str, client: Client) -> str:
    return f'{direction} group "{client.key}"'


class _Policy:
    """The sets and filter rules of one route server."""

    def __init__(self, rs: RouteServer, clients: tuple[Client, ...], texts: TextCache) -> None:
        self.rs = rs
        self.texts = texts
        self.s = rs.settings
        self.asn = rs.asn
        self.clients = clients
        self.rs16 = rs.asn <= 0xFFFF  # 0:RS and RS:P exist only for a 16-bit RS ASN
        self.transit_free = tuple(sorted(self.s.transit_free_asns))
        # blackhole requests: BLACKHOLE, blackholing on, a blackhole next hop for the family
        self.bh_versions = tuple(v for v in (4, 6) if rs.blackhole_next_hop(v) is not None)
        if len(self.bh_versions) == 2:
            self.bh_matches: tuple[str, ...] = ("community BLACKHOLE",)
        else:
            self.bh_matches = tuple(f"community BLACKHOLE {_INET[v]}" for v in self.bh_versions)

    def large(self, cls: int | str, value: int | str) -> str:
        return f"{self.asn}:{cls}:{value}"

    def tag(self, reason: Reason) -> str:
        return f"large-community {self.large(FILTERED, int(reason))}"

    def untag(self, reason: Reason) -> str:
        return f"large-community delete {self.large(FILTERED, int(reason))}"

    def own_transit_free(self, client: Client) -> tuple[int, ...] | None:
        """The transit-free ASNs other than the client's, if the client is one (else None)."""
        if client.asn not in self.s.transit_free_asns:
            return None
        return tuple(a for a in self.transit_free if a != client.asn)

    # -- sets --

    def sets(self) -> tuple[NamedSet, ...]:
        bogon = [*bogons.bogon_rules(4), *bogons.bogon_rules(6)]
        reachable = [*bogons.reachable_rules(4), *bogons.reachable_rules(6)]
        found = [
            NamedSet.of("prefix-set", "bogons", "inside or covering bogons", irr_entries(bogon)),
            NamedSet.of("prefix-set", "bogons_reachable", "not bogons", irr_entries(reachable)),
        ]
        if self.rs.lan_prefixes:
            lans = irr_entries(bogons.lan_rules(self.rs.lan_prefixes))
            found.append(NamedSet.of("prefix-set", "lans", "the exchange's LANs", lans))
        if self.transit_free:
            tf = asns(self.transit_free)
            found.append(NamedSet.of("as-set", "transit_free", "transit-free ASNs", tf))
        for client in self.clients:
            found += self.client_sets(client)
        return tuple(found)

    def client_sets(self, client: Client) -> list[NamedSet]:
        found = []
        key, who = client.key, f"AS{client.asn} {client.key}"
        own_tf = self.own_transit_free(client)
        if own_tf:
            found.append(
                NamedSet.of("as-set", f"{key}_transit_free", f"{who}: others", asns(own_tf))
            )
        if self.s.irr_origin_check and client.allowed_origins:
            origins = asns(sorted(client.allowed_origins))
            found.append(NamedSet.of("as-set", f"{key}_origins", f"{who}: IRR origins", origins))
        rules = client.allowed_prefixes
        if self.s.irr_prefix_check and rules:
            irr = self.irr_body(rules)
            found.append(NamedSet("prefix-set", f"{key}_irr", f"{who}: IRR prefixes", irr))
            roots = self.roots_body(rules)
            if roots:
                comment = f"{who}: blackholes inside (or-longer)"
                found.append(NamedSet("prefix-set", f"{key}_irr_roots", comment, roots))
        return found

    def irr_body(self, rules: Sequence[PrefixRule]) -> str:
        if not isinstance(rules, PrefixRules):
            return _body(irr_entries(rules))
        key = f"bgpd-{_FORMAT}-irr-{rules.digest(4)}-{rules.digest(6)}"
        return self.texts.text(key, lambda: _body(packed_irr_entries(rules)))

    def roots_body(self, rules: Sequence[PrefixRule]) -> str:
        """The outermost of the rules' prefixes of the families that have blackholing."""
        versions = self.bh_versions
        if not isinstance(rules, PrefixRules):
            return _body(root_entries(r.prefix for r in rules if r.prefix.version in versions))
        if not any(rules.size(v) for v in versions):
            return ""
        digests = "-".join(f"{v}:{rules.digest(v)}" for v in versions)
        key = f"bgpd-{_FORMAT}-roots-{digests}"
        return self.texts.text(key, lambda: _body(packed_roots(rules, versions)))

    def has_blackhole_prefixes(self, client: Client) -> bool:
        rules = client.allowed_prefixes
        if isinstance(rules, PrefixRules):
            return any(rules.size(v) for v in self.bh_versions)
        return any(r.prefix.version in self.bh_versions for r in rules)

    # -- import --

    def import_rules(self) -> tuple[tuple[RuleBlock, ...], tuple[RuleBlock, ...]]:
        """The input rules for Loc-RIB, and the same checks for the RIB of filtered routes.

        bgpd gives each input rule to one RIB (``Loc-RIB`` unless the rule names another), so
        the RIB ``filtered`` gets its own copy of every check.
        """
        own = [f"large-community delete {self.large(cls, '*')}" for cls in range(1000, 2000)]
        count = self.s.max_communities
        too_many = self.tag(Reason.TOO_MANY_COMMUNITIES)
        marks = [
            _match(f"community {name}", f"community delete {name}", f"large-community {mark}")
            for name, mark in self.well_known_marks()
        ]
        checks = (
            RuleBlock(
                "every route enters; members cannot set RS:1000-1999:* (informational, filtered)",
                ("allow from any", _match(f"large-community {self.large('*', '*')}", *own)),
            ),
            RuleBlock(
                f"15: more than {count} standard or more than {count} large communities",
                (
                    _match(f"max-communities {count}", too_many),
                    _match(f"max-large-communities {count}", too_many),
                ),
            ),
            RuleBlock(
                "RFC 1997 well-known communities ride as RS:1999:<n> and are restored on export: "
                "bgpd 7.7 would act on them itself",
                tuple(marks),
            ),
            self.common_checks(),
            *(self.client_checks(c) for c in self.clients),
            self.final_import(),
        )
        tagged = f"large-community {self.large(FILTERED, '*')}"
        loop = _rule("deny", IN, f"AS {self.rs.asn}")  # our own ASN in the path: a loop
        loc_rib = RuleBlock("Loc-RIB holds accepted routes only", (_rule("deny", IN, tagged), loop))
        filtered = RuleBlock(
            f"the RIB {FILTERED_RIB} holds filtered routes only (loops are dropped everywhere)",
            (_rule("deny", IN), _rule("allow", IN, tagged), loop),
        )
        copy = tuple(
            RuleBlock(b.comment, tuple(_in_rib(r, FILTERED_RIB) for r in b.rules))
            for b in (*checks, filtered)
        )
        return (*checks, loc_rib), copy

    def well_known_marks(self) -> list[tuple[str, str]]:
        return [(name, self.large(INTERNAL, value)) for value, name in WELL_KNOWN.items()]

    def common_checks(self) -> RuleBlock:
        s, tag, untag = self.s, self.tag, self.untag
        rules = []
        for version, limits in ((4, s.ipv4_lengths), (6, s.ipv6_lengths)):
            if limits.longest < _BITS[version]:
                too_long = f"prefix {_ANY[version]} prefixlen > {limits.longest}"
                rules.append(_match(too_long, tag(Reason.PREFIX_TOO_LONG)))
                if version in self.bh_versions:  # blackhole requests up to /32 and /128
                    blackhole = f"{too_long} community BLACKHOLE"
                    rules.append(_match(blackhole, untag(Reason.PREFIX_TOO_LONG)))
            too_short = f"prefix {_ANY[version]} prefixlen < {max(limits.shortest, 1)}"
            rules.append(_match(too_short, tag(Reason.PREFIX_TOO_SHORT)))
        rules.append(_match('prefix-set "bogons"', tag(Reason.BOGON)))  # policy.bogons: exact
        rules.append(_match('prefix-set "bogons_reachable"', untag(Reason.BOGON)))
        if self.rs.lan_prefixes:
            rules.append(_match('prefix-set "lans"', tag(Reason.BOGON)))
        rules.append(_match(f"max-as-len {s.as_path_longest}", tag(Reason.AS_PATH_TOO_LONG)))
        if s.as_path_shortest > 0:
            rules.append(_match("", tag(Reason.AS_PATH_TOO_SHORT)))
            long_enough = f"max-as-len {s.as_path_shortest - 1}"
            rules.append(_match(long_enough, untag(Reason.AS_PATH_TOO_SHORT)))
        rules.append(_match("", tag(Reason.FIRST_AS_NOT_PEER_AS)))
        rules.append(_match("peer-as neighbor-as", untag(Reason.FIRST_AS_NOT_PEER_AS)))
        ranges = ", ".join(
            str(lo) if lo == hi else f"{lo} - {hi}" for lo, hi in bogons.NON_PUBLIC_ASNS
        )
        rules.append(_match(f"AS {{ {ranges} }}", tag(Reason.BOGON_ASN)))
        if s.reject_rpki_invalid:
            rules.append(_match("ovs invalid", tag(Reason.RPKI_INVALID)))
            rules += [  # RPKI cannot judge blackholes
                _match(f"ovs invalid {bh}", untag(Reason.RPKI_INVALID)) for bh in self.bh_matches
            ]
        return RuleBlock(
            "1 2 length, 3 bogons and LANs, 5 6 AS_PATH length, 7 first AS, 4 non-public ASN, "
            "13 RPKI invalid",
            tuple(rules),
        )

    def client_checks(self, client: Client) -> RuleBlock:
        s, tag, untag = self.s, self.tag, self.untag
        peer = _group_peer("from", client)
        pessimistic = [Reason.NEXT_HOP_NOT_PEER_IP]
        pessimistic += [Reason.IRR_ORIGIN] if s.irr_origin_check else []
        pessimistic += [Reason.IRR_PREFIX] if s.irr_prefix_check else []
        rules = [_match("", *(tag(r) for r in pessimistic), peer=peer)]
        for hop in sorted(client.next_hops, key=lambda a: (a.version, int(a))):
            rules.append(_match(f"nexthop {hop}", untag(Reason.NEXT_HOP_NOT_PEER_IP), peer=peer))
        own_tf = self.own_transit_free(client)
        if own_tf is None and self.transit_free:
            rules.append(
                _match('AS as-set "transit_free"', tag(Reason.TRANSIT_FREE_ASN), peer=peer)
            )
        elif own_tf:
            others = f'AS as-set "{client.key}_transit_free"'
            rules.append(_match(others, tag(Reason.TRANSIT_FREE_ASN), peer=peer))
        if s.irr_origin_check and client.allowed_origins:
            origins = f'source-as as-set "{client.key}_origins"'
            rules.append(_match(origins, untag(Reason.IRR_ORIGIN), peer=peer))
        if s.irr_prefix_check:
            irr = untag(Reason.IRR_PREFIX)
            if client.allowed_prefixes:
                rules.append(_match(f'prefix-set "{client.key}_irr"', irr, peer=peer))
            if s.rpki_valid_bypasses_irr_prefix:
                rules.append(_match("ovs valid", irr, peer=peer))
            # a blackhole request must lie inside a prefix the member may announce
            rules += [_match(bh, tag(Reason.IRR_PREFIX), peer=peer) for bh in self.bh_matches]
            if self.has_blackhole_prefixes(client):
                roots = f'prefix-set "{client.key}_irr_roots" or-longer community BLACKHOLE'
                rules.append(_match(roots, irr, peer=peer))
        return RuleBlock(
            f"{client.key}: 8 next hop, 14 transit-free, 10 IRR origin, 9 IRR prefix", tuple(rules)
        )

    def final_import(self) -> RuleBlock:
        filtered = f"large-community {self.large(FILTERED, '*')}"
        rpki = {info: f"large-community {self.large(RPKI_INFO, info.value)}" for info in RpkiInfo}
        candidate = self.large(INTERNAL, _BLACKHOLE_CANDIDATE)
        rules = [
            _match("ovs valid", rpki[RpkiInfo.VALID]),
            _match("ovs not-found", rpki[RpkiInfo.UNKNOWN]),
        ]
        rules += [
            _match(
                bh,
                f"large-community delete {self.large(RPKI_INFO, '*')}",
                rpki[RpkiInfo.NOT_CHECKED],
                f"large-community {candidate}",
            )
            for bh in self.bh_matches
        ]
        delete = [f"large-community delete {self.large(RPKI_INFO, '*')}"]
        if self.bh_matches:
            delete.append(f"large-community delete {candidate}")
        rules.append(_match(filtered, *delete))
        no_export = self.large(INTERNAL, NO_EXPORT[1])
        for version in self.bh_versions:
            rules.append(
                _match(
                    f"large-community {candidate} {_INET[version]}",
                    f"nexthop {self.rs.blackhole_next_hop(version)}",
                    f"large-community {no_export}",
                    f"large-community delete {candidate}",
                )
            )
        if self.s.graceful_shutdown:
            rules.append(_match("community GRACEFUL_SHUTDOWN", "localpref 0"))
        return RuleBlock(
            "accepted: RS:1000:1 RPKI valid, 2 not found, 3 not checked (blackhole requests, which "
            "get the blackhole next hop and NO_EXPORT); GRACEFUL_SHUTDOWN: localpref 0",
            tuple(rules),
        )

    # -- export --

    def export_rules(self) -> tuple[RuleBlock, ...]:
        rs = self.asn
        never = [
            "allow to any",
            _rule("deny quick", OUT, f"large-community {self.large(FILTERED, '*')}"),
            _rule("deny quick", OUT, "peer-as neighbor-as"),
        ]
        never += [
            _rule("deny quick", _group_peer("to", client), bh)
            for client in self.clients
            if not client.blackhole_opt_in
            for bh in self.bh_matches
        ]
        never.append(_rule("deny quick", OUT, f"community {DO_NOT_ANNOUNCE}:neighbor-as"))
        not_to_p = f"large-community {self.large(DO_NOT_ANNOUNCE, 'neighbor-as')}"
        never.append(_rule("deny quick", OUT, not_to_p))
        control = []
        if self.rs16:
            control.append(_rule("deny", OUT, f"community {DO_NOT_ANNOUNCE}:{rs}"))
        control.append(_rule("deny", OUT, f"large-community {self.large(DO_NOT_ANNOUNCE, 0)}"))
        if self.rs16:
            control.append(_rule("allow", OUT, f"community {rs}:neighbor-as"))
        to_p = f"large-community {self.large(ANNOUNCE, 'neighbor-as')}"
        control.append(_rule("allow", OUT, to_p))
        restore = [
            _match(f"large-community {mark}", f"community {name}", peer=OUT)
            for name, mark in self.well_known_marks()
        ]
        return (
            RuleBlock(
                "never: filtered, to the sender's AS, blackholes to clients not opted in, 0:P",
                tuple(never),
            ),
            RuleBlock("0:RS and RS:0:0 (to nobody) unless RS:P or RS:1:P", tuple(control)),
            RuleBlock("prepend the sender's AS 1-3 times to P; the largest wins", self.prepends()),
            RuleBlock("RFC 1997 well-known communities back", tuple(restore)),
            RuleBlock(
                "strip the route server's communities", (_match("", *self.strip(), peer=OUT),)
            ),
        )

    def prepends(self) -> tuple[str, ...]:
        forget = [f"community delete {cls}:*" for cls in PREPEND_STANDARD]
        forget += [f"large-community delete {self.large(cls, '*')}" for cls in PREPEND_LARGE]
        rules = []
        for times in (3, 2, 1):
            for match in (
                f"large-community {self.large(PREPEND_LARGE[times - 1], 'neighbor-as')}",
                f"community {PREPEND_STANDARD[times - 1]}:neighbor-as",
            ):
                rules.append(_match(match, f"prepend-neighbor {times}", *forget, peer=OUT))
        return tuple(rules)

    def strip(self) -> list[str]:
        classes = [DO_NOT_ANNOUNCE, *([self.asn] if self.rs16 else []), *PREPEND_STANDARD]
        standard = [f"community delete {cls}:*" for cls in classes]
        return [*standard, f"large-community delete {self.large('*', '*')}"]


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - a daemon config, not HTML
    )
    return env.get_template("bgpd.conf.j2")
