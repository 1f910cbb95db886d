"""Public pages: the member list with public fields only, and the exchange's traffic graph."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from ixcenter.api.app import create_app
from ixcenter.config import Settings
from ixcenter.core.clock import FixedClock
from ixcenter.registry.db import Registry
from ixcenter.registry.models import Organisation
from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import FlowStoreWriter
from tests.api.world import World
from tests.telemetry.store.world import (
    START,
    Flow,
    batch,
    demo_registry,
    member_ports,
    one_per_member,
)

__all__ = ["demo_registry"]


def test_the_member_list_shows_public_fields_only(
    client: TestClient, registry: Registry, world: World
) -> None:
    page = client.get("/members")
    assert page.status_code == 200
    with registry.read() as session:
        orgs = {o.id: o for o in session.query(Organisation).all()}
    alpha, beta = orgs[world.alpha.org_id], orgs[world.beta.org_id]
    text = page.text
    for org, member in ((alpha, world.alpha), (beta, world.beta)):
        assert org.name in text
        assert f"AS{member.asn}" in text
        if org.licence_number:
            assert org.licence_number not in text  # licences are not public
    assert world.alpha.ipv4 not in text  # nor are addresses
    assert "BJ" in text


def test_the_traffic_page_without_a_store_says_so(registry: Registry, tmp_path: Path) -> None:
    client = TestClient(create_app(registry, Settings(data_dir=tmp_path)))
    page = client.get("/traffic")
    assert page.status_code == 200
    assert "No traffic has been recorded yet." in page.text
    assert client.get("/traffic?period=year").status_code == 422


def test_the_traffic_page_draws_the_whole_exchange(demo_registry: Registry, tmp_path: Path) -> None:
    a, b, c = one_per_member(member_ports(demo_registry))[:3]
    clock = FixedClock(START)
    settings = Settings(data_dir=tmp_path)
    writer = FlowStoreWriter(settings.flow_store_path, clock=clock)
    sink = EnrichingSink(RegistryWatch(demo_registry, clock), writer, clock=clock)
    hour_ago = START - dt.timedelta(hours=1)
    # 1,500 bytes x 1,000 (sampling) a minute from a, 750 x 1,000 from c: 200 kbit/s + 100 kbit/s
    flows = [Flow(hour_ago + dt.timedelta(minutes=m), a, b, 1_500, 1_000) for m in range(30)]
    flows += [Flow(hour_ago + dt.timedelta(minutes=m), c, a, 750, 1_000) for m in range(30)]
    sink.write(batch(flows), CounterBatch.empty())
    sink.flush()
    writer.close()
    client = TestClient(create_app(demo_registry, settings))
    day = client.get("/traffic")
    assert day.status_code == 200
    assert 'id="exchange-traffic"' in day.text
    # 5-minute buckets: 5 x (1.5 MB + 0.75 MB) x 8 / 300 s = 300 kbit/s at the peak
    assert "peak 300 kbit/s" in day.text
    assert client.get("/traffic?period=week").status_code == 200
