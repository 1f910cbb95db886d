"""Reading a flow store from any process, while its writer goes on writing.

A reader needs no lock: it reads the manifest (again only when the file changed) and queries the
Parquet files it lists with an in-memory DuckDB. Queries are SQL templates whose ``{rows}`` is
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
        if family is Family.RAW:
            return [Piece(RAW, start, end)]
        manifest = self.manifest()
        return pieces(start, end, family_tiers(family), self.coverage(manifest, family), step)

    def relation(
        self, family: Family, start: int, end: int, step: int | None = None, *, reload: bool = False
    ) -> str:
        """A SQL relation with the rows of ``family`` whose time is in [start, end) (seconds)."""
        manifest = self.manifest(reload=reload)
        parts: list[str] = []
        for piece in self.plan(family, start, end, step):
            scale = 1000 if piece.tier is RAW else 1
            a, b = piece.start * scale, piece.end * scale
            files = manifest.overlapping(piece.tier.name, a, b)
            if not files:
                continue
            source = parquet([str(self.directory / f.path) for f in files])
            column = piece.tier.time_column
            where = f"{column} >= {a} AND {column} < {b}"
            parts.append(f"SELECT * FROM {source} WHERE {where}")  # noqa: S608 - no user text
        if not parts:
            return _empty(SCHEMAS[family])
        return "(" + " UNION ALL ".join(parts) + ")"

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
            relation = self.relation(family, start, end, step)
            return self._run(template.replace("{rows}", relation), params)
        except duckdb.IOException:
            # a part was merged and deleted between our manifest and the read: read the new one
            logger.info("flow store %s changed under a query; retrying", self.directory)
            relation = self.relation(family, start, end, step, reload=True)
            return self._run(template.replace("{rows}", relation), params)

    def _run(self, sql: str, params: dict[str, Any] | None) -> list[tuple[Any, ...]]:
        cursor = self._con.cursor()
        try:
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
