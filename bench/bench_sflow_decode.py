"""sFlow v5 decode alone: flow samples per CPU-second, the vectorised walk against the reference.

The datagrams are ``tests/telemetry/collector/traffic_mix.py``'s (7 flow samples of 128-byte
sampled headers each, IPv4/IPv6, tagged and untagged; a counter sample in every tenth datagram),
decoded in batches of ``--batch`` datagrams (the collector's ``decode_batch``) by a stateful
``SflowDecoder``, in this process, timed with ``time.process_time``. Both walks decode the same
datagrams and must agree on every row and count (checked before timing).

Run from the repository root::

    .venv/bin/python -m bench.bench_sflow_decode
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.telemetry.collector import traffic_mix  # noqa: E402

from ixcenter.telemetry.decode.sflow import SflowDecoder  # noqa: E402

SAMPLES = 7


def _batches(distinct: int, batch: int) -> list[list[tuple[bytes, str]]]:
    grams = traffic_mix.sflow_datagrams(distinct, samples=SAMPLES, fixed=True)
    pairs = [(g, "192.0.2.1") for g in grams]
    return [pairs[i : i + batch] for i in range(0, len(pairs), batch)]


def _run(batches: list[list[tuple[bytes, str]]], reference: bool, rounds: int) -> float:
    """Flow samples decoded per CPU-second (best of ``rounds`` passes over all batches)."""
    best = 0.0
    for _ in range(rounds):
        decoder = SflowDecoder(reference=reference)
        samples = 0
        start = time.process_time()
        for batch in batches:
            flows, _, _ = decoder.decode_many(batch, 1)
            samples += len(flows)
        best = max(best, samples / (time.process_time() - start))
    return best


def _same(batches: list[list[tuple[bytes, str]]]) -> None:
    vector, reference = SflowDecoder(), SflowDecoder(reference=True)
    for batch in batches:
        got, want = vector.decode_many(batch, 1), reference.decode_many(batch, 1)
        for a, b in zip(got[:2], want[:2], strict=True):
            if not np.array_equal(a.rows, b.rows) or a.exporters != b.exporters:
                raise SystemExit("the vectorised walk disagrees with the reference")
        if got[2] != want[2]:
            raise SystemExit("the vectorised walk counts differently from the reference")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datagrams", type=int, default=6000, help="distinct datagrams")
    parser.add_argument("--batch", type=int, default=256, help="datagrams per decode_many")
    parser.add_argument("--rounds", type=int, default=5, help="best of")
    args = parser.parse_args()
    batches = _batches(args.datagrams, args.batch)
    _same(batches)
    load = os.getloadavg()[0]
    print(f"python {platform.python_version()}, numpy {np.__version__}, load average {load:.1f}")
    print(f"{args.datagrams} datagrams of {SAMPLES} flow samples, batches of {args.batch}")
    for name, reference in (("reference walk", True), ("vectorised", False)):
        rate = _run(batches, reference, args.rounds)
        print(f"{name:>15}: {rate:>12,.0f} flow samples per CPU-second")


if __name__ == "__main__":
    main()
