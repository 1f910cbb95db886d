"""The looking glass pages: the route servers' sessions, a member's routes, prefix look-ups and
searches, in the reader's language.

They read the same in-memory snapshot as the JSON API (``routing.lg_snapshot``) and decide who
sees what with the same functions (``api.looking_glass_access``): accepted paths and sessions are
public; a member's filtered paths, their reasons and the fixes (``portal.route_advice``) are shown
to that member and the staff only. A member's filtered page is refused like the API refuses it
(401 for the public, 404 for another member); look-ups, searches and session lists leave out what
the caller may not see. Before the route servers were read the first time every page says so,
with status 503 and a refresh. A form filled in wrongly comes back to a browser with the error
in words (422); any other client gets the problem+json of every other refusal.

Community meanings come from ``routing.lg_communities`` in English; ``meaning_text`` recognises
each of its phrasings and says it in the reader's language (an unknown phrasing stays English).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from ixcenter.api.looking_glass_access import (
    RETRY_AFTER_S,
    View,
    check_filtered,
    current_snapshot,
    is_number,
    member_asns,
    sees_filtered,
    view_of,
)
from ixcenter.api.paging import Offset
from ixcenter.api.policy import AnyCaller, Caller, RegistryDep
from ixcenter.core.errors import NotFound, Problem, ValidationFailed
from ixcenter.core.kinds import Role
from ixcenter.portal.error_pages import is_page_request
from ixcenter.portal.i18n import N_
from ixcenter.portal.i18n import gettext as _
from ixcenter.portal.render import page
from ixcenter.portal.route_advice import Advice, advise, reason_words
from ixcenter.portal.words import duration_text
from ixcenter.registry.db import Registry
from ixcenter.registry.models import MemberAsn, Organisation
from ixcenter.routing.control.model import Session, SessionState
from ixcenter.routing.lg_communities import (
    community_text,
    large_meaning,
    large_text,
    standard_meaning,
)
from ixcenter.routing.lg_index import LgPath, parse_community, parse_query
from ixcenter.routing.lg_snapshot import Snapshot
from ixcenter.routing.policy.reasons import Reason

router = APIRouter(tags=["portal"])

PREFIX = "/looking-glass"
PAGE_SIZE = 100
MAX_ASN = 2**32 - 1

STATE_WORDS: dict[SessionState, str] = {
    SessionState.ESTABLISHED: N_("established"),
    SessionState.IDLE: N_("idle"),
    SessionState.CONNECT: N_("connecting"),
    SessionState.ACTIVE: N_("active (not connected)"),
    SessionState.OPEN_SENT: N_("OPEN sent"),
    SessionState.OPEN_CONFIRM: N_("OPEN confirmed"),
    SessionState.DOWN: N_("down"),
}
STATE_TONE: dict[SessionState, str] = {
    SessionState.ESTABLISHED: "ok",
    SessionState.CONNECT: "warn",
    SessionState.ACTIVE: "warn",
    SessionState.OPEN_SENT: "warn",
    SessionState.OPEN_CONFIRM: "warn",
    SessionState.IDLE: "bad",
    SessionState.DOWN: "bad",
}

# Each phrasing of ``lg_communities`` and how to say it; groups fill the placeholders.
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"graceful shutdown \(RFC 8326\)", N_("graceful shutdown (RFC 8326)")),
        (r"blackhole \(RFC 7999\)", N_("blackhole (RFC 7999)")),
        (r"NO_EXPORT \(RFC 1997\)", N_("NO_EXPORT: not beyond the receiving AS (RFC 1997)")),
        (r"NO_ADVERTISE \(RFC 1997\)", N_("NO_ADVERTISE: to no other router (RFC 1997)")),
        (
            r"NO_EXPORT_SUBCONFED \(RFC 1997\)",
            N_("NO_EXPORT_SUBCONFED: not beyond the member AS (RFC 1997)"),
        ),
        (r"NO_PEER \(RFC 3765\)", N_("NO_PEER: not to bilateral peers (RFC 3765)")),
        (r"well-known community (?P<n>\d+)", N_("well-known community %(n)s")),
        (r"do not announce to any peer", N_("do not announce to any peer")),
        (r"do not announce to AS(?P<asn>\d+)", N_("do not announce to AS%(asn)s")),
        (r"announce to AS(?P<asn>\d+)", N_("announce to AS%(asn)s")),
        (r"prepend (?P<n>\d+)x to AS(?P<asn>\d+)", N_("prepend %(n)s times towards AS%(asn)s")),
        (
            r"filtered: reason (?P<n>\d+) \(unknown to this version\)",
            N_("filtered: reason %(n)s (unknown to this version)"),
        ),
        (r"filtered: (?P<reason>.+)", N_("filtered: %(reason)s")),
        (r"RPKI valid", N_("RPKI valid")),
        (r"RPKI not found", N_("RPKI not found")),
        (r"RPKI not checked", N_("RPKI not checked")),
        (r"RPKI state (?P<n>\d+)", N_("RPKI state %(n)s")),
        (r"IRR state (?P<n>\d+)", N_("IRR state %(n)s")),
        (r"route server internal mark (?P<n>\d+)", N_("route server internal mark %(n)s")),
    )
)
_REASON_BY_WORDS = {reason.words: reason for reason in Reason}


def phrase_of(meaning: str) -> tuple[str, dict[str, str]] | None:
    """The message and values a meaning of ``lg_communities`` is said with; None: unknown."""
    for pattern, message in _PHRASES:
        found = pattern.fullmatch(meaning)
        if found is not None:
            return message, found.groupdict()
    return None


def meaning_text(meaning: str | None) -> str | None:
    """A community's meaning (``lg_communities``) in the current language."""
    if meaning is None:
        return None
    phrase = phrase_of(meaning)
    if phrase is None:
        return meaning
    message, values = phrase
    reason = _REASON_BY_WORDS.get(values.get("reason", ""))
    if reason is not None:
        values["reason"] = reason_words(reason)
    return _(message) % values if values else _(message)


def time_text(moment: dt.datetime | None) -> str:
    if moment is None:
        return _("never")
    return _("%(time)s UTC") % {"time": moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")}


@dataclass(frozen=True, slots=True)
class SessionRow:
    name: str
    peer_asn: int | None
    peer_name: str  # the member holding the ASN, else the session's description
    address: str
    state: str  # in words
    tone: str  # ok, warn, bad
    uptime: str
    accepted: int
    filtered: int | None  # None: not for this caller


@dataclass(frozen=True, slots=True)
class ServerBlock:
    name: str
    daemon: str
    rs_asn: int
    read_at: str
    error: str | None
    paths: int
    sessions: tuple[SessionRow, ...]


@dataclass(frozen=True, slots=True)
class CommunityRow:
    text: str
    meaning: str | None


@dataclass(frozen=True, slots=True)
class PathRow:
    """One path as a table row; ``advice`` holds the reasons and fixes of a filtered path."""

    server: str
    prefix: str
    session: str
    peer_asn: int | None
    as_path: str
    next_hop: str
    local_pref: int | None
    med: int | None
    origin: str
    best: bool
    accepted: bool
    communities: tuple[CommunityRow, ...]
    large_communities: tuple[CommunityRow, ...]
    advice: tuple[Advice, ...]


def path_row(path: LgPath, rs_asn: int) -> PathRow:
    route = path.route
    return PathRow(
        server=path.server,
        prefix=str(route.prefix),
        session=path.session,
        peer_asn=path.peer_asn,
        as_path=" ".join(str(asn) for asn in route.as_path),
        next_hop="" if route.next_hop is None else str(route.next_hop),
        local_pref=route.local_pref,
        med=route.med,
        origin=route.origin or "",
        best=route.best,
        accepted=path.accepted,
        communities=tuple(
            CommunityRow(community_text(c), meaning_text(standard_meaning(c, rs_asn)))
            for c in route.communities
        ),
        large_communities=tuple(
            CommunityRow(large_text(c), meaning_text(large_meaning(c, rs_asn)))
            for c in route.large_communities
        ),
        advice=tuple(advise(path)),
    )


def path_rows(snapshot: Snapshot, paths: Iterable[LgPath]) -> list[PathRow]:
    rs_asns = {name: state.rs_asn for name, state in snapshot.servers.items()}
    return [path_row(p, rs_asns.get(p.server, 0)) for p in paths]


def member_names(registry: Registry, asns: Iterable[int]) -> dict[int, str]:
    """The member holding each of ``asns`` (public, as on the member list)."""
    wanted = sorted(set(asns))
    if not wanted:
        return {}
    query = (
        select(MemberAsn.asn, Organisation.name)
        .join(Organisation, MemberAsn.organisation_id == Organisation.id)
        .where(MemberAsn.asn.in_(wanted))
    )
    with registry.read() as session:
        return {asn: name for asn, name in session.execute(query)}


def session_row(
    session: Session,
    counts: tuple[int, int],
    names: dict[int, str],
    view: View,
    now: dt.datetime,
) -> SessionRow:
    uptime = ""
    if session.established and session.since is not None:
        uptime = duration_text((now - session.since).total_seconds())
    peer_name = names.get(session.peer_asn, "") if session.peer_asn is not None else ""
    return SessionRow(
        name=session.name,
        peer_asn=session.peer_asn,
        peer_name=peer_name or session.description,
        address="" if session.address is None else str(session.address),
        state=_(STATE_WORDS[session.state]),
        tone=STATE_TONE[session.state],
        uptime=uptime,
        accepted=counts[0],
        filtered=counts[1] if view.sees_filtered_of(session.peer_asn) else None,
    )


def server_blocks(snapshot: Snapshot, view: View, names: dict[int, str]) -> list[ServerBlock]:
    now = dt.datetime.now(dt.UTC)
    return [
        ServerBlock(
            name=state.label,
            daemon=state.daemon,
            rs_asn=state.rs_asn,
            read_at=time_text(state.read_at),
            error=state.error,
            paths=state.paths,
            sessions=tuple(
                session_row(s, snapshot.index.counts(state.label, s.name), names, view, now)
                for s in state.sessions
            ),
        )
        for state in snapshot.servers.values()
    ]


@dataclass(frozen=True, slots=True)
class Paging:
    """Where a page of ``total`` items starts and the links to its neighbours."""

    offset: int
    shown: int
    total: int
    previous: str | None
    next: str | None


def paging(base: str, params: Mapping[str, str], offset: int, shown: int, total: int) -> Paging:
    def link(at: int) -> str:
        values = {**params, "offset": str(at)} if at else dict(params)
        return f"{base}?{urlencode(values)}" if values else base

    previous = link(max(0, offset - PAGE_SIZE)) if offset > 0 else None
    following = link(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None
    return Paging(offset, shown, total, previous, following)


def _private(caller: Caller) -> bool:
    """Pages for a signed-in caller may show its filtered paths: never kept by caches."""
    return caller.role is not Role.PUBLIC


def _reading(request: Request, caller: Caller) -> HTMLResponse:
    """The page before the route servers were read the first time."""
    response = page(
        request,
        caller,
        "lg_reading.html",
        title=_("Looking glass"),
        private=_private(caller),
        status_code=503,
        refresh=RETRY_AFTER_S,
    )
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


@router.get(PREFIX, response_class=HTMLResponse, summary="Looking glass page")
def looking_glass_page(caller: AnyCaller, registry: RegistryDep, request: Request) -> HTMLResponse:
    """Every route server with its sessions, and the forms to look up a prefix or search."""
    snapshot = current_snapshot(request)
    if snapshot is None:
        return _reading(request, caller)
    view = view_of(caller, registry)
    asns = (s.peer_asn for st in snapshot.servers.values() for s in st.sessions if s.peer_asn)
    names = member_names(registry, asns)
    return page(
        request,
        caller,
        "lg_index.html",
        title=_("Looking glass"),
        private=_private(caller),
        servers=server_blocks(snapshot, view, names),
        server_names=list(snapshot.servers),
        form=SearchForm(),
        query="",
        server="",
    )


@dataclass(frozen=True, slots=True)
class SearchForm:
    """What the search form shows again after a search."""

    asn: str = ""
    origin: str = ""
    community: str = ""


def _with_error(
    request: Request,
    caller: Caller,
    template: str,
    title: str,
    field: str,
    error: str,
    **context: Any,
) -> HTMLResponse:
    """The form again with ``error`` (status 422) for a browser; for any other client the
    problem+json every other refusal is (``ValidationFailed``)."""
    if not is_page_request(request):
        raise ValidationFailed([Problem(field, error, "syntax")])
    return page(
        request,
        caller,
        template,
        title=title,
        private=_private(caller),
        status_code=422,
        error=error,
        **context,
    )


@router.get(f"{PREFIX}/prefix", response_class=HTMLResponse, summary="Looking glass: a prefix")
def prefix_page(
    caller: AnyCaller,
    registry: RegistryDep,
    request: Request,
    q: Annotated[str, Query(max_length=100, description="an address or a prefix")] = "",
    server: Annotated[str, Query(max_length=100, description="only this route server")] = "",
) -> HTMLResponse:
    """The longest prefix holding an address or covering a prefix, and every path to it that
    the caller may see."""
    snapshot = current_snapshot(request)
    if snapshot is None:
        return _reading(request, caller)
    title = _("Prefix look-up")
    context: dict[str, Any] = {
        "query": q.strip(),
        "server": server,
        "server_names": list(snapshot.servers),
        "match": None,
        "rows": [],
    }
    if not q.strip():
        return page(request, caller, "lg_prefix.html", title=title, error=None, **context)
    try:
        target = parse_query(q)
    except ValidationFailed:
        message = _(
            "“%(query)s” is neither an address nor a prefix: write an address such as "
            "192.0.2.1 or 2001:db8::1, or a prefix such as 192.0.2.0/24 without host bits."
        ) % {"query": q.strip()}
        return _with_error(request, caller, "lg_prefix.html", title, "q", message, **context)
    if server and server not in snapshot.servers:
        message = _("There is no route server %(server)s.") % {"server": server}
        return _with_error(request, caller, "lg_prefix.html", title, "server", message, **context)
    view = view_of(caller, registry)

    def visible(path: LgPath) -> bool:
        return (not server or path.server == server) and view.sees(path)

    match = snapshot.index.longest_match(target, visible)
    context["match"] = None if match is None else str(match.prefix)
    context["rows"] = [] if match is None else path_rows(snapshot, match.paths)
    return page(
        request,
        caller,
        "lg_prefix.html",
        title=title,
        private=_private(caller),
        error=None,
        **context,
    )


def _asn(text: str) -> int:
    """An AS number as typed (``64500`` or ``AS64500``); ``ValidationFailed`` otherwise."""
    digits = text.strip()
    if digits[:2].upper() == "AS":
        digits = digits[2:]
    if not is_number(digits) or int(digits) > MAX_ASN:
        raise ValidationFailed([])
    return int(digits)


@router.get(f"{PREFIX}/search", response_class=HTMLResponse, summary="Looking glass: search")
def search_page(
    caller: AnyCaller,
    registry: RegistryDep,
    request: Request,
    asn: Annotated[str, Query(max_length=20, description="an AS in the AS_PATH")] = "",
    origin: Annotated[str, Query(max_length=20, description="the origin AS")] = "",
    community: Annotated[str, Query(max_length=40, description="a:b or a:b:c")] = "",
    offset: Offset = 0,
) -> HTMLResponse:
    """Paths by an AS in their AS_PATH, by origin AS, or by community, a page at a time."""
    snapshot = current_snapshot(request)
    if snapshot is None:
        return _reading(request, caller)
    title = _("Route search")
    form = SearchForm(asn.strip(), origin.strip(), community.strip())
    context: dict[str, Any] = {"form": form, "rows": [], "paging": None, "searched": False}
    given = {k: v for k, v in (("asn", form.asn), ("origin", form.origin)) if v}
    if form.community:
        given["community"] = form.community
    if not given:
        return page(request, caller, "lg_search.html", title=title, error=None, **context)
    if len(given) > 1:
        message = _("Search by one thing at a time: an AS, an origin AS or a community.")
        return _with_error(request, caller, "lg_search.html", title, "query", message, **context)
    try:
        if form.asn:
            found = snapshot.index.by_path_asn(_asn(form.asn))
        elif form.origin:
            found = snapshot.index.by_origin(_asn(form.origin))
        else:
            found = snapshot.index.by_community(parse_community(form.community))
    except (ValidationFailed, ValueError):  # ValueError: digits int() refuses, such as "²"
        field, value = next(iter(given.items()))
        message = _(
            "“%(query)s” is not what this search takes: an AS number such as 64500 or "
            "AS64500, or a community such as 65535:666 or 64500:1101:9."
        ) % {"query": value}
        return _with_error(request, caller, "lg_search.html", title, field, message, **context)
    view = view_of(caller, registry)
    paths = found if view.everything else [p for p in found if view.sees(p)]
    shown = paths[offset : offset + PAGE_SIZE]
    context.update(
        rows=path_rows(snapshot, shown),
        paging=paging(f"{PREFIX}/search", given, offset, len(shown), len(paths)),
        searched=True,
    )
    return page(
        request,
        caller,
        "lg_search.html",
        title=title,
        private=_private(caller),
        error=None,
        **context,
    )


def _member_label(names: dict[int, str], asns: Sequence[int]) -> str:
    numbers = ", ".join(f"AS{asn}" for asn in asns)
    holders = sorted({names[asn] for asn in asns if asn in names})
    return f"{' / '.join(holders)} ({numbers})" if holders else numbers


@router.get(
    f"{PREFIX}/{{server}}/{{member}}",
    response_class=HTMLResponse,
    summary="Looking glass: a member's routes",
)
def member_page(
    server: str,
    member: str,
    caller: AnyCaller,
    registry: RegistryDep,
    request: Request,
    state: Literal["accepted", "filtered"] = "accepted",
    offset: Offset = 0,
) -> HTMLResponse:
    """The paths a member sent to one route server: the accepted ones (public), or the filtered
    ones with the reasons and fixes (the member itself and the staff only)."""
    asns, owner = member_asns(registry, member, owner=True)
    if state == "filtered":
        check_filtered(caller, owner, f"filtered routes of {member} on {server}")
    snapshot = current_snapshot(request)
    if snapshot is None:
        return _reading(request, caller)
    if server not in snapshot.servers:
        raise NotFound(f"no route server {server!r}")
    everything = snapshot.index.member(server, asns)
    accepted = [p for p in everything if p.accepted]
    filtered = [p for p in everything if not p.accepted]
    may_filtered = sees_filtered(caller, owner)
    paths = accepted if state == "accepted" else filtered
    shown = paths[offset : offset + PAGE_SIZE]
    base = f"{PREFIX}/{quote(server, safe='')}/{quote(member, safe='')}"
    params = {"state": state} if state == "filtered" else {}
    names = member_names(registry, asns)
    return page(
        request,
        caller,
        "lg_member.html",
        title=_("Routes of %(member)s on %(server)s")
        % {"member": _member_label(names, sorted(asns)), "server": server},
        private=_private(caller),
        server=server,
        state=state,
        base=base,
        accepted_count=len(accepted),
        filtered_count=len(filtered) if may_filtered else None,
        read_at=time_text(snapshot.servers[server].read_at),
        rows=path_rows(snapshot, shown),
        paging=paging(base, params, offset, len(shown), len(paths)),
    )
