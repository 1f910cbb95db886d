"""``ixc flows``: collect sFlow v5, IPFIX and NetFlow v9 from the exchange, import captures.

The group is shared: the report commands (top, matrix, p95, ...) live in ``flow_reports`` and are
added to ``flows`` at the end of this module. The telemetry packages are imported inside the
commands, so ``ixc --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ixcenter.cli import flow_reports
from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import console, message, record, table
from ixcenter.cli.progress import progress_bar
from ixcenter.config import Settings
from ixcenter.telemetry.collector.sinks import close_sink

if TYPE_CHECKING:
    from ixcenter.telemetry.collector import CollectorSnapshot, Pipeline

PROTOCOLS = ("sflow", "ipfix", "netflow9")
#: Per exporter: ``gaps`` are what sequence numbers say was lost on the way (sFlow: datagrams,
#: IPFIX: records, NetFlow v9: packets); ``agent_drops`` are samples an sFlow agent dropped.
EXPORTER_COLUMNS = ("protocol", "exporter", "datagrams", "samples", "malformed", "no_template",
                    "gaps", "agent_drops")  # fmt: skip


@click.group("flows")
def flows() -> None:
    """Traffic telemetry: sFlow v5, IPFIX and NetFlow v9.

    \b
    ixc flows collect          listen for exporters until Ctrl-C
    ixc flows import FILE      decode a pcap or pcapng capture
    """


def _port_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for name, default in (("netflow9", 2055), ("ipfix", 4739), ("sflow", 6343)):
        command = click.option(
            f"--{name}-port",
            type=click.IntRange(0, 65535),
            help=f"UDP port of {name}.  [default: {default}, env: IXC_{name.upper()}_PORT]",
        )(command)
    return command


def _settings(app: App, **overrides: Any) -> Settings:
    update = {k: v for k, v in overrides.items() if v is not None}
    return app.settings.model_copy(update=update)


def _pipeline(app: App, settings: Settings, dry_run: bool) -> tuple[Pipeline, str]:
    from ixcenter.telemetry.collector import Pipeline, TemplateStore, open_sink
    from ixcenter.telemetry.collector.sinks import sink_description

    registry = None if dry_run or settings.collector_sink == "spool" else app.registry
    sink = open_sink(settings, registry, dry_run=dry_run)
    pipeline = Pipeline(
        sink,
        TemplateStore(settings.collector_templates_path, writable=not dry_run),
        batch_rows=settings.collector_batch_rows,
        batch_seconds=settings.collector_batch_ms / 1000,
    )
    return pipeline, sink_description(settings, dry_run=dry_run)


@flows.command("collect")
@click.option("--bind", help="Address to listen on; '::' is IPv6 and IPv4.  [default: ::]")
@_port_options
@click.option("--only", type=click.Choice(PROTOCOLS), multiple=True,
              help="Listen for this protocol only (repeatable).  [default: all three]")  # fmt: skip
@click.option("--status-every", type=click.FloatRange(0), default=10.0, show_default=True,
              help="Seconds between status lines; 0 for none.")  # fmt: skip
@click.option("--for", "duration", type=click.FloatRange(0), help="Stop after this many seconds.")
@click.option("--dry-run", is_flag=True, help="Decode and count; store no rows, save no templates.")
@json_option
@pass_app
def collect(
    app: App,
    bind: str | None,
    sflow_port: int | None,
    ipfix_port: int | None,
    netflow9_port: int | None,
    only: tuple[str, ...],
    status_every: float,
    duration: float | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Listen for flow exporters until Ctrl-C (or SIGTERM).

    Prints a status line now and then, and what each exporter sent when it stops. Templates are
    kept across restarts in the data dir. Rows are enriched from the registry and go to the
    flow store (IXC_COLLECTOR_SINK=spool: raw rows to a spool in the data dir instead).
    """
    from ixcenter.telemetry.collector import Collector, Protocol, endpoints_from
    from ixcenter.telemetry.collector.status import StatusFile, status_path

    settings = _settings(app, collector_bind=bind, sflow_port=sflow_port,
                         ipfix_port=ipfix_port, netflow9_port=netflow9_port)  # fmt: skip
    pipeline, where = _pipeline(app, settings, dry_run)
    protocols = [Protocol(p) for p in (only or PROTOCOLS)]
    collector = Collector(
        pipeline,
        endpoints_from(settings, protocols),
        receive_buffer=settings.collector_receive_buffer,
        decode_batch=settings.collector_decode_batch,
    )
    say = _status_printer(as_json)

    def ready() -> None:
        bound = ", ".join(f"{e.protocol} [{e.host}]:{e.port}" for e in collector.endpoints)
        say(f"listening: {bound}")
        say(f"writing to {where}; Ctrl-C stops")

    try:
        snapshot = collector.run(
            duration=duration,
            status_every=status_every or None,
            on_status=_status_lines(say),
            on_ready=ready,
            status_file=None if dry_run else StatusFile(status_path(settings)),
        )
    finally:
        close_sink(pipeline.batcher.sink)
    _summary({"collected": snapshot.as_dict()}, snapshot, as_json, [])


@flows.command("import")
@click.argument("capture", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_port_options
@click.option("--dry-run", is_flag=True, help="Decode and count; store no rows, save no templates.")
@json_option
@pass_app
def import_(
    app: App,
    capture: Path,
    sflow_port: int | None,
    ipfix_port: int | None,
    netflow9_port: int | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Decode the flow datagrams of a pcap or pcapng file.

    The protocol of each UDP datagram is chosen by its destination port (the collector's ports
    unless given). IPv4 and IPv6; Ethernet, Linux cooked and raw IP captures.
    """
    from ixcenter.telemetry.collector import Protocol, import_capture

    settings = _settings(app, sflow_port=sflow_port, ipfix_port=ipfix_port,
                         netflow9_port=netflow9_port)  # fmt: skip
    ports = {
        settings.sflow_port: Protocol.SFLOW,
        settings.ipfix_port: Protocol.IPFIX,
        settings.netflow9_port: Protocol.NETFLOW9,
    }
    if len(ports) < 3:
        raise click.UsageError("the three protocols need three different ports")
    pipeline, _ = _pipeline(app, settings, dry_run)
    try:
        with progress_bar(f"importing {capture.name}") as progress:
            summary = import_capture(capture, pipeline, ports, progress)
    finally:
        close_sink(pipeline.batcher.sink)
    counts = summary.capture
    data = {
        "capture": {
            "frames": counts.frames,
            "udp": counts.udp,
            "other_ports": summary.ignored,
            "not_udp": counts.other,
            "fragments": counts.fragments,
            "truncated": counts.truncated,
            "unsupported_link": counts.unsupported_link,
            "cut_short": counts.cut_short,
        },
        "collected": summary.collected.as_dict(),
    }
    lines = [
        f"frames {counts.frames:,} · UDP {counts.udp:,} · other ports {summary.ignored:,} · "
        f"not UDP {counts.other:,} · fragments {counts.fragments:,} · "
        f"truncated {counts.truncated:,}"
    ]
    if counts.cut_short:
        lines.append("the capture ends in the middle of a packet (cut short)")
    _summary(data, summary.collected, as_json, lines)


def _summary(
    data: dict[str, Any], snapshot: CollectorSnapshot, as_json: bool, lines: list[str]
) -> None:
    if as_json:
        record(data, as_json=True)
        return
    rows = [
        {"gaps": e.sequence_gaps, **{c: getattr(e, c) for c in EXPORTER_COLUMNS if c != "gaps"}}
        for e in snapshot.exporters
    ]
    table(rows, EXPORTER_COLUMNS, as_json=False, title="exporters")
    for line in lines:
        message(line)
    drops = f" · kernel drops {snapshot.kernel_drops:,}" if snapshot.sockets else ""
    message(
        f"datagrams {snapshot.total('datagrams') + snapshot.total('malformed'):,} "
        f"(malformed {snapshot.total('malformed'):,}) · rows {snapshot.rows_written:,} · "
        f"counter rows {snapshot.counter_rows_written:,}{drops}"
    )


def _status_printer(as_json: bool) -> Callable[[str], None]:
    """Status goes to stdout, or to stderr when stdout is kept for JSON."""
    if not as_json:
        return message
    err = console(stderr=True)
    return lambda text: err.print(text, markup=False)


def _status_lines(say: Callable[[str], None]) -> Callable[[CollectorSnapshot], None]:
    """One line per call: rates since the line before, what went wrong so far."""
    last = [(dt.datetime.now(dt.UTC), 0, 0)]

    def status(snapshot: CollectorSnapshot) -> None:
        now = dt.datetime.now(dt.UTC)
        rows = snapshot.rows_written + snapshot.rows_pending
        received = snapshot.received
        then, then_received, then_rows = last[0]
        seconds = max((now - then).total_seconds(), 1e-9)
        last[0] = (now, received, rows)
        say(
            f"{now:%H:%M:%S} {(received - then_received) / seconds:,.0f} dg/s "
            f"{(rows - then_rows) / seconds:,.0f} rows/s · malformed "
            f"{snapshot.total('malformed'):,} · gaps {snapshot.total('sequence_gaps'):,} · "
            f"kernel drops {snapshot.kernel_drops:,}"
        )

    return status


def register(cli: click.Group) -> None:
    cli.add_command(flows)


flow_reports.register(flows)
