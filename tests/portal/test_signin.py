"""Signing in to the portal by role, the session cookie, CSRF, signing out, and that a signed-in
browser gets exactly what a token of the same role gets (``tests.api.world``)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from ixcenter.api.app import create_app
from ixcenter.api.policy import csrf_token
from ixcenter.core.clock import FixedClock
from ixcenter.core.kinds import Role
from ixcenter.registry.db import Registry
from ixcenter.registry.models import AuditEntry, Organisation
from ixcenter.registry.services import accounts
from tests.api.world import World

V1 = "/api/v1"
PASSWORD = "correct horse battery"
ACCOUNTS = {  # login -> (role, member of the world or None)
    "noc": (Role.OPERATOR, None),
    "regulator": (Role.SUPERVISOR, None),
    "alpha": (Role.MEMBER, "alpha"),
    "beta": (Role.MEMBER, "beta"),
}


def _app(registry: Registry) -> FastAPI:
    app = create_app(registry)
    if not any(getattr(r, "path", None) == "/signin" for r in app.routes):
        from ixcenter.portal import auth  # until create_app lists the router itself

        app.include_router(auth.router)
    return app


@pytest.fixture
def people(registry: Registry, world: World) -> World:
    with registry.transaction("test") as s:
        for login, (role, member) in ACCOUNTS.items():
            org_id = getattr(world, member).org_id if member else None
            accounts.create(s, login, login.title(), role, org_id, PASSWORD, registry.clock)
    return world


@pytest.fixture
def browser(registry: Registry, people: World) -> Iterator[TestClient]:
    with TestClient(_app(registry), raise_server_exceptions=False) as client:
        yield client


def _form_token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def _sign_in(
    client: TestClient, login: str, password: str = PASSWORD, **extra: str
) -> httpx.Response:
    form = client.get("/signin")
    assert form.status_code == 200
    data = {"csrf_token": _form_token(form), "login": login, "password": password, **extra}
    return client.post("/signin", data=data, follow_redirects=False)


def _cookie(response: httpx.Response, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    assert len(headers) == 1, response.headers
    return headers[0]


def _clock(registry: Registry) -> FixedClock:
    assert isinstance(registry.clock, FixedClock)
    return registry.clock


# --- signing in ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "role", "member"),
    [
        ("noc", "Operator", None),
        ("regulator", "Supervisor", None),
        ("alpha", "Member", "Alpha Net"),
    ],
)
def test_each_role_signs_in_and_reaches_its_account(
    browser: TestClient, login: str, role: str, member: str | None
) -> None:
    assert browser.get("/account").status_code == 401
    signed_in = _sign_in(browser, login)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/account"
    page = browser.get("/account")
    assert page.status_code == 200
    assert f"<td>{login.title()}</td>" in page.text
    assert f"<td>{role}</td>" in page.text
    assert ("Alpha Net" in page.text) is (member is not None)
    assert "Beta Net" not in page.text
    assert page.headers["cache-control"] == "no-store"


def test_the_session_cookie_flags_over_http(browser: TestClient) -> None:
    header = _cookie(_sign_in(browser, "noc"), "ixc_session").lower()
    assert "httponly" in header
    assert "samesite=lax" in header
    assert "path=/;" in header or header.endswith("path=/")
    assert f"max-age={12 * 3600}" in header
    assert "secure" not in header


def test_the_session_cookie_is_secure_over_https(registry: Registry, people: World) -> None:
    app = _app(registry)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        response = _sign_in(client, "noc")
        assert response.status_code == 303
        header = _cookie(response, "ixc_session").lower()
        assert "secure" in header and "httponly" in header and "samesite=lax" in header
        assert client.get("/account").status_code == 200


def test_the_sign_in_form_cookie_is_strict_and_scoped(browser: TestClient) -> None:
    header = _cookie(browser.get("/signin"), "ixc_signin").lower()
    assert "httponly" in header and "samesite=strict" in header and "path=/signin" in header


def test_a_wrong_password_shows_the_form_again(browser: TestClient, registry: Registry) -> None:
    refused = _sign_in(browser, "alpha", "not the password")
    assert refused.status_code == 401
    assert "Wrong login or password." in refused.text
    assert 'value="alpha"' in refused.text
    assert "ixc_session" not in refused.headers.get("set-cookie", "")
    assert browser.get("/account").status_code == 401
    unknown = _sign_in(browser, "nobody", PASSWORD)
    assert unknown.status_code == 401 and "Wrong login or password." in unknown.text
    with registry.read() as s:
        failed = s.scalars(select(AuditEntry).where(AuditEntry.action == "sign-in-failed")).all()
        assert [e.after["login"] for e in failed if e.after] == ["alpha", "nobody"]
        assert all(e.after and e.after["source"] == "testclient" for e in failed)


def test_failures_lock_the_login_for_a_minute(browser: TestClient, registry: Registry) -> None:
    for _ in range(accounts.MAX_FAILURES):
        assert _sign_in(browser, "alpha", "not the password").status_code == 401
    locked = _sign_in(browser, "alpha")
    assert locked.status_code == 429
    assert locked.headers["retry-after"] == "60"
    assert "Too many failed sign-ins" in locked.text
    assert browser.get("/account").status_code == 401
    _clock(registry).advance(accounts.LOCK_FOR)
    assert _sign_in(browser, "alpha").status_code == 303
    assert browser.get("/account").status_code == 200


def test_next_goes_back_to_a_page_of_this_site_only(browser: TestClient) -> None:
    assert _sign_in(browser, "noc", next="/?x=1").headers["location"] == "/?x=1"
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "account"):
        browser.cookies.clear()
        assert _sign_in(browser, "noc", next=hostile).headers["location"] == "/account"


def test_a_signed_in_browser_skips_the_form(browser: TestClient) -> None:
    _sign_in(browser, "noc")
    again = browser.get("/signin", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/account")


# --- the session's life ----------------------------------------------------------------------


def test_a_session_expires_after_twelve_hours(browser: TestClient, registry: Registry) -> None:
    _sign_in(browser, "alpha")
    _clock(registry).advance(dt.timedelta(hours=11, minutes=59))
    assert browser.get("/account").status_code == 200
    _clock(registry).advance(dt.timedelta(minutes=1))
    expired = browser.get("/account")
    assert expired.status_code == 401
    assert expired.headers["content-type"] == "application/problem+json"
    assert [m["view"] for m in browser.get(f"{V1}/members").json()] == ["public", "public"]


def test_a_signed_out_cookie_no_longer_works(browser: TestClient, registry: Registry) -> None:
    _sign_in(browser, "alpha")
    session_id = browser.cookies["ixc_session"]
    token = _form_token(browser.get("/account"))
    assert token == csrf_token(session_id)
    out = browser.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert (out.status_code, out.headers["location"]) == (303, "/signin")
    assert (
        'ixc_session=""' in _cookie(out, "ixc_session")
        or "max-age=0" in _cookie(out, "ixc_session").lower()
    )
    assert browser.get("/account").status_code == 401
    with TestClient(_app(registry), raise_server_exceptions=False) as replay:
        replay.cookies.set("ixc_session", session_id)
        assert replay.get("/account").status_code == 401
        assert replay.get(f"{V1}/ports").status_code == 401
    with registry.read() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-2:] == ["sign-in", "sign-out"]


def test_a_disabled_account_is_signed_out(browser: TestClient, registry: Registry) -> None:
    _sign_in(browser, "alpha")
    with registry.transaction("test") as s:
        accounts.disable(s, "alpha", registry.clock)
    assert browser.get("/account").status_code == 401
    assert _sign_in(browser, "alpha").status_code == 401


# --- CSRF ------------------------------------------------------------------------------------


def test_sign_in_without_or_with_a_wrong_form_token_is_refused(
    browser: TestClient, registry: Registry
) -> None:
    credentials = {"login": "alpha", "password": PASSWORD}
    missing = browser.post("/signin", data=credentials, follow_redirects=False)
    assert missing.status_code == 403
    assert missing.headers["content-type"] == "application/problem+json"
    browser.get("/signin")  # sets the form cookie
    wrong = browser.post("/signin", data={**credentials, "csrf_token": "forged"})
    assert wrong.status_code == 403
    assert "CSRF" in wrong.json()["detail"]
    with registry.read() as s:
        assert not s.scalars(select(AuditEntry).where(AuditEntry.action.like("sign-in%"))).all()
    assert browser.get("/account").status_code == 401


def test_sign_out_without_or_with_a_wrong_token_is_refused(browser: TestClient) -> None:
    _sign_in(browser, "alpha")
    assert browser.post("/signout", data={}).status_code == 403
    assert browser.post("/signout", data={"csrf_token": "forged"}).status_code == 403
    other = csrf_token("another session's id")
    assert browser.post("/signout", data={"csrf_token": other}).status_code == 403
    assert browser.get("/account").status_code == 200  # still signed in


def test_api_writes_with_the_cookie_need_the_token(browser: TestClient, people: World) -> None:
    _sign_in(browser, "alpha")
    path = f"{V1}/members/{people.alpha.org_id}"
    change = {"url": "https://peering.alpha.example"}
    refused = browser.patch(path, json=change)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert browser.get(path).json()["url"] is None
    token = csrf_token(browser.cookies["ixc_session"])
    other = token[:-1] + ("1" if token[-1] == "0" else "0")
    wrong = browser.patch(path, json=change, headers={"X-CSRF-Token": other})
    assert wrong.status_code == 403
    done = browser.patch(path, json=change, headers={"X-CSRF-Token": token})
    assert done.status_code == 200, done.text
    assert done.json()["url"] == "https://peering.alpha.example"


def test_an_api_write_by_a_session_is_audited_under_the_login(
    browser: TestClient, registry: Registry, people: World
) -> None:
    _sign_in(browser, "alpha")
    token = csrf_token(browser.cookies["ixc_session"])
    path = f"{V1}/members/{people.alpha.org_id}"
    browser.patch(path, json={"url": "https://a.example"}, headers={"X-CSRF-Token": token})
    with registry.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.object_type == "organisations"))
        assert [e.actor for e in entry if e.action == "update"] == ["portal:alpha"]
        assert s.get(Organisation, people.alpha.org_id) is not None


def test_a_bearer_token_needs_no_csrf_token(browser: TestClient, people: World) -> None:
    path = f"{V1}/members/{people.alpha.org_id}"
    done = browser.patch(path, json={"url": "https://a.example"}, headers=people.headers("member"))
    assert done.status_code == 200


# --- the same access as a token --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "ports/{beta_port}",
        "ports/99999",
        "members/{beta_org}",
        "ips/{beta_ip}",
        "services/{beta_service}",
    ],
)
def test_a_member_session_meets_another_members_object_like_a_member_token(
    browser: TestClient, people: World, path: str
) -> None:
    url = f"{V1}/" + path.format(
        beta_port=people.beta.port_id,
        beta_org=people.beta.org_id,
        beta_ip=people.beta.ip_id,
        beta_service=people.beta.service_id,
    )
    by_token = browser.get(url, headers=people.headers("member"))
    _sign_in(browser, "alpha")
    by_session = browser.get(url)
    assert by_token.status_code == by_session.status_code == 404
    assert by_session.headers["content-type"] == "application/problem+json"
    assert by_session.json() == by_token.json()
    assert by_session.json()["detail"].endswith("visible to token 'alpha'")


def test_a_member_session_lists_only_its_own_objects(browser: TestClient, people: World) -> None:
    _sign_in(browser, "alpha")
    ports = browser.get(f"{V1}/ports").json()
    assert sorted(p["id"] for p in ports) == sorted(
        [people.alpha.port_id, people.alpha.second_port_id]
    )
    members = browser.get(f"{V1}/members").json()
    assert [(m["id"], m["view"]) for m in members] == [(people.alpha.org_id, "full")]


@pytest.mark.parametrize(
    ("login", "path", "status"),
    [
        ("regulator", f"{V1}/ports", 200),
        ("regulator", f"{V1}/switches", 200),
        ("alpha", f"{V1}/switches", 200),
        ("noc", f"{V1}/ports", 200),
    ],
)
def test_roles_read_through_a_session_as_through_a_token(
    browser: TestClient, login: str, path: str, status: int
) -> None:
    _sign_in(browser, login)
    assert browser.get(path).status_code == status


def test_a_supervisor_session_may_not_write(browser: TestClient, people: World) -> None:
    _sign_in(browser, "regulator")
    token = csrf_token(browser.cookies["ixc_session"])
    path = f"{V1}/members/{people.alpha.org_id}"
    refused = browser.patch(
        path, json={"url": "https://a.example"}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "a supervisor token may not change this"


def test_the_bearer_token_wins_over_the_cookie(browser: TestClient, people: World) -> None:
    _sign_in(browser, "alpha")
    ports = browser.get(f"{V1}/ports", headers=people.headers("operator")).json()
    assert people.beta.port_id in {p["id"] for p in ports}


def test_the_account_page_names_a_token_caller(browser: TestClient, people: World) -> None:
    page = browser.get("/account", headers=people.headers("member"))
    assert page.status_code == 200
    assert '<td class="code">alpha</td>' in page.text
    assert "Alpha Net" in page.text
    assert "/signout" not in page.text  # a token has no session to end


def test_an_oversized_or_overlong_form_is_not_read(browser: TestClient) -> None:
    form = browser.get("/signin")
    token = _form_token(form)
    many = {f"f{n}": "x" for n in range(150)}
    crowded = browser.post("/signin", data={"csrf_token": token, **many})
    assert crowded.status_code == 403  # more fields than a form has: nothing is parsed
    padded = {"csrf_token": token, "login": "noc", "password": PASSWORD, "pad": "x" * 70_000}
    assert browser.post("/signin", data=padded).status_code == 403
