from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

from ixcenter.core.clock import FixedClock
from ixcenter.routing.irr.cache import FILE_NAME, IrrCache

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_entries_expire_after_the_ttl(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    cache = IrrCache(tmp_path, clock, ttl=dt.timedelta(hours=1))
    cache.put_asns("as-foo", {3, 1, 2}, ["RIPE"])
    assert cache.get_asns("AS-FOO", ["ripe"]) == {1, 2, 3}
    assert cache.get_asns("AS-FOO") is None
    clock.advance(dt.timedelta(minutes=59))
    assert cache.get_asns("AS-FOO", ["RIPE"]) == {1, 2, 3}
    clock.advance(dt.timedelta(minutes=1))
    assert cache.get_asns("AS-FOO", ["RIPE"]) is None
    assert len(cache) == 1
    assert cache.expire() == 1 and len(cache) == 0


def test_saved_in_one_file_and_reloaded(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    cache = IrrCache(tmp_path / "irr", clock)
    prefixes = (ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("198.51.100.0/24"))
    cache.put_prefixes(64500, 4, prefixes)
    cache.put_prefixes(64500, 6, [ipaddress.ip_network("2001:db8::/32")])
    cache.put_asns("AS-FOO", [64500])
    cache.save()
    assert sorted(p.name for p in (tmp_path / "irr").iterdir()) == [FILE_NAME]
    clock.advance(dt.timedelta(hours=5))
    again = IrrCache(tmp_path / "irr", clock)
    assert again.get_prefixes(64500, 4) == prefixes
    assert again.get_prefixes(64500, 6) == (ipaddress.ip_network("2001:db8::/32"),)
    assert again.get_prefixes(64501, 4) is None
    clock.advance(dt.timedelta(hours=1))
    assert IrrCache(tmp_path / "irr", clock).get_asns("AS-FOO") is None


def test_an_unreadable_file_means_an_empty_cache(tmp_path: Path) -> None:
    (tmp_path / FILE_NAME).write_text("{broken")
    cache = IrrCache(tmp_path, FixedClock(NOW))
    assert len(cache) == 0
    (tmp_path / FILE_NAME).write_text('{"format": 99, "entries": {"x": 1}}')
    assert len(IrrCache(tmp_path, FixedClock(NOW))) == 0
