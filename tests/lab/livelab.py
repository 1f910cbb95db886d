"""Helpers for tests that build network namespaces: skip without root locally, fail in CI."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest

from ixcenter.lab import Lab
from tests.live import require

T = TypeVar("T")


def require_namespaces() -> None:
    """Network namespaces need root and iproute2; like ``require``, skip locally, fail in CI."""
    require("ip")
    if os.geteuid() != 0:
        message = "network namespaces need root"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def live_lab(run_dir: Path) -> Iterator[Lab]:
    """A lab torn down whatever happens in the test."""
    require_namespaces()
    lab = Lab(run_dir)
    try:
        yield lab
    finally:
        lab.down()


def wait_for(probe: Callable[[], T | None], *, timeout: float = 30.0, what: str = "") -> T:
    """Poll ``probe`` until it returns something truthy; fail the test after ``timeout``.

    A generous bound for daemons to converge, not a timing assertion.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what or probe}")
        time.sleep(0.1)
