"""``ixc flows top|matrix|p95|centers|unknown-macs|samples``: traffic reports from the flow
store.

Added to the ``flows`` group by ``register(group)``. Windows are ``--last 24h`` (the default) or
``--since``/``--until`` (ISO 8601; UTC when no offset is given). Tables show decimal units
(1 MB = 10^6 bytes, Mbit/s = 10^6 bit/s); ``--json`` gives plain integers and bit/s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import table
from ixcenter.core.errors import NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from ixcenter.telemetry.analytics import Directory, Window
    from ixcenter.telemetry.store import FlowStoreReader

_PREFIXES = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))


def si(value: float, unit: str) -> str:
    """``1234567, "B"`` -> ``1.23 MB``."""
    for size, prefix in _PREFIXES:
        if abs(value) >= size:
            return f"{value / size:.2f} {prefix}{unit}"
    return f"{value:.0f} {unit}"


def _time(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed([Problem("time", f"{text!r} is not an ISO 8601 time")]) from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _window(app: App, last: str, since: str | None, until: str | None) -> Window:
    from ixcenter.telemetry.analytics import Window, parse_duration

    end = _time(until) or app.registry.clock.now().replace(second=0, microsecond=0)
    start = _time(since) or end - dt.timedelta(seconds=parse_duration(last))
    return Window(start, end)


def _window_options(command: Callable[..., Any], last: str = "24h") -> Callable[..., Any]:
    command = click.option("--until", help="End of the window (ISO 8601).  [default: now]")(command)
    command = click.option("--since", help="Start of the window (ISO 8601).")(command)
    return click.option(
        "--last", default=last, show_default=True, help="Window length, e.g. 90m, 24h, 30d."
    )(command)


def _recent_window_options(command: Callable[..., Any]) -> Callable[..., Any]:
    return _window_options(command, last="15m")


@contextmanager
def _reader(app: App) -> Iterator[FlowStoreReader]:
    from ixcenter.telemetry.store import FlowStoreReader

    path = app.settings.flow_store_path
    if not path.is_dir():
        raise NotFound(f"no flow store in {path} (ixc flows collect fills it)")
    reader = FlowStoreReader(path)
    try:
        yield reader
    finally:
        reader.close()


def _directory(app: App) -> Directory:
    from ixcenter.telemetry.analytics import Directory

    with app.registry.read() as session:
        return Directory.load(session)


@click.command("top")
@click.argument("member")
@_window_options
@click.option("--limit", type=click.IntRange(1), default=10, show_default=True)
@json_option
@pass_app
def top(
    app: App,
    member: str,
    last: str,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The peers MEMBER exchanged most traffic with (by name, AS number or #id)."""
    from ixcenter.registry.services import lookups
    from ixcenter.telemetry.analytics import top_peers

    with app.registry.read() as session:
        org = lookups.member(session, member)
        org_id, name = org.id, org.name
    window = _window(app, last, since, until)
    names = _directory(app)
    with _reader(app) as reader:
        peers = top_peers(reader, org_id, window, limit)
    rows = [
        {
            "peer": names.member(p.peer_org),
            "asns": names.asn_text(p.peer_org),
            "sent": p.sent_bytes if as_json else si(p.sent_bytes, "B"),
            "received": p.received_bytes if as_json else si(p.received_bytes, "B"),
            "total": p.total_bytes if as_json else si(p.total_bytes, "B"),
        }
        for p in peers
    ]
    title = f"top peers of {name}, {window.start:%Y-%m-%d %H:%M} to {window.end:%Y-%m-%d %H:%M} UTC"
    table(rows, ["peer", "asns", "sent", "received", "total"], as_json=as_json, title=title)


@click.command("matrix")
@_window_options
@click.option("--limit", type=click.IntRange(0), default=20, show_default=True,
              help="Largest pairs to show; 0 for all.")  # fmt: skip
@click.option("--ip", "ip_version", type=click.Choice(["4", "6"]), help="Only IPv4 or IPv6.")
@json_option
@pass_app
def matrix(
    app: App,
    last: str,
    since: str | None,
    until: str | None,
    limit: int,
    ip_version: str | None,
    as_json: bool,
) -> None:
    """Member-to-member traffic: the largest pairs first."""
    from ixcenter.telemetry.analytics import traffic_matrix

    window = _window(app, last, since, until)
    names = _directory(app)
    with _reader(app) as reader:
        result = traffic_matrix(reader, window, int(ip_version) if ip_version else None)
    cells = result.cells[:limit] if limit else result.cells
    total = result.total_bytes or 1
    rows = [
        {
            "from": names.member(c.src_org),
            "to": names.member(c.dst_org),
            "bytes": c.bytes if as_json else si(c.bytes, "B"),
            "packets": c.packets,
            "share": round(c.bytes / total, 6) if as_json else f"{100 * c.bytes / total:.1f} %",
        }
        for c in cells
    ]
    title = (
        f"traffic matrix, {window.start:%Y-%m-%d %H:%M} to {window.end:%Y-%m-%d %H:%M} UTC: "
        f"{si(result.total_bytes, 'B')} between members"
    )
    table(rows, ["from", "to", "bytes", "packets", "share"], as_json=as_json, title=title)


@click.command("p95")
@click.option("--month", help="Calendar month, YYYY-MM.  [default: the last complete month]")
@click.option("--by", type=click.Choice(["member", "port"]), default="member", show_default=True)
@json_option
@pass_app
def percentile(app: App, month: str | None, by: str, as_json: bool) -> None:
    """95th percentile per member or port for a month (5-minute counter samples, top 5 % dropped).

    The billable figure is the larger of inbound and outbound.
    """
    from ixcenter.telemetry.analytics import SubjectKind, Window, p95

    if month is None:
        first = app.registry.clock.today().replace(day=1)
        previous = first - dt.timedelta(days=1)
        window = Window.month(previous.year, previous.month)
    else:
        window = Window.parse_month(month)
    kind = SubjectKind(by)
    names = _directory(app)
    with _reader(app) as reader:
        results = p95(reader, window, kind)
    rows = [
        {
            by: names.member(r.subject) if kind is SubjectKind.MEMBER else names.port(r.subject),
            "samples": r.samples,
            "in": r.in_bps if as_json else si(r.in_bps, "bit/s"),
            "out": r.out_bps if as_json else si(r.out_bps, "bit/s"),
            "p95": r.max_bps if as_json else si(r.max_bps, "bit/s"),
        }
        for r in sorted(results, key=lambda r: (-r.max_bps, r.subject))
    ]
    title = f"95th percentile per {by}, {window.start:%Y-%m}"
    table(rows, [by, "samples", "in", "out", "p95"], as_json=as_json, title=title)


@click.command("centers")
@_window_options
@json_option
@pass_app
def centers(app: App, last: str, since: str | None, until: str | None, as_json: bool) -> None:
    """Traffic between exchange centers, and the long-distance links between them."""
    from ixcenter.telemetry.analytics import center_traffic

    window = _window(app, last, since, until)
    names = _directory(app)
    with _reader(app) as reader:
        result = center_traffic(reader, window, names.links_between)
    rows = [
        {
            "from": names.center(c.src_center),
            "to": names.center(c.dst_center),
            "bytes": c.bytes if as_json else si(c.bytes, "B"),
            "average": c.bytes * 8 / window.length
            if as_json
            else si(c.bytes * 8 / window.length, "bit/s"),
            "links": list(c.links),
        }
        for c in result
    ]
    title = "traffic between exchange centers"
    table(rows, ["from", "to", "bytes", "average", "links"], as_json=as_json, title=title)


@click.command("unknown-macs")
@json_option
@pass_app
def unknown(app: App, as_json: bool) -> None:
    """MACs seen on the exchange that no member port has, most recent first."""
    from ixcenter.telemetry.analytics import unknown_macs

    with _reader(app) as reader:
        found = unknown_macs(reader)
    rows = [
        {
            "vlan": u.vlan,
            "mac": u.mac,
            "first_seen": u.first_seen,
            "last_seen": u.last_seen,
            "samples": u.samples,
            "bytes": u.bytes if as_json else si(u.bytes, "B"),
            "exporter": u.exporter,
            "if_index": u.in_if,
        }
        for u in found
    ]
    columns = ["vlan", "mac", "first_seen", "last_seen", "samples", "bytes", "exporter", "if_index"]
    table(rows, columns, as_json=as_json, title="unknown MACs")


@click.command("samples")
@click.option("--member", help="Only samples this member sent or received (name, AS number, #id).")
@click.option("--address", help="Only samples from or to this address or prefix (IPv4 or IPv6).")
@_recent_window_options
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
@pass_app
def samples(
    app: App,
    member: str | None,
    address: str | None,
    last: str,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Single samples from the raw tier, newest first: who sent what to whom, as received.

    Each row names the members at both ends as they were when the sample arrived. The raw tier
    keeps the last hours only (IXC_FLOW_RETENTION_RAW_HOURS, default 6). Examples:

    \b
      ixc flows samples --address 203.0.113.7/32 --last 30m   # who sent to this address
      ixc flows samples --member AS64500 --limit 200 --json
    """
    import ipaddress

    from ixcenter.registry.services import lookups
    from ixcenter.telemetry.analytics import raw_samples

    org_id: int | None = None
    if member is not None:
        with app.registry.read() as session:
            org_id = lookups.member(session, member).id
    network = None
    if address is not None:
        try:
            network = ipaddress.ip_network(address, strict=False)
        except ValueError:
            problem = Problem("address", f"{address!r} is not an IP address or prefix")
            raise ValidationFailed([problem]) from None
    end = _time(until) or app.registry.clock.now()
    window = _window(app, last, since, end.isoformat())
    names = _directory(app)
    with _reader(app) as reader:
        found = raw_samples(reader, window, member=org_id, network=network, limit=limit)
    rows = [
        {
            "time": s.time.isoformat(timespec="milliseconds") if as_json else _clock(s.time),
            "from": names.member(s.src_org) if s.src_org else s.src_mac,
            "to": names.member(s.dst_org) if s.dst_org else s.dst_mac,
            "from_as": names.asn_text(s.src_org) or s.src_mac,
            "to_as": names.asn_text(s.dst_org) or s.dst_mac,
            "source": s.src_ip,
            "destination": s.dst_ip,
            "source_port": s.src_l4,
            "destination_port": s.dst_l4,
            "protocol": s.protocol,
            "bytes": s.bytes,
            "rate": s.sampling_rate,
            "exporter": s.exporter,
        }
        for s in found
    ]
    columns = list(rows[0]) if rows else []
    if not as_json:  # the names and the exporter make rows too wide; --json has them
        for row, sample in zip(rows, found, strict=True):
            row["source"] = _endpoint(sample.src_ip, sample.src_l4)
            row["destination"] = _endpoint(sample.dst_ip, sample.dst_l4)
        columns = ["time", "from_as", "to_as", "source", "destination", "protocol", "bytes",
                   "rate"]  # fmt: skip
    title = f"raw samples, {window.start:%Y-%m-%d %H:%M:%S} to {window.end:%H:%M:%S} UTC"
    table(rows, columns, as_json=as_json, title=title)


def _endpoint(address: str, port: int) -> str:
    if not port:
        return address
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _clock(time: dt.datetime) -> str:
    return f"{time:%H:%M:%S}.{time.microsecond // 1000:03d}"


def register(group: click.Group) -> None:
    """Add the report commands to the ``flows`` group."""
    for command in (top, matrix, percentile, centers, unknown, samples):
        group.add_command(command)
