"""``ixc rs``: build, deploy and watch the route servers (rs1 on BIRD 2, rs2 on OpenBGPD)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import console, record, table
from ixcenter.cli.progress import progress_bar
from ixcenter.core.clock import SystemClock
from ixcenter.core.errors import ConfigurationError
from ixcenter.routing import route_servers
from ixcenter.routing.control.model import RouteSet
from ixcenter.routing.control.stayrtr import RtrServer, StayRtr
from ixcenter.routing.irr.cache import IrrCache
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois import WhoisClient
from ixcenter.routing.looking_glass import LookingGlass
from ixcenter.routing.policy.sources import IrrSource, WhoisSource

exchange_option = click.option(
    "--exchange",
    "exchanges",
    multiple=True,
    help="Only this exchange center (repeatable); default every center with a route-server ASN.",
)


@click.group("rs")
def rs() -> None:
    """Route servers: two per exchange center, rs1 (BIRD 2) and rs2 (OpenBGPD).

    \b
    The usual cycle:
      ixc rs rtr start --vrps vrps.json   serve RPKI data to both daemons (stayrtr)
      ixc rs build --irr ripe.db          compile policy, write and check both configs
      ixc rs deploy                       load them, one route server at a time
      ixc rs status                       sessions per route server
      ixc rs routes BJ-rs1 AS64500_1_v4 --filtered   what was filtered, and why

    IRR data comes from RPSL dump files (--irr, or IXC_IRR_FILES) or an IRRd whois server
    (--whois HOST:PORT, or IXC_IRR_WHOIS; answers are cached in the data dir).
    """


def _irr_source(app: App, files: Sequence[Path], whois: str | None) -> IrrSource:
    files = list(files) or app.settings.irr_files
    whois = whois or app.settings.irr_whois
    if files:
        store = IrrStore()
        for path in files:
            if not path.is_file():
                raise ConfigurationError(f"no IRR dump file at {path}")
            problems = store.load_dump(path)
            if problems:
                console(stderr=True).print(
                    f"warning: {path}: {len(problems)} malformed objects skipped", markup=False
                )
        return store
    if whois:
        host, _, port = whois.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigurationError(f"--whois wants HOST:PORT, not {whois!r}")
        cache = IrrCache(app.settings.data_dir / "irr-cache", SystemClock())
        return WhoisSource(WhoisClient(host.strip("[]"), int(port)), cache)
    raise ConfigurationError("no IRR data: give --irr FILE or --whois HOST:PORT")


@rs.command("build")
@exchange_option
@click.option(
    "--irr",
    "irr_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="RPSL dump file (repeatable, plain or gzip).",
)
@click.option("--whois", help="IRRd-style whois server HOST:PORT, when no dump is given.")
@json_option
@pass_app
def rs_build(
    app: App,
    exchanges: tuple[str, ...],
    irr_files: tuple[Path, ...],
    whois: str | None,
    as_json: bool,
) -> None:
    """Compile every member's policy and write both daemons' configs.

    Each config is accepted only if its daemon's own parser passes it (bird -p, bgpd -n); if
    any fails, no candidate of this run is written. Running daemons are not touched: that is
    `ixc rs deploy`.
    """
    irr = _irr_source(app, irr_files, whois)
    with progress_bar("compiling") as update:
        built = route_servers.build(
            app.registry,
            irr,
            app.settings.route_server_root,
            exchanges=exchanges,
            rtr_host=app.settings.rtr_host,
            rtr_port=app.settings.rtr_port,
            progress=lambda _label, done, total: update(done, total),
        )
    rows = [
        {
            "server": b.spec.label,
            "daemon": b.spec.kind.value,
            "clients": b.clients,
            "sessions": len(b.sessions),
            "lines": b.lines,
            "irr_problems": len(b.irr_problems),
            "config": str(b.path),
        }
        for b in built
    ]
    table(rows, list(rows[0]) if rows else ["server"], as_json=as_json, title="candidates")


@rs.command("deploy")
@exchange_option
@click.option("--server", "servers", multiple=True, type=click.Choice(["rs1", "rs2"]))
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds per server.")
@json_option
@pass_app
def rs_deploy(
    app: App, exchanges: tuple[str, ...], servers: tuple[str, ...], timeout: float, as_json: bool
) -> None:
    """Load the built configs, one route server at a time.

    A daemon that refuses its config, or is not healthy with it within --timeout, goes back to
    its last good config and the run stops there, so both route servers of a LAN are never
    down, or on an untested config, at the same time.
    """
    done = route_servers.deploy(
        app.registry,
        app.settings.route_server_root,
        exchanges=exchanges,
        servers=servers,
        timeout=timeout,
    )
    rows = [
        {
            "server": d.server,
            "version": d.version,
            "previous": d.previous,
            "started": d.started,
            "sessions": len(d.sessions),
        }
        for d in done
    ]
    table(rows, ["server", "version", "previous", "started", "sessions"], as_json=as_json)


@rs.command("status")
@exchange_option
@click.option("--sessions", "show_sessions", is_flag=True, help="One line per BGP session.")
@json_option
@pass_app
def rs_status(app: App, exchanges: tuple[str, ...], show_sessions: bool, as_json: bool) -> None:
    """Each route server: running or not, deployed version, sessions established."""
    found = route_servers.status(app.registry, app.settings.route_server_root, exchanges=exchanges)
    if show_sessions:
        rows = [
            {
                "server": s.spec.label,
                "session": x.name,
                "peer_as": x.peer_asn,
                "address": x.address,
                "state": x.state,
                "since": x.since,
                "received": x.routes_received,
                "accepted": x.routes_accepted,
                "filtered": x.routes_filtered,
            }
            for s in found
            for x in s.sessions
        ]
        columns = ["server", "session", "peer_as", "address", "state", "since"]
        table(rows, [*columns, "received", "accepted", "filtered"], as_json=as_json)
        return
    rows = [
        {
            "server": s.spec.label,
            "daemon": s.spec.kind.value,
            "running": s.running,
            "version": s.deployed_version,
            "established": sum(1 for x in s.sessions if x.established),
            "sessions": len(s.sessions),
            "problem": s.problem,
        }
        for s in found
    ]
    columns = ["server", "daemon", "running", "version", "established", "sessions", "problem"]
    table(rows, columns, as_json=as_json)


@rs.command("routes")
@click.argument("server")
@click.argument("session")
@click.option("--filtered", is_flag=True, help="Only the routes the route server filtered.")
@json_option
@pass_app
def rs_routes(app: App, server: str, session: str, filtered: bool, as_json: bool) -> None:
    """Routes a member sent on one session, and why any were filtered.

    SERVER is e.g. BJ-rs1; SESSION as `ixc rs status --sessions` names it.
    """
    glass = LookingGlass.for_server(app.settings.route_server_root, server)
    which = RouteSet.FILTERED if filtered else RouteSet.RECEIVED
    rows = [
        {
            "prefix": r.route.prefix,
            "as_path": " ".join(str(a) for a in r.route.as_path),
            "next_hop": r.route.next_hop,
            "state": "filtered" if r.reasons else "accepted",
            "reasons": [reason.words for reason in r.reasons],
        }
        for r in glass.routes(session, which)
    ]
    table(rows, ["prefix", "as_path", "next_hop", "state", "reasons"], as_json=as_json)


@rs.group("rtr")
def rtr() -> None:
    """stayrtr, serving the VRP file to both route servers over RTR."""


def _stayrtr(app: App, vrps: Path | None) -> StayRtr:
    vrp_file = vrps or app.settings.vrp_file
    if vrp_file is None:
        raise ConfigurationError("no VRP file: give --vrps FILE or set IXC_VRP_FILE")
    directory = app.settings.route_server_root / "stayrtr"
    return StayRtr(
        RtrServer(
            vrp_file.resolve(), directory, host=app.settings.rtr_host, port=app.settings.rtr_port
        )
    )


vrps_option = click.option(
    "--vrps", type=click.Path(dir_okay=False, path_type=Path), help="VRP JSON (rpki-client)."
)


@rtr.command("start")
@vrps_option
@pass_app
def rtr_start(app: App, vrps: Path | None) -> None:
    """Start stayrtr (unless it runs) and wait until it serves the VRPs."""
    snapshot = _stayrtr(app, vrps).start()
    click.echo(f"stayrtr serving {len(snapshot.vrps)} VRPs on {app.settings.rtr_port}")


@rtr.command("status")
@vrps_option
@json_option
@pass_app
def rtr_status(app: App, vrps: Path | None, as_json: bool) -> None:
    """Whether stayrtr runs and answers, and how many VRPs it serves."""
    server = _stayrtr(app, vrps)
    running = server.alive()
    count = len(server.check().vrps) if running else None
    record({"running": running, "port": app.settings.rtr_port, "vrps": count}, as_json=as_json)


@rtr.command("stop")
@vrps_option
@pass_app
def rtr_stop(app: App, vrps: Path | None) -> None:
    """Stop the stayrtr ixcenter started."""
    stopped = _stayrtr(app, vrps).stop()
    click.echo("stayrtr stopped" if stopped else "stayrtr was not running")


def register(cli: click.Group) -> None:
    cli.add_command(rs)
