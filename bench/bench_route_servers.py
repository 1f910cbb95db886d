"""Route servers: ixcenter against arouteserver (PyPI) on one synthetic exchange, same run.

Steps (progress on stderr):

1. generate the exchange (``rs_input``): RPSL dump, VRPs, arouteserver's and ixcenter's inputs;
2. in a private network namespace with only loopback (plus a veth pair holding the route
   server's LAN addresses), start ixcenter's whois server over the RPSL dump (bgpq4's IRR)
   and stayrtr serving the VRPs (both daemons' RPKI, over RTR);
3. arouteserver builds the IPv4+IPv6 BIRD config twice, with an empty cache (cold) and again
   (warm): wall, CPU and peak RSS of arouteserver with its bgpq4 children, and the whois
   server's CPU spent answering them;
4. ``build_ixcenter``: the same for ixcenter (``rs_ixcenter``: IRR over the same whois server
   with ixcenter's caches, cold then warm, warm with rs2 (OpenBGPD) too, and once straight
   from the dump);
5. BIRD on each config: ``bird -p`` CPU, then a start until every session is configured and
   the ROA tables hold every VRP, ``show memory`` and peak RSS; both configs log the same way
   (one file, no debug; see ``arouteserver_env.logging_include``);
6. a table with the ratios (arouteserver / ixcenter) on stdout and everything as JSON.

Run as root (namespaces) from the repository root::

    .venv/bin/python -m bench.bench_route_servers --members 1000

Options: ``--members N``, ``--seed S``, ``--skip-arouteserver``, ``--out DIR`` (work files,
logs and ``results.json``; default ``bench/.cache/route-servers``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import ipaddress
import json
import logging
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.rs_lab import RTR_PORT, WHOIS_PORT, Daemon, Namespace

from bench import arouteserver_env, rs_input, rs_lab

logger = logging.getLogger("bench.route_servers")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bench" / ".cache" / "route-servers"
WHOIS = f"127.0.0.1:{WHOIS_PORT}"


def _config_size(path: Path) -> dict[str, int]:
    data = path.read_bytes()
    return {"bytes": len(data), "lines": data.count(b"\n")}


# Runs the build as a child of a small process and reports the child's wall, CPU and peak RSS.
# Measured from this (large) process directly, a child's peak RSS could not go below this
# process's own: Linux keeps the RSS high-water mark of the memory a process had before exec.
MEASURE_CHILD = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[1], sys.argv[1:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
cpu = usage.ru_utime + usage.ru_stime
line = json.dumps({"wall": wall, "cpu": cpu, "peak_rss_kb": usage.ru_maxrss})
sys.stderr.write("\\nMEASURED " + line + "\\n")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _build(ns: Namespace, command: list[str], whois: Daemon, log: Path) -> dict[str, Any]:
    """One measured build; the whois server's CPU while it ran is counted apart."""
    before = whois.cpu()
    with log.open("wb") as output:
        usage = rs_lab.measure(
            ns.wrap([sys.executable, "-c", MEASURE_CHILD, *command]), output=output
        )
    if usage.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{command[0]} failed ({usage.returncode}), {log}:\n{tail}")
    found = dataclasses.asdict(usage)
    measured = [
        x for x in log.read_text(errors="replace").splitlines() if x.startswith("MEASURED ")
    ]
    found.update(json.loads(measured[-1].removeprefix("MEASURED ")))
    return {**found, "irr_server_cpu": whois.cpu() - before}


def run_arouteserver(
    ns: Namespace, files: rs_input.Files, work: Path, whois: Daemon, venv: Path
) -> dict[str, Any]:
    program = arouteserver_env.ensure_venv(venv)
    home = work / "arouteserver"
    shutil.rmtree(home, ignore_errors=True)
    cache = home / "cache"
    cache.mkdir(parents=True)
    config = arouteserver_env.setup(
        venv,
        home / "etc",
        files.general,
        files.clients,
        whois=WHOIS,
        sources=rs_input.SOURCE,
        cache_dir=cache,
    )
    output = home / "bird.conf"
    (home / arouteserver_env.RPKI_RTR_INCLUDE).write_text(
        arouteserver_env.rtr_include(port=RTR_PORT)
    )
    (home / arouteserver_env.LOGGING_INCLUDE).write_text(
        arouteserver_env.logging_include(home / "bird-daemon.log")
    )
    command = arouteserver_env.bird_command(program, config, output)
    result: dict[str, Any] = {
        "version": arouteserver_env.version(program),
        "command": " ".join(command),
    }
    for label in ("cold", "warm"):
        logger.info("arouteserver: building the BIRD config (%s cache)", label)
        result[f"build_{label}"] = _build(ns, command, whois, home / f"build-{label}.log")
    result["config"] = {"path": str(output), **_config_size(output)}
    return result


def build_ixcenter(
    ns: Namespace, files: rs_input.Files, work: Path, whois: Daemon
) -> dict[str, Any]:
    """HOOK: ixcenter's build (``bench.rs_ixcenter``: compile.py + render/bird.py).

    Cold and warm: IRR from the same whois server as arouteserver, through ixcenter's caches
    (IRR answers and rendered prefix sets: empty, then filled by the cold run); "both_first"
    and "warm_both": rs1 (BIRD) and rs2 (OpenBGPD) in one process, as ``ixc rs build`` does,
    the first rendering rs2's prefix sets, the second reusing them (not compared: arouteserver
    builds BIRD only); "dump": IRR read from the RPSL file by
    ``IrrStore``, no cache.
    """
    home = work / "ixcenter"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    output = home / "bird.conf"
    base = [sys.executable, "-m", "bench.rs_ixcenter", "--inputs", str(files.ixcenter),
            "--out", str(output)]  # fmt: skip
    both = [*base, "--whois", WHOIS, "--cache", str(home / "irr-cache"),
            "--openbgpd", str(home / "bgpd.conf")]  # fmt: skip
    runs = {
        "cold": [*base, "--whois", WHOIS, "--cache", str(home / "irr-cache")],
        "warm": [*base, "--whois", WHOIS, "--cache", str(home / "irr-cache")],
        # rs2's prefix sets are rendered (and kept) by the first of these, reused by the second
        "both_first": both,
        "warm_both": both,
        "dump": [*base, "--dump", str(files.rpsl)],
    }
    result: dict[str, Any] = {"command": " ".join(runs["warm"])}
    for label, command in runs.items():
        logger.info("ixcenter: building the BIRD config (%s)", label)
        log = home / f"build-{label}.log"
        found = _build(ns, command, whois, log)
        lines = [x for x in log.read_text().splitlines() if x.startswith("{")]
        found["phases"] = json.loads(lines[-1]) if lines else {}
        result[f"build_{label}"] = found
    result["config"] = {"path": str(output), **_config_size(output)}
    result["config_rs2"] = {"path": str(home / "bgpd.conf"), **_config_size(home / "bgpd.conf")}
    return result


def run_bird(ns: Namespace, config: Path, roas: dict[int, int]) -> dict[str, Any]:
    """``bird -p`` and a measured start of BIRD on ``config`` (its work files beside it)."""
    workdir = config.parent / "bird-run"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    logger.info("BIRD: parsing %s", config)
    with (workdir / "parse.log").open("wb") as output:
        parse = rs_lab.bird_parse(config, output)
    result: dict[str, Any] = {"parse": dataclasses.asdict(parse)}
    if parse.returncode != 0:
        result["error"] = (workdir / "parse.log").read_text(errors="replace")[-2000:]
        return result
    logger.info("BIRD: starting on %s", config)
    result["start"] = dataclasses.asdict(rs_lab.bird_start(ns, config, workdir, roas))
    return result


def _lan_addresses(exchange: rs_input.Exchange) -> list[Any]:
    lan = exchange.lan
    found: list[Any] = []
    for network in (lan.ipv4_prefix, lan.ipv6_prefix):
        if network is None:
            continue
        address = lan.reserved_for(frozenset({"rs1"}), network.version)
        found.append(ipaddress.ip_interface(f"{address}/{network.prefixlen}"))
    return found


def run(
    members: int,
    seed: int,
    out: Path,
    *,
    arouteserver: bool = True,
    ixcenter: bool = True,
    venv: Path = arouteserver_env.VENV,
) -> dict[str, Any]:
    """The whole benchmark (the module docstring's steps); results also in ``out/results.json``."""
    out.mkdir(parents=True, exist_ok=True)
    logger.info("generating %d members (seed %d)", members, seed)
    mark = time.perf_counter()
    exchange = rs_input.generate(members, seed)
    files = rs_input.write_all(exchange, out / "input")
    roas = {v: sum(1 for x in exchange.vrps if x[0] == v) for v in (4, 6)}
    results: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "load": os.getloadavg()[0], "bird": rs_lab.bird_version()},
        "members": members,
        "seed": seed,
        "input": {**exchange.counts(), "seconds": time.perf_counter() - mark},
    }  # fmt: skip
    sides: list[tuple[str, Callable[..., dict[str, Any]], tuple[Any, ...]]] = []
    if arouteserver:
        sides.append(("arouteserver", run_arouteserver, (venv,)))
    if ixcenter:
        sides.append(("ixcenter", build_ixcenter, ()))
    with Namespace() as ns:
        ns.add_lan(*_lan_addresses(exchange))
        whois = rs_lab.start_whois(ns, files.rpsl, out / "whois.log")
        stayrtr = rs_lab.start_stayrtr(ns, files.vrps, out / "stayrtr.log")
        try:
            for name, side, extra in sides:
                try:
                    found = side(ns, files, out, whois, *extra)
                    found["bird"] = run_bird(ns, Path(found["config"]["path"]), roas)
                except (RuntimeError, TimeoutError, NotImplementedError, OSError) as exc:
                    logger.error("%s: %s", name, exc)
                    found = {"error": str(exc)}
                results[name] = found
        finally:
            stayrtr.stop()
            whois.stop()
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    return results


def _get(data: dict[str, Any], path: str) -> float | None:
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, int | float) else None


ROWS = (  # label, path, scale, format
    ("build, cold cache: wall s", "build_cold.wall", 1, "{:.2f}"),
    ("build, cold cache: CPU s", "build_cold.cpu", 1, "{:.2f}"),
    ("build, cold cache: IRR server CPU s", "build_cold.irr_server_cpu", 1, "{:.2f}"),
    ("build, warm cache: wall s", "build_warm.wall", 1, "{:.2f}"),
    ("build, warm cache: CPU s", "build_warm.cpu", 1, "{:.2f}"),
    ("build, warm cache: IRR server CPU s", "build_warm.irr_server_cpu", 1, "{:.2f}"),
    ("build, warm cache: peak RSS MB", "build_warm.peak_rss_kb", 1 / 1024, "{:.0f}"),
    ("build, warm, rs1 + rs2 (ixcenter): wall s", "build_warm_both.wall", 1, "{:.2f}"),
    (
        "build, warm, rs1 + rs2 (ixcenter): peak RSS MB",
        "build_warm_both.peak_rss_kb",
        1 / 1024,
        "{:.0f}",
    ),
    ("build from the RPSL dump: wall s", "build_dump.wall", 1, "{:.2f}"),
    ("config MB", "config.bytes", 1 / 1e6, "{:.2f}"),
    ("config lines", "config.lines", 1, "{:.0f}"),
    ("bird -p: CPU s", "bird.parse.cpu", 1, "{:.2f}"),
    ("BIRD start: sessions configured s", "bird.start.protocols_seconds", 1, "{:.2f}"),
    ("BIRD start: ROAs loaded s", "bird.start.roas_seconds", 1, "{:.2f}"),
    ("BIRD start: CPU s", "bird.start.cpu", 1, "{:.2f}"),
    ("BIRD show memory: total MB", "bird.start.memory_total_kb", 1 / 1024, "{:.1f}"),
    ("BIRD peak RSS MB", "bird.start.peak_rss_kb", 1 / 1024, "{:.1f}"),
)


def table(results: dict[str, Any]) -> str:
    """Markdown table: one row per measure, ratio = arouteserver / ixcenter."""
    peer, ours = results.get("arouteserver", {}), results.get("ixcenter", {})
    lines = ["| measure | arouteserver | ixcenter | ratio |", "|---|---:|---:|---:|"]
    for label, path, scale, form in ROWS:
        a, b = _get(peer, path), _get(ours, path)
        if a is None and b is None:
            continue
        cells = [form.format(v * scale) if v is not None else "-" for v in (a, b)]
        shown = [float(c) if c != "-" else 0.0 for c in cells]
        ratio = f"{a / b:.1f}x" if a is not None and b is not None and all(shown) else "-"
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {ratio} |")
    for name, side in (("arouteserver", peer), ("ixcenter", ours)):
        if "error" in side:
            lines.append(f"\n{name} failed: {side['error'].splitlines()[0]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-arouteserver", action="store_true")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--venv", type=Path, default=arouteserver_env.VENV, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    results = run(
        args.members, args.seed, args.out, arouteserver=not args.skip_arouteserver, venv=args.venv
    )
    counts = results["input"]
    print(  # the bench's output layer
        f"{args.members} members, {counts['sessions']} sessions, {counts['route']} route + "
        f"{counts['route6']} route6 objects, {counts['vrps']} VRPs (seed {args.seed})\n"
    )
    print(table(results))
    print(f"\nresults: {args.out / 'results.json'}")


if __name__ == "__main__":
    main()
