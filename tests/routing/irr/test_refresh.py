"""``refresh``: every member resolved again from two RPSL dumps (before, after), and over whois."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from ipaddress import ip_network
from pathlib import Path

import pytest

from ixcenter.core.clock import FixedClock
from ixcenter.core.prefixes import Network
from ixcenter.routing.irr.asset import Expansion
from ixcenter.routing.irr.cache import FILE_NAME, IrrCache
from ixcenter.routing.irr.refresh import MemberRefresh, PrefixChange, Target, refresh
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois import WhoisClient, WhoisError
from ixcenter.routing.irr.whois_server import serve_in_thread
from ixcenter.routing.policy.sources import WhoisSource

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)

BEFORE = """\
as-set: AS-ALPHA
members: AS64500, AS64501
source: TEST

as-set: AS-BETA
members: AS64511
source: TEST

as-set: AS-LOOP
members: AS64530, AS-LOOP2
source: TEST

as-set: AS-LOOP2
members: AS-LOOP
source: TEST

route: 192.0.2.0/24
origin: AS64500
source: TEST

route: 198.51.100.0/24
origin: AS64501
source: TEST

route6: 2001:db8:1::/48
origin: AS64501
source: TEST

route: 203.0.113.0/24
origin: AS64511
source: TEST

route6: 2001:db8:20::/48
origin: AS64520
source: TEST
"""

# AS-ALPHA swaps AS64501 for AS64502, AS-BETA is gone, AS64520 and AS-LOOP stay as they were
AFTER = (
    BEFORE.replace("members: AS64500, AS64501", "members: AS64500, AS64502")
    .replace("as-set: AS-BETA\nmembers: AS64511\nsource: TEST\n\n", "")
    .replace("route: 198.51.100.0/24\norigin: AS64501", "route: 198.51.100.0/25\norigin: AS64502")
)

TARGETS = (
    Target(64530, "AS-LOOP"),
    Target(64500, "as-alpha"),
    Target(64510, "AS-BETA"),
    Target(64520),
)


def store(text: str) -> IrrStore:
    objects, problems = parse_rpsl(text)
    assert not problems
    found = IrrStore()
    found.load(objects)
    return found


def by_asn(results: Sequence[MemberRefresh]) -> dict[int, MemberRefresh]:
    return {r.asn: r for r in results}


def test_first_refresh_reports_everything_as_added(tmp_path: Path) -> None:
    cache = IrrCache(tmp_path, FixedClock(NOW))
    results = refresh(TARGETS, store(BEFORE), cache)
    assert [r.asn for r in results] == [64500, 64510, 64520, 64530]
    alpha = by_asn(results)[64500]
    assert alpha.set_name == "AS-ALPHA" and alpha.sources == ("TEST",)
    # the member's own ASN is always an origin: before as after
    assert alpha.asns_added == (64501,) and alpha.asns_removed == ()
    assert alpha.ipv4 == PrefixChange(0, 2, 2, 0, ("192.0.2.0/24", "198.51.100.0/24"), ())
    assert alpha.ipv6 == PrefixChange(0, 1, 1, 0, ("2001:db8:1::/48",), ())
    assert (tmp_path / FILE_NAME).exists()
    assert cache.get_asns("AS-ALPHA", ["TEST"]) == {64500, 64501}


def test_second_refresh_reports_exactly_what_changed_per_member(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    refresh(TARGETS, store(BEFORE), IrrCache(tmp_path, clock))
    clock.advance(dt.timedelta(days=2))  # expired entries are still the state to compare with
    cache = IrrCache(tmp_path, clock)
    results = by_asn(refresh(TARGETS, store(AFTER), cache))

    alpha = results[64500]
    assert (alpha.asns_added, alpha.asns_removed, alpha.asns) == ((64502,), (64501,), 2)
    assert alpha.ipv4 == PrefixChange(2, 2, 1, 1, ("198.51.100.0/25",), ("198.51.100.0/24",))
    assert alpha.ipv6 == PrefixChange(1, 0, 0, 1, (), ("2001:db8:1::/48",))
    assert alpha.changed and alpha.errors == ()

    beta = results[64510]
    assert beta.errors == ("AS-BETA: AS-BETA exists in no source",)
    assert (beta.asns_added, beta.asns_removed) == ((), (64511,))
    assert beta.ipv4 == PrefixChange(1, 0, 0, 1, (), ("203.0.113.0/24",))
    assert cache.get_asns("AS-BETA", ["TEST"], any_age=True) is None  # dropped, not kept stale

    plain = results[64520]
    assert not plain.changed and plain.errors == ()
    assert plain.ipv6 == PrefixChange(1, 1, 0, 0)

    loop = results[64530]
    assert not loop.changed
    assert loop.errors == ("AS-LOOP: loop: AS-LOOP > AS-LOOP2 > AS-LOOP",)
    # the new state is what the next build reads, fresh again
    reread = IrrCache(tmp_path, clock)
    assert reread.get_asns("AS-ALPHA", ["TEST"]) == {64500, 64502}
    assert reread.get_prefixes(64502, 4, ["TEST"]) == (ip_network("198.51.100.0/25"),)
    assert reread.get_prefixes(64501, 4, ["TEST"]) is None  # no member's origin now: expired


class Failing:
    """An IRR source that fails for some ASNs, with an IRR error or with anything else."""

    def __init__(self, inner: IrrStore, fail: int, error: Exception) -> None:
        self.inner, self.fail, self.error = inner, fail, error

    def selected(self, sources: Sequence[str] | None) -> tuple[str, ...]:
        return self.inner.selected(sources)

    def origins_of_set(self, name: str, *, sources: Sequence[str] | None = None) -> Expansion:
        return self.inner.origins_of_set(name, sources=sources)

    def routes(
        self, asn: int, version: int, sources: Sequence[str] | None = None
    ) -> tuple[Network, ...]:
        if asn == self.fail:
            raise self.error
        return self.inner.routes(asn, version, sources)


def test_one_member_failing_does_not_stop_the_others(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    refresh(TARGETS, store(BEFORE), IrrCache(tmp_path, clock))
    source = Failing(store(AFTER), 64502, WhoisError("whois x:43: !gAS64502: timed out"))
    cache = IrrCache(tmp_path, clock)
    results = by_asn(refresh(TARGETS, source, cache))
    alpha = results[64500]
    assert alpha.errors == ("whois x:43: !gAS64502: timed out",) and not alpha.changed
    assert cache.get_asns("AS-ALPHA", ["TEST"]) == {64500, 64501}  # its old entries stay
    assert results[64510].asns_removed == (64511,)  # the others were refreshed


def test_an_interrupted_refresh_leaves_the_cache_file_whole(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    refresh(TARGETS, store(BEFORE), IrrCache(tmp_path, clock))
    saved = (tmp_path / FILE_NAME).read_bytes()
    source = Failing(store(AFTER), 64520, RuntimeError("killed"))
    with pytest.raises(RuntimeError):
        refresh(TARGETS, source, IrrCache(tmp_path, clock))
    assert (tmp_path / FILE_NAME).read_bytes() == saved


def test_refresh_over_whois_reports_the_same_changes(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    found = []
    for text in (BEFORE, AFTER):
        with (
            serve_in_thread(store(text)) as server,
            WhoisClient(server.host, server.port) as client,
        ):
            found.append(by_asn(refresh(TARGETS, WhoisSource(client), IrrCache(tmp_path, clock))))
    first, second = found
    assert first[64500].asns_added == (64501,)
    alpha = second[64500]
    assert (alpha.asns_added, alpha.asns_removed) == ((64502,), (64501,))
    assert alpha.ipv4 == PrefixChange(2, 2, 1, 1, ("198.51.100.0/25",), ("198.51.100.0/24",))
    assert alpha.ipv6 == PrefixChange(1, 0, 0, 1, (), ("2001:db8:1::/48",))
    assert second[64510].errors == ("AS-BETA: AS-BETA exists in no source",)
    assert second[64510].asns_removed == (64511,)
    assert not second[64520].changed
    # the server expands sets itself: loops it met are not reported over whois
    assert second[64530].errors == () and not second[64530].changed
    # a build answering from this cache sees the new data without asking the server
    cache = IrrCache(tmp_path, clock)
    source = WhoisSource(WhoisClient("127.0.0.1", 9), cache, default_sources=["TEST"])
    assert source.origins_of_set("AS-ALPHA").asns == {64500, 64502}
