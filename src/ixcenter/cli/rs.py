"""``ixc rs``: build, deploy and watch the route servers (rs1 on BIRD 2, rs2 on OpenBGPD)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import console, message, record, table
from ixcenter.cli.progress import progress_bar
from ixcenter.core.clock import SystemClock
from ixcenter.core.errors import ConfigurationError
from ixcenter.routing import route_servers
from ixcenter.routing.control.model import RouteSet
from ixcenter.routing.control.stayrtr import RtrServer, StayRtr
from ixcenter.routing.irr.cache import IrrCache
from ixcenter.routing.irr.refresh import MemberRefresh, refresh
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois import WhoisClient
from ixcenter.routing.looking_glass import LookingGlass
from ixcenter.routing.policy.inputs import irr_targets
from ixcenter.routing.policy.sources import WhoisSource

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
      ixc rs irr refresh --whois HOST:PORT  re-resolve every member's IRR data, show changes

    IRR data comes from RPSL dump files (--irr, or IXC_IRR_FILES) or an IRRd whois server
    (--whois HOST:PORT, or IXC_IRR_WHOIS; answers are cached in the data dir).
    """


def _irr_cache(app: App) -> IrrCache:
    return IrrCache(app.settings.data_dir / "irr-cache", SystemClock())


def _irr_source(
    app: App, files: Sequence[Path], whois: str | None, *, cached: bool = True
) -> IrrStore | WhoisSource:
    """Dump files (``IrrStore``) or a whois server; ``cached``: answers go through the cache."""
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
        client = WhoisClient(host.strip("[]"), int(port))
        return WhoisSource(client, _irr_cache(app) if cached else None)
    raise ConfigurationError("no IRR data: give --irr FILE or --whois HOST:PORT")


irr_files_option = click.option(
    "--irr",
    "irr_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="RPSL dump file (repeatable, plain or gzip).",
)
whois_option = click.option(
    "--whois", help="IRRd-style whois server HOST:PORT, when no dump is given."
)


@rs.command("build")
@exchange_option
@irr_files_option
@whois_option
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
    if isinstance(irr, WhoisSource):
        irr.client.connect()
    try:
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
    finally:
        if isinstance(irr, WhoisSource):
            irr.client.close()
    if isinstance(irr, WhoisSource) and irr.cache is not None:
        irr.cache.save()  # what the server answered, for the next build
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


@rs.group("irr")
def irr() -> None:
    """The IRR data the route servers' filters are built from (cached in the data dir)."""


def _count(added: int, removed: int) -> str:
    return f"+{added} -{removed}" if added or removed else "="


def _refresh_row(member: MemberRefresh) -> dict[str, object]:
    return {
        "asn": member.asn,
        "as_set": member.set_name,
        "asns": member.asns,
        "asns_added": list(member.asns_added),
        "asns_removed": list(member.asns_removed),
        **{
            f"ipv{v}": {
                "before": change.before,
                "after": change.after,
                "added": change.added,
                "removed": change.removed,
                "added_examples": list(change.added_examples),
                "removed_examples": list(change.removed_examples),
            }
            for v in (4, 6)
            for change in (member.family(v),)
        },
        "errors": list(member.errors),
    }


def _refresh_cells(member: MemberRefresh) -> dict[str, object]:
    examples = [
        f"{sign}{text}"
        for v in (4, 6)
        for sign, texts in (
            ("+", member.family(v).added_examples),
            ("-", member.family(v).removed_examples),
        )
        for text in texts
    ]
    return {
        "member": f"AS{member.asn}",
        "as_set": member.set_name,
        "asns": _count(len(member.asns_added), len(member.asns_removed)),
        "ipv4": _count(member.ipv4.added, member.ipv4.removed),
        "ipv6": _count(member.ipv6.added, member.ipv6.removed),
        "examples": examples,
        "errors": list(member.errors),
    }


_REFRESH_JSON = (
    "asn", "as_set", "asns", "asns_added", "asns_removed", "ipv4", "ipv6", "errors",
)  # fmt: skip


@irr.command("refresh")
@irr_files_option
@whois_option
@click.option("--all", "show_all", is_flag=True, help="List unchanged members too.")
@json_option
@pass_app
def irr_refresh(
    app: App, irr_files: tuple[Path, ...], whois: str | None, show_all: bool, as_json: bool
) -> None:
    """Resolve every member's AS-SET and prefixes again and show what changed.

    Every member ASN in the registry (its AS-SET, or its ASN alone) is resolved from the IRR
    source, ignoring the cache; the cache entries are then replaced, all at once at the end.
    The table lists the members whose origin ASNs or prefixes changed, and those with errors
    (an AS-SET found nowhere, a loop, a depth or size limit, a failed query).

    Exit code 0 even when some members had errors: each is listed (and in --json), the other
    members were refreshed, and a member's broken IRR data is the member's to fix, not a
    failed run. Non-zero only when the refresh as a whole cannot run (no IRR data: 7; the
    whois server unreachable: 8), and then the cache is left as it was.
    """
    source = _irr_source(app, irr_files, whois, cached=False)
    if isinstance(source, WhoisSource):
        source.client.connect()  # an unreachable server stops the run before any member
    with app.registry.read() as session:
        targets = irr_targets(session)
    try:
        with progress_bar("refreshing IRR data") as update:
            results = refresh(targets, source, _irr_cache(app), progress=update)
    finally:
        if isinstance(source, WhoisSource):
            source.client.close()
    shown = [r for r in results if show_all or r.changed or r.errors]
    if as_json:
        table([_refresh_row(r) for r in shown], list(_REFRESH_JSON), as_json=True)
        return
    columns = ["member", "as_set", "asns", "ipv4", "ipv6", "examples", "errors"]
    table([_refresh_cells(r) for r in shown], columns, as_json=False, title="changed members")
    changed = sum(1 for r in results if r.changed)
    failed = sum(1 for r in results if r.errors)
    message(f"{len(results)} members refreshed, {changed} changed, {failed} with errors")


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
