"""The problem+json body (RFC 9457), for the OpenAPI description of error responses."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ixcenter.api.problems import MEDIA_TYPE


class ProblemItem(BaseModel):
    field: str
    message: str
    code: str


class ProblemOut(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemItem] | None = None


def _response(description: str) -> dict[str, Any]:
    return {"model": ProblemOut, "description": description, "content": {MEDIA_TYPE: {}}}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _response("Malformed document"),
    401: _response("No token, or a token that matches nothing"),
    403: _response("The token's role may not do this"),
    404: _response("No such object, or one this token may not see"),
    409: _response("Lost a race with another change"),
    422: _response("Validation failed: every problem is listed in `errors`"),
}
