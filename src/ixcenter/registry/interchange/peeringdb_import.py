"""Importing PeeringDB JSON (``net``, ``ix``, ``ixlan``, ``ixpfx``, ``netixlan``, ``org``).

Accepted shapes: one API response ``{"data": [...], "meta": {...}}`` (the kind of each object is
told by its fields, or given as ``kind``), or a combined dump ``{"net": {"data": [...]}, "ix":
{"data": [...]}, ...}``. A ``net`` fetched with depth 2 may carry its ``netixlan_set``.

Mapping: ``ix`` -> exchange center (code = name, ``peeringdb_id``); ``ixlan`` with its ``ixpfx``
-> peering LAN (matched by an equal prefix; a new LAN's VLAN number is the ixlan id, as PeeringDB
does not publish VLAN tags); ``net`` -> ASN (name, ``irr_as_set``, ``info_prefixes4/6``,
``peeringdb_net_id``) of the organisation of its ``org`` (or named after the net with the lowest
ASN of that org); ``netixlan`` -> a port ``AS<asn>-pdb<id>`` on the exchange's default switch
(``<code>-switch`` in node ``<code>-node``, or the exchange's first switch) and one IP assignment;
``is_rs_peer`` -> route-server participation. Objects with status ``deleted`` are skipped.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from ixcenter.core.errors import FormatError, Problems
from ixcenter.registry.interchange import plan
from ixcenter.registry.interchange.apply import Progress, apply_plan
from ixcenter.registry.interchange.ixf_import import load_json
from ixcenter.registry.interchange.ixf_schema import json_path
from ixcenter.registry.interchange.plan import (
    AddressPlan,
    ConnectionPlan,
    ExchangePlan,
    ImportPlan,
    InterfacePlan,
    LanPlan,
    MemberPlan,
)
from ixcenter.registry.interchange.report import ImportReport

KINDS = ("org", "ix", "ixlan", "ixpfx", "net", "netixlan")


class _Object(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)
    id: int
    status: str = "ok"


class Org(_Object):
    name: str
    country: str | None = None
    website: str | None = None


class Ix(_Object):
    name: str
    name_long: str | None = None
    city: str | None = None
    country: str | None = None
    website: str | None = None


class IxLan(_Object):
    ix_id: int
    name: str | None = None
    mtu: int | None = None


class IxPfx(_Object):
    ixlan_id: int
    protocol: str
    prefix: str


class Net(_Object):
    asn: int
    name: str
    org_id: int | None = None
    irr_as_set: str | None = None
    info_prefixes4: int | None = None
    info_prefixes6: int | None = None
    website: str | None = None


class NetIxLan(_Object):
    asn: int
    ix_id: int
    ixlan_id: int
    net_id: int | None = None
    name: str | None = None
    speed: int | None = None
    ipaddr4: str | None = None
    ipaddr6: str | None = None
    is_rs_peer: bool | None = None
    operational: bool = True


_MODELS: dict[str, type[_Object]] = {
    "org": Org,
    "ix": Ix,
    "ixlan": IxLan,
    "ixpfx": IxPfx,
    "net": Net,
    "netixlan": NetIxLan,
}


class PeeringDbDocument(BaseModel):
    """PeeringDB objects by kind, validated."""

    model_config = ConfigDict(frozen=True)
    org: tuple[Org, ...] = ()
    ix: tuple[Ix, ...] = ()
    ixlan: tuple[IxLan, ...] = ()
    ixpfx: tuple[IxPfx, ...] = ()
    net: tuple[Net, ...] = ()
    netixlan: tuple[NetIxLan, ...] = ()


def guess_kind(obj: dict[str, Any]) -> str | None:
    """The PeeringDB object type of ``obj``, told by its fields."""
    if "ipaddr4" in obj or "ipaddr6" in obj:
        return "netixlan"
    if "protocol" in obj and "prefix" in obj:
        return "ixpfx"
    if "asn" in obj and ("irr_as_set" in obj or "info_prefixes4" in obj or "info_type" in obj):
        return "net"
    if "ix_id" in obj and "net_id" not in obj:
        return "ixlan"
    if "media" in obj or "region_continent" in obj or "proto_unicast" in obj:
        return "ix"
    if "address1" in obj or "zipcode" in obj:
        return "org"
    return None


def parse_peeringdb(raw: bytes | str, kind: str | None = None) -> PeeringDbDocument:
    """PeeringDB JSON in either shape; ``FormatError`` listing every malformed object."""
    document = load_json(raw)
    problems = Problems()
    buckets: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    if not isinstance(document, dict):
        problems.add("$", "a PeeringDB document is a JSON object", "schema")
    elif "data" in document:
        _collect(document["data"], ("data",), kind, buckets, problems)
    else:
        for key, value in document.items():
            if key not in _MODELS:
                problems.add(json_path([key]), f"unknown object type (known: {', '.join(KINDS)})")
            elif not isinstance(value, dict) or "data" not in value:
                problems.add(json_path([key]), "expected an object with a data list", "schema")
            else:
                _collect(value["data"], (key, "data"), key, buckets, problems)
    parsed: dict[str, list[Any]] = defaultdict(list)
    for name, items in buckets.items():
        for path, obj in items:
            try:
                parsed[name].append(_MODELS[name].model_validate(obj))
            except ValidationError as exc:
                for error in exc.errors():
                    where = f"{path}{json_path(error['loc'])[1:]}"
                    problems.add(where, error["msg"], "schema")
    problems.raise_if_any(FormatError)
    return PeeringDbDocument(**{k: tuple(v) for k, v in parsed.items()})


def _collect(
    data: Any,
    where: tuple[str | int, ...],
    kind: str | None,
    buckets: dict[str, list[tuple[str, Any]]],
    problems: Problems,
) -> None:
    if not isinstance(data, list):
        problems.add(json_path(where), "expected a list of objects", "schema")
        return
    for i, obj in enumerate(data):
        path = json_path((*where, i))
        if not isinstance(obj, dict):
            problems.add(path, "expected an object", "schema")
            continue
        if kind is not None and kind not in _MODELS:
            problems.add(path, f"unknown object type {kind!r}")
            return
        found = kind or guess_kind(obj)
        if found is None:
            problems.add(path, "cannot tell which PeeringDB object this is", "unknown-kind")
            continue
        buckets[found].append((path, obj))
        nested = obj.get("netixlan_set") if found == "net" else None
        if isinstance(nested, list):
            _collect(nested, (*where, i, "netixlan_set"), "netixlan", buckets, problems)


def import_peeringdb(
    session: Session,
    document: PeeringDbDocument,
    progress: Progress | None = None,
    *,
    allow_outside_prefix: bool = False,
) -> ImportReport:
    """Write PeeringDB objects into the registry within ``session``'s transaction."""
    problems = Problems()
    mapped = _plan(document, problems)
    return apply_plan(
        session, mapped, progress, allow_outside_prefix=allow_outside_prefix, problems=problems
    )


def plan_peeringdb(document: PeeringDbDocument) -> ImportPlan:
    """Map PeeringDB objects to an ``ImportPlan`` (pure); ``FormatError`` lists every problem."""
    problems = Problems()
    mapped = _plan(document, problems)
    problems.raise_if_any(FormatError)
    return mapped


def _plan(document: PeeringDbDocument, problems: Problems) -> ImportPlan:
    netixlans = sorted((n for n in document.netixlan if n.status != "deleted"), key=lambda n: n.id)
    exchanges = _exchanges(document, netixlans, problems)
    members = _members(document, netixlans, problems)
    return ImportPlan("PeeringDB", "api", exchanges, members)


def _live(objects: tuple[Any, ...]) -> list[Any]:
    return sorted((o for o in objects if o.status != "deleted"), key=lambda o: o.id)


def _exchanges(
    document: PeeringDbDocument, netixlans: list[NetIxLan], problems: Problems
) -> tuple[ExchangePlan, ...]:
    ixs: dict[int, Ix] = {ix.id: ix for ix in _live(document.ix)}
    ixlans: list[IxLan] = _live(document.ixlan)
    prefixes: dict[int, dict[int, str | None]] = defaultdict(lambda: {4: None, 6: None})
    for pfx in _live(document.ixpfx):
        field = f"$.ixpfx[id={pfx.id}].prefix"
        family = {"ipv4": 4, "ipv6": 6}.get(pfx.protocol.lower())
        if family is None:
            problems.add(f"$.ixpfx[id={pfx.id}].protocol", f"{pfx.protocol!r} is not IPv4/IPv6")
            continue
        prefixes[pfx.ixlan_id][family] = plan.prefix(pfx.prefix, family, field, problems)
    lans: dict[int, dict[int, LanPlan]] = defaultdict(dict)
    for ixlan in ixlans:
        lans[ixlan.ix_id][ixlan.id] = LanPlan(
            key=ixlan.id,
            vlan=ixlan.id,
            name=plan.text(ixlan.name, 100, f"$.ixlan[id={ixlan.id}].name", problems),
            ipv4_prefix=prefixes[ixlan.id][4],
            ipv6_prefix=prefixes[ixlan.id][6],
            mtu=ixlan.mtu if ixlan.mtu and ixlan.mtu > 0 else None,
            match_by_vlan=False,
        )
    names: dict[int, str] = {}
    for link in netixlans:
        lans[link.ix_id].setdefault(
            link.ixlan_id, LanPlan(link.ixlan_id, link.ixlan_id, None, None, None, None, False)
        )
        if link.name:
            names.setdefault(link.ix_id, link.name)
    plans = []
    for key in sorted(set(ixs) | set(lans)):
        ix = ixs.get(key)
        path = f"$.ix[id={key}]"
        name = ix.name if ix else names.get(key, f"ix{key}")
        plans.append(
            ExchangePlan(
                path=path,
                key=key,
                code=plan.fit(name, 32),
                name=plan.text(ix.name_long or ix.name if ix else name, 200, path, problems),
                country=plan.country(ix.country if ix else None, f"{path}.country", problems),
                city=plan.text(ix.city if ix else None, 100, f"{path}.city", problems),
                url=plan.text(ix.website if ix else None, 300, f"{path}.website", problems),
                ixf_id=None,
                peeringdb_id=key,
                lans=tuple(lans[key][k] for k in sorted(lans[key])),
                switches=(plan.SwitchPlan(None, None, None, None, None),),
            )
        )
    return tuple(plans)


def _members(
    document: PeeringDbDocument, netixlans: list[NetIxLan], problems: Problems
) -> tuple[MemberPlan, ...]:
    orgs: dict[int, Org] = {org.id: org for org in _live(document.org)}
    nets: dict[int, Net] = {}
    for net in _live(document.net):
        if net.asn in nets:
            problems.add(f"$.net[id={net.id}].asn", f"AS{net.asn} is also net {nets[net.asn].id}")
        nets.setdefault(net.asn, net)
    org_names: dict[int, str] = {}
    for asn in sorted(nets):
        org_id = nets[asn].org_id
        if org_id is not None:
            org_names.setdefault(org_id, nets[asn].name)
    links: dict[int, list[NetIxLan]] = defaultdict(list)
    for link in netixlans:
        links[link.asn].append(link)
    claimed: dict[tuple[int, str], str] = {}
    members = []
    for asn in sorted(set(nets) | set(links)):
        net = nets.get(asn)
        path = f"$.net[id={net.id}]" if net else f"$.netixlan[asn={asn}]"
        number = plan.asn(asn, f"{path}.asn", problems)
        connections = tuple(_connection(link, claimed, problems) for link in links[asn])
        if number is None:
            continue
        org = orgs.get(net.org_id) if net and net.org_id is not None else None
        if org is not None:
            org_name = org.name
        elif net is not None:
            org_name = org_names.get(net.org_id, net.name) if net.org_id else net.name
        else:
            org_name = f"AS{asn}"
        rs_flags = [link.is_rs_peer for link in links[asn] if link.is_rs_peer is not None]
        members.append(
            MemberPlan(
                path=path,
                asn=number,
                org_name=plan.text(org_name, 200, f"{path}.name", problems) or f"AS{asn}",
                org_url=plan.text(
                    (org.website if org else None) or (net.website if net else None),
                    300,
                    f"{path}.website",
                    problems,
                ),
                org_country=plan.country(org.country if org else None, f"{path}.org", problems),
                org_peeringdb_id=net.org_id if net else None,
                asn_name=plan.text(net.name if net else None, 200, f"{path}.name", problems),
                as_set=plan.text(
                    net.irr_as_set if net else None, 200, f"{path}.irr_as_set", problems
                ),
                max_prefix_v4=_count(
                    net.info_prefixes4 if net else None, f"{path}.info_prefixes4", problems
                ),
                max_prefix_v6=_count(
                    net.info_prefixes6 if net else None, f"{path}.info_prefixes6", problems
                ),
                rs_participation=any(rs_flags) if rs_flags else None,
                peeringdb_net_id=net.id if net else None,
                connections=connections,
            )
        )
    return tuple(members)


def _count(value: int | None, field: str, problems: Problems) -> int | None:
    if value is not None and not 0 <= value <= 2**31 - 1:
        problems.add(field, f"{value} is not a prefix count", "invalid-count")
        return None
    return value


def _connection(
    link: NetIxLan, claimed: dict[tuple[int, str], str], problems: Problems
) -> ConnectionPlan:
    path = f"$.netixlan[id={link.id}]"
    v4 = plan.address(link.ipaddr4 or None, 4, f"{path}.ipaddr4", problems)
    v6 = plan.address(link.ipaddr6 or None, 6, f"{path}.ipaddr6", problems)
    for field, value in (("ipaddr4", v4), ("ipaddr6", v6)):
        if value is not None:
            first = claimed.setdefault((link.ix_id, value), path)
            if first != path:
                problems.add(f"{path}.{field}", f"{value} is claimed by {first} too", "duplicate")
    if link.speed is not None and link.speed < 0:
        problems.add(f"{path}.speed", f"{link.speed} is not a speed", "invalid-speed")
    return ConnectionPlan(
        path=path,
        exchange_key=link.ix_id,
        name=f"AS{link.asn}-pdb{link.id}",
        disabled=not link.operational,
        interfaces=(InterfacePlan(None, link.speed if link.speed and link.speed > 0 else None),),
        addresses=(AddressPlan(path, link.ixlan_id, v4, v6),) if v4 or v6 else (),
        macs=None,
    )
