"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error leaves the API in one shape::

    {"type": "urn:ixcenter:problem:validation-failed", "title": "Validation failed",
     "status": 422, "detail": "...", "instance": "/api/v1/members",
     "errors": [{"field": "asn", "message": "...", "code": "special-asn"}]}

``errors`` is present for validation problems (ours and FastAPI's request validation) and lists all
of them. Status codes: ``ValidationFailed`` 422; ``FormatError`` (a malformed document such as an
IX-F file) 400; ``NotFound`` 404; ``AuthenticationFailed`` 401 with ``WWW-Authenticate``;
``PermissionDenied`` 403; a database uniqueness race (``IntegrityError``) 409; a number too large
for its column (``DataError``, ``OverflowError``; request schemas bound numbers first) 422;
text that is not valid Unicode (a lone surrogate, refused by the database driver) 422; HTTP
errors keep their status (404 unknown path, 405 wrong method); anything unexpected is a 500 whose
body says nothing about the code: the traceback goes to the log only.

A browser asking for a portal page gets the same error as a page instead (``install(app,
pages=...)``, see ``portal.error_pages``): a person reads it, with the same status.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError
from starlette.exceptions import HTTPException

from ixcenter.core.errors import (
    AuthenticationFailed,
    FormatError,
    IxcError,
    NotFound,
    PermissionDenied,
    Problem,
    ValidationFailed,
)

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:ixcenter:problem:"
CHALLENGE = 'Bearer realm="ixcenter"'

_STATUS: tuple[tuple[type[IxcError], int], ...] = (
    (FormatError, 400),
    (ValidationFailed, 422),
    (NotFound, 404),
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
)

_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("authentication-failed", "Authentication failed"),
    403: ("permission-denied", "Permission denied"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


def status_of(error: IxcError) -> int:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            return status
    return 500


def problem_response(
    request: Request,
    status: int,
    slug: str,
    title: str,
    detail: str,
    errors: Sequence[Problem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = [{"field": p.field, "message": p.message, "code": p.code} for p in errors]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _ixc_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, IxcError):  # pragma: no cover - registered for IxcError only
        return _unexpected(request, exc)
    status = status_of(exc)
    if status == 500:
        logger.error("request %s %s failed: %s", request.method, request.url.path, exc.message)
        return problem_response(request, 500, "internal-error", "Internal error", exc.title)
    headers = None
    if isinstance(exc, AuthenticationFailed):
        headers = {"WWW-Authenticate": CHALLENGE}
        if request.headers.get("authorization"):
            headers["WWW-Authenticate"] += ', error="invalid_token"'
    errors = exc.problems if isinstance(exc, ValidationFailed) else None
    return problem_response(request, status, exc.slug, exc.title, exc.message, errors, headers)


def _field(location: Sequence[int | str]) -> str:
    """``("body", "macs", 0)`` -> ``macs[0]``; query, path and header names stand alone."""
    parts = list(location[1:]) if location and location[0] in ("body", "query", "path") else []
    if not parts:
        parts = list(location)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _request_invalid(request: Request, exc: Exception) -> JSONResponse:
    raw = exc.errors() if isinstance(exc, RequestValidationError) else []
    errors = [
        Problem(_field(error.get("loc", ())), str(error.get("msg", "invalid")), error["type"])
        for error in raw
    ]
    detail = "; ".join(str(p) for p in errors) or "invalid request"
    return problem_response(
        request, 422, ValidationFailed.slug, ValidationFailed.title, detail, errors
    )


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    slug, title = _HTTP_SLUGS.get(status, ("http-error", "HTTP error"))
    detail = str(exc.detail) if isinstance(exc, HTTPException) else title
    if status == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    if status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
    return problem_response(request, status, slug, title, detail, headers=headers)


def _conflict(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("request %s %s lost a race: %s", request.method, request.url.path, exc)
    return problem_response(
        request,
        409,
        "conflict",
        "Conflict",
        "another change to the same objects was committed first; read them again and retry",
    )


NOT_UNICODE = "a text holds characters that are not valid Unicode (e.g. a lone surrogate)"


def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("request %s %s: value out of range: %s", request.method, request.url.path, exc)
    problem = Problem("", "a value is out of the range the registry can store", "out-of-range")
    return problem_response(
        request, 422, ValidationFailed.slug, ValidationFailed.title, problem.message, [problem]
    )


def _not_unicode(request: Request, exc: Exception) -> JSONResponse:
    logger.warning(
        "request %s %s: text that is not Unicode: %s", request.method, request.url.path, exc
    )
    problem = Problem("", NOT_UNICODE, "not-unicode")
    return problem_response(
        request, 422, ValidationFailed.slug, ValidationFailed.title, problem.message, [problem]
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("request %s %s failed", request.method, request.url.path, exc_info=exc)
    return problem_response(
        request, 500, "internal-error", "Internal error", "the server failed; see its log"
    )


PageErrors = Callable[[Request, int, dict[str, Any]], Response | None]
"""``(request, status, problem) -> page``; None when the request is not a browser's page."""

Handler = Callable[[Request, Exception], Response]


def _with_pages(handler: Handler, pages: PageErrors) -> Callable[..., Awaitable[Response]]:
    async def handle(request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        if response.media_type == MEDIA_TYPE:
            page = pages(request, response.status_code, json.loads(bytes(response.body)))
            if page is not None:
                return page
        return response

    return handle


def install(app: FastAPI, pages: PageErrors | None = None) -> None:
    """Register the handlers that turn every error into problem+json (or, where ``pages``
    answers for the request, into a page)."""
    handlers: list[tuple[type[Exception], Handler]] = [
        (IxcError, _ixc_error),
        (RequestValidationError, _request_invalid),
        (HTTPException, _http_error),
        (IntegrityError, _conflict),
        (DataError, _out_of_range),
        (OverflowError, _out_of_range),
        (UnicodeEncodeError, _not_unicode),
        (Exception, _unexpected),
    ]
    for kind, handler in handlers:
        app.add_exception_handler(kind, handler if pages is None else _with_pages(handler, pages))
