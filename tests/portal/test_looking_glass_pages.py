"""The looking glass pages over stand-in route servers: what each role sees, in both languages.

BJ-rs1 holds, from Alpha (AS131072): 203.0.113.0/24 and 2001:db8:100::/48 accepted,
198.51.100.0/25 (IRR) and 2001:db8:100:1::/64 (RPKI invalid) filtered; from Beta (AS131073):
198.51.100.0/24 and 2001:db8::/32 accepted, 192.0.2.0/24 filtered. BJ-rs2 holds Alpha's
203.0.113.0/24. Filtered paths are for their member and the staff only.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from ixcenter.api.app import create_app
from ixcenter.api.routes.looking_glass import install
from ixcenter.config import Settings
from ixcenter.portal.i18n import activate, deactivate
from ixcenter.portal.looking_glass_pages import (
    PAGE_SIZE,
    meaning_text,
    phrase_of,
)
from ixcenter.portal.route_advice import reason_words
from ixcenter.portal.words import duration_text
from ixcenter.registry.db import Registry
from ixcenter.routing.control.model import Route, Session, SessionState
from ixcenter.routing.lg_communities import WELL_KNOWN, large_meaning, standard_meaning
from ixcenter.routing.policy.reasons import Reason
from tests.api.stand_in import StandIn
from tests.api.world import World

RS = 64500
ALPHA, BETA = 131072, 131073
ALPHA_FILTERED = ("198.51.100.0/25", "2001:db8:100:1::/64")
BETA_FILTERED = "192.0.2.0/24"
REASON_WORDS = [r.words for r in Reason]
BROWSER = {"Accept": "text/html,application/xhtml+xml"}


def route(prefix: str, session: str, asn: int, **extra: object) -> Route:
    network = ipaddress.ip_network(prefix)
    return Route(network, session, as_path=(asn,), best=True, **extra)  # type: ignore[arg-type]


def session(name: str, asn: int, last: int, state: SessionState) -> Session:
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=2, hours=3, minutes=5)
    address = ipaddress.ip_address(f"192.0.2.{last}")
    return Session(name, asn, address, state, since)


def readers(extra: int = 0) -> list[StandIn]:
    """The two route servers; ``extra`` more accepted /32s from Beta (for paging)."""
    alpha, beta = "AS131072_1_v4", "AS131073_1_v4"
    rs1 = StandIn(
        "BJ-rs1",
        "bird",
        [
            route(
                "203.0.113.0/24",
                alpha,
                ALPHA,
                communities=((65535, 65281), (ALPHA, 42)),
                large_communities=((RS, 0, BETA),),
                next_hop=ipaddress.ip_address("192.0.2.11"),
                local_pref=100,
                med=7,
                origin="IGP",
            ),
            route("198.51.100.0/25", alpha, ALPHA, large_communities=((RS, 1101, 9),)),
            route("2001:db8:100::/48", alpha, ALPHA),
            route("2001:db8:100:1::/64", alpha, ALPHA, large_communities=((RS, 1101, 13),)),
            route("198.51.100.0/24", beta, BETA),
            route("2001:db8::/32", beta, BETA),
            route(BETA_FILTERED, beta, BETA, large_communities=((RS, 1101, 3),)),
            *(route(f"10.{n // 256}.{n % 256}.0/24", beta, BETA) for n in range(extra)),
        ],
        [
            session(alpha, ALPHA, 11, SessionState.ESTABLISHED),
            session(beta, BETA, 12, SessionState.ACTIVE),
        ],
    )
    rs2 = StandIn(
        "BJ-rs2",
        "openbgpd",
        [route("203.0.113.0/24", "Alpha Net", ALPHA)],
        [session("Alpha Net", ALPHA, 11, SessionState.ESTABLISHED)],
    )
    return [rs1, rs2]


def _client(registry: Registry, tmp_path: Path, extra: int = 0) -> Iterator[TestClient]:
    app = create_app(registry)
    install(app, Settings(data_dir=tmp_path), readers=readers(extra), start=False).refresh()
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def glass(registry: Registry, world: World, tmp_path: Path) -> Iterator[TestClient]:
    yield from _client(registry, tmp_path)


def get(client: TestClient, world: World, role: str, path: str, **params: object) -> Response:
    answer: Response = client.get(path, headers=world.headers(role), params=params)
    return answer


def text_of(page: str) -> str:
    """The page's text without tags, spaces folded (for phrases split by markup)."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_index_lists_servers_and_sessions_with_filtered_counts_where_allowed(
    glass: TestClient, world: World
) -> None:
    public = get(glass, world, "public", "/looking-glass")
    assert public.status_code == 200
    assert "no-store" not in public.headers.get("cache-control", "")
    page = public.text
    for expected in ("BJ-rs1", "BJ-rs2", "bird", "openbgpd", "AS64500", "Alpha Net", "Beta Net"):
        assert expected in page
    assert 'href="/looking-glass/BJ-rs1/AS131072"' in page
    assert "192.0.2.11" in page and "192.0.2.12" in page
    assert '<td class="ok">established</td>' in page
    assert '<td class="warn">active (not connected)</td>' in page
    assert "2d 3h" in page  # uptime in words
    assert "state=filtered" not in page

    member = get(glass, world, "member", "/looking-glass")
    assert member.headers["cache-control"] == "no-store"
    assert 'href="/looking-glass/BJ-rs1/AS131072?state=filtered">2</a>' in member.text
    assert "/looking-glass/BJ-rs1/AS131073?state=filtered" not in member.text
    operator = get(glass, world, "operator", "/looking-glass").text
    assert 'href="/looking-glass/BJ-rs1/AS131073?state=filtered">1</a>' in operator


@pytest.mark.parametrize("role", ["public", "beta", "member", "operator"])
def test_accepted_routes_of_a_member_are_public_with_decoded_communities(
    glass: TestClient, world: World, role: str
) -> None:
    for member in ("AS131072", str(world.alpha.org_id)):
        answer = get(glass, world, role, f"/looking-glass/BJ-rs1/{member}")
        assert answer.status_code == 200, answer.text
        page = answer.text
        assert "Alpha Net (AS131072)" in page
        assert "203.0.113.0/24" in page and "2001:db8:100::/48" in page
        assert "NO_EXPORT: not beyond the receiving AS (RFC 1997)" in page
        assert f"do not announce to AS{BETA}" in page
        assert f"{ALPHA}:42" in page  # a member's own community, without a meaning
        assert ">best</strong>" in page
        assert not any(prefix in page for prefix in ALPHA_FILTERED)
        shows_filtered = "state=filtered" in page
        assert shows_filtered is (role in ("member", "operator"))


@pytest.mark.parametrize(("role", "status"), [("public", 401), ("beta", 404)])
def test_filtered_routes_of_a_member_are_refused_like_the_api(
    glass: TestClient, world: World, role: str, status: int
) -> None:
    for member in ("AS131072", str(world.alpha.org_id)):
        page = get(glass, world, role, f"/looking-glass/BJ-rs1/{member}", state="filtered")
        api = get(
            glass,
            world,
            role,
            f"/api/v1/looking-glass/servers/BJ-rs1/members/{member}/routes",
            state="filtered",
        )
        assert page.status_code == api.status_code == status
        assert page.json()["detail"] == api.json()["detail"]
        assert not any(prefix in page.text for prefix in ALPHA_FILTERED)


def test_a_member_sees_its_filtered_routes_with_reasons_and_fixes(
    glass: TestClient, world: World
) -> None:
    answer = get(glass, world, "member", "/looking-glass/BJ-rs1/AS131072", state="filtered")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    page = text_of(answer.text)
    assert "198.51.100.0/25" in page and "2001:db8:100:1::/64" in page
    assert "203.0.113.0/24" not in page  # the accepted ones are on the other tab
    assert "Why: prefix not covered by route objects of the member's AS-SET" in page
    assert (
        "Fix: Create a route object for 198.51.100.0/25 with origin AS131072 in an IRR database"
        in page
    )
    assert "Why: RPKI invalid" in page
    assert "Fix the ROA of 2001:db8:100:1::/64 so that it allows origin AS131072" in page
    assert "filtered: prefix not covered by route objects" in page  # RS:1101:9 in words
    assert "Accepted routes (2)" in page and "Filtered routes (2)" in page


@pytest.mark.parametrize("role", ["operator", "supervisor"])
def test_the_staff_see_every_members_filtered_routes(
    glass: TestClient, world: World, role: str
) -> None:
    answer = get(glass, world, role, "/looking-glass/BJ-rs1/AS131073", state="filtered")
    assert answer.status_code == 200
    page = text_of(answer.text)
    assert BETA_FILTERED in page
    assert "Why: bogon prefix" in page and "Stop announcing 192.0.2.0/24" in page


def test_the_public_never_sees_a_filtered_path_or_reason(glass: TestClient, world: World) -> None:
    pages = [
        ("/looking-glass", {}),
        ("/looking-glass/BJ-rs1/AS131072", {}),
        ("/looking-glass/BJ-rs1/AS131073", {}),
        ("/looking-glass/BJ-rs2/AS131072", {}),
        ("/looking-glass/prefix", {"q": "198.51.100.1"}),
        ("/looking-glass/prefix", {"q": "198.51.100.0/25"}),
        ("/looking-glass/prefix", {"q": "2001:db8:100:1::1"}),
        ("/looking-glass/prefix", {"q": "192.0.2.1"}),
        ("/looking-glass/search", {"origin": str(ALPHA)}),
        ("/looking-glass/search", {"asn": str(BETA)}),
        ("/looking-glass/search", {"community": f"{RS}:1101:9"}),
        ("/looking-glass/search", {"community": f"{RS}:1101:3"}),
    ]
    for path, params in pages:
        answer = get(glass, world, "public", path, **params)
        assert answer.status_code == 200, path
        page = answer.text
        assert 'class="filtered"' not in page, (path, params)
        assert "2001:db8:100:1::/64" not in page
        assert not any(words in page for words in REASON_WORDS), (path, params)
        assert "Why:" not in page and "Fix:" not in page
    # a filtered path the public may not see does not shorten the match: the /24 answers
    covering = text_of(get(glass, world, "public", "/looking-glass/prefix", q="198.51.100.1").text)
    assert "Longest match for 198.51.100.1: 198.51.100.0/24" in covering


def test_prefix_lookup_finds_the_longest_match_ipv4_and_ipv6(
    glass: TestClient, world: World
) -> None:
    def match(role: str, query: str, **params: object) -> str:
        answer = get(glass, world, role, "/looking-glass/prefix", q=query, **params)
        assert answer.status_code == 200
        found = re.search(r'<h2 id="match">([^<]+)</h2>', answer.text)
        return found.group(1).split(": ")[1] if found else "none"

    assert match("public", "203.0.113.77") == "203.0.113.0/24"
    assert match("public", "203.0.113.0/25") == "203.0.113.0/24"
    assert match("public", "2001:db8:100:1::1") == "2001:db8:100::/48"
    assert match("member", "2001:db8:100:1::1") == "2001:db8:100:1::/64"
    assert match("operator", "198.51.100.1") == "198.51.100.0/25"
    assert match("beta", "198.51.100.1") == "198.51.100.0/24"
    assert match("public", "2001:db8:ffff::1") == "2001:db8::/32"
    assert match("public", "2001:db9::1") == "none"
    assert match("public", "192.0.2.77") == "none"  # only Beta's filtered path holds it
    assert match("beta", "192.0.2.77") == BETA_FILTERED

    both = get(glass, world, "public", "/looking-glass/prefix", q="203.0.113.1").text
    assert both.count('<tr class="accepted">') == 2
    assert "Local pref" in both and ">100</td>" in both and ">7</td>" in both
    only = get(glass, world, "public", "/looking-glass/prefix", q="203.0.113.1", server="BJ-rs2")
    assert only.text.count('<tr class="accepted">') == 1
    none = get(glass, world, "public", "/looking-glass/prefix", q="2001:db9::1").text
    assert "No route on the route servers covers 2001:db9::1." in none


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"q": "not-an-address"}, "is neither an address nor a prefix"),
        ({"q": "192.0.2.1/24"}, "is neither an address nor a prefix"),
        ({"q": "192.0.2.1", "server": "XX-rs9"}, "There is no route server XX-rs9."),
    ],
)
def test_a_bad_lookup_is_a_page_with_an_error(
    glass: TestClient, world: World, params: dict[str, str], words: str
) -> None:
    answer = glass.get("/looking-glass/prefix", params=params, headers=BROWSER)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert 'id="error"' in answer.text and words in answer.text
    assert 'id="prefix-lookup"' in answer.text  # the form, to try again
    # a program gets the API's problem+json, with the same words
    problem = glass.get("/looking-glass/prefix", params=params)
    assert problem.status_code == 422
    assert problem.headers["content-type"] == "application/problem+json"
    assert words in problem.json()["errors"][0]["message"]


def test_search_by_asn_origin_and_community(glass: TestClient, world: World) -> None:
    def prefixes(role: str, **params: str) -> list[str]:
        answer = get(glass, world, role, "/looking-glass/search", **params)
        assert answer.status_code == 200, answer.text
        found = re.findall(r"/looking-glass/prefix\?q=([^\"]+)\"", answer.text)
        return [unquote(prefix) for prefix in found]

    assert prefixes("public", asn=f"AS{BETA}") == ["198.51.100.0/24", "2001:db8::/32"]
    assert prefixes("beta", asn=str(BETA)) == ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"]
    assert prefixes("public", origin=str(ALPHA)) == [
        "203.0.113.0/24",
        "203.0.113.0/24",
        "2001:db8:100::/48",
    ]
    assert len(prefixes("member", origin=str(ALPHA))) == 5
    assert prefixes("public", community=f"{RS}:0:{BETA}") == ["203.0.113.0/24"]
    assert prefixes("public", community=f"{RS}:1101:9") == []
    assert prefixes("member", community=f"{RS}:1101:9") == ["198.51.100.0/25"]
    # an empty field of the form is no criterion
    assert prefixes("public", asn="", origin="", community="65535:65281") == ["203.0.113.0/24"]
    assert 'id="found"' not in get(glass, world, "public", "/looking-glass/search").text


@pytest.mark.parametrize(
    "params",
    [
        {"asn": "1", "origin": "2"},
        {"community": "1:2:3:4"},
        {"community": "70000:1"},
        {"asn": "AS-FOO"},
        {"origin": str(2**32)},
        {"community": "\u00b2:1"},  # a digit int() refuses
    ],
)
def test_a_bad_search_is_a_page_with_an_error(
    glass: TestClient, world: World, params: dict[str, str]
) -> None:
    answer = glass.get("/looking-glass/search", params=params, headers=BROWSER)
    assert answer.status_code == 422
    assert 'id="error"' in answer.text and 'id="route-search"' in answer.text
    problem = glass.get("/looking-glass/search", params=params)
    assert problem.status_code == 422
    assert problem.headers["content-type"] == "application/problem+json"


def test_long_answers_come_a_page_at_a_time(
    registry: Registry, world: World, tmp_path: Path
) -> None:
    for client in _client(registry, tmp_path, extra=PAGE_SIZE + 5):
        path = "/looking-glass/BJ-rs1/AS131073"
        first = get(client, world, "public", path).text
        assert first.count('<tr class="accepted">') == PAGE_SIZE
        assert f"1 to {PAGE_SIZE} of {PAGE_SIZE + 7}" in first
        assert f'href="{path}?offset={PAGE_SIZE}" rel="next"' in first
        rest = get(client, world, "public", path, offset=PAGE_SIZE).text
        assert rest.count('<tr class="accepted">') == 7
        assert f'href="{path}" rel="prev"' in rest
        found = get(client, world, "public", "/looking-glass/search", origin=str(BETA)).text
        assert f'href="/looking-glass/search?origin={BETA}&amp;offset={PAGE_SIZE}"' in found


def test_unknown_server_or_member(glass: TestClient, world: World) -> None:
    assert get(glass, world, "public", "/looking-glass/XX-rs1/AS131072").status_code == 404
    assert get(glass, world, "public", "/looking-glass/BJ-rs1/999999").status_code == 404
    assert get(glass, world, "public", "/looking-glass/BJ-rs1/alpha").status_code == 422
    assert get(glass, world, "public", "/looking-glass/BJ-rs1/AS\u00b2").status_code == 422
    assert get(glass, world, "public", "/looking-glass/BJ-rs1/\u00b2").status_code == 422
    empty = get(glass, world, "public", "/looking-glass/BJ-rs1/AS64999")
    assert empty.status_code == 200 and "No accepted routes." in empty.text


def test_before_the_first_read_every_page_says_so(
    registry: Registry, world: World, tmp_path: Path
) -> None:
    app = create_app(registry)
    refresher = install(app, Settings(data_dir=tmp_path), readers=readers(), start=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path in (
            "/looking-glass",
            "/looking-glass/prefix?q=192.0.2.1",
            "/looking-glass/search?asn=1",
            "/looking-glass/BJ-rs1/AS131072",
        ):
            answer = client.get(path)
            assert answer.status_code == 503, path
            assert answer.headers["retry-after"] == "5"
            assert '<meta http-equiv="refresh" content="5">' in answer.text
            assert 'id="reading"' in answer.text
        refresher.refresh()
        assert client.get("/looking-glass").status_code == 200


def test_pages_in_chinese(glass: TestClient, world: World) -> None:
    glass.cookies.set("ixc_lang", "zh_CN")
    index = get(glass, world, "public", "/looking-glass")
    assert index.headers["content-language"] == "zh-CN"
    assert "<h1>路由查询</h1>" in index.text
    glass.cookies.clear()
    found = glass.get(
        "/looking-glass/prefix", params={"q": "203.0.113.1"}, headers={"Accept-Language": "zh-CN"}
    )
    assert "<th>前缀</th>" in found.text and "<th>路由服务器</th>" in found.text
    mine = glass.get(
        "/looking-glass/BJ-rs1/AS131072",
        params={"state": "filtered"},
        headers={**world.headers("member"), "Accept-Language": "zh-CN"},
    )
    token = activate("zh_CN")
    try:
        in_chinese = reason_words(Reason.IRR_PREFIX)
    finally:
        deactivate(token)
    assert in_chinese != Reason.IRR_PREFIX.words
    assert in_chinese in html_lib.unescape(mine.text)
    assert Reason.IRR_PREFIX.words not in html_lib.unescape(mine.text)


def test_every_community_meaning_is_recognised() -> None:
    meanings = [standard_meaning((65535, low), RS) for low in (*WELL_KNOWN, 12345)]
    meanings += [standard_meaning(c, RS) for c in ((0, RS), (0, ALPHA), (RS, ALPHA))]
    meanings += [standard_meaning((65501 + n, ALPHA), RS) for n in range(3)]
    meanings += [large_meaning((RS, kind, value), RS) for kind, value in _LARGE]
    assert None not in meanings
    unknown = [m for m in meanings if m is not None and phrase_of(m) is None]
    assert unknown == []
    assert phrase_of("a member's own words") is None


_LARGE = [
    (0, 0),
    (0, ALPHA),
    (1, ALPHA),
    (101, ALPHA),
    (103, ALPHA),
    (1101, 9),
    (1101, 99),
    (1000, 1),
    (1000, 2),
    (1000, 3),
    (1000, 9),
    (1001, 1),
    (1999, 4),
]


def test_meanings_and_uptimes_in_words() -> None:
    token = activate("en")
    try:
        assert meaning_text(None) is None
        assert meaning_text("prepend 2x to AS64501") == "prepend 2 times towards AS64501"
        assert meaning_text("filtered: RPKI invalid") == "filtered: RPKI invalid"
        assert meaning_text("something new") == "something new"
        assert duration_text(59) == "0m"
        assert duration_text(3 * 3600 + 120) == "3h 2m"
        assert duration_text(86400 * 4 + 3600 * 5 + 7) == "4d 5h"
    finally:
        deactivate(token)
