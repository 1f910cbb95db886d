"""Signing in to the portal, signing out, and the "my account" page.

``GET /signin`` shows the form; ``POST /signin`` checks the login and password (service
``accounts``), opens a server-side session (service ``portal_sessions``) and sets the cookie
``ixc_session`` (HttpOnly, SameSite=Lax, Secure over https, path /) before sending the browser on
to the page it came for. ``policy`` then identifies the browser by that cookie on every route, so
all access rules hold for it as for an API token.

CSRF: once signed in, every unsafe request carries the session's token (checked by
``policy.Guard``). Before sign-in there is no session, so the sign-in form is protected by a double
submit instead: ``GET /signin`` sets a random cookie ``ixc_signin`` (HttpOnly, SameSite=Strict,
path /signin) and puts the same value in the form; ``POST /signin`` refuses a form whose value
does not match its cookie, so another site cannot sign a browser in to an account of its choosing.

Forms are parsed with the standard library (``policy.form_fields``, ``urllib.parse``) rather than
``python-multipart``: the portal's forms are small ``application/x-www-form-urlencoded`` bodies
without files, the CSRF check in ``policy.Guard`` has to read them anyway (``FormFields`` hands a
route the same parse), and one dependency fewer is one parser fewer exposed to the network.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import urllib.parse
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ixcenter.api.policy import (
    CSRF_FIELD,
    SESSION_COOKIE,
    AnyCaller,
    FormFields,
    Reader,
    RegistryDep,
)
from ixcenter.core.errors import PermissionDenied
from ixcenter.portal import i18n, render
from ixcenter.portal.templating import STATIC_PATH, templates
from ixcenter.registry.models import Organisation
from ixcenter.registry.services import accounts, portal_sessions

logger = logging.getLogger(__name__)

router = APIRouter(tags=["portal"])

SIGNIN_COOKIE = "ixc_signin"
SIGNIN_PATH = "/signin"
HOME = "/account"
_SIGNIN_FORM_LIFETIME = 3600  # seconds a sign-in form stays usable


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _signin_page(
    request: Request, next_path: str, login: str = "", error: dict[str, Any] | None = None
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    page = templates.get_template("signin.html").render(
        title=i18n.gettext("Sign in"),
        static=STATIC_PATH,
        csrf_token=token,
        signed_in=None,
        next_path=next_path,
        login=login,
        error=error,
    )
    status = 200
    if error is not None:
        status = 429 if error["code"] == "locked" else 401
    response = HTMLResponse(page, status_code=status)
    if error is not None and error.get("retry_after"):
        response.headers["Retry-After"] = str(error["retry_after"])
    response.set_cookie(
        SIGNIN_COOKIE,
        token,
        max_age=_SIGNIN_FORM_LIFETIME,
        path=SIGNIN_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )
    _no_store(response)
    return response


@router.get(SIGNIN_PATH, response_class=HTMLResponse, summary="Sign-in form")
def signin_form(caller: AnyCaller, request: Request, next: str | None = None) -> Response:
    """The sign-in form; a browser that is signed in already goes on to its page."""
    if request.state.csrf_token is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _signin_page(request, safe_next(next))


@router.post(SIGNIN_PATH, response_class=HTMLResponse, summary="Sign in")
def signin(
    caller: AnyCaller, request: Request, registry: RegistryDep, fields: FormFields
) -> Response:
    """Check login and password; on success a session cookie and a redirect (303) to ``next``."""
    if request.state.csrf_token is None:  # signed in already: the guard checked the session token
        expected = request.cookies.get(SIGNIN_COOKIE, "").encode()
        posted = fields.get(CSRF_FIELD, "").encode()
        if not expected or not hmac.compare_digest(posted, expected):
            raise PermissionDenied(
                "the sign-in form's CSRF token is missing or wrong: reload the page and try again"
            )
    login = fields.get("login", "")
    next_path = safe_next(fields.get("next"))
    source = request.client.host if request.client else None
    previous = request.cookies.get(SESSION_COOKIE)
    clock = registry.clock
    with registry.transaction(f"portal:{accounts.normal_login(login)[:100]}") as s:
        attempt = accounts.authenticate(s, login, fields.get("password", ""), clock, source)
        session_id = None
        if attempt.account is not None:
            if previous:
                portal_sessions.end(s, previous, clock)
            session_id = portal_sessions.open_session(s, attempt.account, clock)
    if session_id is None:
        error: dict[str, Any] = {"code": "refused"}
        if attempt.locked_until is not None:
            wait = attempt.locked_until - clock.now()
            error = {
                "code": "locked",
                "until": attempt.locked_until.strftime("%H:%M:%S"),
                "retry_after": max(1, int(wait.total_seconds())),
            }
        return _signin_page(request, next_path, accounts.normal_login(login)[:100], error)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(portal_sessions.LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(SIGNIN_COOKIE, path=SIGNIN_PATH, secure=_secure(request))
    return _no_store(response)


@router.post("/signout", response_class=HTMLResponse, summary="Sign out")
def signout(caller: AnyCaller, request: Request, registry: RegistryDep) -> Response:
    """End this browser's session (the guard has checked its CSRF token) and forget the cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if request.state.csrf_token is not None and session_id:
        with registry.transaction(caller.actor) as s:
            portal_sessions.end(s, session_id, registry.clock)
    response = RedirectResponse(SIGNIN_PATH, status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request)
    )
    return _no_store(response)


@router.get(HOME, response_class=HTMLResponse, summary="My account")
def account_page(caller: Reader, request: Request, registry: RegistryDep) -> Response:
    """Who is signed in, with which role; a member also sees its organisation."""
    with registry.read() as s:
        organisation = (
            s.get(Organisation, caller.organisation_id) if caller.organisation_id else None
        )
        account = accounts.find(s, caller.name or "") if caller.via == "portal" else None
        return render.page(
            request,
            caller,
            "account.html",
            title=i18n.gettext("My account"),
            private=True,
            caller=caller,
            account=account,
            organisation=organisation,
        )
