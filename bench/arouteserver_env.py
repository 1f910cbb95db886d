"""arouteserver (PyPI) as the benchmark's peer: a private venv, its inputs, its configuration.

* ``ensure_venv``: ``bench/.cache/arouteserver-venv`` (git-ignored) with ``arouteserver`` 1.27.x
  from PyPI, created on first use;
* ``write_inputs``: ``general.yml`` as ``arouteserver configure`` (1.27, BIRD 2.0.11, the
  nearest target to Debian 12's BIRD 2.0.12) writes it, with the changes that make it run
  offline and compare like with like: PeeringDB and Registro.br lookups off, RFC 7999
  blackholing on (next hop rewritten, opt-in per client), ROAs over RTR, max-prefix from the
  member records; and ``clients.yml`` with one client per member router;
* ``setup``: the equivalent of ``arouteserver setup``, non-interactive: a config directory with
  ``arouteserver.yml`` (bgpq4 against the local whois server, no release check), ``log.ini``,
  ``bogons.yml`` and the templates copied from the package;
* ``bird_command``: the build command for the IPv4+IPv6 BIRD configuration; it includes two
  local files from beside the output: ``rtr_include`` (RTR to stayrtr) and ``logging_include``
  (one log file in the work directory, no debug: the same logging as ixcenter's config).

The YAML files are written by a small emitter here (block style, strings double-quoted), so the
generator needs no YAML library.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.rs_input import Exchange

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / "bench" / ".cache" / "arouteserver-venv"
REQUIREMENT = "arouteserver>=1.27,<1.28"
TARGET_VERSION = "2.0.11"
RPKI_RTR_INCLUDE = "rpki_rtr_config.local"  # the file the BIRD config includes for RTR
LOGGING_INCLUDE = "logging.local"  # replaces the default log lines (they name /var/log/bird.log)

# arouteserver's default transit-free ASNs (``arouteserver configure``)
TRANSIT_FREE = (174, 701, 1299, 2914, 3257, 3320, 3356, 5511, 6453, 6461, 6762, 6830, 7018, 12956)

# name: (standard, large) as ``arouteserver configure`` sets them (extended: rt:<standard>)
COMMUNITIES = {
    "prefix_present_in_as_set": ("64512:11", "rs_as:64512:11"),
    "prefix_not_present_in_as_set": ("64512:10", "rs_as:64512:10"),
    "origin_present_in_as_set": ("64512:21", "rs_as:64512:21"),
    "origin_not_present_in_as_set": ("64512:20", "rs_as:64512:20"),
    "prefix_validated_via_rpki_roas": ("64512:31", "rs_as:64512:31"),
    "route_validated_via_white_list": ("64512:41", "rs_as:64512:41"),
    "rpki_bgp_origin_validation_not_performed": ("64512:50", "rs_as:1000:3"),
    "rpki_bgp_origin_validation_valid": ("64512:51", "rs_as:1000:1"),
    "rpki_bgp_origin_validation_unknown": ("64512:52", "rs_as:1000:2"),
    "rpki_bgp_origin_validation_invalid": ("64512:53", "rs_as:1000:4"),
    "do_not_announce_to_any": ("0:rs_as", "rs_as:0:0"),
    "do_not_announce_to_peer": ("0:peer_as", "rs_as:0:peer_as"),
    "announce_to_peer": ("rs_as:peer_as", "rs_as:1:peer_as"),
    "prepend_once_to_any": ("65501:rs_as", "rs_as:101:0"),
    "prepend_twice_to_any": ("65502:rs_as", "rs_as:102:0"),
    "prepend_thrice_to_any": ("65503:rs_as", "rs_as:103:0"),
    "prepend_once_to_peer": ("65511:peer_as", "rs_as:101:peer_as"),
    "prepend_twice_to_peer": ("65512:peer_as", "rs_as:102:peer_as"),
    "prepend_thrice_to_peer": ("65513:peer_as", "rs_as:103:peer_as"),
    "add_noexport_to_peer": ("65281:peer_as", "rs_as:65281:peer_as"),
    "add_noadvertise_to_peer": ("65282:peer_as", "rs_as:65282:peer_as"),
}
# arouteserver reject code: Euro-IX reason (RS:1101:<reason>)
REJECT_CAUSES = {1: 5, 2: 3, 5: 8, 6: 7, 7: 4, 8: 14, 9: 10, 10: 3, 12: 9, 14: 13}


def _scalar(value: Any) -> str:
    if isinstance(value, dict | list) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def _yaml(value: Any, indent: int = 0) -> Iterator[str]:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                yield f"{pad}{key}:"
                yield from _yaml(item, indent + 2)
            else:
                yield f"{pad}{key}: {_scalar(item)}".rstrip()
    else:
        for item in value:
            if isinstance(item, dict | list) and item:
                lines = list(_yaml(item, indent + 2))
                yield f"{pad}- {lines[0].lstrip()}"
                yield from lines[1:]
            else:
                yield f"{pad}- {_scalar(item)}"


def dump_yaml(value: dict[str, Any], path: Path) -> None:
    path.write_text("\n".join(_yaml(value)) + "\n", encoding="utf-8")


def general(exchange: Exchange) -> dict[str, Any]:
    """``general.yml``: ``arouteserver configure``'s policy, offline, with RFC 7999 on."""
    lan = exchange.lan
    rs1 = lan.reserved_for(frozenset({"rs1"}), 4)
    blackhole = frozenset({"blackhole next hop"})
    communities: dict[str, Any] = {
        "reject_cause": {"std": "65520:dyn_val", "ext": "rt:65520:dyn_val",
                         "lrg": "rs_as:65520:dyn_val"},
        "reject_cause_map": {code: {"lrg": f"rs_as:1101:{reason}"}
                             for code, reason in REJECT_CAUSES.items()},
    }  # fmt: skip
    for name, (std, lrg) in COMMUNITIES.items():
        communities[name] = {"std": std, "ext": f"rt:{std}", "lrg": lrg}
    filtering = {
        "next_hop": {"policy": "strict"},
        "ipv4_pref_len": {"max": 24, "min": 8},
        "ipv6_pref_len": {"max": 48, "min": 12},
        "global_black_list_pref": [
            {"prefix": str(p.network_address), "length": p.prefixlen} for p in lan.bogon_lans
        ],
        "max_as_path_len": 32,
        "reject_invalid_as_in_as_path": True,
        "transit_free": {"action": "reject", "asns": list(TRANSIT_FREE)},
        "never_via_route_servers": {"peering_db": False},
        "irrdb": {
            "enforce_origin_in_as_set": True,
            "enforce_prefix_in_as_set": True,
            "allow_longer_prefixes": True,
            "tag_as_set": True,
            "peering_db": False,
            "use_rpki_roas_as_route_objects": {"enabled": True},
            "use_registrobr_bulk_whois_data": {"enabled": False},
        },
        "rpki_bgp_origin_validation": {"enabled": True, "reject_invalid": True},
        "max_prefix": {"action": "shutdown", "peering_db": {"enabled": False}},
        "roles": {"enabled": True},
        "reject_policy": {"policy": "tag_and_reject"},
    }
    return {
        "cfg": {
            "rs_as": lan.rs_asn,
            "router_id": str(rs1),
            "filtering": filtering,
            "rpki_roas": {"source": "rtr"},
            "blackhole_filtering": {
                "policy_ipv4": "rewrite-next-hop",
                "policy_ipv6": "rewrite-next-hop",
                "rewrite_next_hop_ipv4": str(lan.reserved_for(blackhole, 4)),
                "rewrite_next_hop_ipv6": str(lan.reserved_for(blackhole, 6)),
                "announce_to_client": False,  # opt-in per client
                "add_noexport": True,
                "client_community": {"peering_db": False},
            },
            "graceful_shutdown": {"enabled": True},
            "rfc1997_wellknown_communities": {"policy": "pass"},
            "communities": communities,
        }
    }


def clients(exchange: Exchange) -> dict[str, Any]:
    """``clients.yml``: one client per router, in ixcenter's client order (ASN, address)."""
    found = []
    for router in sorted(exchange.routers, key=lambda r: (r.asn, int(r.ipv4 or 0))):
        filtering: dict[str, Any] = {
            "max_prefix": {"limit_ipv4": router.max_prefix_v4, "limit_ipv6": router.max_prefix_v6}
        }
        if router.as_set:
            filtering["irrdb"] = {"as_sets": [router.as_set]}
        cfg: dict[str, Any] = {"filtering": filtering}
        if router.blackhole_opt_in:
            cfg["blackhole_filtering"] = {"announce_to_client": True}
        found.append(
            {
                "asn": router.asn,
                "ip": [str(a) for a in router.addresses],
                "description": router.name,
                "cfg": cfg,
            }
        )
    return {"clients": found}


def write_inputs(exchange: Exchange, general_path: Path, clients_path: Path) -> None:
    dump_yaml(general(exchange), general_path)
    dump_yaml(clients(exchange), clients_path)


def package_dir(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages/pierky/arouteserver"))
    if not found:
        raise FileNotFoundError(f"arouteserver is not installed in {venv}")
    return found[-1]


def ensure_venv(venv: Path = VENV) -> Path:
    """The ``arouteserver`` program of ``venv``, installing it from PyPI the first time."""
    program = venv / "bin" / "arouteserver"
    if program.exists():
        return program
    logger.info("creating %s with %s", venv, REQUIREMENT)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", REQUIREMENT]
    subprocess.run(pip, check=True)
    return program


def setup(
    venv: Path,
    directory: Path,
    general_path: Path,
    clients_path: Path,
    *,
    whois: str,
    sources: str,
    cache_dir: Path,
) -> Path:
    """``arouteserver setup`` without questions; returns the program configuration file."""
    package = package_dir(venv)
    directory.mkdir(parents=True, exist_ok=True)
    for name in ("log.ini", "bogons.yml"):
        shutil.copyfile(package / "config.d" / name, directory / name)
    shutil.copytree(package / "templates", directory / "templates", dirs_exist_ok=True)
    program = {
        "cfg_dir": str(directory),
        "logging_config_file": "log.ini",
        "cfg_general": str(general_path),
        "cfg_clients": str(clients_path),
        "cfg_bogons": "bogons.yml",
        "templates_dir": "templates",
        "template_name": "main.j2",
        "cache_dir": str(cache_dir),
        "bgpq3_path": shutil.which("bgpq4") or "bgpq4",
        "bgpq3_host": whois,
        "bgpq3_sources": sources,
        "check_new_release": False,
    }
    path = directory / "arouteserver.yml"
    dump_yaml(program, path)
    return path


def bird_command(program: Path, config: Path, output: Path) -> list[str]:
    """Build the IPv4+IPv6 BIRD configuration into ``output``; the RTR include sits beside it."""
    return [
        str(program),
        "bird",
        "--cfg",
        str(config),
        "--target-version",
        TARGET_VERSION,
        "--local-files-dir",
        str(output.parent),
        "--use-local-files",
        "logging",
        "-o",
        str(output),
    ]


def logging_include(log: Path) -> str:
    """BIRD's logging for the benchmark: everything to ``log``, as ixcenter's config is run.

    arouteserver's default (``header.j2``) is ``log "/var/log/bird.log" all; log syslog all;
    debug protocols { states, routes, filters, interfaces, events };``: with that debug line BIRD
    logs every ROA and protocol event, and its start-up is mostly logging (100 members: ROAs
    loaded after ~9.5 s instead of ~0.3 s). Both daemons' configs log the same way here.
    """
    return f'log "{log}" all;\n'


def rtr_include(table4: str = "RPKI4", table6: str = "RPKI6", port: int = 8323) -> str:
    """The ``rpki_rtr_config.local`` arouteserver's BIRD config includes (default timers)."""
    return (
        "protocol rpki RPKI_RTR {\n"
        f"\troa4 {{ table {table4}; }};\n"
        f"\troa6 {{ table {table6}; }};\n"
        f"\tremote 127.0.0.1 port {port};\n"
        "}\n"
    )


def main() -> None:
    """``python -m bench.arouteserver_env``: create the venv (if needed) and name the program."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    program = ensure_venv()
    logger.info("arouteserver %s: %s", version(program), program)


def version(program: Path) -> str:
    """The installed arouteserver's version (its venv's python asks the package)."""
    code = "from pierky.arouteserver.version import __version__; print(__version__)"
    python = program.parent / "python"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.strip()


if __name__ == "__main__":
    main()
