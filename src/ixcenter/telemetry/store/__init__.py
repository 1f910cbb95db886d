"""The flow store: Parquet parts (and raw-tier segments) listed by an atomically swapped
manifest, queried with DuckDB.

One process writes (``FlowStoreWriter``, holding ``writer.lock``); any number of processes read
(``FlowStoreReader``) at the same time. Tables and tiers: ``store.schema``. Why Parquet files and
not a DuckDB database file: ``docs/architecture.md`` (Telemetry store) and ``bench/RESULTS.md``.
"""

from __future__ import annotations

from ixcenter.config import Settings
from ixcenter.core.clock import Clock
from ixcenter.telemetry.store.reader import FlowStoreReader
from ixcenter.telemetry.store.schema import Family
from ixcenter.telemetry.store.writer import FlowStoreWriter, StoreOptions


def options(settings: Settings) -> StoreOptions:
    """The writer's options from the settings (retention per tier, settle time, raw tier)."""
    return StoreOptions(
        retention=settings.flow_retention,
        settle_s=settings.flow_settle_s,
        raw_compression=settings.flow_raw_compression,
        raw_max_bytes=int(settings.flow_raw_max_gb * 10**9),
    )


def open_writer(settings: Settings, clock: Clock | None = None) -> FlowStoreWriter:
    return FlowStoreWriter(settings.flow_store_path, options(settings), clock)


def open_reader(settings: Settings) -> FlowStoreReader:
    return FlowStoreReader(settings.flow_store_path)


__all__ = [
    "Family",
    "FlowStoreReader",
    "FlowStoreWriter",
    "StoreOptions",
    "open_reader",
    "open_writer",
    "options",
]
