"""Live tests need real programs: without one a live test skips on a developer's machine and
fails in CI (``CI`` set), where scripts/setup must have installed it."""

from __future__ import annotations

import os
import shutil

import pytest


def require(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed (scripts/setup installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
