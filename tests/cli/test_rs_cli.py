"""``ixc rs``: build both route servers' configs from the registry and an RPSL dump."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ixcenter.registry.db import Registry
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois_server import serve_in_thread
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


AFTER = RPSL.replace("members:    AS131072, AS131073", "members:    AS131072").replace(
    "route6:     2001:db8:1000::/36", "route6:     2001:db8:1000::/40"
)


def test_irr_refresh_lists_what_changed_per_member(
    ixc: Invoke, registry: Registry, tmp_path: Path
) -> None:
    onboard(registry, "Example Net", 131072, "Ethernet1/1", as_set="AS-EXAMPLE")
    onboard(registry, "Gone Net", 131075, "Ethernet1/2", as_set="AS-GONE")
    before, after = tmp_path / "before.db", tmp_path / "after.db"
    before.write_text(RPSL)
    after.write_text(AFTER)
    data = ["--data-dir", str(tmp_path / "data")]
    first = ixc(*data, "rs", "irr", "refresh", "--irr", str(before), "--json")
    assert first.exit_code == 0, first.output
    rows = {row["asn"]: row for row in json.loads(first.stdout)}
    assert rows[131072]["asns_added"] == [131073]
    assert rows[131072]["ipv4"]["added_examples"] == ["203.0.113.0/24"]
    # a member whose AS-SET exists nowhere is listed with its error, and the exit code stays 0
    assert rows[131075]["errors"] == ["AS-GONE: AS-GONE exists in no source"]

    second = ixc(*data, "rs", "irr", "refresh", "--irr", str(after))
    assert second.exit_code == 0, second.output
    lines = [line.split() for line in second.stdout.splitlines() if "AS13107" in line]
    assert lines == [
        ["│", "AS131072", "│", "AS-EXAMPLE", "│", "+0", "-1", "│", "+0", "-1", "│", "+1", "-1",
         "│", "-203.0.113.0/24,", "+2001:db8:1000::/40,", "-2001:db8:1000::/36", "│", "-", "│"],
        ["│", "AS131075", "│", "AS-GONE", "│", "=", "│", "=", "│", "=", "│", "-", "│", "AS-GONE:",
         "AS-GONE", "exists", "in", "no", "source", "│"],
    ]  # fmt: skip
    assert second.stdout.splitlines()[-1] == "2 members refreshed, 1 changed, 1 with errors"


def test_irr_refresh_help_names_its_exit_codes(ixc: Invoke) -> None:
    result = ixc("rs", "irr", "refresh", "--help")
    assert result.exit_code == 0
    assert "Exit code 0 even when some members had errors" in result.stdout


def test_build_over_whois_keeps_its_caches_and_builds_the_same_again(
    ixc: Invoke, registry: Registry, data_dir: Path
) -> None:
    require("bird")
    require("bgpd")
    _members(registry)
    objects, problems = parse_rpsl(RPSL)
    assert not problems
    store = IrrStore()
    store.load(objects)
    data = ["--data-dir", str(data_dir)]
    configs = []
    with serve_in_thread(store) as server:
        for _ in range(2):
            whois = f"{server.host}:{server.port}"
            result = ixc(*data, "rs", "build", "--exchange", "BJ", "--whois", whois, "--json")
            assert result.exit_code == 0, result.output
            root = data_dir / "route-servers"
            configs.append(
                [(root / s / "candidate.conf").read_bytes() for s in ("BJ-rs1", "BJ-rs2")]
            )
    assert configs[0] == configs[1]
    assert b"203.0.113.0/24" in configs[0][0] and b"203.0.113.0/24" in configs[0][1]
    assert (data_dir / "irr-cache" / "irr-cache.bin").exists()
    assert (data_dir / "route-servers" / "render-cache.bin").exists()


def test_irr_refresh_with_the_whois_server_down_fails_and_keeps_the_cache(
    ixc: Invoke, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = ["--data-dir", str(tmp_path / "data")]
    result = ixc(*data, "rs", "irr", "refresh", "--whois", f"127.0.0.1:{port}")
    assert result.exit_code == 8
    assert result.stderr.startswith(f"error: whois 127.0.0.1:{port}: cannot connect")
    assert not (tmp_path / "data" / "irr-cache").exists()
