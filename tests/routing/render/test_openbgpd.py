"""rs2's bgpd.conf: golden files per case, accepted by ``bgpd -n``, and the pieces it is made of.

Regenerate the golden files after a reviewed change with ``pytest --update-golden`` (when the
suite has that option) or ``IXC_UPDATE_GOLDEN=1 pytest tests/routing/render/test_openbgpd.py``.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ixcenter.core.errors import ValidationFailed
from ixcenter.routing.policy.model import (
    LengthLimits,
    MaxPrefixAction,
    PolicySettings,
    PrefixRule,
    RouteServer,
)
from ixcenter.routing.render.openbgpd import (
    build_openbgpd,
    irr_entries,
    render_openbgpd,
    root_entries,
)
from tests.live import require
from tests.routing.policies import client, rule

GOLDEN = Path(__file__).parent / "golden" / "openbgpd"
SOCKET = "/run/ixcenter/rs2-bgpd.sock"
A = ipaddress.ip_address
N = ipaddress.ip_network


def reference_route_server() -> RouteServer:
    """rs2 of a small exchange with one client per option the renderer has to handle."""
    alpha_hops = frozenset({A("192.0.2.11"), A("2001:db8::11"), A("192.0.2.15")})
    clients = (
        client(  # dual-stack, MD5, blackhole opt-in, AS-SET with two origins, every rule shape
            "AS1001_1",
            1001,
            'Alpha "Networks" GmbH & Co. KG, Frankfurt',
            "192.0.2.11",
            "2001:db8::11",
            as_set="AS-ALPHA",
            allowed_origins=frozenset({1001, 1010}),
            allowed_prefixes=(
                rule("11.1.0.0/16", 16, 24),
                rule("11.1.4.0/22"),
                rule("11.2.0.0/24", 24, 32),
                rule("11.3.0.0/16", 8, 20),
                rule("2a0b:1001::/32", 32, 48),
                rule("2a0b:1001:1::/48"),
            ),
            next_hops=alpha_hops,
            md5_password="s3cret pass",
            blackhole_opt_in=True,
        ),
        client(  # the same member's second router: same ASN, NEXT_HOP of either router
            "AS1001_2",
            1001,
            "Alpha Networks, second router",
            "192.0.2.15",
            None,
            allowed_origins=frozenset({1001, 1010}),
            allowed_prefixes=(rule("11.1.0.0/16", 16, 24),),
            next_hops=alpha_hops,
        ),
        client(  # IPv4 only, no IRR data at all: everything it sends is filtered (9)
            "AS1002_1", 1002, "Bravo", "192.0.2.12", None, irr_problems=("AS-BRAVO not found",)
        ),
        client(  # IPv6 only, 32-bit ASN: no standard-form control communities name it
            "AS196615_1",
            196615,
            "Charlie",
            None,
            "2001:db8::13",
            allowed_prefixes=(rule("2a0c:3000::/29", 29, 48),),
            blackhole_opt_in=True,
        ),
        client(  # transit-free member: its own ASN is allowed in its paths, the other is not
            "AS3356_1",
            3356,
            "Delta Transit",
            "192.0.2.14",
            "2001:db8::14",
            max_prefix_v4=500_000,
            max_prefix_v6=100_000,
            allowed_prefixes=(rule("4.0.0.0/9", 9, 24),),
        ),
        client("AS1005_1", 1005, "Echo without address", None, None),
    )
    return RouteServer(
        name="rs2",
        exchange="FRA1",
        asn=64500,
        router_id=ipaddress.IPv4Address("192.0.2.2"),
        ipv4=ipaddress.IPv4Address("192.0.2.2"),
        ipv6=ipaddress.IPv6Address("2001:db8::2"),
        lan_prefixes=(N("192.0.2.0/24"), N("2001:db8::/64")),
        blackhole_v4=ipaddress.IPv4Address("192.0.2.66"),
        blackhole_v6=ipaddress.IPv6Address("2001:db8::66"),
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
        max_prefix_action=MaxPrefixAction.SHUTDOWN,
        graceful_shutdown=False,
        bgp_role=False,
        max_communities=50,
    )
    clients = (
        client(
            "AS1001_1",
            1001,
            "Alpha",
            "198.51.100.11",
            "2001:db8:100::11",
            allowed_prefixes=(rule("11.1.0.0/16", 16, 24), rule("2a0b:1001::/32", 32, 48)),
        ),
        client("AS1002_1", 1002, "Bravo", "198.51.100.12", None, blackhole_opt_in=True),
    )
    return RouteServer(
        name="rs2",
        exchange="BER1",
        asn=196610,
        router_id=ipaddress.IPv4Address("198.51.100.2"),
        ipv4=ipaddress.IPv4Address("198.51.100.2"),
        ipv6=None,
        lan_prefixes=(),
        blackhole_v4=None,
        blackhole_v6=ipaddress.IPv6Address("2001:db8:100::66"),
        rtr_host="::1",
        rtr_port=3323,
        settings=settings,
        clients=clients,
    )


def empty_route_server() -> RouteServer:
    return RouteServer(
        name="rs2",
        exchange="HAM1",
        asn=64500,
        router_id=ipaddress.IPv4Address("203.0.113.2"),
        ipv4=None,
        ipv6=None,
        lan_prefixes=(),
        blackhole_v4=None,
        blackhole_v6=None,
    )


CASES = {
    "rs2-reference": (reference_route_server, {}),
    "rs2-variant": (variant_route_server, {"restricted_socket_path": "/run/ixcenter/rs2-lg.sock"}),
    "rs2-empty": (empty_route_server, {}),
}


def _render(case: str) -> str:
    build, options = CASES[case]
    return render_openbgpd(build(), socket_path=SOCKET, **options)  # type: ignore[arg-type]


def _update_golden(config: pytest.Config) -> bool:
    flag = bool(config.getoption("update_golden", default=False))
    return flag or os.environ.get("IXC_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_config_equals_golden_file(case: str, request: pytest.FixtureRequest) -> None:
    rendered = _render(case)
    golden = GOLDEN / f"{case}.conf"
    if _update_golden(request.config):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(rendered, encoding="utf-8")
    assert golden.exists(), f"{golden} missing: run with IXC_UPDATE_GOLDEN=1 and review it"
    assert rendered == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bgpd_accepts_the_rendered_config(case: str, tmp_path: Path) -> None:
    bgpd = require("bgpd")
    path = tmp_path / "bgpd.conf"
    path.write_text(_render(case), encoding="utf-8")
    result = subprocess.run(
        [bgpd, "-n", "-f", str(path)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout + result.stderr


def test_bgpd_rejects_a_broken_config(tmp_path: Path) -> None:
    """The check above can fail: the same config with one rule broken is refused."""
    bgpd = require("bgpd")
    path = tmp_path / "bgpd.conf"
    path.write_text(_render("rs2-reference").replace("peer-as neighbor-as", "peer-as != x"))
    result = subprocess.run(
        [bgpd, "-n", "-f", str(path)], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode != 0


# --- what the config says ----------------------------------------------------------------------


def _rules(config: object) -> list[str]:
    blocks = [*config.import_rules, *config.export_rules]  # type: ignore[attr-defined]
    return [r for block in blocks for r in block.rules]


def test_sessions_one_group_per_client_with_a_neighbor_per_address() -> None:
    config = build_openbgpd(reference_route_server(), socket_path=SOCKET)
    groups = {g.name: g for g in config.groups}
    assert set(groups) == {"AS1001_1", "AS1001_2", "AS1002_1", "AS196615_1", "AS3356_1"}
    alpha = groups["AS1001_1"]
    assert [n.address for n in alpha.neighbors] == ["192.0.2.11", "2001:db8::11"]
    assert 'tcp md5sig password "s3cret pass"' in alpha.lines
    assert {"passive", "enforce neighbor-as no", "announce policy rs"} <= set(alpha.lines)
    assert alpha.neighbors[0].lines == (
        "announce IPv4 unicast",
        "announce IPv6 none",
        "max-prefix 100 restart 30",
    )
    assert alpha.neighbors[1].lines[:2] == ("announce IPv6 unicast", "announce IPv4 none")
    # descr: the session's name, as BIRD names the protocol
    assert [n.descr for n in alpha.neighbors] == ["AS1001_1_v4", "AS1001_1_v6"]
    assert [n.address for n in groups["AS196615_1"].neighbors] == ["2001:db8::13"]


def test_client_without_address_is_left_out_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        config = build_openbgpd(reference_route_server(), socket_path=SOCKET)
    assert "AS1005_1" not in {g.name for g in config.groups}
    assert "AS1005_1" in caplog.text


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (MaxPrefixAction.RESTART, "max-prefix 100 restart 30"),
        (MaxPrefixAction.BLOCK, "max-prefix 100 restart 30"),
        (MaxPrefixAction.SHUTDOWN, "max-prefix 100"),
    ],
)
def test_max_prefix_action(action: MaxPrefixAction, expected: str) -> None:
    rs = reference_route_server()
    rs = RouteServer(**{**_fields(rs), "settings": PolicySettings(max_prefix_action=action)})
    config = build_openbgpd(rs, socket_path=SOCKET)
    bravo = next(g for g in config.groups if g.name == "AS1002_1")
    assert bravo.neighbors[0].lines[-1] == expected


def _fields(rs: RouteServer) -> dict[str, object]:
    return {name: getattr(rs, name) for name in RouteServer.__dataclass_fields__}


def test_standard_control_communities_need_a_16_bit_route_server() -> None:
    rules16 = _rules(build_openbgpd(reference_route_server(), socket_path=SOCKET))
    rules32 = _rules(build_openbgpd(variant_route_server(), socket_path=SOCKET))
    assert "deny to any community 0:64500" in rules16
    assert "allow to any community 64500:neighbor-as" in rules16
    assert not any(r.startswith("deny to any community 0:") for r in rules32)
    assert not any("community 196610:neighbor-as" in r for r in rules32)
    # 0:P and 65501-65503:P name only P: bgpd matches them when P fits 16 bits, whatever RS is
    for rules in (rules16, rules32):
        assert "deny quick to any community 0:neighbor-as" in rules
        assert any(r.startswith("match to any community 65503:neighbor-as") for r in rules)


def test_blackhole_requests_are_per_family() -> None:
    both = _rules(build_openbgpd(reference_route_server(), socket_path=SOCKET))
    v6_only = _rules(build_openbgpd(variant_route_server(), socket_path=SOCKET))
    assert 'deny quick to group "AS1002_1" community BLACKHOLE' in both
    assert not any('to group "AS1001_1" community BLACKHOLE' in r for r in both)
    assert 'deny quick to group "AS1001_1" community BLACKHOLE inet6' in v6_only
    assert any("nexthop 2001:db8:100::66" in r for r in v6_only)
    assert not any(" inet set" in r and "nexthop" in r for r in v6_only)


def test_members_cannot_set_any_informational_or_filter_class() -> None:
    rules = _rules(build_openbgpd(reference_route_server(), socket_path=SOCKET))
    strip = next(r for r in rules if r.startswith("match from any large-community 64500:*:* set"))
    deleted = [int(part.split(":")[1]) for part in strip.split() if part.startswith("64500:1")]
    assert deleted == list(range(1000, 2000))


def test_validation_reports_every_problem() -> None:
    rs = reference_route_server()
    bad = (
        client("AS 1", 1, "space in key", "192.0.2.31", None),
        client("AS2_1", 2, "quote", "192.0.2.32", None, md5_password='a"b'),
        client("AS2_1", 2, "twice", "192.0.2.33", None),
        client("AS3_1", 3, "too long", "192.0.2.34", None, md5_password="x" * 81),
    )
    rs = RouteServer(**{**_fields(rs), "clients": bad, "rtr_host": "rtr.example.net"})
    with pytest.raises(ValidationFailed) as caught:
        build_openbgpd(rs, socket_path='/run/"x".sock')
    fields = sorted(p.field for p in caught.value.problems)
    assert fields == [
        "clients.AS 1",
        "clients.AS2_1",
        "clients.AS2_1.md5_password",
        "clients.AS3_1.md5_password",
        "rtr_host",
        "socket_path",
    ]


# --- prefix-set entries ------------------------------------------------------------------------


def _bgpd_entry_matches(entry: str, prefix: ipaddress.IPv4Network | ipaddress.IPv6Network) -> bool:
    """bgpd's prefix-set semantics for the three entry shapes ``irr_entries`` writes."""
    words = entry.split()
    net = N(words[0])
    if prefix.version != net.version or not prefix.subnet_of(net):  # type: ignore[arg-type]
        return False
    if len(words) == 1:
        return prefix.prefixlen == net.prefixlen
    if words[1] == "or-longer":
        return prefix.prefixlen >= net.prefixlen
    low, high = int(words[2]), int(words[4])
    assert words[1] == "prefixlen" and words[3] == "-"
    return low <= prefix.prefixlen <= high


@st.composite
def _v4_rules(draw: st.DrawFn) -> PrefixRule:
    length = draw(st.integers(8, 28))
    address = draw(st.integers(0x0B000000, 0x0B0FFFFF)) >> (32 - length) << (32 - length)
    net = ipaddress.IPv4Network((address, length))
    shortest = draw(st.integers(0, 32))
    longest = draw(st.integers(0, 32))
    return PrefixRule(net, shortest, longest)


@st.composite
def _v4_prefixes(draw: st.DrawFn) -> ipaddress.IPv4Network:
    length = draw(st.integers(8, 32))
    address = draw(st.integers(0x0B000000, 0x0B0FFFFF)) >> (32 - length) << (32 - length)
    return ipaddress.IPv4Network((address, length))


@settings(deadline=None)  # the machine is shared: no per-example time limit
@given(st.lists(_v4_rules(), max_size=6), st.lists(_v4_prefixes(), min_size=1, max_size=20))
def test_irr_entries_match_what_the_rules_cover(
    rules: list[PrefixRule], prefixes: list[ipaddress.IPv4Network]
) -> None:
    entries = irr_entries(rules)
    for prefix in prefixes:
        expected = any(r.covers(prefix) for r in rules)
        assert any(_bgpd_entry_matches(e, prefix) for e in entries) == expected, prefix


def test_irr_entry_shapes() -> None:
    entries = irr_entries(
        [
            rule("11.0.0.0/16"),
            rule("11.1.0.0/16", 16, 32),
            rule("11.2.0.0/16", 8, 20),
            rule("11.3.0.0/16", 20, 18),  # empty range: left out
            rule("11.0.0.0/16"),  # duplicate
        ]
    )
    assert entries == ("11.0.0.0/16", "11.1.0.0/16 or-longer", "11.2.0.0/16 prefixlen 16 - 20")


@settings(deadline=None)  # the machine is shared: no per-example time limit
@given(st.lists(_v4_prefixes(), max_size=30), st.lists(_v4_prefixes(), min_size=1, max_size=20))
def test_root_entries_keep_what_the_prefixes_cover(
    nets: list[ipaddress.IPv4Network], probes: list[ipaddress.IPv4Network]
) -> None:
    roots = [N(text) for text in root_entries(nets)]
    assert set(roots) <= set(nets)
    for root in roots:
        assert not any(o != root and root.subnet_of(o) for o in roots)
    for probe in probes:
        inside = any(probe.subnet_of(n) for n in nets)
        assert any(probe.subnet_of(r) for r in roots) == inside


@pytest.mark.parametrize(
    "prefix", ["0.0.0.0/0", "11.2.3.0/24", "255.255.255.255/32", "::/0", "2001:db8::1/128"]
)
def test_entries_write_prefixes_as_ipaddress_does(prefix: str) -> None:
    assert irr_entries([rule(prefix)]) == (prefix,)
    assert root_entries([N(prefix)]) == (prefix,)


@settings(deadline=None)  # the machine is shared: no per-example time limit
@given(st.integers(0, (1 << 128) - 1), st.integers(0, 128))
def test_ipv6_entries_are_written_as_ipaddress_does(address: int, length: int) -> None:
    net = ipaddress.IPv6Network((address >> (128 - length) << (128 - length), length))
    assert root_entries([net]) == (str(net),)
