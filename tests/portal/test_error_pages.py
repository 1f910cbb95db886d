"""Errors for people: a browser is sent to sign in, or shown a page with the error's status;
API clients and tokens keep their problem+json."""

from __future__ import annotations

import urllib.parse

from fastapi.testclient import TestClient

from ixcenter.api.app import create_app
from ixcenter.api.policy import AnyCaller
from ixcenter.registry.db import Registry
from tests.api.world import World

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_a_signed_out_browser_is_sent_to_sign_in_and_back(client: TestClient) -> None:
    answer = client.get("/account?tab=1", headers=BROWSER, follow_redirects=False)
    assert answer.status_code == 303
    target = urllib.parse.urlsplit(answer.headers["location"])
    assert target.path == "/signin"
    assert urllib.parse.parse_qs(target.query) == {"next": ["/account?tab=1"]}
    assert client.get(answer.headers["location"], headers=BROWSER).status_code == 200


def test_api_clients_keep_problem_json(client: TestClient, world: World) -> None:
    for path, headers in (
        ("/account", {}),  # no text/html in Accept
        ("/api/v1/switches", BROWSER),  # the API answers in JSON whatever the Accept
        ("/account", {**BROWSER, "Authorization": "Bearer ixc_wrong"}),  # a token caller
    ):
        answer = client.get(path, headers=headers, follow_redirects=False)
        assert answer.status_code == 401, path
        assert answer.headers["content-type"] == "application/problem+json"


def test_an_error_page_keeps_the_status_and_speaks_the_reader_s_language(
    client: TestClient,
) -> None:
    missing = client.get("/nowhere", headers=BROWSER)
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in missing.text
    assert 'id="error"' in missing.text
    chinese = client.get("/nowhere", headers={**BROWSER, "Accept-Language": "zh-CN"})
    assert chinese.status_code == 404
    assert "Not found" not in chinese.text


def test_a_server_error_page_says_nothing_of_the_code(registry: Registry) -> None:
    app = create_app(registry)

    def broken(caller: AnyCaller) -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken", broken, methods=["GET"])
    client = TestClient(app, raise_server_exceptions=False)
    answer = client.get("/broken", headers=BROWSER)
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert "secret internals" not in answer.text
    api = client.get("/broken")
    assert api.status_code == 500
    assert api.headers["content-type"] == "application/problem+json"
