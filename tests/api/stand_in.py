"""A stand-in route server for looking-glass tests: fixed sessions and routes, read like a real
daemon's reader (``routing.lg_snapshot.ServerReader``)."""

from __future__ import annotations

from ixcenter.routing.control.model import Route, Session

RS = 64500


class StandIn:
    """A route server's sessions and routes, as a reader would return them."""

    def __init__(
        self,
        label: str,
        daemon: str,
        routes: list[Route],
        sessions: list[Session],
        rs_asn: int = RS,
    ) -> None:
        self.label, self.daemon, self.rs_asn = label, daemon, rs_asn
        self._routes, self._sessions = routes, sessions

    def sessions(self) -> list[Session]:
        return self._sessions

    def routes(self) -> list[Route]:
        return self._routes
