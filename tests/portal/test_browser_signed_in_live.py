"""Signed-in people in a real headless browser (Debian's Chromium via Selenium): a member finds
its own network, a filtered route with its reason and fix, and its traffic graph, and sees
nothing of another member's; an operator opens the peering matrix. Screenshots of each page are
saved as the run's artifacts (``tests/portal/browser.py``).

The exchange is ``tests.api.world`` with stand-in route servers (``tests.api.test_looking_glass``:
Alpha's 198.51.100.0/25 and Beta's 192.0.2.0/24 are filtered) and real flow rows in a store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from ixcenter.api.app import create_app
from ixcenter.api.routes.looking_glass import install
from ixcenter.config import Settings
from ixcenter.core.kinds import Role
from ixcenter.registry.db import Registry
from ixcenter.registry.models import Organisation
from ixcenter.registry.services import accounts
from ixcenter.telemetry.decode.batch import CounterBatch
from ixcenter.telemetry.enrich import EnrichingSink, RegistryWatch
from ixcenter.telemetry.store import FlowStoreWriter
from tests.api.test_looking_glass import readers
from tests.api.world import World
from tests.portal.browser import chromium, screenshot, served
from tests.telemetry.store.world import Flow, batch, member_ports, one_per_member

pytestmark = pytest.mark.live

PASSWORD = "correct horse battery"


@pytest.fixture
def exchange(registry: Registry, world: World, tmp_path: Path) -> FastAPI:
    """The world with accounts for Alpha and the operator, route servers and an hour of
    traffic between Alpha and Beta."""
    with registry.transaction("test") as s:
        accounts.create(
            s, "alpha", "Alpha", Role.MEMBER, world.alpha.org_id, PASSWORD, registry.clock
        )
        accounts.create(s, "noc", "NOC", Role.OPERATOR, None, PASSWORD, registry.clock)
    settings = Settings(data_dir=tmp_path)
    now = registry.clock.now()
    alpha, beta = one_per_member(member_ports(registry))[:2]
    writer = FlowStoreWriter(settings.flow_store_path, clock=registry.clock)
    sink = EnrichingSink(RegistryWatch(registry, registry.clock), writer, clock=registry.clock)
    start = now - dt.timedelta(hours=1)
    flows = [Flow(start + dt.timedelta(minutes=m), alpha, beta, 1_500, 1_000) for m in range(60)]
    flows += [Flow(start + dt.timedelta(minutes=m), beta, alpha, 1_000, 1_000) for m in range(60)]
    sink.write(batch(flows), CounterBatch.empty())
    sink.flush()
    writer.close()
    app = create_app(registry)
    app.state.settings = settings
    install(app, settings, readers=readers(), start=False).refresh()
    return app


def _follow(driver: Any, link: str) -> None:
    """Click the link named ``link`` and wait for the page it opens."""
    from selenium.webdriver.common.by import By

    _wait_for_page(driver, lambda: driver.find_element(By.LINK_TEXT, link).click())


def _wait_for_page(driver: Any, action: Callable[[], object]) -> None:
    """Do ``action`` and wait until the browser shows another page (a click does not wait
    for the navigation it starts)."""
    from selenium.webdriver.support.ui import WebDriverWait

    before = driver.find_element("tag name", "html")
    action()
    WebDriverWait(driver, 20).until(lambda d: d.find_element("tag name", "html") != before)
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )


def _sign_in(driver: Any, url: str, login: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(url + "/")
    _follow(driver, "Sign in")
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    _wait_for_page(
        driver, lambda: driver.find_element(By.CSS_SELECTOR, "form.signin button").click()
    )


def _names(registry: Registry, world: World) -> tuple[str, str]:
    with registry.read() as s:
        alpha = s.get(Organisation, world.alpha.org_id)
        beta = s.get(Organisation, world.beta.org_id)
        assert alpha is not None and beta is not None
        return alpha.name, beta.name


def test_a_member_finds_its_network_its_filtered_route_and_its_traffic(
    exchange: FastAPI, registry: Registry, world: World
) -> None:
    from selenium.webdriver.common.by import By

    alpha_name, beta_name = _names(registry, world)
    with served(exchange) as url, chromium() as driver:
        driver.get(url + f"/members/{world.alpha.org_id}")  # signed out: sent to sign in
        assert driver.current_url.startswith(url + "/signin?next=")
        _sign_in(driver, url, "alpha")
        _follow(driver, "My network")
        assert driver.current_url == url + f"/members/{world.alpha.org_id}"
        main = driver.find_element(By.TAG_NAME, "main").text
        assert alpha_name in main and world.alpha.ipv4 in main
        sessions = driver.find_element(By.ID, "sessions").text
        assert "BJ-rs1" in sessions and "BJ-rs2" in sessions
        filtered = driver.find_element(By.ID, "filtered").text
        assert "198.51.100.0/25" in filtered
        assert "prefix not covered by route objects of the member's AS-SET" in filtered
        assert "Create a route object for 198.51.100.0/25 with origin AS131072" in filtered
        assert "192.0.2.0/24" not in driver.page_source  # Beta's filtered route
        screenshot(driver, "member-page")

        _follow(driver, "Traffic graphs")
        chart = driver.find_element(By.CSS_SELECTOR, f"#port-{world.alpha.port_id} svg[role=img]")
        assert chart.size["width"] > 200
        assert chart.find_elements(By.TAG_NAME, "polyline")  # lines drawn from the flow rows
        screenshot(driver, "member-traffic")

        driver.get(url + f"/looking-glass/BJ-rs1/AS{world.alpha.asn}?state=filtered")
        assert "198.51.100.0/25" in driver.find_element(By.TAG_NAME, "main").text
        screenshot(driver, "looking-glass-filtered")

        driver.get(url + f"/members/{world.beta.org_id}")  # another member's page
        assert beta_name not in driver.find_element(By.TAG_NAME, "main").text
        assert driver.find_element(By.TAG_NAME, "h1").text == "Not found"
        driver.get(url + f"/looking-glass/BJ-rs1/AS{world.beta.asn}?state=filtered")
        assert "192.0.2.0/24" not in driver.page_source
        driver.get(url + "/ops/peering")
        assert driver.find_element(By.TAG_NAME, "h1").text == "Not allowed"


def test_an_operator_opens_the_peering_matrix_and_the_map(
    exchange: FastAPI, registry: Registry, world: World
) -> None:
    from selenium.webdriver.common.by import By

    alpha_name, beta_name = _names(registry, world)
    with served(exchange) as url, chromium() as driver:
        _sign_in(driver, url, "noc")
        _follow(driver, "Peering matrix")
        matrix = driver.find_element(By.ID, "peering-matrix").text
        assert alpha_name in matrix and beta_name in matrix
        screenshot(driver, "peering-matrix")
        _follow(driver, "Map")
        assert driver.find_elements(By.CSS_SELECTOR, "main svg")
        assert "BJ-SH-1" in driver.find_element(By.TAG_NAME, "main").text
        screenshot(driver, "exchange-map")
        for link, shot in (("Health", "health"), ("Audit log", "audit-log")):
            _follow(driver, link)
            assert driver.find_element(By.TAG_NAME, "h1").text
            screenshot(driver, shot)
        driver.get(url + "/looking-glass")
        assert "BJ-rs1" in driver.find_element(By.TAG_NAME, "main").text
        screenshot(driver, "looking-glass")
