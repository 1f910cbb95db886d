# ruff: noqa: S608 - the SQL here is built from this file's own constants and numbers
"""Flow store: write rate, and the 30-day member matrix, Parquet + DuckDB against DuckDB native.

Two stores hold the same rows:

* ``parquet`` (what ixcenter ships): immutable Parquet parts listed by an atomically swapped
  manifest, queried by an in-memory DuckDB (``telemetry.store``);
* ``native`` (the peer design): the same tables inside one DuckDB database file.

Write rate: enriched rows (1,000 members) in batches of 65,536 (the collector's batch), flushed
every ~1M rows: raw tier + 1-minute aggregates, and 1-minute aggregates only. Also the enricher
(``enrich``: two ``searchsorted`` look-ups per row) and the whole ``EnrichingSink``.

Query: 30 days of the 1-minute tier for 1,000 members at ``--rows-per-minute`` (default 2,000:
keys drawn each minute from 40,000 active member pairs with Zipf weights, split by IP version and
protocol class), rolled up by the store's own maintenance job into 5 min, 1 h and 1 day. The
matrix over a 30-day window with minute edges is answered (a) stitched from the tiers and (b) by
scanning the 1-minute tier alone, on both stores; every answer must be the same matrix.

Readers while writing: whether another process can read while the writer holds the store.

Run from the repository root::

    .venv/bin/python -m bench.bench_flowstore
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ixcenter.core.clock import FixedClock
from ixcenter.telemetry.analytics import Window, traffic_matrix
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, CounterBatch, FlowBatch
from ixcenter.telemetry.enrich import EnrichingSink, EnrichmentTables, enrich
from ixcenter.telemetry.store import (
    Family,
    FlowStoreReader,
    FlowStoreWriter,
    StoreOptions,
    aggregate,
)
from ixcenter.telemetry.store import manifest as manifests
from ixcenter.telemetry.store.aggregate import parquet
from ixcenter.telemetry.store.counters import PortSide
from ixcenter.telemetry.store.raw_log import rows_table
from ixcenter.telemetry.store.schema import FLOWS_1D, FLOWS_1H, FLOWS_1M, FLOWS_5M

MEMBERS = 1_000
PAIRS = 40_000
BATCH = 65_536
END = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)
DAYS = 30
VLAN = 100


def _tables() -> EnrichmentTables:
    entries = []
    ports = {}
    for org in range(1, MEMBERS + 1):
        side = PortSide(port=org, org=org, node=org % 8 + 1, center=org % 3 + 1)
        ports[org] = side
        entries.append((VLAN, 0x0200_0000_0000 + org, side, 64_512 + org))
    return EnrichmentTables.build(1, entries, ports)


def _flows(rng: np.random.Generator, n: int, t0_ms: int) -> FlowBatch:
    rows = np.zeros(n, FLOW_DTYPE)
    rows["time_ms"] = t0_ms + np.sort(rng.integers(0, 10_000, n))
    rows["vlan"] = VLAN
    src = rng.zipf(1.3, n) % MEMBERS + 1
    rows["src_mac"] = 0x0200_0000_0000 + src
    rows["dst_mac"] = 0x0200_0000_0000 + (src + rng.integers(1, MEMBERS, n)) % MEMBERS + 1
    rows["ip_version"] = np.where(rng.random(n) < 0.3, 6, 4)
    rows["protocol"] = rng.choice(np.array([6, 17, 1, 47], np.uint8), n, p=[0.7, 0.25, 0.03, 0.02])
    rows["bytes"] = rng.integers(64, 1519, n)
    rows["packets"] = 1
    rows["sampling_rate"] = 16_384
    rows["in_if"] = src
    rows["src_ip_lo"] = rng.integers(0, 2**32, n, dtype=np.uint64)
    rows["dst_ip_lo"] = rng.integers(0, 2**32, n, dtype=np.uint64)
    rows["src_port"] = rng.integers(1024, 65535, n)
    rows["dst_port"] = 443
    return FlowBatch(rows, ["192.0.2.1"])


def _timed(work: Callable[[], Any]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu


def bench_writes(directory: Path, total: int) -> list[tuple[str, int, float, float]]:
    """(path, rows, wall s, CPU s) for each write path."""
    rng = np.random.default_rng(1)
    tables = _tables()
    t0 = int((END - dt.timedelta(hours=1)).timestamp() * 1000)
    batches = [_flows(rng, BATCH, t0 + n * 10_000) for n in range(total // BATCH)]
    enriched = [enrich(tables, b) for b in batches]
    rows = len(batches) * BATCH
    per_flush = max(1, 1_000_000 // BATCH)
    out: list[tuple[str, int, float, float]] = []

    def run_enrich() -> None:
        for b in batches:
            enrich(tables, b)

    out.append(("enrich only (look-ups)", rows, *_timed(run_enrich)))
    clock = FixedClock(END)
    for label, raw_hours in (("parquet: raw + 1 min", 6), ("parquet: 1 min only", 0)):
        path = directory / label.replace(" ", "_").replace(":", "")
        writer = FlowStoreWriter(path, StoreOptions(retention={"raw": raw_hours * 3600}), clock)

        def run_store(writer: FlowStoreWriter = writer) -> None:
            for n, e in enumerate(enriched, start=1):
                writer.append(e)
                if n % per_flush == 0:
                    writer.flush()
            writer.flush()

        out.append((label, rows, *_timed(run_store)))
        writer.close()
    path = directory / "sink"
    writer = FlowStoreWriter(path, StoreOptions(), clock)
    sink = EnrichingSink(tables, writer, clock=clock, maintain_every_s=1e9)

    def run_sink() -> None:
        for n, b in enumerate(batches, start=1):
            sink.write(b, CounterBatch.empty())
            if n % per_flush == 0:
                sink.flush()
        sink.flush()

    out.append(("parquet: EnrichingSink (enrich + raw + 1 min)", rows, *_timed(run_sink)))
    writer.close()
    native = duckdb.connect(str(directory / "native.duckdb"), config={"threads": 1})
    tables_arrow = [rows_table(e) for e in enriched]
    native.register("first", tables_arrow[0])
    native.execute("CREATE TABLE raw AS SELECT * FROM first WHERE FALSE")
    native.execute("CREATE TABLE flows_1m AS " + aggregate.minutes_from_raw("first") + " LIMIT 0")
    native.unregister("first")

    def run_native() -> None:
        pending: list[Any] = []
        for n, table in enumerate(tables_arrow, start=1):
            pending.append(table)
            if n % per_flush == 0 or n == len(tables_arrow):
                buffer = pa.concat_tables(pending)
                pending.clear()
                native.register("buffer", buffer)
                native.execute("BEGIN")
                native.execute("INSERT INTO raw SELECT * FROM buffer")
                native.execute("INSERT INTO flows_1m " + aggregate.minutes_from_raw("buffer"))
                native.execute("COMMIT")
                native.unregister("buffer")
        native.execute("CHECKPOINT")

    out.append(("native: raw + 1 min (one DuckDB file)", rows, *_timed(run_native)))
    native.close()
    return out


def synthesise_minutes(directory: Path, per_minute: int, threads: int) -> int:
    """30 days of the 1-minute tier as the store writes it (hourly parts), then its rollups."""
    con = duckdb.connect(config={"threads": threads})
    con.execute(
        f"""CREATE TABLE pairs AS
        SELECT i AS pid,
               (hash(i) % {MEMBERS} + 1)::INTEGER AS src,
               ((hash(i) % {MEMBERS} + 1 + hash(i * 7 + 1) % ({MEMBERS} - 1)) % {MEMBERS} + 1)
                 ::INTEGER AS dst
        FROM range({PAIRS}) t(i)"""
    )
    start = int((END - dt.timedelta(days=DAYS)).timestamp())
    files: list[manifests.DataFile] = []
    part = 1
    for hour in range(DAYS * 24):
        h0 = start + hour * 3600
        stamp = dt.datetime.fromtimestamp(h0, dt.UTC).strftime("%Y-%m-%dT%H")
        relative = f"flows_1m/{stamp}/part-{part:09d}.parquet"
        part += 1
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        # Zipf-like pair choice: pid = floor(PAIRS * u^3) favours the first pairs
        con.execute(
            f"""COPY (
            SELECT {h0} + m * 60 AS ts,
              p.src AS src_org, (64512 + p.src)::UINTEGER AS src_asn, p.src AS src_port,
              (p.src % 8 + 1)::INTEGER AS src_node, (p.src % 3 + 1)::INTEGER AS src_center,
              p.dst AS dst_org, (64512 + p.dst)::UINTEGER AS dst_asn, p.dst AS dst_port,
              (p.dst % 8 + 1)::INTEGER AS dst_node, (p.dst % 3 + 1)::INTEGER AS dst_center,
              any_value(k.v)::UTINYINT AS ip_version, any_value(k.c)::UTINYINT AS protocol,
              SUM(k.b)::BIGINT AS bytes, SUM(k.pk)::BIGINT AS packets, COUNT(*)::BIGINT AS samples
            FROM (
              SELECT m, floor({PAIRS} * pow(random(), 3))::BIGINT AS pid,
                CASE WHEN random() < 0.3 THEN 6 ELSE 4 END AS v,
                CASE WHEN random() < 0.7 THEN 6 WHEN random() < 0.9 THEN 17 ELSE 1 END AS c,
                (1000000 * random())::BIGINT * 16384 AS b, 700 * 16384 AS pk
              FROM range(60) a(m), range({per_minute}) b(k)
            ) k JOIN pairs p USING (pid)
            GROUP BY m, p.src, p.dst, k.v, k.c
            ORDER BY ts, src_org, dst_org
            ) TO '{directory / relative}' (FORMAT parquet, COMPRESSION zstd)"""
        )
        rows, lo, hi = con.execute(
            f"SELECT COUNT(*), MIN(ts), MAX(ts) FROM read_parquet('{directory / relative}')"
        ).fetchone()  # type: ignore[misc]
        files.append(manifests.DataFile("flows_1m", relative, h0, lo, hi, rows))
    con.close()
    manifests.write(directory, manifests.Manifest(generation=1, files=tuple(files), next_part=part))
    return sum(f.rows for f in files)


def _native_copy(store: Path, target: Path) -> None:
    m = manifests.read(store)
    con = duckdb.connect(str(target))
    for tier in (FLOWS_1M, FLOWS_5M, FLOWS_1H, FLOWS_1D):
        paths = [str(store / f.path) for f in m.tier_files(tier.name)]
        con.execute(f"CREATE TABLE {tier.name} AS SELECT * FROM {parquet(paths)} ORDER BY ts")
    con.close()


MATRIX = (
    "SELECT src_org, dst_org, SUM(bytes)::BIGINT, SUM(packets)::BIGINT FROM {rows} "
    "GROUP BY ALL ORDER BY 3 DESC, 1, 2"
)


def _repeat(work: Callable[[], Any], times: int) -> tuple[list[float], Any]:
    seconds, answer = [], None
    for _ in range(times):
        t = time.perf_counter()
        answer = work()
        seconds.append(time.perf_counter() - t)
    return seconds, answer


def bench_queries(store: Path, native_file: Path, threads: int, times: int) -> list[Any]:
    window = Window(END - dt.timedelta(days=DAYS) + dt.timedelta(minutes=7),
                    END - dt.timedelta(minutes=13))  # fmt: skip
    start, end = window.seconds
    reader = FlowStoreReader(store, threads=threads)
    pieces = reader.plan(Family.FLOWS, start, end)
    m = reader.manifest()
    out = []

    def stitched_parquet() -> Any:
        return traffic_matrix(reader, window)

    def minutes_parquet() -> Any:
        paths = [str(store / f.path) for f in m.overlapping("flows_1m", start, end)]
        sql = MATRIX.replace("{rows}", f"(SELECT * FROM {parquet(paths)} "
                             f"WHERE ts >= {start} AND ts < {end})")  # fmt: skip
        return reader._con.sql(sql).fetchall()

    native = duckdb.connect(str(native_file), read_only=True, config={"threads": threads})

    def native_relation(only_minutes: bool) -> str:
        if only_minutes:
            return f"(SELECT * FROM flows_1m WHERE ts >= {start} AND ts < {end})"
        parts = [
            f"SELECT * FROM {p.tier.name} WHERE ts >= {p.start} AND ts < {p.end}" for p in pieces
        ]
        return "(" + " UNION ALL ".join(parts) + ")"

    def stitched_native() -> Any:
        return native.sql(MATRIX.replace("{rows}", native_relation(False))).fetchall()

    def minutes_native() -> Any:
        return native.sql(MATRIX.replace("{rows}", native_relation(True))).fetchall()

    answers = {}
    for label, work in (
        ("parquet, tiers stitched (traffic_matrix)", stitched_parquet),
        ("native, tiers stitched", stitched_native),
        ("parquet, 1-minute tier only", minutes_parquet),
        ("native, 1-minute tier only", minutes_native),
    ):
        seconds, answer = _repeat(work, times)
        if hasattr(answer, "cells"):
            answer = [(c.src_org, c.dst_org, c.bytes, c.packets) for c in answer.cells]
        answers[label] = answer
        out.append((label, seconds))
    first = next(iter(answers.values()))
    for label, answer in answers.items():
        assert answer == first, f"{label} answered a different matrix"
    native.close()
    reader.close()
    return [out, len(first), pieces]


def _hold_native(path: str, ready: Any, done: Any) -> None:
    con = duckdb.connect(path)
    con.execute("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x")
    ready.set()
    done.wait(60)
    con.close()


def readers_while_writing(directory: Path) -> tuple[str, str]:
    """Can another process open the store while a writer process holds it?"""
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    path = str(directory / "held.duckdb")
    process = ctx.Process(target=_hold_native, args=(path, ready, done))
    process.start()
    ready.wait(60)
    try:
        duckdb.connect(path, read_only=True).close()
        native = "yes"
    except duckdb.Error as exc:
        native = f"no: {str(exc).splitlines()[0][:90]}"
    finally:
        done.set()
        process.join()
    return native, "yes (manifest snapshots; tests/telemetry/store/test_concurrency.py)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows-per-minute", type=int, default=2_000)
    parser.add_argument("--write-rows", type=int, default=4_000_000)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Keep the stores in this directory.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ixc-bench-flowstore-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# flow store benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, DuckDB {duckdb.__version__}")  # fmt: skip
    try:
        print("\n## writes\n\n| path | rows | wall s | rows/s | CPU s | rows per CPU-second |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, rows, wall, cpu in bench_writes(work / "writes", args.write_rows):
            print(f"| {label} | {rows:,} | {wall:.2f} | {rows / wall:,.0f} | {cpu:.2f} | "
                  f"{rows / cpu:,.0f} |")  # fmt: skip
        store = work / "store"
        t = time.perf_counter()
        rows = synthesise_minutes(store, args.rows_per_minute, args.threads)
        made = time.perf_counter() - t
        writer = FlowStoreWriter(store, StoreOptions(threads=args.threads), FixedClock(END))
        t = time.perf_counter()
        writer.maintain()
        rolled = time.perf_counter() - t
        writer.close()
        m = manifests.read(store)
        counts = {
            tier.name: sum(f.rows for f in m.tier_files(tier.name))
            for tier in (FLOWS_1M, FLOWS_5M, FLOWS_1H, FLOWS_1D)
        }
        size = sum(p.stat().st_size for p in store.rglob("*.parquet"))
        print(f"\n## 30-day matrix, {MEMBERS} members, {args.rows_per_minute:,} rows per minute\n")
        print(f"1-minute tier: {rows:,} rows written in {made:.0f} s; rollups {rolled:.0f} s; "
              f"rows per tier {counts}; Parquet {size / 1e9:.2f} GB")  # fmt: skip
        native_file = work / "native.duckdb"
        t = time.perf_counter()
        _native_copy(store, native_file)
        print(f"native copy: {time.perf_counter() - t:.0f} s, "
              f"{native_file.stat().st_size / 1e9:.2f} GB")  # fmt: skip
        timings, cells, pieces = bench_queries(store, native_file, args.threads, args.repeat)
        print(f"window: 30 days less 20 minutes, minute edges; {cells:,} member pairs in the "
              f"answer; pieces: {[(p.tier.name, p.end - p.start) for p in pieces]}\n")  # fmt: skip
        print("| query | first s | median s | best s |\n|---|---:|---:|---:|")
        for label, seconds in timings:
            print(f"| {label} | {seconds[0]:.3f} | {statistics.median(seconds):.3f} | "
                  f"{min(seconds):.3f} |")  # fmt: skip
        native, ours = readers_while_writing(work)
        print(f"\n## another process reads while the writer holds the store\n\n"
              f"native DuckDB file: {native}\nparquet + manifest: {ours}")  # fmt: skip
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
