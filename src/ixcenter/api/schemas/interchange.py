"""What an IX-F import reports back."""

from __future__ import annotations

from pydantic import BaseModel

from ixcenter.api.schemas.problems import ProblemItem
from ixcenter.registry.interchange.report import ImportReport, Kind


class CountsOut(BaseModel):
    created: int
    updated: int
    unchanged: int


class ImportReportOut(BaseModel):
    source: str
    version: str
    changed: bool
    counts: dict[str, CountsOut]
    warnings: list[ProblemItem]

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        counts = {}
        for kind in Kind:
            found = report.counts(kind)
            counts[kind.value] = CountsOut(
                created=found.created, updated=found.updated, unchanged=found.unchanged
            )
        return cls(
            source=report.source,
            version=report.version,
            changed=report.changed,
            counts=counts,
            warnings=[
                ProblemItem(field=w.field, message=w.message, code=w.code) for w in report.warnings
            ],
        )
