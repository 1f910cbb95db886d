"""The portal in Simplified Chinese and English: complete catalogs, no unmarked template text,
language negotiation, the language switcher and its open-redirect guard."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from fastapi.testclient import TestClient

from ixcenter.api.policy import Rule
from ixcenter.portal import catalogs, i18n
from ixcenter.portal.catalogs import Sources, unmarked_text
from ixcenter.portal.live import REASON_WORDS, FilteredRoute, reason_words
from ixcenter.routing.policy.reasons import Reason
from tests.api.world import World

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


@pytest.fixture
def chinese() -> Iterator[None]:
    token = i18n.activate("zh_CN")
    yield
    i18n.deactivate(token)


# --- the catalogs: every string of every page translated -------------------------------------


def test_every_string_is_translated() -> None:
    """The completeness check over every template and every Python source of portal and api."""
    assert catalogs.check(Sources.of_package()) == []


@pytest.fixture
def copy(tmp_path: Path) -> Sources:
    """The package's Python sources with the templates and catalogs among them, copied."""
    real = Sources.of_package()
    for root in real.python:
        shutil.copytree(
            root,
            tmp_path / root.relative_to(real.root),
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    return Sources(
        root=tmp_path,
        templates=tmp_path / real.templates.relative_to(real.root),
        python=tuple(tmp_path / root.relative_to(real.root) for root in real.python),
        locale=tmp_path / real.locale.relative_to(real.root),
    )


def _po(sources: Sources) -> Path:
    return sources.po("zh_CN")


def _gaps(problems: list[str]) -> set[str]:
    """The msgids ``problems`` name as untranslated or fuzzy (update may guess from an old string)."""
    gaps = set()
    for problem in problems:
        for kind in ("zh_CN: untranslated ", "zh_CN: fuzzy "):
            if problem.startswith(kind):
                gaps.add(problem.removeprefix(kind).strip("'"))
    return gaps


def _translate(sources: Sources, msgid: str, text: str) -> None:
    path = _po(sources)
    catalog = read_po(path.open("rb"), locale="zh_CN")
    message = catalog[msgid]
    message.string = text
    message.flags.discard("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog, width=catalogs.WIDTH)


def test_a_new_template_string_fails_the_check_until_translated(copy: Sources) -> None:
    assert catalogs.check(copy) == []
    (copy.templates / "peering.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>{{ _("Peering policy") }}</h1>'
        "{% endblock %}\n"
    )
    assert catalogs.check(copy) == [
        "messages.pot lacks 'Peering policy' (run update)",
        "zh_CN: missing 'Peering policy' (run update)",
    ]
    catalogs.update(copy)
    assert "Peering policy" in copy.pot.read_text()
    problems = catalogs.check(copy)
    assert len(problems) == 1 and _gaps(problems) == {"Peering policy"}
    _translate(copy, "Peering policy", "对等互联政策")
    assert catalogs.check(copy) == []
    compiled = i18n.compile_po(_po(copy).read_bytes(), "zh_CN")
    assert compiled.gettext("Peering policy") == "对等互联政策"


def test_new_python_strings_and_plurals_fail_the_check(copy: Sources) -> None:
    module = copy.python[0] / "peering_words.py"
    module.write_text(
        "from ixcenter.portal.i18n import gettext, ngettext\n\n"
        "def words(n: int) -> str:\n"
        '    return gettext("Route collector view") + ngettext("%(num)d route", "%(num)d routes", n)\n'
    )
    catalogs.update(copy)
    problems = catalogs.check(copy)
    assert _gaps(problems) == {"Route collector view", "%(num)d route"}
    assert len(problems) == 2


def test_a_string_gone_from_the_sources_fails_the_check(copy: Sources) -> None:
    page = copy.templates / "overview.html"
    page.write_text(page.read_text().replace('{{ _("Facility") }}', '{{ _("Colocation") }}'))
    problems = catalogs.check(copy)
    assert "zh_CN: stale 'Facility', gone from the sources (run update)" in problems
    assert "messages.pot has 'Facility', gone from the sources (run update)" in problems
    catalogs.update(copy)  # drops it, takes the new one in untranslated or as a fuzzy guess
    assert "Facility" not in [m.id for m in read_po(_po(copy).open("rb"))]
    problems = catalogs.check(copy)
    assert len(problems) == 1 and _gaps(problems) == {"Colocation"}


def test_fuzzy_and_broken_placeholders_fail_the_check(copy: Sources) -> None:
    path = _po(copy)
    catalog = read_po(path.open("rb"), locale="zh_CN")
    catalog["Live"].flags.add("fuzzy")
    catalog["Traffic of %(center)s"].string = "%(centre)s 的流量"
    with path.open("wb") as f:
        write_po(f, catalog, width=catalogs.WIDTH)
    problems = catalogs.check(copy)
    assert "zh_CN: fuzzy 'Live'" in problems
    assert [p for p in problems if p.startswith("zh_CN: 'Traffic of %(center)s'")]
    assert len(problems) == 2
    # at run time a fuzzy entry is not used: the English text shows instead
    assert i18n.compile_po(path.read_bytes(), "zh_CN").gettext("Live") == "Live"


def test_update_keeps_the_catalog_unchanged_when_nothing_changed(copy: Sources) -> None:
    before = _po(copy).read_bytes(), copy.pot.read_bytes()
    assert catalogs.update(copy) == []
    assert (_po(copy).read_bytes(), copy.pot.read_bytes()) == before


def test_the_command_reports_and_exits_non_zero(
    copy: Sources, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(Sources, "of_package", classmethod(lambda cls: copy))
    assert catalogs.main(["check"]) == 0
    assert capsys.readouterr().out == "all strings translated\n"
    (copy.templates / "extra.html").write_text('<p>{{ _("Route leaks") }}</p>\n<p>Unmarked</p>\n')
    assert catalogs.main(["check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "extra.html:2: text not marked for translation: 'Unmarked'" in out
    assert out[-1] == "3 problems"


# --- the template lint: no visible text outside _() / {% trans %} ----------------------------


def test_no_template_has_unmarked_text() -> None:
    sources = Sources.of_package()
    assert sources.template_files()
    assert catalogs.template_problems(sources) == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Hello</p>", [(1, "Hello")]),
        ("<p>\n  42\n  Hello\n</p>", [(3, "42 Hello")]),
        ("<h1>\n  {{ _('Hi') }}\n</h1>\n<p>{{ count }} members</p>", [(4, "{{…}} members")]),
        ('<img src="x.png" alt="logo">', [(1, "logo")]),
        ('<svg aria-label="traffic of {{ c }}"></svg>', [(1, "traffic of {{…}}")]),
        ('<input type="submit" value="Send">', [(1, "Send")]),
        ("<td>{{ n }}s</td>", [(1, "{{…}}s")]),
        ("{% if x %}\n<p>\n{{ y }}\n</p>{% else %}<p>Nothing</p>{% endif %}", [(4, "Nothing")]),
        ("<p>中文</p>", [(1, "中文")]),
        ("<p>ASN {{ asn }}</p>", [(1, "ASN {{…}}")]),
        ("<p>{{ n }} AS numbers</p>", [(1, "{{…}} AS numbers")]),
    ],
)
def test_lint_catches_unmarked_text(source: str, found: list[tuple[int, str]]) -> None:
    assert unmarked_text(source) == found


@pytest.mark.parametrize(
    "source",
    [
        "<p>{{ _('Hello') }}</p>",
        "<p>{% trans %}Hello {{ name }}{% endtrans %}</p>",
        "<p>{% trans trimmed n=3 %}\n  one route\n{% pluralize %}\n  {{ n }} routes\n{% endtrans %}</p>",
        "<td>{{ '%.1f' | format(x) }} ms</td><td>{{ t }} UTC</td><td>3.5 Mbit/s</td>",
        "<p>&nbsp;&middot; 42 — 7%, (1/2) · 3:4</p>",
        "<!doctype html><!-- a comment --><p>{# a Jinja comment #}</p>",
        "<script>var label = 'text';</script><style>p { color: red }</style>",
        '<a href="/lang/en" lang="en" class="x" hidden>{{ name }}</a>',
        '<input type="hidden" name="next" value="somewhere">',
        "{% raw %}{% endraw %}<title>{{ title }} · ixcenter</title>",
        "<td>AS{{ asn }}</td><td>AS64500, AS{{ other }}</td>",
    ],
)
def test_lint_lets_marked_and_textless_templates_pass(source: str) -> None:
    assert unmarked_text(source) == []


def test_lint_finds_unmarked_text_added_to_a_real_template(copy: Sources) -> None:
    page = copy.templates / "overview.html"
    lines = page.read_text().splitlines()
    lines.insert(3, "<p>Route servers are up.</p>")
    page.write_text("\n".join(lines) + "\n")
    assert catalogs.template_problems(copy) == [
        "overview.html:4: text not marked for translation: 'Route servers are up.'"
    ]


# --- languages: negotiation, translations, words of filter reasons ----------------------------


@pytest.mark.parametrize(
    ("cookie", "header", "language"),
    [
        (None, None, "en"),
        (None, "zh-CN,zh;q=0.9", "zh_CN"),
        (None, "zh", "zh_CN"),
        (None, "zh-Hans-CN", "zh_CN"),
        (None, "ZH-hans", "zh_CN"),
        (None, "en-US,en;q=0.9,zh-CN;q=0.8", "en"),
        (None, "fr-FR, zh-CN;q=0.5", "zh_CN"),
        (None, "de;q=0.9, en;q=0.2, zh;q=0.7", "zh_CN"),
        (None, "zh-TW,zh-Hant;q=0.9", "en"),
        (None, "zh-CN;q=0, en;q=0.1", "en"),
        (None, "zh;q=bad, fr", "en"),
        (None, "*", "en"),
        ("en", "zh-CN", "en"),
        ("zh_CN", "en", "zh_CN"),
        ("klingon", "zh-CN", "zh_CN"),
    ],
)
def test_negotiation(cookie: str | None, header: str | None, language: str) -> None:
    assert i18n.negotiate(cookie, header) == language


def test_english_is_the_default_and_chinese_is_translated() -> None:
    assert i18n.current() == "en"
    assert i18n.gettext("Route servers") == "Route servers"
    assert i18n.ngettext("%(num)d member", "%(num)d members", 1) == "%(num)d member"
    token = i18n.activate("zh_CN")
    try:
        assert i18n.gettext("Route servers") == "路由服务器"
        assert i18n.ngettext("%(num)d member", "%(num)d members", 5) == "%(num)d 个会员"
        assert i18n.gettext("a string no catalog has") == "a string no catalog has"
        assert i18n.html_lang() == "zh-CN"
    finally:
        i18n.deactivate(token)
    assert i18n.gettext("Route servers") == "Route servers"


def test_every_filter_reason_has_portal_words_matching_the_cli() -> None:
    assert set(REASON_WORDS) == set(Reason)
    assert all(REASON_WORDS[r] == r.words for r in Reason)


def test_filter_reasons_are_worded_in_the_page_language(chinese: None) -> None:
    route = FilteredRoute("rs1", "AS64500_1", "192.0.2.0/24", (Reason.BOGON, Reason.RPKI_INVALID))
    chinese_words = route.words
    assert "；" in chinese_words and "RPKI" in chinese_words and "invalid" not in chinese_words
    token = i18n.activate("en")
    try:
        assert (
            route.words == "bogon prefix (special-purpose or the exchange's own LAN), RPKI invalid"
        )
        assert reason_words(()) == ""
    finally:
        i18n.deactivate(token)


# --- pages: the language each visitor sees -----------------------------------------------------


def test_page_in_chinese_from_accept_language(client: TestClient, world: World) -> None:
    page = client.get("/", headers=ZH)
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    for expected in ("<h1>交换中心概览</h1>", "2 个交换中心 · 2 个会员 · 1 条长途链路", "长途链路",
                     "对等互联 LAN", "已接入 2 个会员", "互联网交换中心"):  # fmt: skip
        assert expected in page.text
    assert "Long-distance links" not in page.text and "Exchange overview" not in page.text
    assert page.headers["content-language"] == "zh-CN"
    assert "accept-language" in page.headers["vary"].lower()
    assert "cookie" in page.headers["vary"].lower()


def test_page_in_english_by_cookie_whatever_the_browser_says(
    client: TestClient, world: World
) -> None:
    client.cookies.set("ixc_lang", "en")
    page = client.get("/", headers=ZH)
    assert '<html lang="en">' in page.text
    assert "<h1>Exchange overview</h1>" in page.text
    assert "2 exchange centers · 2 members · 1 long-distance link<" in page.text
    assert "交换中心" not in page.text
    assert page.headers["content-language"] == "en"


def test_page_in_english_without_a_preference(client: TestClient) -> None:
    page = client.get("/")
    assert '<html lang="en">' in page.text and "No exchange centers yet." in page.text
    client.cookies.set("ixc_lang", "zh_CN")
    assert "暂无交换中心。" in client.get("/").text
    client.cookies.clear()
    assert "No exchange centers yet." in client.get("/").text  # nothing left over


def test_switcher_links_every_language_back_to_this_page(client: TestClient) -> None:
    page = client.get("/", params={"a": "1 2"}, headers=ZH).text
    assert 'href="/lang/zh_CN?next=/%3Fa%3D1%2B2" lang="zh-CN"' in page
    assert 'href="/lang/en?next=/%3Fa%3D1%2B2" lang="en"' in page
    assert ">中文</a>" in page and ">English</a>" in page
    assert page.count('aria-current="true"') == 1
    assert 'lang="zh-CN" hreflang="zh-CN" aria-current="true"' in page


def test_choosing_a_language_sets_the_cookie_and_returns(client: TestClient) -> None:
    response = client.get("/lang/zh_CN", params={"next": "/"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ixc_lang=zh_CN;")
    assert "Path=/" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=31536000" in cookie
    page = client.get("/")  # the client keeps the cookie, as a browser does
    assert '<html lang="zh-CN">' in page.text
    back = client.get("/lang/en", params={"next": "/?x=1"}, follow_redirects=False)
    assert back.headers["location"] == "/?x=1"
    assert '<html lang="en">' in client.get("/", headers=ZH).text


def test_choosing_takes_language_tags_and_defaults_next_to_home(client: TestClient) -> None:
    response = client.get("/lang/zh-Hans", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert response.headers["set-cookie"].startswith("ixc_lang=zh_CN;")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "http:/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\r\nSet-Cookie: x=1",
        "/\tx",
        "",
    ],
)
def test_choosing_refuses_a_next_that_leaves_the_site(client: TestClient, target: str) -> None:
    response = client.get("/lang/zh_CN", params={"next": target}, follow_redirects=False)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "next"
    assert "location" not in response.headers and "set-cookie" not in response.headers


def test_choosing_an_unknown_language_is_not_found(client: TestClient) -> None:
    response = client.get("/lang/fr", params={"next": "/"}, follow_redirects=False)
    assert response.status_code == 404
    assert "zh_CN, en" in response.json()["detail"]
    assert "set-cookie" not in response.headers


def test_the_switch_route_is_public(client: TestClient) -> None:
    app = client.app
    assert app.state.access_rules[("GET", "/lang/{code}")] is Rule.PUBLIC  # type: ignore[attr-defined]


def test_api_answers_carry_no_language_headers(client: TestClient) -> None:
    response = client.get("/api/v1/exchanges", headers=ZH)
    assert response.status_code == 200
    assert "content-language" not in response.headers
