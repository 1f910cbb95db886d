"""rs1: one ``RouteServer`` rendered as a BIRD 2.0.12 configuration.

The policy is the one ``routing.policy.evaluate`` defines; Python computes every value (sets,
limits, session lines) and ``templates/bird.conf.j2`` only prints them.

**Constant number of scopes.** BIRD 2.0.12 keeps its symbols in a table keyed on names alone and
adds every keyword again in each filter or function scope, so its parse time grows faster than
quadratically with the number of filters and functions a config declares (configs with ~7 per
client take minutes for 1,000 members). This config declares four functions, whatever the number
of clients: ``ixc_import_v4/v6`` and ``ixc_export_v4/v6``. Per-client data lives in top-level
``define`` constants (an ``int set`` of allowed origins, ``prefix set``\\s of allowed prefixes and
of blackhole space, an ``ip set`` of next hops; a ``[]`` literal when empty, legal since 2.0.11),
and each channel calls ``import where ixc_import_v4(<asn>, <its sets>)`` and ``export where
ixc_export_v4(<asn>, <blackhole opt-in>)``, which open no scope of their own. Clients with the
same data (the routers of one member) share one set of constants.

Measured with ``bench/bench_bird_config.py`` (2 shared cores, CPU time of ``bird -p``): 100
members (190 sessions, 1.3 MB) 0.09 s; 1,000 members (1,900 sessions, ~340 prefixes each,
13.2 MB) 0.78 s, and BIRD starts with all sessions configured in ~1 s; the same 1,000 members
with seven extra functions per client: 5.2 s. BIRD holds ~190 bytes per prefix-set entry; the
per-client blackhole sets (one ``p+`` entry per outermost route object) are most of the 190 MB
the 1,000-member config takes on that synthetic data, which has no nested route objects.

**Other choices.**

* Tables are ``sorted`` and every channel has ``secondary``: when the export function refuses the
  best route for a client, BIRD offers the next one (RFC 7947 path hiding mitigation). Filtered
  routes stay in the table with ``preference = 1`` so they never hide an accepted one.
* ``interpret communities off``: BIRD must not act on ``NO_EXPORT`` itself; the route server
  passes RFC 1997 communities on, and adds ``NO_EXPORT`` to blackholes it still exports.
* ``import table on``: BIRD 2.0.12 re-evaluates imports when the ROA tables change (``rpki
  reload``, default on) only for BGP channels that keep an import table.
* RPKI arrives over RTR with BIRD's default timers (a shorter retry drops the first session of a
  slow start). ``local role rs_server`` (RFC 9234, BIRD 2.0.11+) when ``settings.bgp_role``.
* ``receive limit`` counts every route received (filtered ones too); 0 means no limit. BIRD's
  ``restart`` waits its ``error wait time`` (60 s, doubling to 300 s), not
  ``max_prefix_restart_minutes``: BIRD has no per-limit pause.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import re
import socket
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from ixcenter.core.errors import ConfigurationError
from ixcenter.routing.policy import bogons
from ixcenter.routing.policy.model import (
    Address,
    Client,
    MaxPrefixAction,
    PrefixRule,
    RouteServer,
)
from ixcenter.routing.policy.reasons import FILTERED, RPKI_INFO, Reason, RpkiInfo
from ixcenter.routing.policy.rules import PrefixRules
from ixcenter.routing.render.texts import TextCache

logger = logging.getLogger(__name__)

_TEMPLATES = Path(__file__).with_name("templates")
_BITS = {4: 32, 6: 128}
_PER_LINE = 8
_FORMAT = 2  # of the prefix-set texts in a TextCache: change it when their rendering changes
_ACTIONS = {
    MaxPrefixAction.RESTART: "restart",
    MaxPrefixAction.SHUTDOWN: "disable",
    MaxPrefixAction.BLOCK: "block",
}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\]')  # what cannot stand in a BIRD string
_PASSWORD = re.compile(r"^[ !#-\[\]-~]+$")  # printable ASCII but " and \


@dataclass(frozen=True, slots=True)
class Define:
    """A top-level ``define NAME = <set>;`` line (``text`` is the set, brackets included)."""

    name: str
    comment: str
    text: str


@dataclass(frozen=True, slots=True)
class Family:
    """Everything the import and export functions of one address family need."""

    version: int
    net_type: str  # NET_IP4 / NET_IP6
    roa_table: str
    shortest: int  # a route shorter than this is too short (at least 1: never a default)
    longest: int
    bogons: str  # define names
    reachable: str
    lans: str
    blackhole: str | None  # the blackhole next hop, None: blackholing off for the family


@dataclass(frozen=True, slots=True)
class Session:
    """One ``protocol bgp`` block: a client's session of one family."""

    name: str
    description: str
    family: int
    local: str
    neighbor: str
    asn: int
    password: str | None
    limit: int
    limit_action: str
    import_call: str
    export_call: str


# str(network) is slow in ipaddress; the C library formats addresses five times faster
_ntoa = socket.inet_ntoa
_ntop = socket.inet_ntop
_AF_INET6 = socket.AF_INET6


# One rule, ready to print and to sweep: (family, network as int, length, last address as int,
# pattern text, the prefix's own text). Sorting these sorts by family, address, shortest first.
_Entry = tuple[int, int, int, int, str, str]


def _entry(rule: PrefixRule) -> _Entry:
    net = rule.prefix
    start = int(net.network_address)
    length = net.prefixlen
    if isinstance(net, ipaddress.IPv4Network):
        version, bits = 4, 32
        base = f"{_ntoa(start.to_bytes(4, 'big'))}/{length}"
    else:
        version, bits = 6, 128
        base = f"{_ntop(_AF_INET6, start.to_bytes(16, 'big'))}/{length}"
    shortest, longest = rule.shortest, rule.longest
    if shortest == length == longest:
        text = base
    elif shortest == length and longest == bits:
        text = base + "+"
    else:
        text = f"{base}{{{shortest},{longest}}}"
    return version, start, length, start + (1 << (bits - length)) - 1, text, base


class _Texts:
    """Rule entries, cached by object identity: the compiler shares rules (and tuples of rules)
    between clients, and the cache holds each object, so its id is not reused meanwhile."""

    def __init__(self) -> None:
        self._rules: dict[int, tuple[PrefixRule, _Entry]] = {}
        self._groups: dict[int, tuple[object, dict[int, list[_Entry]]]] = {}

    def entries(self, rules: Sequence[PrefixRule], version: int) -> list[_Entry]:
        """The entries of ``rules`` of one family, in the order given."""
        group = self._groups.get(id(rules))
        if group is None or group[0] is not rules:
            cache = self._rules
            by_family: dict[int, list[_Entry]] = {4: [], 6: []}
            for rule in rules:
                found = cache.get(id(rule))
                if found is None or found[0] is not rule:
                    found = cache[id(rule)] = (rule, _entry(rule))
                by_family[found[1][0]].append(found[1])
            group = self._groups[id(rules)] = (rules, by_family)
        return group[1][version]


def _packed_entries(rules: PrefixRules, version: int) -> list[_Entry]:
    """``_entry`` of every rule of ``version``, straight from the keys (no objects made)."""
    longest = rules.longest(version)
    found: list[_Entry] = []
    append = found.append
    if version == 4:
        for key in rules.keys(4):
            start, length = key >> 8, key & 0xFF
            base = f"{_ntoa(start.to_bytes(4, 'big'))}/{length}"
            top = length if longest is None or longest <= length else longest
            text = (
                base if top == length else base + "+" if top == 32 else f"{base}{{{length},{top}}}"
            )
            append((4, start, length, start + (1 << (32 - length)) - 1, text, base))
        return found
    for key in rules.keys(6):
        start, length = key >> 8, key & 0xFF
        base = f"{_ntop(_AF_INET6, start.to_bytes(16, 'big'))}/{length}"
        top = length if longest is None or longest <= length else longest
        text = base if top == length else base + "+" if top == 128 else f"{base}{{{length},{top}}}"
        append((6, start, length, start + (1 << (128 - length)) - 1, text, base))
    return found


def _covering(entries: Iterable[_Entry]) -> list[str]:
    """``p+`` for every rule prefix not inside another: "inside what the member may announce"."""
    texts: list[str] = []
    end = -1
    for _, start, _, last, _, base in sorted(entries):
        if start <= end:
            continue  # inside the prefix kept last
        end = last
        texts.append(base + "+")
    return texts


def _lines(items: Sequence[str], indent: str = "    ") -> str:
    if not items:
        return "[]"
    if len(items) <= _PER_LINE:
        return "[ " + ", ".join(items) + " ]"
    rows = [", ".join(items[i : i + _PER_LINE]) for i in range(0, len(items), _PER_LINE)]
    return "[\n" + indent + (",\n" + indent).join(rows) + "\n]"


def _asn_set(asns: Iterable[int]) -> str:
    return _lines([str(a) for a in sorted(asns)])


def _ranges(ranges: Iterable[tuple[int, int]]) -> str:
    return _lines([str(lo) if lo == hi else f"{lo}..{hi}" for lo, hi in ranges])


def _quote(text: str) -> str:
    return _UNSAFE.sub("", text)


class _Builder:
    def __init__(self, rs: RouteServer, cache: TextCache) -> None:
        self.rs = rs
        self.settings = rs.settings
        self.defines: list[Define] = []
        self._shared: dict[tuple[int, str], str] = {}  # (id of the data, kind) -> define name
        self.texts = _Texts()
        self.cache = cache

    def has_prefixes(self, rules: Sequence[PrefixRule], version: int) -> bool:
        if isinstance(rules, PrefixRules):
            return rules.size(version) > 0
        return bool(self.texts.entries(rules, version))

    def prefixes(self, rules: Sequence[PrefixRule], version: int, covering: bool) -> str:
        """The set of ``rules`` of ``version`` (``covering``: the ``p+`` of the outermost)."""
        if not isinstance(rules, PrefixRules):
            entries = self.texts.entries(rules, version)
            return _lines(_covering(entries) if covering else [e[4] for e in entries])

        def render() -> str:
            entries = _packed_entries(rules, version)
            return _lines(_covering(entries) if covering else [e[4] for e in entries])

        kind = "bh" if covering else "pfx"
        return self.cache.text(f"bird-{_FORMAT}-{kind}{version}-{rules.digest(version)}", render)

    def shared(
        self, data: object, kind: str, name: str, comment: str, render: Callable[[], str]
    ) -> str:
        """The define holding ``data`` (made on first use; ``data`` outlives the builder)."""
        key = (id(data), kind)
        found = self._shared.get(key)
        if found is None:
            found = self._shared[key] = name
            self.defines.append(Define(name, comment, render()))
        return found

    def prefix_set(self, rules: Sequence[PrefixRule]) -> str:
        return _lines([_entry(rule)[4] for rule in rules])

    def family(self, version: int) -> Family:
        lengths = self.settings.lengths(version)
        hop = self.rs.blackhole_next_hop(version)
        return Family(
            version=version,
            net_type=f"NET_IP{version}",
            roa_table=f"ixc_roa{version}",
            shortest=max(1, lengths.shortest),
            longest=lengths.longest,
            bogons=f"IXC_BOGONS_V{version}",
            reachable=f"IXC_REACHABLE_V{version}",
            lans=f"IXC_LANS_V{version}",
            blackhole=str(hop) if hop is not None else None,
        )

    def global_defines(self) -> list[Define]:
        found: list[Define] = []
        for version in (4, 6):
            found.append(
                Define(
                    f"IXC_BOGONS_V{version}",
                    f"IPv{version} inside or covering special-purpose space (core.prefixes)",
                    self.prefix_set(bogons.bogon_rules(version)),
                )
            )
            found.append(
                Define(
                    f"IXC_REACHABLE_V{version}",
                    "globally reachable blocks nested in a bogon block: not bogons",
                    self.prefix_set(bogons.reachable_rules(version)),
                )
            )
            lans = [p for p in self.rs.lan_prefixes if p.version == version]
            found.append(
                Define(
                    f"IXC_LANS_V{version}",
                    "the exchange's peering LANs and everything inside them",
                    self.prefix_set(bogons.lan_rules(lans)),
                )
            )
        found.append(
            Define(
                "IXC_BOGON_ASNS",
                "not public: 0, AS_TRANS, documentation, private, reserved",
                _ranges(bogons.NON_PUBLIC_ASNS),
            )
        )
        found.append(
            Define(
                "IXC_TRANSIT_FREE",
                "transit-free networks: never behind a member",
                _asn_set(self.settings.transit_free_asns),
            )
        )
        return found

    def client_sets(self, client: Client, version: int) -> tuple[str, str, str, str]:
        key = client.key
        settings = self.settings
        origins = "[]"
        if settings.irr_origin_check:
            origins = self.shared(
                client.allowed_origins,
                "origins",
                f"{key}_origins",
                f"{client.as_set or f'AS{client.asn}'}: allowed origins",
                lambda: _asn_set(client.allowed_origins),
            )
        allowed = inside = "[]"
        rules = client.allowed_prefixes
        # no route objects: "[]", matches nothing
        if settings.irr_prefix_check and self.has_prefixes(rules, version):
            allowed = self.shared(
                rules,
                f"pfx{version}",
                f"{key}_pfx{version}",
                f"IPv{version} route objects of those origins",
                lambda: self.prefixes(rules, version, covering=False),
            )
            if self.rs.blackhole_next_hop(version) is not None:
                inside = self.shared(
                    rules,
                    f"bh{version}",
                    f"{key}_bh{version}",
                    f"IPv{version} space a blackhole may lie in",
                    lambda: self.prefixes(rules, version, covering=True),
                )
        hops = self.shared(
            client.next_hops,
            "nh",
            f"{key}_nh",
            "accepted NEXT_HOPs",
            lambda: _lines([str(a) for a in sorted(client.next_hops, key=_address_order)]),
        )
        return origins, allowed, inside, hops

    def session(self, client: Client, version: int, local: Address) -> Session:
        neighbor = client.address(version)
        if neighbor is None:
            raise ConfigurationError(f"{client.key} has no IPv{version} address")
        password = client.md5_password
        if password is not None and not _PASSWORD.match(password):
            raise ConfigurationError(f"{client.key}: the session password cannot be written")
        limit = client.max_prefix_v4 if version == 4 else client.max_prefix_v6
        origins, allowed, inside, hops = self.client_sets(client, version)
        opt_in = "true" if client.blackhole_opt_in else "false"
        return Session(
            name=f"{client.key}_v{version}",
            description=_quote(f"{client.name} (AS{client.asn})"),
            family=version,
            local=str(local),
            neighbor=str(neighbor),
            asn=client.asn,
            password=password,
            limit=limit,
            limit_action=_ACTIONS[self.settings.max_prefix_action],
            import_call=(
                f"ixc_import_v{version}({client.asn}, {origins}, {allowed}, {inside}, {hops})"
            ),
            export_call=f"ixc_export_v{version}({client.asn}, {opt_in})",
        )


def _address_order(address: Address) -> tuple[int, int]:
    return address.version, int(address)


@functools.cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(  # noqa: S701 - a daemon config, not HTML
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("bird.conf.j2")


def render_bird(
    rs: RouteServer, *, log_file: str | None = None, texts: TextCache | None = None
) -> str:
    """The BIRD configuration of ``rs`` (``log_file``: BIRD's log; default syslog).

    ``texts``: prefix sets rendered by earlier builds, reused where their rules are the same.
    """
    text = "".join(bird_chunks(rs, log_file=log_file, texts=texts))
    logger.info("BIRD config %s: %d bytes", rs.name, len(text))
    return text


def bird_chunks(
    rs: RouteServer, *, log_file: str | None = None, texts: TextCache | None = None
) -> Iterator[str]:
    """``render_bird`` in pieces, to write a large config without holding all of it."""
    builder = _Builder(rs, texts if texts is not None else TextCache())
    defines = builder.global_defines()
    sessions: list[Session] = []
    for client in rs.clients:
        for version in (4, 6):
            local = rs.address(version)
            if local is not None and client.address(version) is not None:
                sessions.append(builder.session(client, version, local))
    families = [builder.family(v) for v in (4, 6)]
    rtr = rs.rtr_host
    try:
        rtr_remote = str(ipaddress.ip_address(rtr))
    except ValueError:
        rtr_remote = f'"{_quote(rtr)}"'
    logger.info("BIRD config %s: %d sessions", rs.name, len(sessions))
    return _template().generate(
        rs=rs,
        s=rs.settings,
        rs16=rs.asn <= 0xFFFF,
        log_file=_quote(log_file) if log_file else None,
        rtr_remote=rtr_remote,
        families=families,
        global_defines=defines,
        client_defines=builder.defines,
        sessions=sessions,
        filtered=FILTERED,
        rpki_info=RPKI_INFO,
        info=RpkiInfo,
        reason=Reason,
    )
