"""A real headless browser on a real server: the portal as users see it.

``served(app)`` runs the app with uvicorn on a free loopback port in a thread; ``chromium()``
starts Debian's Chromium through Debian's chromedriver with Selenium (no driver or browser is
downloaded: Selenium Manager is told to stay offline). ``screenshot(driver, name)`` saves a PNG
under ``artifacts/screenshots/`` (``IXC_TEST_ARTIFACTS`` to put them elsewhere), kept as the
run's test artifacts.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from tests.live import require

ROOT = Path(__file__).resolve().parents[2]


def artifacts() -> Path:
    path = Path(os.environ.get("IXC_TEST_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served on 127.0.0.1; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="portal-under-test", daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            thread.join(0.02)
        else:
            raise RuntimeError("the portal did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium(language: str = "en-US") -> Iterator[Any]:
    """A headless Chromium driven by Selenium, its UI language ``language``."""
    browser = require("chromium")
    driver_path = require("chromedriver")
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = browser
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,1000", f"--lang={language}"):  # fmt: skip
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, name: str) -> Path:
    """The page as it looks now, saved as ``<artifacts>/screenshots/<name>.png``."""
    path = artifacts() / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(1000, min(int(height), 4000)))
    driver.save_screenshot(str(path))
    return path
