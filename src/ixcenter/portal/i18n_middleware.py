"""The language of each request, and the route that lets a visitor choose one.

``install(app)`` adds ``LanguageMiddleware``, which negotiates the language of every HTTP request
(``i18n.negotiate``: the ``ixc_lang`` cookie, else ``Accept-Language``, else English) and holds it
in ``i18n``'s context variable while the request is served, so every ``_()`` of the page renders
in it. HTML answers say their language (``Content-Language``) and that they vary with the
negotiation's inputs (``Vary: Accept-Language, Cookie``), so a cache keeps the languages apart.

``GET /lang/{code}?next=/path`` stores the choice in the cookie for a year and redirects back to
``next``, which must be a path on this site: anything else (``//host``, ``https://...``, a
backslash) is refused, so the route cannot be used to send a visitor elsewhere.
"""

from __future__ import annotations

import string
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import FastAPI, Query
from fastapi.responses import RedirectResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ixcenter.api.policy import AnyCaller
from ixcenter.core.errors import NotFound, Problem, ValidationFailed
from ixcenter.portal import i18n

COOKIE = "ixc_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
_UNSAFE = frozenset("\\") | frozenset(chr(c) for c in range(0x20)) | {"\x7f"}


class LanguageMiddleware:
    """Serves each HTTP request in its negotiated language (pure ASGI, so the context variable
    reaches the endpoint whether it runs in the event loop or in the thread pool)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookie = cookie_parser(headers.get("cookie", "")).get(COOKIE)
        language = i18n.negotiate(cookie, headers.get("accept-language"))
        here = scope.get("path", "/")
        if scope.get("query_string"):
            here += "?" + scope["query_string"].decode("latin-1")

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = MutableHeaders(scope=message)
                if response.get("content-type", "").startswith("text/html"):
                    response["Content-Language"] = i18n.HTML_LANG[language]
                    response.add_vary_header("Accept-Language")
                    response.add_vary_header("Cookie")
            await send(message)

        language_token = i18n.activate(language)
        path_token = i18n.enter_path(here)
        try:
            await self.app(scope, receive, send_with_language)
        finally:
            i18n.leave_path(path_token)
            i18n.deactivate(language_token)


def local_path(target: str) -> str:
    """``target`` if it is a path on this site (``/``, ``/lg?asn=1``); ``ValidationFailed`` for
    anything a browser could take to another site or that is not a plain path."""
    parts = urlsplit(target)
    if (
        not target.startswith("/")
        or target.startswith("//")
        or parts.scheme
        or parts.netloc
        or _UNSAFE.intersection(target)
        or any(c in string.whitespace for c in target)
    ):
        raise ValidationFailed([Problem("next", "must be a path on this site, such as /")])
    return target


def choose_language(
    code: str,
    caller: AnyCaller,
    back: Annotated[
        str, Query(alias="next", description="Where to return: a path on this site")
    ] = "/",
) -> RedirectResponse:
    """Remember ``code`` (``zh_CN`` or ``en``; ``zh``, ``zh-CN``, ``zh-Hans`` are taken for
    ``zh_CN``) in the ``ixc_lang`` cookie for every later page, and go back to ``next``."""
    language = i18n.match(code)
    if language is None:
        raise NotFound(f"no portal language {code!r}; there are {', '.join(i18n.LANGUAGES)}")
    response = RedirectResponse(local_path(back), status_code=303)
    response.set_cookie(
        COOKIE, language, max_age=COOKIE_MAX_AGE, path="/", httponly=True, samesite="lax"
    )
    return response


def install(app: FastAPI) -> None:
    """Negotiate the language of every request and serve ``GET /lang/{code}`` (a route of the
    app itself, so ``create_app`` finds its access rule among the app's routes)."""
    app.add_middleware(LanguageMiddleware)
    app.add_api_route(
        i18n.SWITCH_PATH + "/{code}",
        choose_language,
        methods=["GET"],
        status_code=303,
        response_class=RedirectResponse,
        tags=["portal"],
        summary="Choose the portal's language",
        responses={303: {"description": "The choice is stored in a cookie; back to `next`"}},
    )
