"""Errors as pages for people: what a browser gets instead of problem+json.

A request is a browser's page request when it is a GET (or HEAD) of a portal path (not the API,
the IX-F export, metrics or static files), accepts ``text/html`` and carries no API token. Such a
request that needs signing in (401) is sent to the sign-in page, which brings it back after; any
other error is a page with the same status, its title in the reader's language and the
problem's detail. Everything else keeps its problem+json (``api.problems``).
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from ixcenter.api.policy import PUBLIC, Caller
from ixcenter.portal.i18n import gettext as _
from ixcenter.portal.render import page

NOT_PAGES = ("/api/", "/ixf/", "/metrics", "/static/", "/openapi.json", "/docs")
SIGNIN_PATH = "/signin"


def is_page_request(request: Request) -> bool:
    path = request.url.path
    return (
        request.method in ("GET", "HEAD")
        and not path.startswith(NOT_PAGES)
        and "text/html" in request.headers.get("accept", "")
        and "authorization" not in request.headers
    )


def _title(status: int) -> str:
    titles = {
        401: _("Please sign in"),
        403: _("Not allowed"),
        404: _("Not found"),
        422: _("Invalid request"),
        503: _("Not ready yet"),
    }
    return titles.get(status, _("Something went wrong"))


def page_error(request: Request, status: int, problem: dict[str, Any]) -> Response | None:
    """The page for ``problem`` (a 303 to the sign-in page for 401); None for other requests."""
    if not is_page_request(request):
        return None
    if status == 401:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = SIGNIN_PATH + "?" + urllib.parse.urlencode({"next": here})
        return RedirectResponse(target, status_code=303)
    caller: Caller = getattr(request.state, "caller", PUBLIC)
    detail = str(problem.get("detail", "")) if status < 500 else ""
    return page(
        request,
        caller,
        "error.html",
        title=_title(status),
        private=True,
        status_code=status,
        status=status,
        detail=detail,
    )
