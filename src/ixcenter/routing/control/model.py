"""What the route-server daemons report, in one shape for both BIRD and OpenBGPD.

``Session`` is one BGP session of a route server (a BIRD ``protocol bgp``, an OpenBGPD
``neighbor``); ``Route`` one path it holds, from one peer. The looking glass, the portal and
``ixc rs status`` read these and never a daemon's own text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import ipaddress
import logging
import re
from collections.abc import Iterable

from ixcenter.core.errors import UpstreamError
from ixcenter.core.prefixes import Network

logger = logging.getLogger(__name__)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Community = tuple[int, int]
LargeCommunity = tuple[int, int, int]


class DaemonError(UpstreamError):
    """A route-server daemon refused a command, or answered something we cannot read."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SessionState(enum.StrEnum):
    """BGP finite-state-machine states (RFC 4271 8.2.2) plus ``down`` for a disabled session."""

    IDLE = "idle"
    CONNECT = "connect"
    ACTIVE = "active"
    OPEN_SENT = "opensent"
    OPEN_CONFIRM = "openconfirm"
    ESTABLISHED = "established"
    DOWN = "down"

    @classmethod
    def parse(cls, text: str) -> SessionState:
        """A state as either daemon writes it (``Established``, ``OpenSent``, ``Idle``...)."""
        key = text.strip().lower().replace(" ", "").replace("_", "")
        for state in cls:
            if state.value == key:
                return state
        return cls.DOWN if key in {"", "down", "disabled", "shutdown"} else cls.IDLE


class RouteSet(enum.StrEnum):
    """Which routes of a peer to list."""

    RECEIVED = "received"  # everything the peer sent (accepted and filtered)
    ACCEPTED = "accepted"  # passed the import policy
    FILTERED = "filtered"  # refused by the import policy, kept for the looking glass
    EXPORTED = "exported"  # what the route server sends to the peer


@dataclasses.dataclass(frozen=True, slots=True)
class Session:
    """One BGP session: ``name`` is BIRD's protocol name or OpenBGPD's description (or address).

    Route counts are None where the daemon does not tell (BIRD keeps no count of routes
    filtered unless ``import keep filtered`` is on; OpenBGPD counts only prefixes received).
    """

    name: str
    peer_asn: int | None
    address: Address | None
    state: SessionState
    since: dt.datetime | None = None
    info: str = ""
    description: str = ""
    routes_received: int | None = None
    routes_accepted: int | None = None
    routes_filtered: int | None = None
    routes_exported: int | None = None

    @property
    def established(self) -> bool:
        return self.state is SessionState.ESTABLISHED


@dataclasses.dataclass(frozen=True, slots=True)
class Route:
    """One path to ``prefix`` as the route server holds it.

    ``as_path`` lists the ASNs in order; members of an AS_SET are listed in place (the raw text
    stays in ``attributes``). ``best`` is the daemon's choice among the paths to the prefix.
    ``attributes`` keeps every attribute the daemon printed, as (name, text), for the
    looking glass.
    """

    prefix: Network
    from_peer: str
    as_path: tuple[int, ...] = ()
    next_hop: Address | None = None
    communities: tuple[Community, ...] = ()
    large_communities: tuple[LargeCommunity, ...] = ()
    best: bool = False
    filtered: bool = False
    local_pref: int | None = None
    med: int | None = None
    origin: str | None = None
    preference: int | None = None
    attributes: tuple[tuple[str, str], ...] = ()

    @property
    def origin_asn(self) -> int | None:
        return self.as_path[-1] if self.as_path else None


@dataclasses.dataclass(frozen=True, slots=True)
class DaemonStatus:
    """Whether a daemon answers, and what it says about itself."""

    daemon: str
    version: str
    running: bool
    message: str = ""
    router_id: str | None = None
    last_reconfiguration: dt.datetime | None = None


_NUMBERS = re.compile(r"\d+")


def parse_as_path(text: str) -> tuple[int, ...]:
    """ASNs of a path as either daemon prints it (``64500 {64501 64502}``, ``64500 { 1 2 }``)."""
    return tuple(int(number) for number in _NUMBERS.findall(text))


def parse_address(text: str) -> Address | None:
    """An address, or None for text that is not one (``-``, ``Never``...)."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def received_minus_accepted(received: Iterable[Route], accepted: Iterable[Route]) -> list[Route]:
    """Routes of ``received`` with no accepted twin (same prefix and peer), marked filtered."""
    taken = {(route.prefix, route.from_peer) for route in accepted}
    return [
        dataclasses.replace(route, filtered=True, best=False)
        for route in received
        if (route.prefix, route.from_peer) not in taken
    ]
