"""The exchange map of the operator views: centers as boxes, long-distance links as lines.

``exchange_map`` gathers the centers (with the nodes they have in other cities), the links
(capacity, latency, cross-border) and what the links carried over the last hour, and lays them
out in a fixed box, so the template only prints an SVG and a table of the same numbers.

Layout: where every center has at least one node with coordinates, a center sits at the mean of
its nodes' coordinates (longitude scaled by the cosine of the mean latitude, an equirectangular
map), fitted into the box; otherwise the centers sit on a circle in the order of their codes, so
the same exchange is always drawn the same way. Far ends that are not centers of this exchange
(a foreign exchange at the end of a cross-border link) have no coordinates: they stand in a
column at the right edge.

Traffic: the flow store knows which center a sample's members are at, not which link it took, so
the bytes between two centers (each direction) are shared among the links joining them in
proportion to their capacity; with one link (the usual case) that is exactly its traffic. A
line's width and colour say its utilisation: its busier direction over its capacity.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.config import Settings
from ixcenter.core.errors import IxcError
from ixcenter.portal.overview import capacity_text
from ixcenter.registry.models import ExchangeCenter, LongDistanceLink, Node
from ixcenter.telemetry.analytics.window import Window

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 760, 440
BOX_W, BOX_H, LINE_H = 150, 38, 14  # a center's box; one more line per node elsewhere
MARGIN = 12
REMOTE_COLUMN = BOX_W + 2 * MARGIN  # room at the right for far ends outside the exchange
WINDOW = "1h"
LABEL_CHARS = 18

# Utilisation bands: (below this share of capacity, colour); above the last: the last colour.
BANDS: tuple[tuple[float, str], ...] = ((0.5, "#16a34a"), (0.8, "#d97706"), (math.inf, "#dc2626"))
NO_DATA = "#9ca3af"


@dataclass(frozen=True, slots=True)
class Place:
    """A center or far end: what its box says and where the box's middle is."""

    key: str  # a center's code, or "remote:<name>" for a far end outside the exchange
    title: str  # the code, or the far end's name
    subtitle: str  # the city, or the far end's country
    others: tuple[str, ...]  # nodes in other cities: "SZ1 Suzhou"
    remote: bool
    x: float
    y: float

    @property
    def height(self) -> int:
        return BOX_H + LINE_H * len(self.others)

    @property
    def label(self) -> str:
        """The title cut to what fits in a box (the whole of it is the box's tooltip)."""
        return self.title if len(self.title) <= LABEL_CHARS else self.title[: LABEL_CHARS - 1] + "…"

    @property
    def left(self) -> float:
        return self.x - BOX_W / 2

    @property
    def top(self) -> float:
        return self.y - self.height / 2


@dataclass(frozen=True, slots=True)
class MapLink:
    """One long-distance link with what it carried (``None``: no flow data)."""

    name: str
    a: str  # the key of the place at each end
    b: str
    a_label: str
    b_label: str
    capacity_mbps: int
    latency_ms: float
    cross_border: bool
    a_to_b_bps: float | None
    b_to_a_bps: float | None
    x1: float = 0.0
    y1: float = 0.0
    x2: float = 0.0
    y2: float = 0.0

    @property
    def capacity(self) -> str:
        return capacity_text(self.capacity_mbps)

    @property
    def utilisation(self) -> float | None:
        """The busier direction's share of the capacity (``None``: no flow data)."""
        if self.a_to_b_bps is None or self.b_to_a_bps is None:
            return None
        return max(self.a_to_b_bps, self.b_to_a_bps) / (self.capacity_mbps * 1e6)

    @property
    def colour(self) -> str:
        share = self.utilisation
        if share is None:
            return NO_DATA
        return next(colour for limit, colour in BANDS if share < limit)

    @property
    def width(self) -> float:
        """Stroke width: 2 px idle, 12 px full."""
        share = self.utilisation or 0.0
        return round(2 + 10 * min(share, 1.0), 1)

    @property
    def mid_x(self) -> float:
        return (self.x1 + self.x2) / 2

    @property
    def mid_y(self) -> float:
        return (self.y1 + self.y2) / 2


@dataclass(frozen=True, slots=True)
class ExchangeMap:
    places: tuple[Place, ...]
    links: tuple[MapLink, ...]
    window: Window
    traffic: bool  # False: no flow store, the links' traffic is unknown
    geographic: bool  # laid out by coordinates (else on a circle)
    width: int = WIDTH
    height: int = HEIGHT
    box_w: int = BOX_W


def percent_text(share: float | None) -> str:
    """``0.123`` -> ``12.3%``; tiny but not zero -> ``<0.01%``; ``None`` -> ``–``."""
    if share is None:
        return "–"
    if 0 < share < 0.0001:
        return "<0.01%"
    return f"{share * 100:.2f}%" if share < 0.1 else f"{share * 100:.1f}%"


@dataclass(frozen=True, slots=True)
class _Center:
    id: int
    code: str
    city: str
    others: tuple[str, ...]
    coordinates: tuple[float, float] | None  # (longitude, latitude), the mean of its nodes'


def _centers(session: Session) -> list[_Center]:
    nodes: dict[int, list[Node]] = defaultdict(list)
    for node in session.scalars(select(Node).order_by(Node.code)):
        nodes[node.exchange_id].append(node)
    found = []
    for center in session.scalars(select(ExchangeCenter).order_by(ExchangeCenter.code)):
        own = nodes[center.id]
        located = [
            (n.longitude, n.latitude)
            for n in own
            if n.longitude is not None and n.latitude is not None
        ]
        where = None
        if located:
            where = (
                sum(lon for lon, _ in located) / len(located),
                sum(lat for _, lat in located) / len(located),
            )
        others = tuple(f"{n.code} {n.city}" for n in own if n.city != center.city)
        found.append(_Center(center.id, center.code, center.city, others, where))
    return found


def _fit(points: Mapping[str, tuple[float, float]], right: float) -> dict[str, tuple[float, float]]:
    """Longitude/latitude points scaled into the box ``[0, right] x [0, HEIGHT]``, boxes inside."""
    mean_lat = sum(lat for _, lat in points.values()) / len(points)
    scale_x = math.cos(math.radians(mean_lat))
    xs = {k: lon * scale_x for k, (lon, _) in points.items()}
    ys = {k: -lat for k, (_, lat) in points.items()}
    span_x, span_y = max(xs.values()) - min(xs.values()), max(ys.values()) - min(ys.values())
    room_x, room_y = right - BOX_W - 2 * MARGIN, HEIGHT - 2 * BOX_H - 2 * MARGIN
    scale = min(room_x / span_x if span_x else math.inf, room_y / span_y if span_y else math.inf)
    if scale == math.inf:  # one place, or all at one point
        scale = 0.0
    mid_x, mid_y = (
        (max(xs.values()) + min(xs.values())) / 2,
        (max(ys.values()) + min(ys.values())) / 2,
    )
    return {
        k: (right / 2 + (xs[k] - mid_x) * scale, HEIGHT / 2 + (ys[k] - mid_y) * scale)
        for k in points
    }


def _circle(keys: Sequence[str]) -> dict[str, tuple[float, float]]:
    """``keys`` on a circle, the first at the top, clockwise."""
    radius_x, radius_y = WIDTH / 2 - BOX_W / 2 - MARGIN, HEIGHT / 2 - BOX_H - MARGIN
    if len(keys) == 1:
        return {keys[0]: (WIDTH / 2, HEIGHT / 2)}
    out = {}
    for n, key in enumerate(keys):
        angle = 2 * math.pi * n / len(keys) - math.pi / 2
        out[key] = (WIDTH / 2 + radius_x * math.cos(angle), HEIGHT / 2 + radius_y * math.sin(angle))
    return out


def _remote_key(link: LongDistanceLink) -> str:
    return f"remote:{link.remote_name or link.name}"


def layout(
    centers: Sequence[_Center], remotes: Mapping[str, tuple[str, str]]
) -> tuple[tuple[Place, ...], bool]:
    """Every center and far end placed; and whether the layout is geographic."""
    geographic = bool(centers) and all(c.coordinates is not None for c in centers)
    if geographic:
        right = WIDTH - (REMOTE_COLUMN if remotes else 0)
        spots = _fit({c.code: c.coordinates for c in centers if c.coordinates}, right)
        gap = HEIGHT / (len(remotes) + 1)
        for n, key in enumerate(sorted(remotes), start=1):
            spots[key] = (WIDTH - REMOTE_COLUMN / 2, gap * n)
    else:
        spots = _circle([c.code for c in centers] + sorted(remotes))
    places = [Place(c.code, c.code, c.city, c.others, False, *spots[c.code]) for c in centers] + [
        Place(k, *remotes[k], (), True, *spots[k]) for k in sorted(remotes)
    ]
    return tuple(places), geographic


def _edge(place: Place, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from ``place``'s middle toward a point leaves its box."""
    dx, dy = toward[0] - place.x, toward[1] - place.y
    if dx == 0 and dy == 0:
        return place.x, place.y
    limit = min(
        (BOX_W / 2) / abs(dx) if dx else math.inf, (place.height / 2) / abs(dy) if dy else math.inf
    )
    limit = min(limit, 1.0)
    return place.x + dx * limit, place.y + dy * limit


def center_bytes(settings: Settings, window: Window) -> dict[tuple[int, int], int] | None:
    """Bytes from members at one center to members at another in ``window``; None: no store."""
    from ixcenter.telemetry.analytics.traffic import center_traffic
    from ixcenter.telemetry.store import open_reader

    if not (settings.flow_store_path / "manifest.json").exists():
        return None
    try:
        with open_reader(settings) as reader:
            return {(t.src_center, t.dst_center): t.bytes for t in center_traffic(reader, window)}
    except IxcError as exc:
        logger.info("exchange map: no traffic: %s", exc)
        return None


def exchange_map(session: Session, settings: Settings | None, now: dt.datetime) -> ExchangeMap:
    """The map of the exchange in ``session`` with the last hour's traffic of ``settings``."""
    window = Window.last(WINDOW, now)
    centers = _centers(session)
    links = session.scalars(select(LongDistanceLink).order_by(LongDistanceLink.name)).all()
    remotes = {
        _remote_key(link): (link.remote_name or link.name, link.remote_country or "")
        for link in links
        if link.b_exchange_id is None
    }
    places, geographic = layout(centers, remotes)
    at = {p.key: p for p in places}
    code = {c.id: c.code for c in centers}
    carried = center_bytes(settings, window) if settings is not None else None
    joined: dict[frozenset[int], int] = defaultdict(int)  # capacity between two centers
    for link in links:
        if link.b_exchange_id is not None:
            joined[frozenset((link.a_exchange_id, link.b_exchange_id))] += link.capacity_mbps
    seconds = window.length
    drawn = []
    for link in links:
        a = code[link.a_exchange_id]
        b = code[link.b_exchange_id] if link.b_exchange_id is not None else _remote_key(link)
        forward = backward = None
        if carried is not None and link.b_exchange_id is not None:
            share = link.capacity_mbps / joined[frozenset((link.a_exchange_id, link.b_exchange_id))]
            forward = carried.get((link.a_exchange_id, link.b_exchange_id), 0) * 8 / seconds
            backward = carried.get((link.b_exchange_id, link.a_exchange_id), 0) * 8 / seconds
            forward, backward = forward * share, backward * share
        x1, y1 = _edge(at[a], (at[b].x, at[b].y))
        x2, y2 = _edge(at[b], (at[a].x, at[a].y))
        drawn.append(
            MapLink(
                link.name,
                a,
                b,
                a,
                at[b].title if link.b_exchange_id is None else b,
                link.capacity_mbps,
                link.latency_ms,
                link.cross_border,
                forward,
                backward,
                round(x1, 1),
                round(y1, 1),
                round(x2, 1),
                round(y2, 1),
            )
        )
    return ExchangeMap(places, tuple(drawn), window, carried is not None, geographic)
