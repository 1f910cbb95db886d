from __future__ import annotations

import json

from tests.cli.conftest import Invoke
from tests.registry_state import dump

ONBOARD = [
    "member",
    "onboard",
    "--name",
    "Example Net",
    "--asn",
    "AS131072",
    "--category",
    "isp",
    "--licence",
    "B1-2024-001",
    "--licence-expires",
    "2030-12-31",
    "--switch",
    "bj1-sw1",
    "--port",
    "Ethernet1/1",
    "--speed",
    "10000",
    "--mac",
    "02:00:00:00:00:01",
]


def test_onboard_prints_what_was_assigned(ixc: Invoke) -> None:
    result = ixc(*ONBOARD)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "member           Example Net\n"
        "organisation id  1\n"
        "asn              AS131072\n"
        "port id          1\n"
        "ipv4             198.51.100.3\n"
        "ipv6             2001:db8:100::3\n"
    )


def test_member_list_json(ixc: Invoke) -> None:
    ixc(*ONBOARD)
    result = ixc("member", "list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {
            "id": 1,
            "name": "Example Net",
            "asns": ["AS131072"],
            "category": "isp",
            "country": "CN",
            "sme": False,
            "licence_expires": "2030-12-31",
            "licence_ok": True,
            "ports": 1,
        }
    ]


def test_member_list_table(ixc: Invoke) -> None:
    ixc(*ONBOARD)
    result = ixc("member", "list")
    assert result.exit_code == 0
    assert [line.rstrip() for line in result.output.splitlines()] == [
        "members",
        "┏━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━┳━━━━━┳━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━┓",
        "┃ id ┃ name        ┃ asns     ┃ category ┃ country ┃ sme ┃ licence expires ┃ licence ok ┃ ports ┃",
        "┡━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━╇━━━━━╇━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━┩",
        "│ 1  │ Example Net │ AS131072 │ isp      │ CN      │ no  │ 2030-12-31      │ yes        │ 1     │",
        "└────┴─────────────┴──────────┴──────────┴─────────┴─────┴─────────────────┴────────────┴───────┘",
    ]


def test_every_problem_is_one_line_and_nothing_changes(ixc: Invoke, registry) -> None:  # type: ignore[no-untyped-def]
    ixc(*ONBOARD)
    before = dump(registry)
    bad = [a if a != "Ethernet1/1" else "Ethernet1/2" for a in ONBOARD]
    result = ixc(*bad, "--ipv4", "192.0.2.1")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        "error: name: a member named 'Example Net' exists already",
        "error: asn: AS131072 is already a member (Example Net)",
        "error: macs[0]: 02:00:00:00:00:01 is in use on port 1",
        "error: ipv4: 192.0.2.1 is outside the LAN 198.51.100.0/24",
    ]
    assert dump(registry) == before


def test_unknown_member_is_not_found(ixc: Invoke) -> None:
    result = ixc("member", "show", "AS999999")
    assert result.exit_code == 4
    assert result.stderr == "error: no member with AS999999\n"


def test_member_show_and_update(ixc: Invoke) -> None:
    ixc(*ONBOARD)
    assert ixc("member", "update", "Example Net", "--licence-expires", "2020-01-01").output == (
        "member Example Net updated\n"
    )
    shown = json.loads(ixc("member", "show", "AS131072", "--json").output)
    assert shown["licence_ok"] is False
    assert shown["addresses"] == ["BJ VLAN 100: 198.51.100.3 2001:db8:100::3"]
    expired = json.loads(ixc("member", "list", "--expired", "--json").output)
    assert [m["name"] for m in expired] == ["Example Net"]


def test_an_argument_that_is_not_utf8_is_one_line(ixc: Invoke) -> None:
    # undecodable bytes in argv reach Python as lone surrogates (surrogateescape)
    result = ixc("member", "show", b"caf\xe9".decode("utf-8", "surrogateescape"))
    assert result.exit_code == 3
    assert result.stderr == "error: an argument holds bytes that are not valid UTF-8\n"


def test_member_routing_changes_route_server_options(ixc: Invoke) -> None:
    ixc(*ONBOARD)
    result = ixc(
        "member", "routing", "AS131072", "--as-set", "as-example", "--blackholes",
        "--bgp-password", "s3cret", "--max-prefix-v4", "300",
    )  # fmt: skip
    assert (result.exit_code, result.output) == (0, "AS131072 routing data updated\n")
    shown = json.loads(ixc("member", "show", "Example Net", "--json").output)
    assert shown["as_set"] == ["AS-EXAMPLE"]
    assert shown["max_prefix"] == ["AS131072 v4 300 v6 20"]
    assert shown["route_servers"] == ["AS131072 yes, receives blackholes, password set"]
    bad = ixc("member", "routing", "AS131072", "--as-set", "nonsense")
    assert bad.exit_code == 3
    assert "not an AS-SET name" in bad.stderr
