"""The synthetic exchange is what the benchmark says it is: read back with ixcenter's own RPSL,
AS-SET and VRP code, and with a YAML parser for arouteserver's files."""

from __future__ import annotations

from pathlib import Path
from statistics import median

import pytest
import yaml

from bench import rs_input
from ixcenter.routing.irr.asset import Limits
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.rpki.validation import OriginValidity, VrpIndex
from ixcenter.routing.rpki.vrps import load_vrps


@pytest.fixture(scope="module")
def exchange() -> rs_input.Exchange:
    return rs_input.generate(40, seed=7)


@pytest.fixture(scope="module")
def files(exchange: rs_input.Exchange, tmp_path_factory: pytest.TempPathFactory) -> rs_input.Files:
    return rs_input.write_all(exchange, tmp_path_factory.mktemp("rs-input"))


@pytest.fixture(scope="module")
def store(files: rs_input.Files) -> IrrStore:
    store = IrrStore()
    assert not store.load_dump(files.rpsl)  # no problems
    return store


def test_same_seed_same_exchange_other_seed_other_exchange() -> None:
    assert rs_input.generate(15, seed=3) == rs_input.generate(15, seed=3)
    assert rs_input.generate(15, seed=3).routes != rs_input.generate(15, seed=4).routes


def test_sizes_follow_the_member_count(exchange: rs_input.Exchange) -> None:
    counts = exchange.counts()
    sizes = exchange.sizes
    assert counts["members"] == 40
    assert 1.6 <= counts["sessions"] / 40 <= 2.2
    assert abs(counts["route"] - 40 * sizes.routes_per_member) < 40
    assert abs(counts["route6"] - 40 * sizes.route6_per_member) < 0.1 * 40 * 38
    assert counts["vrps"] == 40 * sizes.vrps_per_member


def test_route_counts_are_heavy_tailed() -> None:
    exchange = rs_input.generate(300, seed=1)
    cones = [r.max_prefix_v4 for r in exchange.routers]
    assert max(cones) > 100 * median(cones)


def test_the_dump_reads_back_whole(exchange: rs_input.Exchange, store: IrrStore) -> None:
    counts = store.counts()
    expected = exchange.counts()
    for kind in ("route", "route6", "as-set", "aut-num"):
        assert counts[kind] == expected[kind], kind
    for router in exchange.routers:
        assert store.has_aut_num(router.asn)


def test_one_deep_chain_loops_back_to_its_root(
    exchange: rs_input.Exchange, store: IrrStore
) -> None:
    root = exchange.deep_sets[0]
    full = store.origins_of_set(root)
    assert full.complete
    assert "as-set-loop" in {p.code for p in full.problems}
    cut = store.origins_of_set(root, limits=Limits(max_depth=rs_input.DEEP_DEPTH - 1))
    assert not cut.complete  # the chain is DEEP_DEPTH sets deep
    assert cut.asns < full.asns


def test_every_member_set_expands_to_routes_of_its_cone(
    exchange: rs_input.Exchange, store: IrrStore
) -> None:
    for router in exchange.routers:
        origins = store.origins_of_set(router.as_set or f"AS{router.asn}").asns | {router.asn}
        assert store.prefixes_of_asns(origins, 4)
        assert len(store.prefixes_of_asns(origins, 4)) <= router.max_prefix_v4


def test_vrps_load_and_make_some_routes_invalid(
    exchange: rs_input.Exchange, files: rs_input.Files
) -> None:
    loaded = load_vrps(files.vrps)
    assert not loaded.problems
    assert len(loaded.vrps) == len(exchange.vrps)
    index = VrpIndex(loaded.vrps)
    found = {
        index.validate(rs_input.prefix_text(version, network, length), origin)
        for version, network, length, origin in exchange.routes
    }
    assert found == {OriginValidity.VALID, OriginValidity.INVALID, OriginValidity.NOT_FOUND}


def test_arouteserver_clients_match_the_routers(
    exchange: rs_input.Exchange, files: rs_input.Files
) -> None:
    clients = yaml.safe_load(files.clients.read_text())["clients"]
    assert len(clients) == len(exchange.routers)
    by_address = {c["ip"][0]: c for c in clients}
    for router in exchange.routers:
        client = by_address[str(router.ipv4)]
        assert client["asn"] == router.asn
        assert client["ip"] == [str(a) for a in router.addresses]
        irrdb = client["cfg"]["filtering"].get("irrdb", {})
        assert irrdb.get("as_sets", [None]) == [router.as_set]
        assert client["cfg"]["filtering"]["max_prefix"]["limit_ipv4"] == router.max_prefix_v4
        opt_in = client["cfg"].get("blackhole_filtering", {}).get("announce_to_client", False)
        assert opt_in == router.blackhole_opt_in


def test_arouteserver_general_runs_offline_with_blackholing(files: rs_input.Files) -> None:
    cfg = yaml.safe_load(files.general.read_text())["cfg"]
    filtering = cfg["filtering"]
    assert filtering["irrdb"]["peering_db"] is False
    assert filtering["never_via_route_servers"]["peering_db"] is False
    assert filtering["max_prefix"]["peering_db"]["enabled"] is False
    assert cfg["blackhole_filtering"]["policy_ipv4"] == "rewrite-next-hop"
    assert cfg["rpki_roas"]["source"] == "rtr"
    assert cfg["communities"]["reject_cause_map"][14] == {"lrg": "rs_as:1101:13"}


def test_ixcenter_inputs_round_trip(exchange: rs_input.Exchange, tmp_path: Path) -> None:
    path = tmp_path / "inputs.json"
    rs_input.write_ixcenter_inputs(exchange, path)
    read = rs_input.read_ixcenter_inputs(path)
    assert read.lan == exchange.lan
    assert read.routers == exchange.routers
