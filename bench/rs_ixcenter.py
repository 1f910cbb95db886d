"""ixcenter's side of the route-server benchmark, run as its own process so it is measured like
arouteserver: read the plain compiler inputs, resolve IRR data, compile rs1, render BIRD.

IRR data comes either from the same local whois server arouteserver's bgpq4 queries (``--whois
HOST:PORT``, with ixcenter's ``IrrCache`` in ``--cache``: empty for a cold run, filled for a
warm one) or straight from the RPSL dump (``--dump``, ixcenter's own ``IrrStore``). The phases'
wall times go to stdout as one JSON object.

    .venv/bin/python -m bench.rs_ixcenter --inputs IN.json --dump irr.db --out bird.conf
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from bench.rs_input import ixcenter_settings, read_ixcenter_inputs
from bench.rs_lab import RTR_PORT

from ixcenter.core.clock import SystemClock
from ixcenter.routing.irr.cache import IrrCache
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois import WhoisClient
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.sources import IrrSource, WhoisSource
from ixcenter.routing.render.bird import render_bird


def build(
    inputs: Path,
    output: Path,
    *,
    whois: str | None = None,
    cache: Path | None = None,
    dump: Path | None = None,
) -> dict[str, float]:
    """Build rs1's BIRD config into ``output``; returns seconds per phase."""
    phases: dict[str, float] = {}
    start = time.perf_counter()
    data = read_ixcenter_inputs(inputs)
    irr_cache: IrrCache | None = None
    client: WhoisClient | None = None
    source: IrrSource
    if dump is not None:
        store = IrrStore()
        store.load_dump(dump)
        source = store
    elif whois is not None:
        host, _, port = whois.rpartition(":")
        client = WhoisClient(host, int(port), timeout=120.0)
        client.connect()
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
            irr_cache = IrrCache(cache, SystemClock())
        source = WhoisSource(client, irr_cache)
    else:
        raise ValueError("give --whois or --dump")
    phases["irr_setup"] = time.perf_counter() - start
    mark = time.perf_counter()
    rs = compile_route_server(
        data.lan, data.routers, source, name="rs1", settings=ixcenter_settings(), rtr_port=RTR_PORT
    )
    if irr_cache is not None:
        irr_cache.save()
    if client is not None:
        client.close()
    phases["compile"] = time.perf_counter() - mark
    mark = time.perf_counter()
    log = output.parent / "bird-daemon.log"
    output.write_text(render_bird(rs, log_file=str(log)), encoding="utf-8")
    phases["render"] = time.perf_counter() - mark
    phases["total"] = time.perf_counter() - start
    return phases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rs_ixcenter")
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--whois", help="HOST:PORT of an IRRd-protocol whois server")
    parser.add_argument("--cache", type=Path, help="IrrCache directory (with --whois)")
    parser.add_argument("--dump", type=Path, help="an RPSL dump instead of a whois server")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    phases = build(args.inputs, args.out, whois=args.whois, cache=args.cache, dump=args.dump)
    sys.stdout.write(json.dumps(phases) + "\n")


if __name__ == "__main__":
    main()
