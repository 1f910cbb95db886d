"""The underlay plan: addresses, interface names and least-latency routes (no I/O)."""

from __future__ import annotations

import ipaddress

import pytest

from ixcenter.core.errors import ValidationFailed
from ixcenter.lab.underlay import Link, path_latency, routes, vtep

A = ipaddress.ip_address


def test_each_fabric_and_link_end_gets_its_own_address_outside_real_networks() -> None:
    assert [vtep(i) for i in range(3)] == [A("198.18.0.1"), A("198.18.0.2"), A("198.18.0.3")]
    first, second = Link(0, "bj-sh", "bj", "sh", 12.5), Link(1, "sh-gz", "sh", "gz", 7.0)
    assert (str(first.a_address), str(first.b_address)) == ("198.19.0.0/31", "198.19.0.1/31")
    assert (str(second.a_address), str(second.b_address)) == ("198.19.0.2/31", "198.19.0.3/31")
    assert (first.interface("bj"), first.interface("sh")) == ("lk0a", "lk0b")
    assert first.far_address("bj") == A("198.19.0.1")
    assert first.far_address("sh") == A("198.19.0.0")
    assert first.far_end("sh") == "bj"
    with pytest.raises(ValidationFailed, match="not an end"):
        first.interface("gz")


def test_a_link_needs_two_ends_and_a_latency_that_is_not_negative() -> None:
    with pytest.raises(ValidationFailed) as caught:
        Link(0, "loop", "bj", "bj", -1.0)
    assert [p.field for p in caught.value.problems] == ["link", "latency_ms"]
    with pytest.raises(ValidationFailed):
        Link(0, "nan", "bj", "sh", float("nan"))


def test_routes_follow_the_least_total_latency_and_add_it_up() -> None:
    # bj - sh 10, sh - gz 20, bj - gz 50: bj reaches gz faster through sh
    links = [
        Link(0, "bj-sh", "bj", "sh", 10.0),
        Link(1, "sh-gz", "sh", "gz", 20.0),
        Link(2, "bj-gz", "bj", "gz", 50.0),
    ]
    table = routes("bj", links)
    assert {d: (r.link.name, r.latency_ms) for d, r in table.items()} == {
        "sh": ("bj-sh", 10.0),
        "gz": ("bj-sh", 30.0),
    }
    assert routes("gz", links)["bj"].link.name == "sh-gz"
    assert path_latency("gz", "bj", links) == 30.0
    assert path_latency("bj", "bj", links) == 0.0
    # made slower than the direct link, the detour is no longer taken
    links[1] = Link(1, "sh-gz", "sh", "gz", 45.0)
    assert routes("bj", links)["gz"].link.name == "bj-gz"


def test_a_fabric_without_a_path_has_no_route() -> None:
    links = [Link(0, "bj-sh", "bj", "sh", 10.0), Link(1, "gz-hk", "gz", "hk", 5.0)]
    assert set(routes("bj", links)) == {"sh"}
    assert path_latency("bj", "hk", links) is None
    assert routes("xa", links) == {}


def test_equal_paths_go_over_the_link_made_first() -> None:
    links = [
        Link(0, "a-b", "a", "b", 5.0),
        Link(1, "a-c", "a", "c", 5.0),
        Link(2, "b-d", "b", "d", 5.0),
        Link(3, "c-d", "c", "d", 5.0),
    ]
    assert routes("a", links)["d"].link.name == "a-b"
    assert routes("d", links)["a"].link.name == "b-d"
