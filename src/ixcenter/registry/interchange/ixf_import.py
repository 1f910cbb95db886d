"""Importing IX-F Member Export JSON (versions 1.0, 0.7 and 0.6) into the registry.

``parse_ixf`` reads and schema-checks a document; ``plan_ixf`` maps it to an ``ImportPlan``
without touching the database; ``import_ixf`` does both and writes the plan (see ``apply``).

Mapping: ``ixp_list`` entries become exchange centers (code = ``shortname``), their ``vlan``
entries peering LANs (VLAN = the entry's ``id``) and their ``switch`` entries switches in one node
per colo. Each member becomes an organisation (named after the member, ``AS<asn>`` when unnamed)
and an ASN whose AS-SET, max-prefix and route-server flag come from the first ``vlan_list`` entry
that states them. Each connection becomes a port named ``AS<asn>-<n>`` (n counts the member's
connections at that IXP), a LAG when it lists several interfaces; each ``vlan_list`` entry with an
address becomes one IP assignment. VLAN ids and switch ids that members use but the IXP does not
list become LANs (without prefixes) and switches of their own; a connection without interfaces
gets the IXP's default switch. A non-positive ``ixf_id`` (what ``export_ixf`` writes for an
exchange that has none) counts as absent. The 0.6-era spelling ``mac_address`` is read too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from ixcenter.core.errors import FormatError, Problem, Problems
from ixcenter.registry.interchange import ixf_schema, plan
from ixcenter.registry.interchange.apply import Progress, apply_plan
from ixcenter.registry.interchange.plan import (
    AddressPlan,
    ConnectionPlan,
    ExchangePlan,
    ImportPlan,
    InterfacePlan,
    LanPlan,
    MemberPlan,
    SwitchPlan,
)
from ixcenter.registry.interchange.report import ImportReport

_INT32 = 2**31 - 1
_DISABLED_STATES = {"inactive", "disabled", "down"}


def parse_ixf(raw: bytes | str) -> dict[str, Any]:
    """The IX-F document in ``raw``; ``FormatError`` if it is not JSON or breaks its schema."""
    document = load_json(raw)
    ixf_schema.validate(document)
    return document  # type: ignore[no-any-return]


def load_json(raw: bytes | str) -> Any:
    """JSON from text or bytes; ``FormatError`` saying where it breaks."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise FormatError(
            [Problem("$", f"not JSON: {exc.msg} at {where}", "malformed-json")]
        ) from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise FormatError([Problem("$", f"not JSON: {exc}", "malformed-json")]) from exc


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def import_ixf(
    session: Session,
    document: dict[str, Any],
    progress: Progress | None = None,
    *,
    allow_outside_prefix: bool = False,
) -> ImportReport:
    """Write an IX-F document into the registry within ``session``'s transaction.

    Every problem (schema, addresses, ASNs, duplicates, addresses outside their LAN) is collected
    and raised as one ``FormatError`` before anything is written. ``allow_outside_prefix`` turns
    addresses outside their LAN's prefix into report warnings (some published exports have them).
    """
    problems = Problems()
    mapped = _plan(document, problems)
    return apply_plan(
        session, mapped, progress, allow_outside_prefix=allow_outside_prefix, problems=problems
    )


def plan_ixf(document: dict[str, Any]) -> ImportPlan:
    """Map a document to an ``ImportPlan`` (pure); ``FormatError`` lists every problem."""
    problems = Problems()
    mapped = _plan(document, problems)
    problems.raise_if_any(FormatError)
    return mapped


def _plan(document: dict[str, Any], problems: Problems) -> ImportPlan:
    """The plan of a schema-valid document; what is wrong in it goes to ``problems``."""
    version = ixf_schema.validate(document)
    ixps = _ixp_keys(document["ixp_list"], problems)
    refs = _References()
    members = _members(document["member_list"], ixps, refs, problems)
    exchanges = tuple(
        _exchange(f"$.ixp_list[{i}]", raw, refs, problems)
        for i, raw in enumerate(document["ixp_list"])
    )
    return ImportPlan("IX-F", version, exchanges, members)


class _References:
    """The VLAN and switch ids members use, per IXP, and where each address was first claimed."""

    def __init__(self) -> None:
        self.lans: dict[int, set[int]] = {}
        self.switches: dict[int, set[int | None]] = {}
        self.addresses: dict[tuple[int, str], str] = {}


def _ixp_keys(ixp_list: list[dict[str, Any]], problems: Problems) -> set[int]:
    seen: dict[Any, str] = {}
    for i, raw in enumerate(ixp_list):
        path = f"$.ixp_list[{i}]"
        for key in ("ixp_id", "shortname", "ixf_id"):
            value = raw.get(key)
            if key == "ixf_id" and (value is None or value <= 0):
                continue
            if (key, value) in seen:
                problems.add(
                    f"{path}.{key}", f"{value!r} repeats {seen[(key, value)]}", "duplicate"
                )
            seen.setdefault((key, value), path)
    return {raw["ixp_id"] for raw in ixp_list}


def _exchange(
    path: str, raw: dict[str, Any], refs: _References, problems: Problems
) -> ExchangePlan:
    key: int = raw["ixp_id"]
    shortname = plan.text(raw["shortname"], 10_000, f"{path}.shortname", problems)
    if shortname is None:
        problems.add(f"{path}.shortname", "is empty")
    lans = [_lan(f"{path}.vlan[{j}]", v, problems) for j, v in enumerate(raw.get("vlan", []))]
    listed = {lan.key for lan in lans}
    for j, lan in enumerate(lans):
        if lan.key in {other.key for other in lans[:j]}:
            problems.add(f"{path}.vlan[{j}].id", f"VLAN {lan.key} is listed twice", "duplicate")
    lans += [LanPlan(k, k, None, None, None) for k in sorted(refs.lans.get(key, set()) - listed)]
    switches = [
        _switch(f"{path}.switch[{j}]", s, problems) for j, s in enumerate(raw.get("switch", []))
    ]
    known = {s.key for s in switches}
    if len(known) < len(switches):
        problems.add(f"{path}.switch", "a switch id is listed twice", "duplicate")
    wanted = refs.switches.get(key, set()) - known
    switches += [SwitchPlan(k, None, None, None, None) for k in sorted(wanted, key=_none_first)]
    ixf_id = raw.get("ixf_id")
    return ExchangePlan(
        path=path,
        key=key,
        code=plan.fit(shortname or "", 32),
        name=plan.text(raw.get("name"), 200, f"{path}.name", problems),
        country=plan.country(raw.get("country"), f"{path}.country", problems),
        city=next((s.city for s in switches if s.city), None),
        url=plan.text(raw.get("url"), 300, f"{path}.url", problems),
        ixf_id=ixf_id if ixf_id is not None and ixf_id > 0 else None,
        peeringdb_id=raw.get("peeringdb_id"),
        lans=tuple(lans),
        switches=tuple(switches),
    )


def _none_first(key: int | None) -> tuple[int, int]:
    return (0, 0) if key is None else (1, key)


def _lan(path: str, raw: dict[str, Any], problems: Problems) -> LanPlan:
    key = raw.get("id")
    if key is None:
        problems.add(f"{path}.id", "a VLAN needs an id", "required")
        key = -1
    prefixes: dict[int, str | None] = {}
    for family in (4, 6):
        part = raw.get(f"ipv{family}") or {}
        text, length = part.get("prefix"), part.get("mask_length")
        field = f"{path}.ipv{family}.prefix"
        if text is None:
            prefixes[family] = None
        elif "/" not in text and length is None:
            problems.add(f"{path}.ipv{family}.mask_length", "a prefix needs its mask_length")
            prefixes[family] = None
        else:
            full = text if "/" in text else f"{text}/{length}"
            prefixes[family] = plan.prefix(full, family, field, problems)
    name = plan.text(raw.get("name"), 100, f"{path}.name", problems)
    return LanPlan(key, key, name, prefixes[4], prefixes[6])


def _switch(path: str, raw: dict[str, Any], problems: Problems) -> SwitchPlan:
    key = raw.get("id")
    if key is None:
        problems.add(f"{path}.id", "a switch needs an id", "required")
    return SwitchPlan(
        key=key,
        name=plan.text(raw.get("name"), 100, f"{path}.name", problems),
        colo=plan.text(raw.get("colo"), 200, f"{path}.colo", problems),
        city=plan.text(raw.get("city"), 100, f"{path}.city", problems),
        country=plan.country(raw.get("country"), f"{path}.country", problems),
        manufacturer=plan.text(raw.get("manufacturer"), 100, f"{path}.manufacturer", problems),
        model=plan.text(raw.get("model"), 100, f"{path}.model", problems),
    )


def _members(
    member_list: list[dict[str, Any]], ixps: set[int], refs: _References, problems: Problems
) -> tuple[MemberPlan, ...]:
    members: list[MemberPlan] = []
    first_at: dict[int, str] = {}
    for i, raw in enumerate(member_list):
        path = f"$.member_list[{i}]"
        member = _member(path, raw, ixps, refs, problems)
        if member is None:
            continue
        if member.asn in first_at:
            problems.add(f"{path}.asnum", f"AS{member.asn} repeats {first_at[member.asn]}")
            continue
        first_at[member.asn] = path
        members.append(member)
    return tuple(members)


class _Facts:
    """Routing data of one member, from the first ``vlan_list`` entry that states each value."""

    def __init__(self) -> None:
        self.as_set: str | None = None
        self.max_prefix: dict[int, int | None] = {4: None, 6: None}
        self.routeserver: list[bool] = []

    def take(self, family: int, part: dict[str, Any], path: str, problems: Problems) -> None:
        macro = part.get("as_macro")
        if macro is not None and self.as_set is None:
            self.as_set = plan.text(macro, 200, f"{path}.as_macro", problems)
        limit = part.get("max_prefix")
        if limit is not None and not 0 <= limit <= _INT32:
            problems.add(f"{path}.max_prefix", f"{limit} is not a prefix count", "invalid-count")
        elif limit is not None and self.max_prefix[family] is None:
            self.max_prefix[family] = limit
        if part.get("routeserver") is not None:
            self.routeserver.append(bool(part["routeserver"]))


def _member(
    path: str, raw: dict[str, Any], ixps: set[int], refs: _References, problems: Problems
) -> MemberPlan | None:
    asn = plan.asn(raw["asnum"], f"{path}.asnum", problems)
    facts = _Facts()
    counters: dict[int, int] = {}
    connections: list[ConnectionPlan] = []
    for j, conn in enumerate(raw["connection_list"]):
        conn_path = f"{path}.connection_list[{j}]"
        key = conn["ixp_id"]
        if key not in ixps:
            problems.add(f"{conn_path}.ixp_id", f"no IXP {key} in ixp_list", "unknown-ixp")
            continue
        counters[key] = counters.get(key, 0) + 1
        port_name = f"AS{asn}-{counters[key]}"
        connections.append(_connection(conn_path, conn, port_name, refs, facts, problems))
    name = plan.text(raw.get("name"), 200, f"{path}.name", problems)
    if asn is None:
        return None
    return MemberPlan(
        path=path,
        asn=asn,
        org_name=name or f"AS{asn}",
        org_url=plan.text(raw.get("url"), 300, f"{path}.url", problems),
        org_country=None,
        org_peeringdb_id=None,
        asn_name=None,
        as_set=facts.as_set,
        max_prefix_v4=facts.max_prefix[4],
        max_prefix_v6=facts.max_prefix[6],
        rs_participation=any(facts.routeserver) if facts.routeserver else None,
        peeringdb_net_id=None,
        connections=tuple(connections),
    )


def _connection(
    path: str,
    raw: dict[str, Any],
    name: str,
    refs: _References,
    facts: _Facts,
    problems: Problems,
) -> ConnectionPlan:
    key: int = raw["ixp_id"]
    interfaces = tuple(
        _interface(f"{path}.if_list[{k}]", entry, problems)
        for k, entry in enumerate(raw.get("if_list", []))
    ) or (InterfacePlan(None, None),)
    refs.switches.setdefault(key, set()).update(i.switch_key for i in interfaces)
    addresses: list[AddressPlan] = []
    macs: set[str] | None = None
    for k, entry in enumerate(raw.get("vlan_list", [])):
        entry_path = f"{path}.vlan_list[{k}]"
        lan_key = entry.get("vlan_id")
        if lan_key is not None:
            refs.lans.setdefault(key, set()).add(lan_key)
        found: dict[int, str | None] = {4: None, 6: None}
        for family in (4, 6):
            part = entry.get(f"ipv{family}")
            if part is None:
                continue
            part_path = f"{entry_path}.ipv{family}"
            value = plan.address(part.get("address"), family, f"{part_path}.address", problems)
            found[family] = value
            if value is not None:
                first = refs.addresses.setdefault((key, value), f"{part_path}.address")
                if first != f"{part_path}.address":
                    problems.add(
                        f"{part_path}.address", f"{value} is claimed at {first} too", "duplicate"
                    )
            facts.take(family, part, part_path, problems)
            for field in ("mac_addresses", "mac_address"):
                if field in part:
                    macs = (macs or set()) | set(
                        _macs(part[field], f"{part_path}.{field}", problems)
                    )
        if found[4] or found[6]:
            addresses.append(AddressPlan(entry_path, lan_key, found[4], found[6]))
    state = raw.get("state")
    return ConnectionPlan(
        path=path,
        exchange_key=key,
        name=name,
        disabled=isinstance(state, str) and state.strip().lower() in _DISABLED_STATES,
        interfaces=interfaces,
        addresses=tuple(addresses),
        macs=None if macs is None else tuple(sorted(macs)),
    )


def _interface(path: str, raw: dict[str, Any], problems: Problems) -> InterfacePlan:
    speed = raw.get("if_speed")
    if speed is not None and speed < 0:
        problems.add(f"{path}.if_speed", f"{speed} is not a speed", "invalid-speed")
    return InterfacePlan(raw.get("switch_id"), speed if speed and speed > 0 else None)


def _macs(values: Any, path: str, problems: Problems) -> Iterable[str]:
    if not isinstance(values, list):
        problems.add(path, "a list of MAC addresses is expected", "schema")
        return
    for m, value in enumerate(values):
        normal = plan.mac(value, f"{path}[{m}]", problems)
        if normal is not None:
            yield normal
