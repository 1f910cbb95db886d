"""What a route server holds for a member, and why it filtered what it filtered.

Both route servers tag every violation with ``RS:1101:<reason>`` on import and keep the tagged
routes; here the tags become ``Reason`` values again, so the CLI, the API and the portal can
say in words why a route was filtered. The route server's ASN (the ``RS`` of the tags) comes
from the summary ``ixc rs build`` wrote beside the config.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.errors import ConfigurationError, NotFound
from ixcenter.routing.control.bird import BirdClient
from ixcenter.routing.control.daemons import DaemonKind
from ixcenter.routing.control.daemons import RouteServer as ServerProcess
from ixcenter.routing.control.model import Route, RouteSet, Session
from ixcenter.routing.control.openbgpd import BgpctlClient
from ixcenter.routing.policy.reasons import FILTERED, Reason
from ixcenter.routing.render.openbgpd import INTERNAL, WELL_KNOWN


@dataclass(frozen=True, slots=True)
class ExplainedRoute:
    route: Route
    reasons: tuple[Reason, ...]  # empty: accepted

    @property
    def accepted(self) -> bool:
        return not self.reasons


def reasons_of(route: Route, rs_asn: int) -> tuple[Reason, ...]:
    """The filter reasons tagged on ``route`` by a route server of AS ``rs_asn``, in code order."""
    found = set()
    for admin, kind, value in route.large_communities:
        if admin == rs_asn and kind == FILTERED:
            try:
                found.add(Reason(value))
            except ValueError:
                continue  # a code this version does not know: the route is still filtered
    return tuple(sorted(found))


def restored(route: Route, rs_asn: int) -> Route:
    """``route`` with rs2's internal marks undone: ``RS:1999:<n>`` back to the RFC 1997
    well-known community ``65535:<n>`` it stands for, other internal marks dropped."""
    internal = [c for c in route.large_communities if c[0] == rs_asn and c[1] == INTERNAL]
    if not internal:
        return route
    well_known = [(65535, c[2]) for c in internal if c[2] in WELL_KNOWN]
    return dataclasses.replace(
        route,
        communities=tuple(sorted({*route.communities, *well_known})),
        large_communities=tuple(c for c in route.large_communities if c not in internal),
    )


class LookingGlass:
    """Sessions and routes of one route server, read from its daemon's control socket."""

    def __init__(self, server: ServerProcess, rs_asn: int) -> None:
        self.server = server
        self.rs_asn = rs_asn
        self._client: BirdClient | BgpctlClient = (
            BirdClient(server.socket)
            if server.kind is DaemonKind.BIRD
            else BgpctlClient(server.socket)
        )

    @classmethod
    def for_server(cls, root: Path, label: str) -> LookingGlass:
        """The route server ``label`` (e.g. ``BJ-rs1``) as ``ixc rs build`` laid it out."""
        directory = root / label
        summary = directory / "candidate.json"
        if not summary.is_file():
            raise NotFound(f"no route server {label!r} under {root}")
        data = json.loads(summary.read_text(encoding="utf-8"))
        try:
            kind = DaemonKind(data["daemon"])
            rs_asn = int(data["rs_asn"])
        except (KeyError, ValueError) as exc:
            raise ConfigurationError(f"{summary} is not a build summary: {exc}") from None
        return cls(ServerProcess(label, kind, directory), rs_asn)

    def sessions(self) -> list[Session]:
        return self._client.sessions()

    def routes(self, session: str, which: RouteSet = RouteSet.RECEIVED) -> list[ExplainedRoute]:
        """Routes of ``session`` with the reasons each was filtered (none: accepted).

        Both route servers keep what they filter, tagged: rs1 in its table with the lowest
        preference (BIRD counts those as imported), rs2 in a RIB of its own. Received is
        accepted plus filtered, as the route server holds them (rs2's Adj-RIB-In would show
        routes before the route server's own tags were removed or added).
        """
        if which is RouteSet.RECEIVED:
            return self.routes(session, RouteSet.ACCEPTED) + self.routes(session, RouteSet.FILTERED)
        in_table = which is RouteSet.FILTERED and self.server.kind is DaemonKind.BIRD
        routes = self._client.routes(session, RouteSet.ACCEPTED if in_table else which)
        routes = [restored(r, self.rs_asn) for r in routes]
        explained = [ExplainedRoute(r, reasons_of(r, self.rs_asn)) for r in routes]
        if which is RouteSet.FILTERED:
            return [
                ExplainedRoute(dataclasses.replace(e.route, filtered=True, best=False), e.reasons)
                for e in explained
                if e.reasons or e.route.filtered
            ]
        if which is RouteSet.ACCEPTED:
            return [e for e in explained if not e.reasons]
        return explained
