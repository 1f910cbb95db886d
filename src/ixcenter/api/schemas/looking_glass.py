"""The looking glass's answers: route servers with their sessions, paths with decoded
communities and, where the caller may see them, filter reasons in words."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

from ixcenter.routing.control.model import Session
from ixcenter.routing.lg_communities import (
    community_text,
    large_meaning,
    large_text,
    standard_meaning,
)
from ixcenter.routing.lg_index import LgPath
from ixcenter.routing.policy.reasons import Reason

RouteState = Literal["accepted", "filtered"]


class CommunityOut(BaseModel):
    community: str  # 65535:666, 64500:1101:5
    meaning: str | None  # None: a member's own community, no meaning the exchange knows


class ReasonOut(BaseModel):
    code: int  # the x of RS:1101:x
    words: str

    @classmethod
    def of(cls, reason: Reason) -> ReasonOut:
        return cls(code=int(reason), words=reason.words)


class PathOut(BaseModel):
    """One path a route server holds, from one session."""

    server: str
    prefix: str
    session: str
    peer_asn: int | None
    as_path: list[int]
    origin_asn: int | None
    next_hop: str | None
    best: bool
    state: RouteState
    reasons: list[ReasonOut]  # why it was filtered; empty when accepted
    local_pref: int | None
    med: int | None
    origin: str | None
    communities: list[CommunityOut]
    large_communities: list[CommunityOut]
    attributes: list[tuple[str, str]]  # every attribute as the daemon printed it

    @classmethod
    def of(cls, path: LgPath, rs_asn: int) -> PathOut:
        route = path.route
        return cls(
            server=path.server,
            prefix=str(route.prefix),
            session=path.session,
            peer_asn=path.peer_asn,
            as_path=list(route.as_path),
            origin_asn=route.origin_asn,
            next_hop=None if route.next_hop is None else str(route.next_hop),
            best=route.best,
            state="accepted" if path.accepted else "filtered",
            reasons=[ReasonOut.of(r) for r in path.reasons],
            local_pref=route.local_pref,
            med=route.med,
            origin=route.origin,
            communities=[
                CommunityOut(community=community_text(c), meaning=standard_meaning(c, rs_asn))
                for c in route.communities
            ],
            large_communities=[
                CommunityOut(community=large_text(c), meaning=large_meaning(c, rs_asn))
                for c in route.large_communities
            ],
            attributes=list(route.attributes),
        )


class SessionOut(BaseModel):
    name: str
    peer_asn: int | None
    address: str | None
    description: str
    state: str
    since: dt.datetime | None
    uptime_s: int | None  # seconds established; None when not established
    info: str
    routes_accepted: int  # paths the snapshot holds from this session
    routes_filtered: int | None  # None: only the member itself and the staff see this

    @classmethod
    def of(
        cls, session: Session, counts: tuple[int, int], now: dt.datetime, *, filtered_visible: bool
    ) -> SessionOut:
        uptime = None
        if session.established and session.since is not None:
            uptime = max(0, int((now - session.since).total_seconds()))
        return cls(
            name=session.name,
            peer_asn=session.peer_asn,
            address=None if session.address is None else str(session.address),
            description=session.description,
            state=session.state.value,
            since=session.since,
            uptime_s=uptime,
            info=session.info,
            routes_accepted=counts[0],
            routes_filtered=counts[1] if filtered_visible else None,
        )


class ServerOut(BaseModel):
    name: str  # BJ-rs1
    daemon: str
    rs_asn: int
    read_at: dt.datetime | None  # when these sessions and paths were read from the daemon
    error: str | None  # why the last read failed (what is shown is then older)
    paths: int
    sessions: list[SessionOut]


class RoutesPage(BaseModel):
    """A member's paths on one route server, one page of them."""

    server: str
    asns: list[int]
    state: RouteState
    read_at: dt.datetime | None
    total: int
    paths: list[PathOut]


class PrefixMatchOut(BaseModel):
    query: str
    prefix: str  # the longest prefix held that equals or covers the query
    read_at: dt.datetime | None
    paths: list[PathOut]


class SearchOut(BaseModel):
    query: str
    read_at: dt.datetime | None
    total: int
    paths: list[PathOut]
