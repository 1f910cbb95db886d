"""What an import wants the registry to hold: plain values mapped from a document, before any I/O.

Both importers (IX-F and PeeringDB) produce an ``ImportPlan``; ``apply.apply_plan`` writes it.
A ``None`` field means "the document does not say": the registry's value is kept.
Keys (``ExchangePlan.key``, ``LanPlan.key``, ``SwitchPlan.key``) are the document's own
identifiers and only link the parts of one plan together.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass

from ixcenter.core.asns import AS_TRANS, parse_asn, special_purpose
from ixcenter.core.errors import Problems, ValidationFailed
from ixcenter.core.macs import normalise_mac

UNKNOWN_COUNTRY = "ZZ"  # user-assigned ISO 3166 code, used by CLDR for "unknown region"
DEFAULT_SPEED_MBPS = 1000


@dataclass(frozen=True, slots=True)
class LanPlan:
    key: int
    vlan: int
    name: str | None
    ipv4_prefix: str | None
    ipv6_prefix: str | None
    mtu: int | None = None
    match_by_vlan: bool = True  # False: match an existing LAN by its prefixes (PeeringDB)


@dataclass(frozen=True, slots=True)
class SwitchPlan:
    key: int | None  # None: the exchange's default switch
    name: str | None
    colo: str | None
    city: str | None
    country: str | None
    manufacturer: str | None = None
    model: str | None = None


@dataclass(frozen=True, slots=True)
class ExchangePlan:
    path: str
    key: int
    code: str
    name: str | None
    country: str | None
    city: str | None
    url: str | None
    ixf_id: int | None
    peeringdb_id: int | None
    lans: tuple[LanPlan, ...]
    switches: tuple[SwitchPlan, ...]


@dataclass(frozen=True, slots=True)
class InterfacePlan:
    switch_key: int | None
    speed_mbps: int | None


@dataclass(frozen=True, slots=True)
class AddressPlan:
    path: str
    lan_key: int | None  # None: the LAN whose prefix contains the address
    ipv4: str | None
    ipv6: str | None


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    path: str
    exchange_key: int
    name: str  # deterministic port name, unique per member and exchange
    disabled: bool
    interfaces: tuple[InterfacePlan, ...]
    addresses: tuple[AddressPlan, ...]
    macs: tuple[str, ...] | None  # None: the document names no MACs, keep the port's


@dataclass(frozen=True, slots=True)
class MemberPlan:
    path: str
    asn: int
    org_name: str
    org_url: str | None
    org_country: str | None
    org_peeringdb_id: int | None
    asn_name: str | None
    as_set: str | None
    max_prefix_v4: int | None
    max_prefix_v6: int | None
    rs_participation: bool | None
    peeringdb_net_id: int | None
    connections: tuple[ConnectionPlan, ...]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    source: str  # "IX-F" or "PeeringDB"
    version: str
    exchanges: tuple[ExchangePlan, ...]
    members: tuple[MemberPlan, ...]


def fit(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else a stable shortened form with a hash."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: limit - 9]}-{digest}"


def address(value: object, family: int, field: str, problems: Problems) -> str | None:
    """The compressed form of an IPv4/IPv6 address, or ``None`` and a problem."""
    if value is None:
        return None
    try:
        parsed = ipaddress.ip_address(str(value).strip())
    except ValueError:
        problems.add(field, f"{value!r} is not an IPv{family} address", "invalid-address")
        return None
    if parsed.version != family or (isinstance(parsed, ipaddress.IPv6Address) and parsed.scope_id):
        problems.add(field, f"{value!r} is not an IPv{family} address", "invalid-address")
        return None
    return parsed.compressed


def prefix(value: str, family: int, field: str, problems: Problems) -> str | None:
    """The canonical form (``192.0.2.0/24``) of a prefix, host bits cleared."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        problems.add(field, f"{value!r} is not an IPv{family} prefix", "invalid-prefix")
        return None
    if network.version != family:
        problems.add(field, f"{value!r} is not an IPv{family} prefix", "invalid-prefix")
        return None
    return network.compressed


def mac(value: object, field: str, problems: Problems) -> str | None:
    try:
        return normalise_mac(str(value))
    except ValidationFailed:
        problems.add(field, f"{value!r} is not a MAC address", "invalid-mac")
        return None


def country(value: str | None, field: str, problems: Problems) -> str | None:
    """An ISO 3166 alpha-2 code in upper case."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        problems.add(field, f"{value!r} is not an ISO 3166 country code", "invalid-country")
        return None
    return code


def text(value: str | None, limit: int, field: str, problems: Problems) -> str | None:
    """Stripped ``value`` (``None`` when empty); a problem when longer than ``limit``."""
    if value is None or not value.strip():
        return None
    if len(value.strip()) > limit:
        problems.add(field, f"longer than {limit} characters", "too-long")
        return None
    return value.strip()


def asn(value: object, field: str, problems: Problems) -> int | None:
    """A usable peer ASN: private and documentation ASNs pass (labs use them), reserved do not."""
    try:
        number = parse_asn(value if isinstance(value, int | str) else repr(value))
    except ValidationFailed:
        problems.add(field, f"{value!r} is not an AS number", "invalid-asn")
        return None
    reason = special_purpose(number)
    if number == AS_TRANS or (reason is not None and reason.startswith("reserved")):
        problems.add(field, f"AS{number} is {reason} and cannot peer", "invalid-asn")
        return None
    return number
