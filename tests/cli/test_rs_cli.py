"""``ixc rs``: build both route servers' configs from the registry and an RPSL dump."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixcenter.registry.db import Registry
from tests.cli.conftest import Invoke
from tests.live import require
from tests.registry.services.builders import onboard

RPSL = """\
as-set:     AS-EXAMPLE
members:    AS131072, AS131073
source:     TEST

route:      203.0.113.0/24
origin:     AS131073
source:     TEST

route6:     2001:db8:1000::/36
origin:     AS131072
source:     TEST
"""


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data dir with a short path: bgpd's control socket path must fit in 107 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="ixc-"))
    try:
        yield directory / "data"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _members(registry: Registry) -> None:
    onboard(registry, "Example Net", 131072, "Ethernet1/1", as_set="AS-EXAMPLE")
    onboard(registry, "Other Net", 131074, "Ethernet1/2", bgp_password="s3cret")


def test_build_writes_both_checked_configs(
    ixc: Invoke, registry: Registry, tmp_path: Path, data_dir: Path
) -> None:
    require("bird")
    require("bgpd")
    _members(registry)
    dump = tmp_path / "test.db"
    dump.write_text(RPSL)
    data = ["--data-dir", str(data_dir)]
    result = ixc(*data, "rs", "build", "--exchange", "BJ", "--irr", str(dump), "--json")
    assert result.exit_code == 0, result.output
    rows = {row["server"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {"BJ-rs1", "BJ-rs2"}
    assert {(r["daemon"], r["clients"], r["sessions"]) for r in rows.values()} == {
        ("bird", 2, 4),
        ("openbgpd", 2, 4),
    }
    for server in ("BJ-rs1", "BJ-rs2"):
        directory = data_dir / "route-servers" / server
        config = (directory / "candidate.conf").read_text()
        assert "203.0.113.0/24" in config  # from the AS-SET's second member
        assert "s3cret" in config
        assert (directory / "candidate.conf").stat().st_mode & 0o077 == 0  # it holds passwords
        summary = json.loads((directory / "candidate.json").read_text())
        assert summary["rs_asn"] == 65000
        assert summary["sessions"] == [
            "AS131072_1_v4",
            "AS131072_1_v6",
            "AS131074_1_v4",
            "AS131074_1_v6",
        ]
    status = ixc(*data, "rs", "status", "--exchange", "BJ", "--json")
    assert status.exit_code == 0, status.output
    assert [(s["server"], s["running"]) for s in json.loads(status.stdout)] == [
        ("BJ-rs1", False),
        ("BJ-rs2", False),
    ]


def test_a_center_without_route_server_addresses_stops_the_whole_build(
    ixc: Invoke, registry: Registry, tmp_path: Path, data_dir: Path
) -> None:
    _members(registry)
    dump = tmp_path / "test.db"
    dump.write_text(RPSL)
    result = ixc("--data-dir", str(data_dir), "rs", "build", "--irr", str(dump))
    assert result.exit_code == 3
    assert "rs1" in result.stderr
    assert not (data_dir / "route-servers").exists()  # nothing written for BJ either


def test_build_without_irr_data_is_a_configuration_error(ixc: Invoke, tmp_path: Path) -> None:
    result = ixc("--data-dir", str(tmp_path / "data"), "rs", "build")
    assert result.exit_code == 7
    assert result.stderr == "error: no IRR data: give --irr FILE or --whois HOST:PORT\n"
