"""``bird -p`` and ``bgpd -n`` as config checks: accepted, or refused with line and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from ixcenter.core.errors import ConfigurationError, UpstreamError
from ixcenter.routing.render.check import (
    ConfigRejected,
    check_bgpd,
    check_bgpd_file,
    check_bird,
    check_bird_file,
)
from tests.live import require

BIRD_OK = "router id 192.0.2.1;\nprotocol device {}\n"
BIRD_BAD = "router id 192.0.2.1;\nprotocol device {\n    no such option;\n}\n"
BGPD_OK = "AS 65000\nrouter-id 192.0.2.1\n"
BGPD_BAD = (
    "AS 65000\nrouter-id 192.0.2.1\nneighbor 192.0.2.2 {\n    remote-as 65001\n    bogus\n}\n"
)


def test_bird_accepts_a_good_config(tmp_path: Path) -> None:
    require("bird")
    check_bird(BIRD_OK)
    path = tmp_path / "bird.conf"
    path.write_text(BIRD_OK)
    check_bird_file(path)


def test_bird_refusal_names_line_column_and_source() -> None:
    require("bird")
    with pytest.raises(ConfigRejected) as error:
        check_bird(BIRD_BAD)
    rejected = error.value
    assert isinstance(rejected, ConfigurationError)
    assert rejected.daemon == "bird"
    assert (rejected.line, rejected.column) == (3, 5)
    assert rejected.source == "    no such option;"
    assert "syntax error" in rejected.output
    assert "line 3, column 5" in rejected.message and "no such option" in rejected.message


def test_bgpd_accepts_a_good_config(tmp_path: Path) -> None:
    require("bgpd")
    check_bgpd(BGPD_OK)
    path = tmp_path / "bgpd.conf"
    path.write_text(BGPD_OK)
    check_bgpd_file(path)


def test_bgpd_refusal_names_line_and_source() -> None:
    require("bgpd")
    with pytest.raises(ConfigRejected) as error:
        check_bgpd(BGPD_BAD)
    rejected = error.value
    assert rejected.daemon == "bgpd"
    assert rejected.line == 5 and rejected.column is None
    assert rejected.source == "    bogus"
    assert "syntax error" in rejected.output and "line 5" in rejected.message


def test_a_missing_file_is_refused_without_a_line(tmp_path: Path) -> None:
    require("bird")
    with pytest.raises(ConfigRejected) as error:
        check_bird_file(tmp_path / "nowhere.conf")
    assert error.value.line is None and "nowhere.conf" in error.value.output


def test_a_missing_program_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError):
        check_bird(BIRD_OK, program="ixc-no-such-bird")
    with pytest.raises(UpstreamError):
        check_bgpd(BGPD_OK, program="ixc-no-such-bgpd")
