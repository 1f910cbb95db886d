from __future__ import annotations

import json

from tests.cli.conftest import Invoke


def _ok(ixc: Invoke, *args: str) -> str:
    result = ixc(*args)
    assert result.exit_code == 0, result.output
    return result.output


def test_build_an_exchange_from_the_command_line(ixc: Invoke) -> None:
    assert (
        _ok(
            ixc,
            "exchange",
            "add",
            "GZ",
            "--name",
            "Guangzhou IXC",
            "--city",
            "Guangzhou",
            "--province",
            "Guangdong",
        )
        == "exchange center GZ added\n"
    )
    _ok(
        ixc,
        "node",
        "add",
        "GZ1",
        "--exchange",
        "GZ",
        "--name",
        "Guangzhou Science City",
        "--city",
        "Guangzhou",
        "--province",
        "Guangdong",
        "--lat",
        "23.17",
        "--lon",
        "113.45",
    )
    _ok(ixc, "switch", "add", "gz1-sw1", "--node", "GZ1")
    _ok(
        ixc,
        "lan",
        "add",
        "--exchange",
        "GZ",
        "--name",
        "GZ peering",
        "--vlan",
        "300",
        "--ipv4",
        "192.0.2.0/24",
        "--ipv6",
        "2001:db8:300::/64",
        "--reserve",
        "192.0.2.1=rs1",
        "--reserve",
        "2001:db8:300::1=rs1",
    )
    _ok(
        ixc,
        "link",
        "add",
        "BJ-GZ-1",
        "--from",
        "BJ",
        "--to",
        "GZ",
        "--capacity",
        "400000",
        "--latency",
        "24.5",
    )
    _ok(
        ixc,
        "link",
        "add",
        "GZ-SG-1",
        "--from",
        "GZ",
        "--remote",
        "Singapore IX",
        "--remote-country",
        "SG",
        "--capacity",
        "100000",
        "--latency",
        "31",
        "--cross-border",
    )
    exchanges = json.loads(_ok(ixc, "exchange", "list", "--json"))
    assert [(e["code"], e["nodes"], e["lans"]) for e in exchanges] == [
        ("BJ", 1, 1),
        ("GZ", 1, 1),
        ("SH", 1, 1),
    ]
    links = json.loads(_ok(ixc, "link", "list", "--json"))
    assert [(k["name"], k["b"], k["cross_border"]) for k in links] == [
        ("BJ-GZ-1", "GZ", False),
        ("GZ-SG-1", "Singapore IX (SG)", True),
    ]
    lan = json.loads(_ok(ixc, "lan", "show", "--exchange", "GZ", "--vlan", "300", "--json"))
    assert lan["reserved"] == ["192.0.2.1 (rs1)", "2001:db8:300::1 (rs1)"]


def test_a_link_abroad_must_be_cross_border(ixc: Invoke) -> None:
    result = ixc(
        "link",
        "add",
        "BJ-SG",
        "--from",
        "BJ",
        "--remote",
        "Singapore IX",
        "--remote-country",
        "SG",
        "--capacity",
        "1000",
        "--latency",
        "40",
    )
    assert result.exit_code == 3
    assert (
        result.stderr == "error: cross_border: a link into another country must be cross-border\n"
    )


def test_ports_services_and_audit(ixc: Invoke) -> None:
    for asn, port in (("131072", "Eth1"), ("131073", "Eth2")):
        _ok(
            ixc,
            "member",
            "onboard",
            "--name",
            f"AS{asn} Net",
            "--asn",
            asn,
            "--category",
            "cloud",
            "--licence",
            f"L-{asn}",
            "--switch",
            "bj1-sw1",
            "--port",
            port,
            "--speed",
            "10000",
        )
    assert _ok(
        ixc,
        "service",
        "add",
        "--kind",
        "multi-cloud",
        "--name",
        "cloud-1",
        "--vlan",
        "2001",
        "--mbps",
        "2000",
        "1",
        "2",
    ) == ("service #3 cloud-1 (multi-cloud) added on 2 ports\n")
    clash = ixc(
        "service",
        "add",
        "--kind",
        "5g-vpn",
        "--name",
        "vpn",
        "--vlan",
        "2001",
        "--mbps",
        "100",
        "1",
        "2",
    )
    assert clash.exit_code == 3
    assert clash.stderr.splitlines() == [
        "error: port_ids[0]: VLAN 2001 on port bj1-sw1 Eth1 is used by 'cloud-1'",
        "error: port_ids[1]: VLAN 2001 on port bj1-sw1 Eth2 is used by 'cloud-1'",
    ]
    services = json.loads(_ok(ixc, "service", "list", "--json"))
    assert [(v["kind"], v["ports"], v["vlans"]) for v in services] == [
        ("public-peering", 2, [100]),
        ("public-peering", 0, []),
        ("multi-cloud", 2, [2001]),
    ]
    assert _ok(ixc, "port", "move", "1", "--to-switch", "bj1-sw1", "--to-port", "Eth9") == (
        "port #1 moved to #3 bj1-sw1 Eth9\n"
    )
    assert _ok(ixc, "port", "decommission", "3", "--yes") == "port #3 decommissioned\n"
    ips = json.loads(_ok(ixc, "ip", "list", "--json"))
    assert [x["member"] for x in ips] == ["AS131073 Net"]
    found = json.loads(_ok(ixc, "ip", "find", "2001:db8:100:0::4", "--json"))
    assert found["asn"] == "AS131073"
    audit = json.loads(_ok(ixc, "audit", "--object", "ports", "--json"))
    assert audit[0]["action"] == "update"
    assert audit[0]["after"]["status"] == "decommissioned"
    assert {e["actor"] for e in audit} == {"cli:" + audit[0]["actor"].split(":", 1)[1]}
    assert audit[0]["actor"].startswith("cli:")


def test_help_teaches(ixc: Invoke) -> None:
    top = _ok(ixc, "--help")
    assert "ixc member onboard --help" in top
    for group in (
        "exchange",
        "node",
        "switch",
        "lan",
        "member",
        "port",
        "ip",
        "service",
        "link",
        "token",
        "export",
        "import",
        "audit",
        "demo-data",
        "serve",
        "demo",
    ):
        assert f"  {group} " in top, group
    assert "Example:" in _ok(ixc, "member", "onboard", "--help")


def test_connect_a_second_port_and_assign_addresses(ixc: Invoke) -> None:
    _ok(
        ixc,
        "member",
        "onboard",
        "--name",
        "Alpha",
        "--asn",
        "131072",
        "--category",
        "isp",
        "--licence",
        "L-1",
        "--switch",
        "bj1-sw1",
        "--port",
        "Eth1",
        "--speed",
        "10000",
    )
    assert (
        _ok(ixc, "port", "add", "--switch", "sh1-sw1", "--name", "Eth1", "--speed", "100000")
        == "port #2 sh1-sw1 Eth1 added\n"
    )
    assert (
        _ok(ixc, "port", "connect", "2", "--member", "AS131072", "--mac", "02:00:00:00:0a:02")
        == "port #2 connected to Alpha\n"
    )
    assigned = json.loads(
        _ok(ixc, "ip", "assign", "2", "--exchange", "SH", "--vlan", "200", "--json")
    )
    assert (assigned["ipv4"], assigned["ipv6"]) == ("203.0.113.1", "2001:db8:200::1")
    shown = json.loads(_ok(ixc, "member", "show", "Alpha", "--json"))
    assert len(shown["ports"]) == 2


def test_values_the_database_refuses_are_one_line(ixc: Invoke) -> None:
    result = ixc(
        "port", "add", "--switch", "bj1-sw1", "--name", "Eth1", "--speed", "99999999999999999999999"
    )
    assert result.exit_code == 3
    assert result.stderr.startswith("error: the database refused the change: ")
    assert len(result.stderr.splitlines()) == 1
