"""The overview page: centers, nodes, LANs with member counts, links; nothing from outside."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ixcenter.portal.overview import capacity_text, overview
from ixcenter.registry.db import Registry
from tests.api.world import World


def test_overview_counts(registry: Registry, world: World) -> None:
    with registry.read() as s:
        data = overview(s)
    assert [c.code for c in data.centers] == ["BJ", "SH"]
    bj, sh = data.centers
    assert (bj.members, sh.members) == (2, 0)
    assert [(lan.vlan, lan.members) for lan in bj.lans] == [(100, 2)]
    assert [(n.code, n.switches) for n in bj.nodes] == [("BJ1", 1)]
    assert [(lan.vlan, lan.members) for lan in sh.lans] == [(200, 0)]
    (link,) = data.links
    assert (link.a_end, link.b_end, link.capacity, link.cross_border) == (
        "BJ",
        "SH",
        "400 Gbit/s",
        False,
    )
    assert data.members == 2


def test_overview_page(client: TestClient, world: World) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    for expected in ("Beijing IXC", "BJ1", "BJ peering", "198.51.100.0/24", "BJ-SH-1", "11.5 ms"):
        assert expected in text
    assert "2 exchange centers · 2 members · 1 long-distance link<" in text  # plural forms
    assert "http://" not in text and "https://" not in text
    for source in re.findall(r'(?:src|href)="([^"]+)"', text):
        if source.endswith(".css"):
            assert client.get(source).status_code == 200


def test_empty_registry_page(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "No exchange centers yet." in page.text


@pytest.mark.parametrize(
    ("mbps", "text"),
    [(800, "800 Mbit/s"), (2500, "2.5 Gbit/s"), (100_000, "100 Gbit/s"), (1_600_000, "1.6 Tbit/s")],
)
def test_capacity_text(mbps: int, text: str) -> None:
    assert capacity_text(mbps) == text
