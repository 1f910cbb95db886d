"""The overview page's live part without daemons or flows: empty, and the chart's geometry."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from ixcenter.api.app import create_app
from ixcenter.config import Settings
from ixcenter.portal.live import HEIGHT, WIDTH, LiveCache, live, polyline
from ixcenter.registry.db import Registry


def test_polyline_spans_the_box() -> None:
    points = [tuple(map(float, p.split(","))) for p in polyline([0.0, 5.0, 10.0]).split()]
    assert [x for x, _ in points] == [0.0, WIDTH / 2, float(WIDTH)]
    ys = [y for _, y in points]
    assert ys[0] > ys[1] > ys[2]  # larger values higher up
    assert min(ys) >= 0 and max(ys) <= HEIGHT
    assert polyline([]) == ""
    assert polyline([0.0, 0.0])  # all zero: a flat line, no division by zero


def test_nothing_deployed_nothing_shown(registry: Registry, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    found = live(registry, settings)
    assert found.empty and not found.filtered
    cache = LiveCache(registry, settings)
    assert cache.get() is cache.get()  # kept between page loads
    page = TestClient(create_app(registry, settings)).get("/")
    assert page.status_code == 200
    assert 'id="live"' not in page.text and "http-equiv" not in page.text
