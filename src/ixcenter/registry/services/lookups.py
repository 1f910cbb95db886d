"""Finding registry objects by the names people use, with ``NotFound`` when they do not exist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ixcenter.core.asns import parse_asn
from ixcenter.core.errors import NotFound, ValidationFailed
from ixcenter.registry.models import (
    ExchangeCenter,
    MemberAsn,
    Node,
    Organisation,
    PeeringLan,
    Port,
    Switch,
)


def exchange(session: Session, code: str) -> ExchangeCenter:
    found = session.scalars(select(ExchangeCenter).where(ExchangeCenter.code == code)).first()
    if found is None:
        raise NotFound(f"no exchange center {code!r}")
    return found


def node(session: Session, code: str) -> Node:
    found = session.scalars(select(Node).where(Node.code == code)).first()
    if found is None:
        raise NotFound(f"no node {code!r}")
    return found


def switch(session: Session, name: str) -> Switch:
    found = session.scalars(select(Switch).where(Switch.name == name)).first()
    if found is None:
        raise NotFound(f"no switch {name!r}")
    return found


def port(session: Session, port_id: int) -> Port:
    found = session.get(Port, port_id)
    if found is None:
        raise NotFound(f"no port {port_id}")
    return found


def port_by_name(session: Session, switch_name: str, port_name: str) -> Port | None:
    return session.scalars(
        select(Port).join(Switch).where(Switch.name == switch_name, Port.name == port_name)
    ).first()


def lan(session: Session, exchange_code: str, vlan: int) -> PeeringLan:
    found = session.scalars(
        select(PeeringLan)
        .join(ExchangeCenter)
        .where(ExchangeCenter.code == exchange_code, PeeringLan.vlan == vlan)
    ).first()
    if found is None:
        raise NotFound(f"no peering LAN with VLAN {vlan} at {exchange_code!r}")
    return found


def member(session: Session, key: str | int) -> Organisation:
    """A member by organisation id (``#12``), ASN (``AS64500``, ``64500``) or exact name."""
    if isinstance(key, int):
        return member_by_asn(session, key)
    text = key.strip()
    if text.startswith("#") and text[1:].isdigit():
        found = session.get(Organisation, int(text[1:]))
        if found is None:
            raise NotFound(f"no member {text}")
        return found
    by_name = session.scalars(select(Organisation).where(Organisation.name == text)).first()
    if by_name is not None:
        return by_name
    try:
        asn = parse_asn(text)
    except ValidationFailed:
        raise NotFound(f"no member {text!r}") from None
    return member_by_asn(session, asn)


def member_by_asn(session: Session, asn: int) -> Organisation:
    return member_asn(session, asn).organisation


def member_asn(session: Session, asn: int | str) -> MemberAsn:
    """A member's ASN row by number (``64500``, ``AS64500``)."""
    number = parse_asn(asn)
    found = session.scalars(select(MemberAsn).where(MemberAsn.asn == number)).first()
    if found is None:
        raise NotFound(f"no member with AS{number}")
    return found
