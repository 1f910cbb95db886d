"""``IrrCache``'s packed format: unions per origin group, their invalidation, saving."""

from __future__ import annotations

import datetime as dt
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ixcenter.core.clock import FixedClock
from ixcenter.routing.irr import prefix_keys
from ixcenter.routing.irr.cache import FILE_NAME, LEGACY_FILE_NAME, IrrCache

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
K = prefix_keys.pack


def net(text: str) -> int:
    return K(ip_network(text))


def test_a_union_is_kept_and_made_again_when_an_origin_is_replaced(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    cache = IrrCache(tmp_path, clock)
    cache.put_prefix_keys(1, 4, [net("10.0.0.0/8")], ["RIPE"])
    assert cache.union_keys([1, 2], 4, ["RIPE"]) is None  # AS2 unknown
    cache.put_prefix_keys(2, 4, [net("11.0.0.0/8"), net("10.0.0.0/8")], ["RIPE"])
    assert cache.union_keys([1, 2], 4, ["RIPE"]) == (net("10.0.0.0/8"), net("11.0.0.0/8"))
    cache.save()
    again = IrrCache(tmp_path, clock)
    stored = again.union_keys([1, 2], 4, ["RIPE"])
    assert isinstance(stored, prefix_keys.Packed)  # read back packed, decoded on first use
    assert len(stored) == 2 and tuple(stored) == (net("10.0.0.0/8"), net("11.0.0.0/8"))
    again.put_prefix_keys(2, 4, [net("12.0.0.0/8")], ["RIPE"])  # a refresh: new data
    assert tuple(again.union_keys([1, 2], 4, ["RIPE"]) or ()) == (
        net("10.0.0.0/8"),
        net("12.0.0.0/8"),
    )
    assert again.union_keys([1, 2], 4, ["RADB"]) is None  # other sources, other entries


def test_a_union_expires_with_its_oldest_origin(tmp_path: Path) -> None:
    clock = FixedClock(NOW)
    cache = IrrCache(tmp_path, clock, ttl=dt.timedelta(hours=1))
    cache.put_prefix_keys(1, 6, [net("2001:db8::/32")])
    clock.advance(dt.timedelta(minutes=40))
    cache.put_prefix_keys(2, 6, [])
    assert cache.union_keys([1, 2], 6) == (net("2001:db8::/32"),)
    clock.advance(dt.timedelta(minutes=20))  # AS1's entry is an hour old now
    assert cache.union_keys([1, 2], 6) is None
    assert cache.get_prefix_keys(1, 6, any_age=True) == [net("2001:db8::/32")]


def test_save_writes_only_changes_and_replaces_the_json_cache(tmp_path: Path) -> None:
    (tmp_path / LEGACY_FILE_NAME).write_text('{"format": 1, "entries": {}}')
    cache = IrrCache(tmp_path, FixedClock(NOW))
    cache.put_asns("AS-FOO", [3, 1])
    cache.save()
    assert not (tmp_path / LEGACY_FILE_NAME).exists()
    written = (tmp_path / FILE_NAME).stat().st_mtime_ns
    again = IrrCache(tmp_path, FixedClock(NOW))
    assert again.get_asns("as-foo") == {1, 3}
    again.save()
    assert (tmp_path / FILE_NAME).stat().st_mtime_ns == written
    again.drop_asns("AS-FOO")
    again.save()
    assert IrrCache(tmp_path, FixedClock(NOW)).get_asns("AS-FOO", any_age=True) is None


def _mask(address: int, length: int, bits: int) -> int:
    return address & ((1 << length) - 1) << (bits - length)


@given(st.sets(st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)), max_size=20))
def test_prefix_keys_round_trip_and_sort_as_networks(items: set[tuple[int, int]]) -> None:
    networks = sorted(
        {IPv6Network((_mask(address, length, 128), length)) for address, length in items},
        key=lambda n: (int(n.network_address), n.prefixlen),
    )
    keys = [K(n) for n in networks]
    assert keys == sorted(keys)
    assert prefix_keys.decode(prefix_keys.encode(keys, 6), 6) == keys
    assert [prefix_keys.unpack(k, 6) for k in keys] == networks
    v4 = sorted({IPv4Network((_mask(a >> 96, n % 33, 32), n % 33)) for a, n in items})
    keys4 = [K(n) for n in v4]
    assert prefix_keys.decode(prefix_keys.encode(keys4, 4), 4) == keys4
    assert [prefix_keys.unpack(k, 4) for k in keys4] == v4
