"""Reading a flow store from any process, while its writer goes on writing.

A reader needs no lock: it reads the manifest (again only when the file changed) and queries the
Parquet files it lists with an in-memory DuckDB (the raw tier's segments are read with Arrow and
handed to DuckDB as a table: ``store.raw_log``). Queries are SQL templates whose ``{rows}`` is
replaced by the rows of one family over a window, stitched from its tiers (``store.plan``)::

    reader.query(Family.FLOWS, start, end,
                 "SELECT src_org, dst_org, SUM(bytes) FROM {rows} GROUP BY ALL")

The templates use only plain SQL (SUM, CASE, GROUP BY, integer division), so a ClickHouse
backend can answer the same ones with ``{rows}`` standing for its tables.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ixcenter.telemetry.store import manifest as manifests
from ixcenter.telemetry.store import raw_log
from ixcenter.telemetry.store.aggregate import parquet
from ixcenter.telemetry.store.manifest import Manifest
from ixcenter.telemetry.store.plan import Coverage, Piece, pieces
from ixcenter.telemetry.store.schema import (
    RAW,
    SCHEMAS,
    UNKNOWN_MACS_SCHEMA,
    Family,
    family_tiers,
)

logger = logging.getLogger(__name__)

_SQL_TYPES = {
    pa.int64(): "BIGINT",
    pa.int32(): "INTEGER",
    pa.uint64(): "UBIGINT",
    pa.uint32(): "UINTEGER",
    pa.uint16(): "USMALLINT",
    pa.uint8(): "UTINYINT",
    pa.string(): "VARCHAR",
}


def _empty(schema: pa.Schema) -> str:
    columns = ", ".join(f"CAST(NULL AS {_SQL_TYPES[f.type]}) AS {f.name}" for f in schema)
    return f"(SELECT {columns} WHERE FALSE)"


class FlowStoreReader:
    """Read-only access to the store in ``directory``; cheap to keep open."""

    def __init__(self, directory: Path, threads: int | None = None) -> None:
        self.directory = directory
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        self._con = duckdb.connect(":memory:", config=config)
        self._manifest = Manifest()
        self._stamp: tuple[int, int, int] | None = None

    def manifest(self, *, reload: bool = False) -> Manifest:
        """The current manifest (re-read only when the file changed)."""
        try:
            info = os.stat(self.directory / manifests.MANIFEST)
        except FileNotFoundError:
            return Manifest()
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
        if reload or stamp != self._stamp:
            self._manifest = manifests.read(self.directory)
            self._stamp = stamp
        return self._manifest

    def coverage(self, manifest: Manifest, family: Family) -> dict[str, Coverage]:
        return {
            t.name: Coverage(manifest.first_ts(t.name), manifest.complete_until.get(t.name))
            for t in family_tiers(family)
        }

    def plan(self, family: Family, start: int, end: int, step: int | None = None) -> list[Piece]:
        manifest = self.manifest()
        return pieces(start, end, family_tiers(family), self.coverage(manifest, family), step)

    def relation(
        self, family: Family, start: int, end: int, step: int | None = None, *, reload: bool = False
    ) -> str:
        """A SQL relation with the rows of an aggregate ``family`` whose time is in [start, end)
        (seconds). The raw tier has no SQL relation of its own: ``raw_rows``."""
        if family is Family.RAW:
            raise ValueError("the raw tier is read with raw_rows")
        manifest = self.manifest(reload=reload)
        parts: list[str] = []
        for piece in self.plan(family, start, end, step):
            files = manifest.overlapping(piece.tier.name, piece.start, piece.end)
            if not files:
                continue
            source = parquet([str(self.directory / f.path) for f in files])
            column = piece.tier.time_column
            where = f"{column} >= {piece.start} AND {column} < {piece.end}"
            parts.append(f"SELECT * FROM {source} WHERE {where}")  # noqa: S608 - no user text
        if not parts:
            return _empty(SCHEMAS[family])
        return "(" + " UNION ALL ".join(parts) + ")"

    def raw_rows(self, start: int, end: int, *, reload: bool = False) -> pa.RecordBatchReader:
        """The raw tier's rows whose time is in [start, end) (seconds), sides spelled out,
        read lazily (``read_all()`` for a table)."""
        manifest = self.manifest(reload=reload)
        a, b = start * 1000, end * 1000
        return raw_log.scan(self.directory, manifest.overlapping(RAW.name, a, b), a, b)

    def query(
        self,
        family: Family,
        start: int,
        end: int,
        template: str,
        params: dict[str, Any] | None = None,
        step: int | None = None,
    ) -> list[tuple[Any, ...]]:
        """Rows of ``template`` with ``{rows}`` the family's rows in [start, end)."""
        try:
            return self._query(family, start, end, template, params, step, reload=False)
        except (duckdb.IOException, OSError):
            # a part was merged and deleted between our manifest and the read: read the new one
            logger.info("flow store %s changed under a query; retrying", self.directory)
            return self._query(family, start, end, template, params, step, reload=True)

    def _query(
        self,
        family: Family,
        start: int,
        end: int,
        template: str,
        params: dict[str, Any] | None,
        step: int | None,
        *,
        reload: bool,
    ) -> list[tuple[Any, ...]]:
        cursor = self._con.cursor()
        try:
            if family is Family.RAW:
                cursor.register("raw_rows", self.raw_rows(start, end, reload=reload))
                sql = template.replace("{rows}", "raw_rows")
            else:
                relation = self.relation(family, start, end, step, reload=reload)
                sql = template.replace("{rows}", relation)
            return (
                cursor.sql(sql, params=params).fetchall() if params else cursor.sql(sql).fetchall()
            )
        finally:
            cursor.close()

    def unknown_macs(self) -> pa.Table:
        """The unknown-MAC table as of the last flush."""
        relative = self.manifest().unknown_macs
        if relative is None:
            return UNKNOWN_MACS_SCHEMA.empty_table()
        try:
            return pq.read_table(self.directory / relative)
        except FileNotFoundError:
            relative = self.manifest(reload=True).unknown_macs
            if relative is None:
                return UNKNOWN_MACS_SCHEMA.empty_table()
            return pq.read_table(self.directory / relative)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> FlowStoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
