"""A member's own pages: its ports, sessions, filtered routes, traffic, peers and interconnects.

``/members/{id}`` and ``/members/{id}/traffic`` are ``Rule.READ``: a member sees its own pages
only (another member's id is answered with the same 404 as a missing one, by
``policy.organisation``), the operator and the supervisor every member's, the public nothing
(401). Of other members a page shows only what the public member list shows anyway: their
names and AS numbers, as peers and as the far ends of interconnects.

The data comes from three places, each of which may have nothing yet:

* the registry: organisation, ASNs, licence, ports with MACs and addresses, interconnects;
* the looking glass's snapshot of the route servers (``api.routes.looking_glass``): sessions
  and filtered routes with what to fix (``portal.route_advice``). Before its first read the
  page says so and shows the rest;
* the flow store: the month's 95th percentile (counter tier), the top peers of the last day
  and the per-port graphs (flow tiers). Without a store the page says no traffic is recorded.

Traffic directions are the switch port's: **in** is what the member's router sends into the
exchange, **out** what the exchange delivers to it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from ixcenter.api import policy
from ixcenter.api.looking_glass_access import current_snapshot
from ixcenter.api.policy import Caller, Reader, RegistryDep
from ixcenter.config import Settings
from ixcenter.core.errors import IxcError
from ixcenter.core.kinds import PortKind, PortStatus, ServiceKind, ServiceStatus
from ixcenter.portal.charts import Line, LinesChart, lines_chart, rate_text
from ixcenter.portal.i18n import N_
from ixcenter.portal.i18n import gettext as _
from ixcenter.portal.overview import capacity_text
from ixcenter.portal.public_pages import PERIODS
from ixcenter.portal.render import page
from ixcenter.portal.route_advice import Advice, advise
from ixcenter.portal.words import category_words, duration_text
from ixcenter.registry.db import Registry
from ixcenter.registry.models import (
    IpAssignment,
    MemberAsn,
    Organisation,
    Port,
    Service,
    ServiceEndpoint,
    Switch,
)
from ixcenter.routing.control.model import SessionState

logger = logging.getLogger(__name__)

router = APIRouter(tags=["portal"])

FILTERED_SHOWN = 100  # filtered routes listed on the page; the looking glass has them all
PEERS_SHOWN = 10

PORT_STATUS_WORDS: dict[PortStatus, str] = {
    PortStatus.AVAILABLE: N_("available"),
    PortStatus.CONNECTED: N_("connected"),
    PortStatus.DISABLED: N_("disabled"),
    PortStatus.DECOMMISSIONED: N_("decommissioned"),
}
SERVICE_KIND_WORDS: dict[ServiceKind, str] = {
    ServiceKind.PUBLIC_PEERING: N_("public peering"),
    ServiceKind.MULTI_CLOUD: N_("multi-cloud interconnect"),
    ServiceKind.ENTERPRISE_CLOUD: N_("enterprise cloud access"),
    ServiceKind.FIVE_G_VPN: N_("5G private network"),
    ServiceKind.INDUSTRIAL_INTERNET: N_("industrial Internet"),
    ServiceKind.SATELLITE: N_("satellite Internet"),
    ServiceKind.CROSS_BORDER: N_("cross-border channel"),
}
SERVICE_STATUS_WORDS: dict[ServiceStatus, str] = {
    ServiceStatus.ACTIVE: N_("active"),
    ServiceStatus.CEASED: N_("ceased"),
}
SESSION_STATE_WORDS: dict[SessionState, str] = {
    SessionState.IDLE: N_("Idle"),
    SessionState.CONNECT: N_("Connect"),
    SessionState.ACTIVE: N_("Active"),
    SessionState.OPEN_SENT: N_("OpenSent"),
    SessionState.OPEN_CONFIRM: N_("OpenConfirm"),
    SessionState.ESTABLISHED: N_("Established"),
    SessionState.DOWN: N_("Down"),
}
# The four series of a port's graph: (field of PortPoint, legend, colour, dash).
TRAFFIC_LINES: tuple[tuple[str, str, str, str], ...] = (
    ("in_v4", N_("In, IPv4"), "#2563eb", ""),
    ("in_v6", N_("In, IPv6"), "#2563eb", "6 4"),
    ("out_v4", N_("Out, IPv4"), "#d97706", ""),
    ("out_v6", N_("Out, IPv6"), "#d97706", "6 4"),
)


# --- the registry part --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddressRow:
    lan: str
    vlan: int
    ipv4: str
    ipv6: str
    asn: int


@dataclass(frozen=True, slots=True)
class PortRow:
    id: int
    center: str
    switch: str
    name: str
    speed: str
    status: str
    connected: bool
    lag: str  # the LAG it belongs to, or the links a LAG bundles; "" for neither
    macs: tuple[str, ...]
    addresses: tuple[AddressRow, ...]
    graphed: bool  # its traffic has a graph of its own (LAG links are counted in their LAG)

    @property
    def label(self) -> str:
        return f"{self.switch} {self.name}"


@dataclass(frozen=True, slots=True)
class InterconnectRow:
    kind: str
    name: str
    own_ends: tuple[str, ...]  # "switch port (VLAN n)" of the member's own ports
    other_ends: tuple[str, ...]  # other members by name and ASNs
    committed: str
    status: str
    active: bool


@dataclass(frozen=True, slots=True)
class MemberView:
    id: int
    name: str
    category: str
    country: str
    url: str | None
    asns: tuple[tuple[int, str], ...]  # (AS number, AS name)
    licence: str
    licence_ok: bool
    ports: tuple[PortRow, ...]
    interconnects: tuple[InterconnectRow, ...]

    @property
    def asn_numbers(self) -> frozenset[int]:
        return frozenset(a for a, _ in self.asns)


def _licence(org: Organisation, today: dt.date) -> tuple[str, bool]:
    if not org.licence_number:
        return _("No licence on file"), False
    if not org.licence_valid_on(today):
        expired = org.licence_expires.isoformat() if org.licence_expires else ""
        return _("%(number)s, expired on %(date)s") % {
            "number": org.licence_number,
            "date": expired,
        }, False
    if org.licence_expires is None:
        return _("%(number)s, valid, no expiry date") % {"number": org.licence_number}, True
    valid = _("%(number)s, valid until %(date)s")
    return valid % {"number": org.licence_number, "date": org.licence_expires.isoformat()}, True


def _port_row(port: Port) -> PortRow:
    if port.kind is PortKind.LAG:
        links = ", ".join(p.name for p in sorted(port.lag_members, key=lambda p: p.name))
        lag = _("LAG of %(links)s") % {"links": links}
    elif port.lag is not None:
        lag = _("link of %(lag)s") % {"lag": port.lag.name}
    else:
        lag = ""
    addresses = tuple(
        AddressRow(a.lan.name, a.lan.vlan, a.ipv4 or "", a.ipv6 or "", a.member_asn.asn)
        for a in sorted(port.assignments, key=lambda a: (a.lan.vlan, a.id))
    )
    return PortRow(
        port.id,
        port.switch.node.exchange.code,
        port.switch.name,
        port.name,
        capacity_text(port.speed_mbps),
        _(PORT_STATUS_WORDS[port.status]),
        port.status is PortStatus.CONNECTED,
        lag,
        tuple(m.mac for m in port.macs),
        addresses,
        port.lag_id is None,
    )


def _ports(session: Session, org_id: int) -> tuple[PortRow, ...]:
    query = (
        select(Port)
        .join(Switch, Port.switch_id == Switch.id)
        .where(Port.organisation_id == org_id, Port.status != PortStatus.DECOMMISSIONED)
        .options(
            selectinload(Port.macs),
            selectinload(Port.lag_members),
            selectinload(Port.lag),
            selectinload(Port.assignments).selectinload(IpAssignment.lan),
            selectinload(Port.assignments).selectinload(IpAssignment.member_asn),
        )
        .order_by(Switch.name, Port.name)
    )
    return tuple(_port_row(p) for p in session.scalars(query))


def _member_label(org: Organisation) -> str:
    asns = ", ".join(f"AS{a.asn}" for a in org.asns)
    return f"{org.name} ({asns})" if asns else org.name


def _interconnects(session: Session, org_id: int) -> tuple[InterconnectRow, ...]:
    own = (
        select(ServiceEndpoint.id)
        .join(Port, ServiceEndpoint.port_id == Port.id)
        .where(ServiceEndpoint.service_id == Service.id, Port.organisation_id == org_id)
    )
    query = (
        select(Service)
        .where(Service.kind != ServiceKind.PUBLIC_PEERING, exists(own))
        .options(
            selectinload(Service.endpoints)
            .selectinload(ServiceEndpoint.port)
            .selectinload(Port.organisation)
            .selectinload(Organisation.asns)
        )
        .order_by(Service.name, Service.id)
    )
    rows = []
    for service in session.scalars(query):
        own_ends, others = [], []
        for end in service.endpoints:
            holder = end.port.organisation
            if holder is not None and holder.id == org_id:
                label = f"{end.port.switch.name} {end.port.name}"
                own_ends.append(_("%(port)s (VLAN %(vlan)d)") % {"port": label, "vlan": end.vlan})
            elif holder is not None and _member_label(holder) not in others:
                others.append(_member_label(holder))
        rows.append(
            InterconnectRow(
                _(SERVICE_KIND_WORDS[service.kind]),
                service.name,
                tuple(own_ends),
                tuple(others),
                capacity_text(service.committed_mbps),
                _(SERVICE_STATUS_WORDS[service.status]),
                service.status is ServiceStatus.ACTIVE,
            )
        )
    rows.sort(key=lambda r: not r.active)  # active first, then by name (stable)
    return tuple(rows)


def load_member(session: Session, org: Organisation, today: dt.date) -> MemberView:
    """Everything the registry says about the member ``org``, as plain values."""
    licence, licence_ok = _licence(org, today)
    return MemberView(
        org.id,
        org.name,
        category_words(org.category),
        org.country,
        org.url,
        tuple((a.asn, a.name or "") for a in org.asns),
        licence,
        licence_ok,
        _ports(session, org.id),
        _interconnects(session, org.id),
    )


# --- the route servers' part --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRow:
    server: str
    name: str
    asn: int
    address: str
    state: str
    established: bool
    uptime: str  # since the last change of state
    accepted: int
    filtered: int
    looking_glass: str  # the looking glass page of its filtered routes


@dataclass(frozen=True, slots=True)
class FilteredRow:
    prefix: str
    server: str
    asn: int | None
    as_path: str
    advice: tuple[Advice, ...]


@dataclass(frozen=True, slots=True)
class Routing:
    ready: bool  # False until the looking glass has read the route servers once
    sessions: tuple[SessionRow, ...]
    filtered: tuple[FilteredRow, ...]
    filtered_total: int
    links: tuple[tuple[str, int, str], ...]  # (server, ASN, looking glass URL)


def looking_glass_url(server: str, asn: int) -> str:
    return f"/looking-glass/{quote(server, safe='')}/AS{asn}?state=filtered"


def routing_of(request: Request, asns: frozenset[int], now: dt.datetime) -> Routing:
    """The member's sessions and filtered routes on every route server of the snapshot; uptimes
    count to ``now``, the wall clock (the daemons' own times are real ones)."""
    snapshot = current_snapshot(request)
    if snapshot is None:  # not read yet (the API answers 503): the page shows the rest
        return Routing(False, (), (), 0, ())
    sessions: list[SessionRow] = []
    filtered: list[FilteredRow] = []
    links: list[tuple[str, int, str]] = []
    total = 0
    for label in sorted(snapshot.servers):
        state = snapshot.servers[label]
        for session in state.sessions:
            if session.peer_asn is None or session.peer_asn not in asns:
                continue
            accepted, refused = snapshot.index.counts(label, session.name)
            since = now - session.since if session.since else None
            sessions.append(
                SessionRow(
                    label,
                    session.name,
                    session.peer_asn,
                    str(session.address) if session.address else "",
                    _(SESSION_STATE_WORDS[session.state]),
                    session.established,
                    duration_text(since.total_seconds()) if since is not None else "",
                    accepted,
                    refused,
                    looking_glass_url(label, session.peer_asn),
                )
            )
        links.extend((label, a, looking_glass_url(label, a)) for a in sorted(asns))
        for path in snapshot.index.member(label, asns):
            if path.accepted:
                continue
            total += 1
            if len(filtered) < FILTERED_SHOWN:
                route = path.route
                as_path = " ".join(str(a) for a in route.as_path)
                advice = tuple(advise(path))
                filtered.append(
                    FilteredRow(str(route.prefix), label, path.peer_asn, as_path, advice)
                )
    return Routing(True, tuple(sessions), tuple(filtered), total, tuple(links))


# --- the flow store's part ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PercentileRow:
    label: str
    samples: int
    in_rate: str
    out_rate: str
    billable: str


@dataclass(frozen=True, slots=True)
class PeerRow:
    name: str
    asns: str
    sent: str
    received: str
    total: str


@dataclass(frozen=True, slots=True)
class TrafficSummary:
    month: str  # YYYY-MM
    percentiles: tuple[PercentileRow, ...]  # per port, then the member's (empty: none yet)
    peers: tuple[PeerRow, ...]


def volume_text(octets: float) -> str:
    """``1.5e9`` -> ``1.5 GB`` (decimal units)."""
    for size, unit in ((1e15, "PB"), (1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if octets >= size:
            return f"{octets / size:.3g} {unit}"
    return f"{octets:.0f} B"


def _has_store(settings: Settings | None) -> bool:
    return settings is not None and (settings.flow_store_path / "manifest.json").exists()


def _peer_names(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """(name, ASNs) of the members ``ids``: what the public member list shows of them."""
    if not ids:
        return {}
    asns: dict[int, list[str]] = defaultdict(list)
    query = select(MemberAsn.organisation_id, MemberAsn.asn).where(
        MemberAsn.organisation_id.in_(ids)
    )
    for org, asn in session.execute(query.order_by(MemberAsn.asn)):
        asns[org].append(f"AS{asn}")
    names = session.execute(
        select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
    )
    return {i: (n, ", ".join(asns[i])) for i, n in names}


def traffic_summary(
    settings: Settings | None, registry: Registry, view: MemberView, now: dt.datetime
) -> TrafficSummary | None:
    """The month's 95th percentiles and the last day's top peers; None without a flow store."""
    from ixcenter.telemetry.analytics import SubjectKind, Window, p95, top_peers
    from ixcenter.telemetry.store import open_reader

    if settings is None or not _has_store(settings):
        return None
    month = Window.month(now.year, now.month)
    graphed = [p for p in view.ports if p.graphed]
    try:
        with open_reader(settings) as reader:
            per_port = [(p.label, p95(reader, month, SubjectKind.PORT, p.id)) for p in graphed]
            whole = p95(reader, month, SubjectKind.MEMBER, view.id)
            peers = top_peers(reader, view.id, Window.last("24h", now), PEERS_SHOWN)
    except IxcError as exc:
        logger.info("member #%d: no traffic figures: %s", view.id, exc)
        return None
    rows = []
    for label, found in [*per_port, (_("All ports"), whole)]:
        for figure in found:
            rows.append(
                PercentileRow(
                    label,
                    figure.samples,
                    rate_text(figure.in_bps),
                    rate_text(figure.out_bps),
                    rate_text(figure.max_bps),
                )
            )
    with registry.read() as session:
        names = _peer_names(session, [p.peer_org for p in peers])
    peer_rows = tuple(
        PeerRow(
            *names.get(p.peer_org, (f"#{p.peer_org}", "")),
            volume_text(p.sent_bytes),
            volume_text(p.received_bytes),
            volume_text(p.total_bytes),
        )
        for p in peers
    )
    return TrafficSummary(month.start.strftime("%Y-%m"), tuple(rows), peer_rows)


@dataclass(frozen=True, slots=True)
class PortChart:
    port: PortRow
    chart: LinesChart
    total: str  # bytes in the window, both directions


def port_charts(
    settings: Settings | None, ports: list[PortRow], period: str, now: dt.datetime
) -> tuple[PortChart, ...] | None:
    """A graph per port of in and out, IPv4 and IPv6, over the period; None without a store."""
    from ixcenter.telemetry.analytics.port_traffic import port_series
    from ixcenter.telemetry.analytics.window import Window
    from ixcenter.telemetry.store import open_reader

    if settings is None or not _has_store(settings):
        return None
    span, step = PERIODS[period]
    end = dt.datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, dt.UTC)
    try:
        with open_reader(settings) as reader:
            found = port_series(reader, [p.id for p in ports], Window(end - span, end), step)
    except IxcError as exc:
        logger.info("ports %s: no traffic series: %s", [p.id for p in ports], exc)
        return None
    time_format = "%H:%M" if period == "day" else "%m-%d"
    charts = []
    for port in ports:
        series = found[port.id]
        times = [point.ts for point in series.points]
        lines = [
            Line(_(label), series.rates(field), color, dash)
            for field, label, color, dash in TRAFFIC_LINES
        ]
        drawn = lines_chart(times, lines, time_format)
        charts.append(PortChart(port, drawn, volume_text(series.total_bytes)))
    return tuple(charts)


# --- the pages ----------------------------------------------------------------------------


def _load(caller: Caller, registry: RegistryDep, member_id: int) -> MemberView:
    """The member as ``caller`` may see it: another member's id is a 404 like a missing one."""
    with registry.read() as session:
        org = policy.organisation(caller, session, member_id)
        return load_member(session, org, registry.clock.today())


@router.get("/members/{member_id}", response_class=HTMLResponse, summary="A member's own page")
def member_page(
    member_id: int, caller: Reader, registry: RegistryDep, request: Request
) -> HTMLResponse:
    """The member's registry data, route-server sessions, filtered routes with what to fix,
    95th percentile of the month and top peers of the last day."""
    view = _load(caller, registry, member_id)
    settings: Settings | None = getattr(request.app.state, "settings", None)
    now = registry.clock.now()
    return page(
        request,
        caller,
        "member_page.html",
        title=view.name,
        private=True,
        member=view,
        routing=routing_of(request, view.asn_numbers, dt.datetime.now(dt.UTC)),
        traffic=traffic_summary(settings, registry, view, now),
    )


@router.get(
    "/members/{member_id}/traffic", response_class=HTMLResponse, summary="A member's traffic page"
)
def member_traffic_page(
    member_id: int,
    caller: Reader,
    registry: RegistryDep,
    request: Request,
    period: str = Query("day", pattern="^(day|week)$"),
    port: int | None = Query(None, description="only this port of the member"),
) -> HTMLResponse:
    """Graphs of the member's ports: in and out, IPv4 and IPv6, over the last day or week."""
    view = _load(caller, registry, member_id)
    graphed = [p for p in view.ports if p.graphed]
    shown = graphed
    if port is not None:
        shown = [p for p in graphed if p.id == port]
        if not shown:  # another member's port reads like a missing one
            raise caller.hidden(f"port {port} of member #{member_id}")
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return page(
        request,
        caller,
        "member_traffic.html",
        title=_("Traffic of %(member)s") % {"member": view.name},
        private=True,
        member=view,
        ports=graphed,
        selected=port,
        period=period,
        charts=port_charts(settings, shown, period, registry.clock.now()),
        rate_text=rate_text,
    )
