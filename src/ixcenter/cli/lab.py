"""``ixc lab up | status | down``: the registry's exchange emulated in network namespaces.

The lab is the one place the product calls into ``ixcenter.lab`` (imported inside the commands,
so the rest of the CLI never loads it).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import console, message, record, table

if TYPE_CHECKING:
    from ixcenter.lab.health import LabStatus


@click.group("lab")
def lab() -> None:
    """An emulated exchange on this machine, built from the registry (root needed).

    Every exchange center with route servers gets its sites as network namespaces joined by
    links with the registry's latencies, rs1 (BIRD) and rs2 (OpenBGPD) with stayrtr, an ExaBGP
    router per member announcing its prefixes (some wrong on purpose, so filtering shows),
    traffic between members and over their private interconnects (across centers too), and
    sFlow from the fabric into the flow collector. Everything stays inside namespaces the lab
    creates; `ixc lab down` removes it all. Use a data directory of its own: the lab's route
    servers and flow store live there.

    \b
    ixc demo-data --members 12 --centers 2     # a registry to emulate
    ixc lab up                                 # build and start it (under a minute)
    ixc lab status                             # sessions, processes, traffic stored
    ixc rs status --sessions                   # the lab's route servers, as in production
    ixc rs routes BJIX-rs1 <session> --filtered
    ixc flows matrix --last 10m; ixc flows centers --last 10m
    ixc lab down
    """


@lab.command("up")
@click.option(
    "--members",
    "members_per_center",
    type=click.IntRange(min=1),
    default=8,
    show_default=True,
    help="Member routers per center (the fastest ports first). Each is an ExaBGP process "
    "of ~30 MB.",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same prefixes.")
@click.option(
    "--traffic", "traffic_pps", type=float, default=400.0, show_default=True,
    help="Packets per second between members, the whole lab.",
)  # fmt: skip
@click.option("--wait", "wait_s", type=float, default=120.0, show_default=True,
              help="Seconds to wait for every BGP session (0: do not wait).")  # fmt: skip
@json_option
@pass_app
def lab_up(
    app: App,
    members_per_center: int,
    seed: int,
    traffic_pps: float,
    wait_s: float,
    as_json: bool,
) -> None:
    """Build the lab from the registry and start everything in it."""
    from ixcenter.lab import exchange, health

    options = exchange.LabOptions(
        members_per_center=members_per_center, seed=seed, traffic_pps=traffic_pps
    )
    out = console(stderr=True)
    with out.status("building the lab") as spinner:
        state = exchange.up(
            app.registry,
            app.settings,
            options,
            step=lambda text: spinner.update(f"building the lab: {text}"),
        )
        if wait_s > 0:
            spinner.update("waiting for the BGP sessions")
            _wait_sessions(app, wait_s)
    found = health.status(app.registry, app.settings)
    if as_json:
        record(found.to_json(), as_json=True)
        return
    _print_status(found)
    message("mistakes planted (each filtered by both route servers):")
    rows = [dict(m) for m in state.mistakes]
    table(rows, ["router", "prefix", "kind", "reason"], as_json=False)


def _wait_sessions(app: App, timeout: float) -> None:
    from ixcenter.lab import health

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        servers = health.status(app.registry, app.settings).servers
        if servers and all(s.running and s.established == s.sessions for s in servers):
            return
        time.sleep(2.0)


def _print_status(found: LabStatus) -> None:
    rows = [
        {
            "server": f"{s.exchange}-{s.server}",
            "running": s.running,
            "established": s.established,
            "sessions": s.sessions,
            "not emulated": s.not_emulated,
        }
        for s in found.servers
    ]
    columns = ["server", "running", "established", "sessions", "not emulated"]
    table(rows, columns, as_json=False)
    down = ", ".join(found.processes_down) or "none"
    message(f"lab run {found.state.run_id}: {found.processes} processes, stopped: {down}")
    message(
        f"flow store, last 10 minutes: {found.member_pairs} member pairs, "
        f"{found.flow_bytes:,} bytes"
    )


@lab.command("status")
@json_option
@pass_app
def lab_status(app: App, as_json: bool) -> None:
    """Route servers and sessions, the lab's processes, traffic stored in the last minutes."""
    from ixcenter.lab import health

    found = health.status(app.registry, app.settings)
    if as_json:
        record(found.to_json(), as_json=True)
    else:
        _print_status(found)


@lab.command("down")
@json_option
@pass_app
def lab_down(app: App, as_json: bool) -> None:
    """Stop everything the lab started and delete its namespaces (also after a crash)."""
    from ixcenter.lab import exchange

    teardown = exchange.down(app.settings)
    record({"processes": teardown.processes, "namespaces": teardown.namespaces}, as_json=as_json)


def register(cli: click.Group) -> None:
    cli.add_command(lab)
