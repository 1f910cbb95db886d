"""What a member reads about a filtered route: the reason in words and a fix naming its own
prefix, origin, path or next hop, in English and Chinese."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import pytest

from ixcenter.portal import i18n
from ixcenter.portal.route_advice import advise, reason_words
from ixcenter.routing.control.model import Route
from ixcenter.routing.lg_index import LgPath
from ixcenter.routing.policy.model import LengthLimits, PolicySettings
from ixcenter.routing.policy.reasons import Reason


def _path(prefix: str, *reasons: Reason, as_path: tuple[int, ...] = (64500,)) -> LgPath:
    route = Route(
        ipaddress.ip_network(prefix),
        "AS64500_1",
        as_path=as_path,
        next_hop=ipaddress.ip_address("198.51.100.99" if ":" not in prefix else "2001:db8::99"),
        filtered=True,
    )
    return LgPath("BJ-rs1", route, reasons, 64500)


@pytest.fixture
def chinese() -> Iterator[None]:
    token = i18n.activate("zh_CN")
    yield
    i18n.deactivate(token)


def test_a_missing_route_object_names_the_prefix_and_origin() -> None:
    (advice,) = advise(_path("203.0.113.0/24", Reason.PREFIX_NOT_IN_ORIGIN_AS))
    assert advice.words == "prefix not registered for its origin AS"
    assert advice.fix == (
        "Create a route object for 203.0.113.0/24 with origin AS64500 in an IRR database."
    )
    (v6,) = advise(_path("2001:db8:1000::/36", Reason.PREFIX_NOT_IN_ORIGIN_AS))
    assert "route6 object for 2001:db8:1000::/36 with origin AS64500" in v6.fix


@pytest.mark.parametrize("reason", list(Reason))
def test_every_reason_has_words_and_a_fix_about_this_route(reason: Reason) -> None:
    path = _path("203.0.113.0/24", reason, as_path=(64500, 64512, 64501))
    (advice,) = advise(path)
    assert advice.reason is reason
    assert advice.words == reason_words(reason) != ""
    about = ("203.0.113.0/24", "64500 64512 64501", "198.51.100.99")
    assert any(part in advice.fix for part in about), advice.fix


def test_limits_come_from_the_exchange_settings() -> None:
    settings = PolicySettings(ipv4_lengths=LengthLimits(8, 23))
    (advice,) = advise(_path("203.0.113.0/24", Reason.PREFIX_TOO_LONG), settings)
    assert "/23 or shorter" in advice.fix
    (default,) = advise(_path("203.0.113.0/24", Reason.PREFIX_TOO_LONG))
    assert "/24 or shorter" in default.fix


def test_an_accepted_path_needs_no_advice() -> None:
    route = Route(ipaddress.ip_network("203.0.113.0/24"), "AS64500_1", as_path=(64500,))
    assert advise(LgPath("BJ-rs1", route, (), 64500)) == []


def test_several_reasons_give_several_fixes_in_order() -> None:
    found = advise(_path("203.0.113.0/24", Reason.IRR_ORIGIN, Reason.RPKI_INVALID))
    assert [a.reason for a in found] == [Reason.IRR_ORIGIN, Reason.RPKI_INVALID]


@pytest.mark.usefixtures("chinese")
def test_the_advice_in_chinese_keeps_the_route_s_values() -> None:
    (advice,) = advise(_path("203.0.113.0/24", Reason.PREFIX_NOT_IN_ORIGIN_AS))
    assert "203.0.113.0/24" in advice.fix and "AS64500" in advice.fix
    assert "Create" not in advice.fix
    assert advice.words != "prefix not registered for its origin AS"
