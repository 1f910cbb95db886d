"""The exchange map: layout by coordinates or on a circle, far ends, link colours and widths,
traffic shared among parallel links by capacity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ixcenter.config import Settings
from ixcenter.portal.exchange_map import (
    BOX_W,
    HEIGHT,
    NO_DATA,
    REMOTE_COLUMN,
    WIDTH,
    MapLink,
    exchange_map,
    percent_text,
)
from ixcenter.registry.db import Registry
from ixcenter.registry.services import topology
from tests.api.world import World
from tests.conftest import NOW
from tests.portal.test_operator_pages import by_asn, every_minute, gamma, write_flows
from tests.telemetry.store.world import START, demo_registry

__all__ = ["demo_registry", "gamma"]


def test_the_demo_exchange_is_drawn_by_its_coordinates(demo_registry: Registry) -> None:
    with demo_registry.read() as session:
        drawn = exchange_map(session, None, START)
    assert drawn.geographic and not drawn.traffic
    at = {p.key: p for p in drawn.places}
    assert {"BJIX", "SHIX", "GDIX"} <= at.keys()
    bj, sh, gd = at["BJIX"], at["SHIX"], at["GDIX"]
    assert bj.y < sh.y < gd.y  # north at the top
    assert sh.x > bj.x and sh.x > gd.x  # Shanghai lies east of both
    assert "BJ-TJ Tianjin" in bj.others and all("Beijing" not in o for o in bj.others)
    [remote] = [p for p in drawn.places if p.remote]
    assert remote.title == "Straits Internet Exchange (Singapore)"
    assert remote.label == "Straits Internet …"  # 18 characters
    assert remote.x == WIDTH - REMOTE_COLUMN / 2
    for place in drawn.places:  # every box inside the drawing
        assert place.left >= 0 and place.left + BOX_W <= WIDTH
        assert place.top >= 0 and place.top + place.height <= HEIGHT
    links = {link.name: link for link in drawn.links}
    assert sorted(links) == ["BJIX-GDIX-1", "BJIX-SHIX-1", "GDIX-SG-1", "SHIX-GDIX-1"]
    foreign = links["GDIX-SG-1"]
    assert foreign.cross_border and foreign.b == remote.key and foreign.b_label == remote.title
    assert all(link.colour == NO_DATA and link.utilisation is None for link in links.values())
    # a line starts on the edge of its box, not in its middle
    bj_sh = links["BJIX-SHIX-1"]
    assert (bj_sh.x1, bj_sh.y1) != (bj.x, bj.y)
    assert bj.left <= bj_sh.x1 <= bj.left + BOX_W and bj.top <= bj_sh.y1 <= bj.top + bj.height


def test_without_coordinates_the_centers_stand_on_a_circle(
    registry: Registry, world: World
) -> None:
    with registry.read() as session:
        first = exchange_map(session, None, NOW)
        again = exchange_map(session, None, NOW)
    assert not first.geographic
    assert first == again  # the same exchange is always drawn the same way
    at = {p.key: p for p in first.places}
    assert at["BJ"].x == pytest.approx(WIDTH / 2) and at["BJ"].y < at["SH"].y  # BJ at the top


def test_parallel_links_share_the_traffic_by_capacity(
    registry: Registry, world: World, gamma: int, tmp_path: Path
) -> None:
    with registry.transaction("test") as s:  # 100 Gbit/s beside BJ-SH-1's 400
        topology.add_link(s, topology.NewLink("BJ-SH-2", "BJ", 100_000, 12.0, b_exchange="SH"))
    at = by_asn(registry)
    settings = Settings(data_dir=tmp_path)
    # 30 x 3,000 bytes x 1,000 = 90 MB in the hour: 200 kbit/s from BJ to SH
    write_flows(
        registry,
        settings,
        every_minute(NOW - dt.timedelta(minutes=50), at[131072], at[131074], 3_000),
    )
    with registry.read() as session:
        drawn = exchange_map(session, settings, NOW)
    assert drawn.traffic
    links = {link.name: link for link in drawn.links}
    assert links["BJ-SH-1"].a_to_b_bps == pytest.approx(160_000)  # 4/5 of it
    assert links["BJ-SH-2"].a_to_b_bps == pytest.approx(40_000)
    assert links["BJ-SH-1"].b_to_a_bps == 0.0
    assert links["BJ-SH-2"].utilisation == pytest.approx(40_000 / 100e9)


def _link(bps: float | None, capacity_mbps: int = 1_000) -> MapLink:
    return MapLink(
        "L", "A", "B", "A", "B", capacity_mbps, 1.0, False, bps, 0.0 if bps is not None else None
    )


@pytest.mark.parametrize(
    ("bps", "colour", "width"),
    [
        (None, NO_DATA, 2.0),
        (0.0, "#16a34a", 2.0),
        (400e6, "#16a34a", 6.0),
        (500e6, "#d97706", 7.0),
        (850e6, "#dc2626", 10.5),
        (2e9, "#dc2626", 12.0),  # over capacity: as wide as full
    ],
)
def test_a_link_is_drawn_by_its_utilisation(bps: float | None, colour: str, width: float) -> None:
    link = _link(bps)
    assert (link.colour, link.width) == (colour, width)


@pytest.mark.parametrize(
    ("share", "text"),
    [(None, "–"), (0.0, "0.00%"), (2.5e-7, "<0.01%"), (0.0123, "1.23%"), (0.5, "50.0%")],
)
def test_percent_text(share: float | None, text: str) -> None:
    assert percent_text(share) == text
