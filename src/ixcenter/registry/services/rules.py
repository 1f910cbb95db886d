"""Checks shared by several use cases; each adds what is wrong to a ``Problems`` collector."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.core.errors import Problems, ValidationFailed
from ixcenter.core.macs import normalise_mac
from ixcenter.registry.models import Organisation, PortMac


def check_licence(problems: Problems, field: str, org: Organisation, today: dt.date) -> None:
    """An expired or missing business licence blocks every new service."""
    if not org.licence_number:
        problems.add(field, f"{org.name} has no business licence on file", "licence-missing")
    elif org.licence_expires is not None and org.licence_expires < today:
        problems.add(
            field,
            f"the business licence of {org.name} expired on {org.licence_expires.isoformat()}",
            "licence-expired",
        )


def check_macs(
    session: Session, problems: Problems, raw: Iterable[str], port_id: int | None = None
) -> list[str]:
    """The MACs in canonical form, once each; a MAC in use on another port is a problem."""
    macs: list[str] = []
    for index, text in enumerate(raw):
        field = f"macs[{index}]"
        try:
            mac = normalise_mac(text)
        except ValidationFailed:
            problems.add(field, f"{text!r} is not a MAC address", "invalid-mac")
            continue
        if mac in macs:
            problems.add(field, f"{mac} is given twice", "duplicate-mac")
            continue
        query = select(PortMac).where(PortMac.mac == mac)
        if port_id is not None:
            query = query.where(PortMac.port_id != port_id)
        owner = session.scalars(query).first()
        if owner is not None:
            problems.add(field, f"{mac} is in use on port {owner.port_id}", "mac-in-use")
        macs.append(mac)
    return macs
