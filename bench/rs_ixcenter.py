"""ixcenter's side of the route-server benchmark, run as its own process so it is measured like
arouteserver: read the plain compiler inputs, resolve IRR data, compile rs1, render BIRD.

IRR data comes either from the same local whois server arouteserver's bgpq4 queries (``--whois
HOST:PORT``, with ixcenter's ``IrrCache`` in ``--cache``: empty for a cold run, filled for a
warm one) or straight from the RPSL dump (``--dump``, ixcenter's own ``IrrStore``). With
``--cache``, the prefix sets rendered by the last run are kept there too (``TextCache``), as
``ixc rs build`` keeps them beside the candidates. ``--openbgpd FILE`` also compiles and
renders rs2 (not part of the comparison: arouteserver builds BIRD only). The phases' wall times
go to stdout as one JSON object.

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

from ixcenter.core.clock import SystemClock
from ixcenter.routing.irr.cache import IrrCache
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois import WhoisClient
from ixcenter.routing.policy.compile import compile_route_server
from ixcenter.routing.policy.sources import IrrSource, WhoisSource
from ixcenter.routing.render.bird import bird_chunks
from ixcenter.routing.render.texts import FILE_NAME as TEXTS_FILE
from ixcenter.routing.render.texts import TextCache, write_text

RTR_PORT = 8323  # bench.rs_lab.RTR_PORT (not imported: it would load the whois server)


def build(
    inputs: Path,
    output: Path,
    *,
    whois: str | None = None,
    cache: Path | None = None,
    dump: Path | None = None,
    openbgpd: Path | None = None,
    rtr_port: int = RTR_PORT,
) -> dict[str, float]:
    """Build rs1's BIRD config into ``output`` (and rs2's into ``openbgpd``); seconds per phase."""
    phases: dict[str, float] = {}
    start = time.perf_counter()
    data = read_ixcenter_inputs(inputs)
    irr_cache: IrrCache | None = None
    client: WhoisClient | None = None
    texts = TextCache()
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
            texts = TextCache.read(cache / TEXTS_FILE)
        source = WhoisSource(client, irr_cache)
    else:
        raise ValueError("give --whois or --dump")
    phases["irr_setup"] = time.perf_counter() - start
    mark = time.perf_counter()
    settings = ixcenter_settings()
    rs = compile_route_server(
        data.lan, data.routers, source, name="rs1", settings=settings, rtr_port=rtr_port
    )
    phases["compile"] = time.perf_counter() - mark
    mark = time.perf_counter()
    log = output.parent / "bird-daemon.log"
    with output.open("w", encoding="utf-8") as handle:
        write_text(handle, bird_chunks(rs, log_file=str(log), texts=texts))
    phases["render"] = time.perf_counter() - mark
    if openbgpd is not None:
        from ixcenter.routing.render.openbgpd import bgpd_chunks

        mark = time.perf_counter()
        rs2 = compile_route_server(
            data.lan, data.routers, source, name="rs2", settings=settings, rtr_port=rtr_port
        )
        phases["compile_rs2"] = time.perf_counter() - mark
        mark = time.perf_counter()
        socket = str(openbgpd.parent / "bgpd.sock")
        with openbgpd.open("w", encoding="utf-8") as handle:
            write_text(handle, bgpd_chunks(rs2, socket_path=socket, texts=texts))
        phases["render_rs2"] = time.perf_counter() - mark
    mark = time.perf_counter()
    if irr_cache is not None and cache is not None:
        irr_cache.save()
        texts.write(cache / TEXTS_FILE)
    if client is not None:
        client.close()
    phases["save"] = time.perf_counter() - mark
    phases["total"] = time.perf_counter() - start
    return phases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rs_ixcenter")
    parser.add_argument("--inputs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--whois", help="HOST:PORT of an IRRd-protocol whois server")
    parser.add_argument("--cache", type=Path, help="IrrCache directory (with --whois)")
    parser.add_argument("--dump", type=Path, help="an RPSL dump instead of a whois server")
    parser.add_argument("--openbgpd", type=Path, help="also write rs2's bgpd.conf here")
    parser.add_argument("--rtr-port", type=int, default=RTR_PORT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    phases = build(
        args.inputs,
        args.out,
        whois=args.whois,
        cache=args.cache,
        dump=args.dump,
        openbgpd=args.openbgpd,
        rtr_port=args.rtr_port,
    )
    sys.stdout.write(json.dumps(phases) + "\n")


if __name__ == "__main__":
    main()
