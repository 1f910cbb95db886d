"""The portal in a real headless browser (Debian's Chromium, driven by Selenium), with
screenshots of the main pages saved as the run's artifacts (``tests/portal/browser.py``)."""

from __future__ import annotations

import json

import pytest

from ixcenter.api.app import create_app
from ixcenter.registry.db import Registry
from tests.api.world import World
from tests.portal.browser import chromium, screenshot, served

pytestmark = pytest.mark.live


def test_the_public_overview_and_the_ixf_export(registry: Registry, world: World) -> None:
    from selenium.webdriver.common.by import By

    with served(create_app(registry)) as url, chromium() as driver:
        driver.get(url + "/")
        assert "Exchange overview" in driver.title
        main = driver.find_element(By.TAG_NAME, "main").text
        for expected in ("Beijing IXC", "BJ1", "198.51.100.0/24", "BJ-SH-1", "11.5 ms"):
            assert expected in main
        shot = screenshot(driver, "overview")
        assert shot.stat().st_size > 10_000  # a drawn page, not a blank one
        driver.find_element(By.PARTIAL_LINK_TEXT, "IX-F").click()
        export = json.loads(driver.find_element(By.TAG_NAME, "body").text)
        asns = {m["asnum"] for m in export["member_list"]}
        assert {world.alpha.asn, world.beta.asn} <= asns


def test_the_public_pages_in_chinese(registry: Registry, world: World) -> None:
    from selenium.webdriver.common.by import By

    with served(create_app(registry)) as url, chromium("zh-CN") as driver:
        driver.get(url + "/")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
        assert "交换中心" in driver.find_element(By.TAG_NAME, "main").text
        screenshot(driver, "overview-zh")
        driver.find_element(By.LINK_TEXT, "会员").click()
        rows = driver.find_elements(By.CSS_SELECTOR, "#members tbody tr")
        assert len(rows) == 2
        assert f"AS{world.alpha.asn}" in driver.find_element(By.ID, "members").text
        screenshot(driver, "members-zh")
        driver.find_element(By.LINK_TEXT, "English").click()  # the switcher: back to English
        assert driver.find_element(By.TAG_NAME, "h1").text == "Members"
        driver.find_element(By.LINK_TEXT, "Traffic").click()
        assert "No traffic has been recorded yet." in driver.page_source
