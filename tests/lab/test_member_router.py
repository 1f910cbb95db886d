"""The lab's ExaBGP member router: its configuration, and what it received, replayed from
ExaBGP's JSON messages (shapes as ExaBGP 4.2 writes them, from a live run)."""

from __future__ import annotations

import ipaddress
import json

import pytest

from ixcenter.core.errors import FormatError
from ixcenter.lab.member_router import (
    Neighbor,
    RouterSpec,
    adj_rib_in,
    exabgp_config,
    read_messages,
    sessions_up,
)
from ixcenter.routing.policy.evaluate import Route

A = ipaddress.ip_address
N = ipaddress.ip_network
RS1_V4, RS1_V6 = "185.1.0.1", "2a0c:1::1"


def message(peer: str, kind: str, **body: object) -> str:
    local = "2a0c:1::c" if ":" in peer else "185.1.0.12"
    neighbor: dict[str, object] = {
        "address": {"local": local, "peer": peer},
        "asn": {"local": 1002, "peer": 64500},
    }
    neighbor.update(body)
    return json.dumps({"exabgp": "4.0.1", "type": kind, "neighbor": neighbor})


def update(peer: str, update: dict[str, object]) -> str:
    return message(peer, "update", direction="receive", message={"update": update})


def state(peer: str, value: str) -> str:
    return message(peer, "state", state=value)


ANNOUNCE_V4 = update(
    RS1_V4,
    {
        "attribute": {
            "origin": "igp",
            "as-path": [1001, 1001],
            "confederation-path": [],
            "community": [[65535, 65281], [1, 2]],
            "large-community": [[200100, 1, 1]],
            "attribute-0x23-0xE0": "0x0000fbf4",
        },
        "announce": {
            "ipv4 unicast": {"185.1.0.11": [{"nlri": "11.1.1.0/24"}, {"nlri": "11.1.2.0/24"}]}
        },
    },
)
ANNOUNCE_V6 = update(
    RS1_V6,
    {
        "attribute": {"origin": "igp", "as-path": [1001, [1010, 1011]]},
        "announce": {"ipv6 unicast": {"2a0c:1::b, fe80::1": [{"nlri": "2a0b:1001:1::/48"}]}},
    },
)
WITHDRAW_V4 = update(RS1_V4, {"withdraw": {"ipv4 unicast": [{"nlri": "11.1.2.0/24"}]}})
EOR = message(RS1_V4, "update", message={"eor": {"afi": "ipv4", "safi": "unicast"}})


def test_announcements_and_withdrawals_replay_into_the_routes_each_neighbor_sends() -> None:
    lines = [state(RS1_V4, "up"), state(RS1_V6, "up"), ANNOUNCE_V4, EOR, ANNOUNCE_V6, WITHDRAW_V4]
    tables = adj_rib_in(read_messages(lines))
    assert set(tables) == {A(RS1_V4), A(RS1_V6)}
    assert tables[A(RS1_V4)] == {
        N("11.1.1.0/24"): Route(
            N("11.1.1.0/24"),
            (1001, 1001),
            A("185.1.0.11"),
            frozenset({(65535, 65281), (1, 2)}),
            frozenset({(200100, 1, 1)}),
        )
    }
    # an AS_SET is listed in place; the link-local next hop after the global one is dropped
    assert tables[A(RS1_V6)][N("2a0b:1001:1::/48")] == Route(
        N("2a0b:1001:1::/48"), (1001, 1010, 1011), A("2a0c:1::b")
    )


def test_a_session_going_down_takes_its_routes_and_its_state() -> None:
    lines = [state(RS1_V4, "up"), ANNOUNCE_V4, state(RS1_V6, "up"), ANNOUNCE_V6]
    assert sessions_up(read_messages(lines)) == {A(RS1_V4), A(RS1_V6)}
    lines.append(state(RS1_V4, "down"))
    assert sessions_up(read_messages(lines)) == {A(RS1_V6)}
    assert set(adj_rib_in(read_messages(lines))) == {A(RS1_V6)}


def test_a_torn_last_line_is_still_being_written_but_a_torn_middle_one_is_an_error() -> None:
    assert len(list(read_messages([ANNOUNCE_V4, ANNOUNCE_V6[:40]]))) == 1
    with pytest.raises(FormatError, match="line 1"):
        list(read_messages([ANNOUNCE_V4[:40], ANNOUNCE_V6]))


def test_config_sends_every_route_exactly_as_given_on_its_family_sessions() -> None:
    spec = RouterSpec(
        name="m1",
        asn=1001,
        router_id=ipaddress.IPv4Address("185.1.0.11"),
        neighbors=(
            Neighbor(A(RS1_V4), A("185.1.0.11"), 64500),
            Neighbor(A(RS1_V6), A("2a0c:1::b"), 64500),
        ),
        routes=(
            Route(
                N("11.10.1.0/24"),
                (1010,),
                A("185.1.0.12"),
                frozenset({(65535, 666), (0, 1002)}),
                frozenset({(64500, 0, 0)}),
            ),
            Route(N("2a0b:1001:1::/48"), (), A("2a0c:1::b")),
        ),
    )
    text = exabgp_config(spec, ["/usr/bin/python3", "/run/recorder.py", "/run/received.jsonl"])
    v4, v6 = text.split("neighbor ")[1:]
    assert v4.startswith(f"{RS1_V4} {{")
    assert "    local-address 185.1.0.11;\n    local-as 1001;\n    peer-as 64500;\n" in v4
    assert "family { ipv4 unicast; }" in v4
    assert (
        "route 11.10.1.0/24 next-hop 185.1.0.12 as-path [ 1010 ] community [ 0:1002 65535:666 ] "
        "large-community [ 64500:0:0 ];"
    ) in v4
    assert "2a0b" not in v4
    assert "route 2a0b:1001:1::/48 next-hop 2a0c:1::b as-path [ ];" in v6  # an empty AS_PATH
    assert "11.10.1.0" not in v6
    assert "run /usr/bin/python3 /run/recorder.py /run/received.jsonl;" in text
