"""IX-F Member Export: the public export at a stable URL, and the operator's import.

``GET /ixf/member-export.json`` is what IX-F's database and peers poll; it is public, so the MAC
addresses of member routers are left out for callers other than the operator and the supervisor.
``POST /api/v1/ixf/import`` takes an IX-F document (1.0, 0.7 or 0.6) as the request body and writes
it in one transaction; a malformed document is a 400 listing every problem and changes nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from ixcenter.api import policy
from ixcenter.api.policy import AnyCaller, Caller, Operator, RegistryDep
from ixcenter.api.schemas.interchange import ImportReportOut
from ixcenter.api.schemas.problems import ERRORS
from ixcenter.registry.db import Registry
from ixcenter.registry.interchange import ixf_export, ixf_import

logger = logging.getLogger(__name__)

EXPORT_PATH = "/ixf/member-export.json"

export_router = APIRouter(tags=["ixf"], responses=ERRORS)
router = APIRouter(tags=["ixf"], responses=ERRORS)


@export_router.get(
    EXPORT_PATH,
    summary="IX-F Member Export JSON",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {}}, "description": "IX-F JSON 1.0"}},
)
def member_export(caller: AnyCaller, registry: RegistryDep) -> JSONResponse:
    with registry.read() as session:
        document = ixf_export.export_ixf(session, generated=registry.clock.now())
    return JSONResponse(policy.redact_ixf(caller, document))


def _import(
    registry: Registry, caller: Caller, raw: bytes, allow_outside_prefix: bool
) -> ImportReportOut:
    document = ixf_import.parse_ixf(raw)
    session: Session
    with registry.transaction(caller.actor, reason="IX-F import") as session:
        report = ixf_import.import_ixf(session, document, allow_outside_prefix=allow_outside_prefix)
    logger.info("IX-F %s import by %s changed=%s", report.version, caller.actor, report.changed)
    return ImportReportOut.of(report)


@router.post(
    "/ixf/import",
    response_model=ImportReportOut,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def import_document(
    request: Request,
    caller: Operator,
    registry: RegistryDep,
    allow_outside_prefix: Annotated[
        bool, Query(description="accept addresses outside their LAN as warnings")
    ] = False,
) -> ImportReportOut:
    """Import an IX-F Member Export document (the request body)."""
    raw = await request.body()
    return await run_in_threadpool(_import, registry, caller, raw, allow_outside_prefix)
