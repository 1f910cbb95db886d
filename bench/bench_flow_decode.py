"""Decode only: IPFIX and NetFlow v9 records per CPU-second of ixcenter's template decoders.

The same generated messages as ``bench_collector`` (``traffic_mix``: 20 records per message,
templates and sampling options every 50 messages, 3,000 distinct messages) are decoded in
batches of 256 datagrams, as the collector gathers them, by one decoder that keeps its templates
across batches. No sockets, no sink: this isolates the decoder from receiving and storing.
Each protocol is decoded twice in the same run: as the collector does (the fast path for
one-data-set messages) and with every datagram through ``decode_one`` (the per-message path).

Run from the repository root::

    .venv/bin/python -m bench.bench_flow_decode --seconds 5
    .venv/bin/python -m bench.bench_flow_decode --profile   # where the time goes

An older tree is measured by putting its ``src`` first: ``PYTHONPATH=OLD/src .venv/bin/python
bench/bench_flow_decode.py`` (``--per-message`` needs the fast path, so it is left out there).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.telemetry.collector import traffic_mix  # noqa: E402

from ixcenter.telemetry.decode import IpfixDecoder, Netflow9Decoder  # noqa: E402
from ixcenter.telemetry.decode.template_decoder import TemplateDecoder  # noqa: E402

RECORDS = 20
DISTINCT = 3000
BATCH = 256


class PerMessageIpfix(IpfixDecoder):
    """Every datagram through ``decode_one``."""

    def scan(self, *args: Any) -> Any:
        heads = super().scan(*args)
        return dataclasses.replace(heads, fast=np.zeros_like(heads.fast))


class PerMessageNetflow9(Netflow9Decoder):
    def scan(self, *args: Any) -> Any:
        heads = super().scan(*args)
        return dataclasses.replace(heads, fast=np.zeros_like(heads.fast))


def workloads(
    distinct: int = DISTINCT, per_message: bool = False
) -> dict[str, tuple[Callable[[], TemplateDecoder], list]]:
    ipfix = traffic_mix.ipfix_messages(distinct, records=RECORDS, sampling=1, packets=1)
    nf9 = traffic_mix.netflow9_packets(distinct, records=RECORDS, sampling=1, packets=1)
    ipfix_from = [(d, "192.0.2.1") for d in ipfix]
    nf9_from = [(d, "192.0.2.1") for d in nf9]
    loads = {"ipfix": (IpfixDecoder, ipfix_from), "netflow9": (Netflow9Decoder, nf9_from)}
    if per_message:
        loads["ipfix per-message"] = (PerMessageIpfix, ipfix_from)
        loads["netflow9 per-message"] = (PerMessageNetflow9, nf9_from)
    return loads


def run(make: Callable[[], TemplateDecoder], datagrams: list, seconds: float) -> tuple[int, float]:
    """Decode batches round-robin for about ``seconds`` of CPU; (records, CPU seconds)."""
    decoder = make()
    batches = [datagrams[i : i + BATCH] for i in range(0, len(datagrams), BATCH)]
    decoder.decode_many(batches[0])  # templates learnt, as in a running collector
    rows = 0
    start = time.process_time()
    while time.process_time() - start < seconds:
        for batch in batches:
            flows, _, _ = decoder.decode_many(batch)
            rows += len(flows)
    return rows, time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="CPU seconds per protocol")
    parser.add_argument("--profile", action="store_true", help="cProfile one IPFIX run")
    parser.add_argument("--per-message", action="store_true", help="also the per-message path")
    args = parser.parse_args()
    loads = workloads(per_message=args.per_message)
    if args.profile:
        make, datagrams = loads["ipfix"]
        profiler = cProfile.Profile()
        profiler.runcall(run, make, datagrams, args.seconds)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        sys.stdout.write(out.getvalue())
        return
    for name, (make, datagrams) in loads.items():
        rows, cpu = run(make, datagrams, args.seconds)
        sys.stdout.write(f"{name:21} {rows:>11,} records {cpu:6.2f} CPU-s "
                         f"{rows / cpu:>12,.0f} records per CPU-s\n")  # fmt: skip


if __name__ == "__main__":
    main()
