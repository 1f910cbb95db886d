"""rs1's bird.conf: golden files per case, accepted by ``bird -p``, and what it is made of.

Regenerate the golden files after a reviewed change with ``pytest --update-golden``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import replace
from pathlib import Path

import pytest

from ixcenter.core.errors import ConfigurationError
from ixcenter.routing.policy.model import (
    LengthLimits,
    MaxPrefixAction,
    PolicySettings,
    RouteServer,
)
from ixcenter.routing.render.bird import render_bird
from ixcenter.routing.render.check import ConfigRejected, check_bird
from tests.live import require
from tests.routing.policies import client, rule

GOLDEN = Path(__file__).parent / "golden" / "bird"
A = ipaddress.ip_address
N = ipaddress.ip_network


ALPHA_PREFIXES = (
    rule("11.1.0.0/16"),
    rule("11.1.4.0/22", 22, 24),
    rule("11.2.0.0/24", 24, 32),
    rule("2a0b:1001::/32", 32, 48),
    rule("2a0b:1001:1::/48"),
)
ALPHA_ORIGINS = frozenset({1001, 1010})


def reference_route_server() -> RouteServer:
    """rs1 of a small exchange with one client per option the renderer has to handle."""
    alpha_hops = frozenset({A("185.1.0.11"), A("2a0c:1::11"), A("185.1.0.15")})
    clients = (
        client(  # dual-stack, MD5, blackhole opt-in, AS-SET with two origins, nested rules
            "AS1001_1",
            1001,
            'Alpha "Networks" GmbH\\Co',
            "185.1.0.11",
            "2a0c:1::11",
            as_set="AS-ALPHA",
            allowed_origins=ALPHA_ORIGINS,
            allowed_prefixes=ALPHA_PREFIXES,
            next_hops=alpha_hops,
            md5_password="s3cret pass",
            blackhole_opt_in=True,
        ),
        client(  # the same member's second router: shares the first one's sets
            "AS1001_2",
            1001,
            "Alpha Networks, second router",
            "185.1.0.15",
            None,
            as_set="AS-ALPHA",
            allowed_origins=ALPHA_ORIGINS,
            allowed_prefixes=ALPHA_PREFIXES,
            next_hops=alpha_hops,
        ),
        client(  # IPv4 only, no IRR data: everything it sends is filtered (9)
            "AS1002_1", 1002, "Bravo 北京", "185.1.0.12", None, irr_problems=("AS-BRAVO not found",)
        ),
        client(  # IPv6 only, 32-bit ASN, blackhole opt-in
            "AS196615_1",
            196615,
            "Charlie",
            None,
            "2a0c:1::13",
            allowed_prefixes=(rule("2a0c:3000::/29", 29, 48),),
            blackhole_opt_in=True,
        ),
        client(  # transit-free member, big limits
            "AS3356_1",
            3356,
            "Delta Transit",
            "185.1.0.14",
            "2a0c:1::14",
            max_prefix_v4=500_000,
            max_prefix_v6=100_000,
            allowed_prefixes=(rule("4.0.0.0/9", 9, 24),),
        ),
        client("AS1005_1", 1005, "Echo without address", None, None),
        client("AS1006_1", 1006, "Foxtrot without limit", "185.1.0.16", None, max_prefix_v4=0),
    )
    return RouteServer(
        name="rs1",
        exchange="FRA1",
        asn=59900,
        router_id=ipaddress.IPv4Address("185.1.0.1"),
        ipv4=ipaddress.IPv4Address("185.1.0.1"),
        ipv6=ipaddress.IPv6Address("2a0c:1::1"),
        lan_prefixes=(N("185.1.0.0/24"), N("185.2.0.0/24"), N("2a0c:1::/64")),
        blackhole_v4=ipaddress.IPv4Address("185.1.0.66"),
        blackhole_v6=ipaddress.IPv6Address("2a0c:1::66"),
        settings=PolicySettings(transit_free_asns=frozenset({174, 3356})),
        clients=clients,
    )


def variant_route_server() -> RouteServer:
    """The other branch of every setting: 32-bit RS ASN, checks off, IPv6-only blackholing."""
    settings = PolicySettings(
        ipv4_lengths=LengthLimits(0, 32),
        ipv6_lengths=LengthLimits(16, 64),
        as_path_shortest=0,
        as_path_longest=64,
        reject_rpki_invalid=False,
        irr_origin_check=False,
        rpki_valid_bypasses_irr_prefix=False,
        max_prefix_action=MaxPrefixAction.BLOCK,
        graceful_shutdown=False,
        bgp_role=False,
        max_communities=50,
    )
    clients = (
        client(
            "AS1001_1",
            1001,
            "Alpha",
            "185.1.0.11",
            "2a0c:1::11",
            allowed_prefixes=(rule("11.1.0.0/16", 16, 24), rule("2a0b:1001::/32", 32, 48)),
        ),
        client("AS1002_1", 1002, "Bravo", "185.1.0.12", None, blackhole_opt_in=True),
    )
    return RouteServer(
        name="rs1",
        exchange="BER1",
        asn=196610,
        router_id=ipaddress.IPv4Address("185.1.0.1"),
        ipv4=ipaddress.IPv4Address("185.1.0.1"),
        ipv6=ipaddress.IPv6Address("2a0c:1::1"),
        lan_prefixes=(),
        blackhole_v4=None,
        blackhole_v6=ipaddress.IPv6Address("2a0c:1::66"),
        rtr_host="rtr.example.net",
        rtr_port=3323,
        settings=settings,
        clients=clients,
    )


CASES = {
    "rs1-reference": (reference_route_server, {}),
    "rs1-variant": (variant_route_server, {"log_file": "/var/log/ixcenter/rs1.log"}),
}


def _render(case: str) -> str:
    build, options = CASES[case]
    return render_bird(build(), **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_config_equals_golden_file(case: str, request: pytest.FixtureRequest) -> None:
    rendered = _render(case)
    golden = GOLDEN / f"{case}.conf"
    if request.config.getoption("update_golden", default=False):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"{golden} missing: run with --update-golden and review it"
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bird_accepts_the_rendered_config(case: str) -> None:
    require("bird")
    check_bird(_render(case))


def test_bird_check_can_fail() -> None:
    """The check above can fail: one broken line is refused, and the error says which."""
    require("bird")
    text = _render("rs1-reference").replace("rs client;", "rs clients;", 1)
    with pytest.raises(ConfigRejected) as error:
        check_bird(text)
    assert error.value.line is not None
    assert text.splitlines()[error.value.line - 1].strip() == "rs clients;"


# --- what the config says ----------------------------------------------------------------------


def sessions(text: str) -> dict[str, str]:
    return dict(re.findall(r"\nprotocol bgp (\S+) \{\n(.*?)\n\}\n", text, re.S))


def defines(text: str) -> dict[str, str]:
    return dict(re.findall(r"\ndefine (\S+) = (\[.*?\]|\S+);", text, re.S))


def test_one_session_per_client_and_family() -> None:
    found = sessions(_render("rs1-reference"))
    assert set(found) == {
        "AS1001_1_v4",
        "AS1001_1_v6",
        "AS1001_2_v4",
        "AS1002_1_v4",
        "AS196615_1_v6",
        "AS3356_1_v4",
        "AS3356_1_v6",
        "AS1006_1_v4",
    }
    alpha = found["AS1001_1_v4"]
    for line in (
        "local 185.1.0.1 as IXC_RS;",
        "neighbor 185.1.0.11 as 1001;",
        "rs client;",
        "passive on;",
        "interpret communities off;",
        "local role rs_server;",
        'password "s3cret pass";',
        'description "Alpha Networks GmbHCo (AS1001)";',
        "import table on;",
        "secondary;",
        "receive limit 100 action restart;",
        "import where ixc_import_v4(1001, AS1001_1_origins, AS1001_1_pfx4, AS1001_1_bh4, AS1001_1_nh);",
        "export where ixc_export_v4(1001, true);",
    ):
        assert line in alpha, line
    assert "neighbor 2a0c:1::11 as 1001;" in found["AS1001_1_v6"]
    assert "local 2a0c:1::1 as IXC_RS;" in found["AS1001_1_v6"]
    assert "password" not in found["AS1002_1_v4"]
    assert "receive limit" not in found["AS1006_1_v4"]
    assert "export where ixc_export_v6(196615, true);" in found["AS196615_1_v6"]
    assert "export where ixc_export_v4(1002, false);" in found["AS1002_1_v4"]


def test_the_number_of_functions_does_not_grow_with_the_clients() -> None:
    small = _render("rs1-reference")
    rs = reference_route_server()
    many = tuple(
        client(f"AS{20000 + n}_1", 20000 + n, f"M{n}", f"185.1.1.{n}", None) for n in range(1, 200)
    )
    big = render_bird(
        replace(rs, lan_prefixes=(*rs.lan_prefixes, N("185.1.1.0/24")), clients=rs.clients + many)
    )
    assert small.count("\nfunction ") == big.count("\nfunction ") == 4
    assert "\nfilter " not in big
    assert big.count("\nprotocol bgp ") == small.count("\nprotocol bgp ") + 199


def test_per_client_sets() -> None:
    found = defines(_render("rs1-reference"))
    assert found["AS1001_1_origins"] == "[ 1001, 1010 ]"
    assert found["AS1001_1_pfx4"] == "[ 11.1.0.0/16, 11.1.4.0/22{22,24}, 11.2.0.0/24+ ]"
    assert found["AS1001_1_pfx6"] == "[ 2a0b:1001::/32{32,48}, 2a0b:1001:1::/48 ]"
    # blackholes: inside any of those prefixes, nested ones folded into the outer one
    assert found["AS1001_1_bh4"] == "[ 11.1.0.0/16+, 11.2.0.0/24+ ]"
    assert found["AS1001_1_bh6"] == "[ 2a0b:1001::/32+ ]"
    assert found["AS1001_1_nh"] == "[ 185.1.0.11, 185.1.0.15, 2a0c:1::11 ]"
    # the second router uses the first one's sets; nothing is defined for it
    assert not any(name.startswith("AS1001_2") for name in found)
    # no route objects: the empty set literal, which matches nothing
    assert "AS1002_1_pfx4" not in found
    assert "ixc_import_v4(1002, AS1002_1_origins, [], [], AS1002_1_nh)" in _render("rs1-reference")


def test_exchange_wide_sets() -> None:
    found = defines(_render("rs1-reference"))
    assert found["IXC_RS"] == "59900"
    assert found["IXC_LANS_V4"] == "[ 185.1.0.0/24+, 185.2.0.0/24+ ]"
    assert found["IXC_LANS_V6"] == "[ 2a0c:1::/64+ ]"
    assert found["IXC_TRANSIT_FREE"] == "[ 174, 3356 ]"
    assert found["IXC_BOGON_ASNS"] == "[ 0, 23456, 64496..131071, 4200000000..4294967295 ]"
    assert "10.0.0.0/8+" in found["IXC_BOGONS_V4"] and "10.0.0.0/7" in found["IXC_BOGONS_V4"]
    assert found["IXC_REACHABLE_V4"] == "[ 192.0.0.9/32, 192.0.0.10/32 ]"


def test_settings_reach_the_functions() -> None:
    reference, variant = _render("rs1-reference"), _render("rs1-variant")
    assert "net.len > 24" in reference and "net.len < 8" in reference
    assert "net.len > 32" in variant and "net.len < 1" in variant  # never a default route
    assert "bgp_path.len > 32" in reference and "bgp_path.len > 64" in variant
    assert "(IXC_RS, 1101, 13)" in reference and "(IXC_RS, 1101, 13)" not in variant
    assert "(IXC_RS, 1101, 10)" in reference and "(IXC_RS, 1101, 10)" not in variant
    assert (
        "IXC_TRANSIT_FREE), peer_as)" in reference and "IXC_TRANSIT_FREE), peer_as)" not in variant
    )
    assert "bgp_local_pref = 0" in reference and "bgp_local_pref = 0" not in variant
    assert "local role rs_server;" not in variant
    assert "receive limit 100 action block;" in variant
    assert "> 100" in reference and "> 50" in variant
    # 16-bit RS: standard control communities; 32-bit RS: large ones only
    assert "(0, IXC_RS) ~ bgp_community" in reference and "(0, IXC_RS)" not in variant
    assert (
        'remote "rtr.example.net" port 3323;' in variant
        and "remote 127.0.0.1 port 8323;" in reference
    )
    assert 'log "/var/log/ixcenter/rs1.log" all;' in variant and "log syslog all;" in reference
    # blackholing only where the route server has a next hop for it
    v4_import = variant.split("function ixc_import_v4")[1].split("function ixc_export_v4")[0]
    v6_import = variant.split("function ixc_import_v6")[1].split("function ixc_export_v6")[0]
    assert "is_blackhole = false;" in v4_import
    assert "bgp_next_hop = 2a0c:1::66;" in v6_import


@pytest.mark.parametrize("password", ['with"quote', "back\\slash", "tab\tbed", "ümlaut"])
def test_passwords_bird_cannot_quote_are_refused(password: str) -> None:
    rs = reference_route_server()
    bad = replace(rs.clients[0], md5_password=password)
    with pytest.raises(ConfigurationError):
        render_bird(replace(rs, clients=(bad,)))


def test_no_sessions_without_route_server_addresses() -> None:
    rs = replace(reference_route_server(), ipv4=None)
    found = sessions(render_bird(rs))
    assert found and all(name.endswith("_v6") for name in found)
