"""The route-server benchmark runs end to end on a small exchange: real whois server, stayrtr,
BIRD, and (when its venv exists) arouteserver. No timing is asserted; numbers live in
bench/RESULTS.md."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import arouteserver_env, bench_route_servers, rs_lab
from tests.live import require

MEMBERS = 20


def _require_lab() -> None:
    for program in ("ip", "bird", "birdc", "stayrtr"):
        require(program)


def _check_bird(side: dict[str, object], results: dict[str, object]) -> None:
    counts = results["input"]
    assert isinstance(counts, dict)
    bird = side["bird"]
    assert isinstance(bird, dict)
    assert bird["parse"]["returncode"] == 0
    start = bird["start"]
    assert start["protocols"] == counts["sessions"]
    assert start["roas"] == counts["vrps"]
    assert start["memory_total_kb"] > 0
    assert side["config"]["bytes"] > 0  # type: ignore[index]


def test_table_divides_the_peer_by_ixcenter() -> None:
    results = {
        "arouteserver": {"build_warm": {"wall": 10.0}, "config": {"bytes": 3_000_000}},
        "ixcenter": {"build_warm": {"wall": 0.5}, "config": {"bytes": 1_500_000}},
    }
    assert bench_route_servers.table(results).splitlines() == [
        "| measure | arouteserver | ixcenter | ratio |",
        "|---|---:|---:|---:|",
        "| build, warm cache: wall s | 10.00 | 0.50 | 20.0x |",
        "| config MB | 3.00 | 1.50 | 2.0x |",
    ]


def test_table_names_a_side_that_failed() -> None:
    results = {"arouteserver": {"error": "bgpq4 failed\nmore"}, "ixcenter": {}}
    assert bench_route_servers.table(results).splitlines()[-1] == (
        "arouteserver failed: bgpq4 failed"
    )


def test_memory_total_reads_birds_units() -> None:
    answer = "BIRD memory usage\nRouting tables:   1.5 MB\nTotal:            2.5 MB\n"
    assert rs_lab.memory_total_kb(answer) == 2560
    with pytest.raises(ValueError, match="no Total"):
        rs_lab.memory_total_kb("0000\n")


@pytest.mark.live
def test_ixcenter_side_end_to_end(tmp_path: Path) -> None:
    _require_lab()
    results = bench_route_servers.run(MEMBERS, 2, tmp_path, arouteserver=False)
    assert "arouteserver" not in results
    side = results["ixcenter"]
    assert "error" not in side, side.get("error")
    for run in ("cold", "warm", "warm_both", "dump"):
        assert side[f"build_{run}"]["returncode"] == 0
    assert side["build_warm_both"]["phases"]["render_rs2"] > 0
    assert 'prefix-set "AS' in Path(side["config_rs2"]["path"]).read_text()
    _check_bird(side, results)
    assert json.loads((tmp_path / "results.json").read_text()) == results


@pytest.mark.live
def test_arouteserver_side_end_to_end(tmp_path: Path) -> None:
    _require_lab()
    require("bgpq4")
    arouteserver_env.ensure_venv()  # the peer tool, from PyPI, in a venv of its own
    results = bench_route_servers.run(MEMBERS, 2, tmp_path, ixcenter=False)
    side = results["arouteserver"]
    assert "error" not in side, side.get("error")
    assert side["build_cold"]["irr_server_cpu"] > 0  # bgpq4 asked our whois server
    text = Path(side["config"]["path"]).read_text()
    assert text.count("protocol bgp") >= results["input"]["sessions"]
    _check_bird(side, results)


def test_measure_child_reports_the_childs_own_peak_and_exit_code() -> None:
    run = [sys.executable, "-c", bench_route_servers.MEASURE_CHILD]
    grow = "x = bytearray(60_000_000); x[::4096] = bytes(len(x[::4096]))"
    big = subprocess.run([*run, sys.executable, "-c", grow], capture_output=True, text=True)
    small = subprocess.run([*run, "true"], capture_output=True, text=True)
    sizes = [json.loads(r.stderr.split("MEASURED ")[1])["peak_rss_kb"] for r in (big, small)]
    assert sizes[0] > 60_000 > 30_000 > sizes[1]
    assert subprocess.run([*run, "false"], capture_output=True).returncode == 1
