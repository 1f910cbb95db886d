"""Readers of BIRD 2's control-socket replies: the text of ``show status``, ``show protocols
all`` and ``show route ... all``, as BIRD 2.0.12 writes it (samples in the tests).

A reply is a run of lines, each with a 4-digit code (``1002-``, ``1007-``) or a space for "same
code as before"; the protocol itself is read in ``bird.py``, these functions get the lines'
text with the code cut off. Times are printed in BIRD's local time with the default
``timeformat`` (``13:10:57.856`` for today, ``2026-11-20`` for older) or the long form
(``2026-11-21 13:10:57``); they come back as UTC.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ixcenter.core.errors import ValidationFailed
from ixcenter.core.prefixes import parse_prefix
from ixcenter.routing.control.model import (
    Address,
    DaemonError,
    DaemonStatus,
    Route,
    Session,
    SessionState,
    parse_address,
    parse_as_path,
)

logger = logging.getLogger(__name__)

_ROUTE = re.compile(
    r"^(?P<net>\S+)?\s+(?P<kind>[a-z]+)\s+\[(?P<proto>\S+)\s+(?P<since>[^\]]*?)"
    r"(?:\s+from\s+(?P<source>\S+))?\]\s+(?P<primary>\*\s+)?"
    r"\((?P<pref>\d+)s?(?:/(?P<metric>[^)]*))?\)(?:\s+\[(?P<info>[^\]]*)\])?"
)
_ROUTES_LINE = re.compile(r"(\d+)\s+(imported|filtered|exported|preferred)")


def local_zone() -> dt.tzinfo:
    """The time zone BIRD prints in: this host's."""
    zone = dt.datetime.now(dt.UTC).astimezone().tzinfo
    return zone if zone is not None else dt.UTC


def parse_time(text: str, *, now: dt.datetime | None, zone: dt.tzinfo) -> dt.datetime | None:
    """A BIRD time (any default or ISO ``timeformat``) as UTC; a bare time of day is taken as
    the latest such moment not after ``now`` (None without ``now``)."""
    text = text.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            moment = dt.datetime.strptime(text, pattern).replace(tzinfo=zone)
        except ValueError:
            continue
        return moment.astimezone(dt.UTC)
    for pattern in ("%H:%M:%S.%f", "%H:%M:%S"):
        try:
            clock = dt.datetime.strptime(text, pattern).replace(tzinfo=zone).timetz()
        except ValueError:
            continue
        if now is None:
            return None
        local_now = now.astimezone(zone)
        moment = dt.datetime.combine(local_now.date(), clock)
        if moment > local_now + dt.timedelta(seconds=1):
            moment -= dt.timedelta(days=1)
        return moment.astimezone(dt.UTC)
    return None


def parse_status(lines: Iterable[tuple[int, str]], *, zone: dt.tzinfo) -> DaemonStatus:
    """``show status``: version (1000), router ID and times (1011), the state line (0013)."""
    version, message, router_id = "", "", None
    now: dt.datetime | None = None
    reconfigured_text = ""
    for code, text in lines:
        if code == 1000:
            version = text.removeprefix("BIRD ").strip()
        elif code == 13:
            message = text.strip()
        elif text.startswith("Router ID is "):
            router_id = text.removeprefix("Router ID is ").strip()
        elif text.startswith("Current server time is "):
            now = parse_time(text.removeprefix("Current server time is "), now=None, zone=zone)
        elif text.startswith("Last reconfiguration on "):
            reconfigured_text = text.removeprefix("Last reconfiguration on ")
    reconfigured = None
    if reconfigured_text:
        reconfigured = parse_time(reconfigured_text, now=now, zone=zone)
    running = message == "Daemon is up and running"
    return DaemonStatus("bird", version, running, message, router_id, reconfigured)


@dataclass(slots=True)
class _Protocol:
    name: str
    kind: str
    state: str
    since: str
    info: str
    details: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def parse_protocols(
    lines: Iterable[tuple[int, str]], *, now: dt.datetime, zone: dt.tzinfo
) -> list[Session]:
    """BGP sessions from ``show protocols all`` (other protocol kinds are left out)."""
    protocols: list[_Protocol] = []
    for code, text in lines:
        if code == 1002:
            protocols.append(_protocol_line(text))
        elif code == 1006 and protocols:
            _detail_line(protocols[-1], text)
    return [_session(p, now=now, zone=zone) for p in protocols if p.kind == "BGP"]


def _protocol_line(text: str) -> _Protocol:
    words = text.split()
    if len(words) < 5:
        raise DaemonError(f"BIRD protocol line not understood: {text!r}")
    name, kind, _table, state = words[:4]
    rest = words[4:]
    since = rest.pop(0)
    if rest and re.fullmatch(r"\d\d:\d\d:\d\d(\.\d+)?", rest[0]) and "-" in since:
        since = f"{since} {rest.pop(0)}"
    return _Protocol(name, kind, state, since, " ".join(rest))


def _detail_line(protocol: _Protocol, text: str) -> None:
    key, colon, value = text.strip().partition(":")
    if not colon:
        return
    key, value = key.strip(), value.strip()
    if key == "Routes":  # per channel; a session with IPv4 and IPv6 channels has two
        for number, what in _ROUTES_LINE.findall(value):
            protocol.counts[what] = protocol.counts.get(what, 0) + int(number)
    else:
        protocol.details.setdefault(key, value)


def _session(protocol: _Protocol, *, now: dt.datetime, zone: dt.tzinfo) -> Session:
    details, counts = protocol.details, protocol.counts
    asn = details.get("Neighbor AS", "")
    bgp_state = details.get("BGP state", "")
    if protocol.state in {"down", "flush"} and bgp_state in {"", "Down"}:
        state = SessionState.DOWN
    else:
        state = SessionState.parse(bgp_state or protocol.info.split(" ")[0])
    accepted = counts.get("imported") if counts else None
    filtered = counts.get("filtered") if "filtered" in counts else None
    received = None if accepted is None else accepted + (filtered or 0)
    return Session(
        name=protocol.name,
        peer_asn=int(asn) if asn.isdigit() else None,
        address=parse_address(details.get("Neighbor address", "")),
        state=state,
        since=parse_time(protocol.since, now=now, zone=zone),
        info=protocol.info,
        description=details.get("Description", ""),
        routes_received=received,
        routes_accepted=accepted,
        routes_filtered=filtered,
        routes_exported=counts.get("exported") if counts else None,
    )


@dataclass(slots=True)
class _RouteDraft:
    prefix: str
    proto: str
    primary: bool
    preference: int
    attributes: list[tuple[str, str]] = field(default_factory=list)
    via: str | None = None


def parse_routes(lines: Iterable[str], *, filtered: bool = False) -> Iterator[Route]:
    """Routes from ``show route [filtered] ... all`` text lines, one at a time."""
    draft: _RouteDraft | None = None
    net = ""
    for raw in lines:
        if raw.startswith("Table "):
            continue
        if raw.startswith("\t\t") and draft is not None and draft.attributes:
            name, value = draft.attributes[-1]  # a long value goes on over more lines
            draft.attributes[-1] = (name, f"{value} {raw.strip()}")
            continue
        if raw.startswith("\t"):
            if draft is not None:
                _attribute_line(draft, raw.strip())
            continue
        match = _ROUTE.match(raw)
        if match is None:
            if raw.strip():
                logger.debug("BIRD route line skipped: %r", raw)
            continue
        if draft is not None:
            yield _route(draft, filtered)
        net = match["net"] or net
        if not net:
            raise DaemonError(f"BIRD route without a network: {raw!r}")
        draft = _RouteDraft(net, match["proto"], bool(match["primary"]), int(match["pref"]))
    if draft is not None:
        yield _route(draft, filtered)


def _attribute_line(draft: _RouteDraft, text: str) -> None:
    if text.startswith("via ") and draft.via is None:
        draft.via = text.split()[1]
        return
    name, colon, value = text.partition(":")
    if colon:
        draft.attributes.append((name.strip(), value.strip()))


def _route(draft: _RouteDraft, filtered: bool) -> Route:
    attributes = dict(draft.attributes)
    try:
        prefix = parse_prefix(draft.prefix)
    except ValidationFailed as exc:
        raise DaemonError(f"BIRD route for {draft.prefix!r}: {exc}") from None
    hop_text = attributes.get("BGP.next_hop", "").split()
    next_hop = _address(hop_text[0]) if hop_text else None
    if next_hop is None and draft.via is not None:
        next_hop = _address(draft.via)
    return Route(
        prefix=prefix,
        from_peer=draft.proto,
        as_path=parse_as_path(attributes.get("BGP.as_path", "")),
        next_hop=next_hop,
        communities=tuple(
            (int(a), int(b)) for a, b in _COMMUNITY.findall(attributes.get("BGP.community", ""))
        ),
        large_communities=tuple(
            (int(a), int(b), int(c))
            for a, b, c in _LARGE.findall(attributes.get("BGP.large_community", ""))
        ),
        best=draft.primary and not filtered,
        filtered=filtered,
        local_pref=_int(attributes.get("BGP.local_pref")),
        med=_int(attributes.get("BGP.med")),
        origin=attributes.get("BGP.origin"),
        preference=draft.preference,
        attributes=tuple(draft.attributes),
    )


_COMMUNITY = re.compile(r"\((\d+),\s*(\d+)\)")
_LARGE = re.compile(r"\((\d+),\s*(\d+),\s*(\d+)\)")


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> Address | None:
    """Next hops repeat (one per member router): parsed once each."""
    return parse_address(text)


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.strip().isdigit() else None
