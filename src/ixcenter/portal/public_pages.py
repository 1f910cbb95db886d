"""Public pages: the member list and the exchange's aggregate traffic graph.

Nothing member-private is shown here: a member's name, category, country, web site, AS numbers
and names, and the centers and total port capacity it is connected with (what an exchange's
public member list and IX-F export show). Traffic is the exchange's total, never per member.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ixcenter.api.policy import AnyCaller, RegistryDep
from ixcenter.config import Settings
from ixcenter.core.errors import IxcError
from ixcenter.core.kinds import PortStatus
from ixcenter.portal.charts import Chart, chart, rate_text
from ixcenter.portal.i18n import gettext
from ixcenter.portal.overview import capacity_text
from ixcenter.portal.render import page
from ixcenter.portal.words import category_words
from ixcenter.registry.db import Registry
from ixcenter.registry.models import ExchangeCenter, Node, Organisation, Port, Switch

logger = logging.getLogger(__name__)

router = APIRouter(tags=["portal"])

PERIODS = {"day": (dt.timedelta(days=1), 300), "week": (dt.timedelta(days=7), 3_600)}


@dataclass(frozen=True, slots=True)
class MemberListRow:
    name: str
    url: str | None
    category: str
    country: str
    asns: tuple[tuple[int, str], ...]  # (AS number, AS name)
    centers: tuple[str, ...]  # codes of the centers it is connected at
    capacity: str  # total speed of its connected ports


def member_list(session: Session) -> list[MemberListRow]:
    """Every member with its public fields, by name."""
    centers: dict[int, set[str]] = defaultdict(set)
    speed: dict[int, int] = defaultdict(int)
    connected = (
        select(Port.organisation_id, Port.speed_mbps, ExchangeCenter.code)
        .join(Switch, Port.switch_id == Switch.id)
        .join(Node, Switch.node_id == Node.id)
        .join(ExchangeCenter, Node.exchange_id == ExchangeCenter.id)
        .where(Port.status == PortStatus.CONNECTED, Port.lag_id.is_(None))
    )
    for org_id, mbps, code in session.execute(connected):
        if org_id is not None:
            centers[org_id].add(code)
            speed[org_id] += mbps
    query = select(Organisation).options(selectinload(Organisation.asns))
    rows = []
    for org in session.scalars(query.order_by(Organisation.name)):
        rows.append(
            MemberListRow(
                org.name,
                org.url,
                category_words(org.category),
                org.country,
                tuple((a.asn, a.name or "") for a in sorted(org.asns, key=lambda a: a.asn)),
                tuple(sorted(centers[org.id])),
                capacity_text(speed[org.id]) if speed[org.id] else "",
            )
        )
    return rows


@router.get("/members", response_class=HTMLResponse, summary="Member list page")
def members_page(caller: AnyCaller, registry: RegistryDep, request: Request) -> HTMLResponse:
    """The exchange's members with their public fields."""
    with registry.read() as session:
        rows = member_list(session)
    return page(request, caller, "members.html", title=gettext("Members"), members=rows)


def exchange_traffic(
    registry: Registry, settings: Settings, period: str, now: dt.datetime
) -> Chart | None:
    """The whole exchange's traffic over ``period`` ("day" or "week"); None without a store."""
    from ixcenter.telemetry.analytics.results import SubjectKind
    from ixcenter.telemetry.analytics.series import series
    from ixcenter.telemetry.analytics.window import Window
    from ixcenter.telemetry.store import open_reader

    if not (settings.flow_store_path / "manifest.json").exists():
        return None
    span, step = PERIODS[period]
    end = dt.datetime.fromtimestamp((int(now.timestamp()) // step + 1) * step, dt.UTC)
    window = Window(end - span, end)
    with registry.read() as session:
        center_ids = session.scalars(select(ExchangeCenter.id)).all()
    totals: dict[dt.datetime, float] = {}
    try:
        with open_reader(settings) as reader:
            for center_id in center_ids:  # a member's traffic is sent from its one center
                for point in series(reader, SubjectKind.CENTER, center_id, window, step).points:
                    totals[point.ts] = totals.get(point.ts, 0.0) + point.sent_bps
    except IxcError as exc:
        logger.info("portal: no exchange traffic: %s", exc)
        return None
    times = sorted(totals)
    return chart(times, [totals[t] for t in times], "%H:%M" if period == "day" else "%m-%d")


@router.get("/traffic", response_class=HTMLResponse, summary="Exchange traffic page")
def traffic_page(
    caller: AnyCaller,
    registry: RegistryDep,
    request: Request,
    period: str = Query("day", pattern="^(day|week)$"),
) -> HTMLResponse:
    """The whole exchange's traffic over the last day or week."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    drawn = None
    if settings is not None:
        drawn = exchange_traffic(registry, settings, period, registry.clock.now())
    return page(
        request,
        caller,
        "traffic.html",
        title=gettext("Exchange traffic"),
        chart=drawn,
        period=period,
        rate_text=rate_text,
    )
