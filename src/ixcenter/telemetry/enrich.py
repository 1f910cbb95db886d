"""Enrichment: who sent and who received each flow row, looked up in the registry in bulk.

``EnrichmentTables.load(session)`` turns the registry into sorted numpy key arrays: one key per
(VLAN, MAC) a member port may use (its peering LANs' VLANs and its private interconnects' VLANs),
``vlan << 48 | mac``, with the member (organisation), ASN, port (a LAG, when the MAC is on one),
node and exchange center of each. ``enrich`` finds every row's source and destination with one
``searchsorted`` per side; a row whose VLAN is 0 (untagged, no switch data) or not registered
falls back to the MAC alone when exactly one port has that MAC. Nothing is done per row in Python.

``RegistryWatch`` reloads the tables when the registry changed: the newest audit-log id is the
change counter (every change writes an audit row), checked at most every ``check_every_s``, and
``refresh()`` reloads at once. ``EnrichingSink`` is the ``TelemetrySink`` that enriches, records
unknown MACs (``telemetry.unknown_macs``), learns which switch interface is which port (for the
counters) and hands everything to a flow store.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ixcenter.config import Settings
from ixcenter.core.clock import Clock, SystemClock
from ixcenter.registry.db import Registry
from ixcenter.registry.models import (
    AuditEntry,
    IpAssignment,
    MemberAsn,
    Node,
    PeeringLan,
    Port,
    PortMac,
    ServiceEndpoint,
    Switch,
)
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
from ixcenter.telemetry.interfaces import InterfaceMap
from ixcenter.telemetry.store.counters import CounterRates, PortSide
from ixcenter.telemetry.store.records import SIDE_DTYPE, EnrichedFlows
from ixcenter.telemetry.unknown_macs import UnknownMacs

logger = logging.getLogger(__name__)

MAC_BITS = 48
_MAC_MASK = np.uint64((1 << MAC_BITS) - 1)


@dataclass(frozen=True, slots=True)
class EnrichmentTables:
    """Sorted lookup keys and, per key, the side it stands for (``SIDE_COLUMNS``).

    ``values`` holds each distinct side once (row 0: zeros, unknown), so equal sides have equal
    entries and the store can group rows on the entry alone.
    """

    version: int  # the registry change counter these tables were built at
    keys: NDArray[np.uint64]  # vlan << 48 | mac, sorted
    mac_keys: NDArray[np.uint64]  # mac, sorted: MACs on exactly one port
    key_entry: NDArray[np.intp]  # 1 + position in keys -> row of values (0 -> 0)
    mac_entry: NDArray[np.intp]  # 1 + position in mac_keys -> row of values (0 -> 0)
    values: NDArray[Any]  # SIDE_DTYPE, distinct sides after a row 0 of zeros (unknown)
    ports: Mapping[int, PortSide]

    @classmethod
    def empty(cls) -> EnrichmentTables:
        return cls.build(0, [], {})

    @classmethod
    def build(
        cls,
        version: int,
        entries: list[tuple[int, int, PortSide, int]],
        ports: Mapping[int, PortSide],
    ) -> EnrichmentTables:
        """From (vlan, mac, side, asn) entries; a (vlan, mac) claimed twice keeps the first."""
        by_key: dict[int, tuple[PortSide, int]] = {}
        ports_of_mac: dict[int, set[int]] = {}
        for vlan, mac, side, asn in entries:
            by_key.setdefault((vlan << MAC_BITS) | mac, (side, asn))
            ports_of_mac.setdefault(mac, set()).add(side.port)
        keys = sorted(by_key)
        first_of_mac: dict[int, tuple[PortSide, int]] = {}
        for key in keys:
            first_of_mac.setdefault(key & ((1 << MAC_BITS) - 1), by_key[key])
        macs = sorted(m for m, owners in ports_of_mac.items() if len(owners) == 1)
        distinct: dict[tuple[int, ...], int] = {(0, 0, 0, 0, 0): 0}
        entry = [
            distinct.setdefault((side.org, asn, side.port, side.node, side.center), len(distinct))
            for side, asn in [by_key[k] for k in keys] + [first_of_mac[m] for m in macs]
        ]
        return cls(
            version=version,
            keys=np.array(keys, np.uint64),
            mac_keys=np.array(macs, np.uint64),
            key_entry=np.array([0, *entry[: len(keys)]], np.intp),
            mac_entry=np.array([0, *entry[len(keys) :]], np.intp),
            values=np.array(list(distinct), SIDE_DTYPE),
            ports=dict(ports),
        )

    @classmethod
    def load(cls, session: Session, version: int | None = None) -> EnrichmentTables:
        """Read every member port, its MACs and VLANs from the registry."""
        if version is None:
            version = registry_version(session)
        ports: dict[int, PortSide] = {}
        for port_id, org, node, center in session.execute(
            select(Port.id, Port.organisation_id, Switch.node_id, Node.exchange_id)
            .join(Switch, Port.switch_id == Switch.id)
            .join(Node, Switch.node_id == Node.id)
            .where(Port.organisation_id.is_not(None))
        ):
            ports[port_id] = PortSide(port_id, org or 0, node, center)
        first_asn = dict(
            session.execute(
                select(MemberAsn.organisation_id, func.min(MemberAsn.asn)).group_by(
                    MemberAsn.organisation_id
                )
            ).all()
        )
        vlans: dict[int, dict[int, int]] = {p: {} for p in ports}  # port -> vlan -> asn
        for port_id, vlan, asn in session.execute(
            select(IpAssignment.port_id, PeeringLan.vlan, MemberAsn.asn)
            .join(PeeringLan, IpAssignment.lan_id == PeeringLan.id)
            .join(MemberAsn, IpAssignment.asn_id == MemberAsn.id)
        ):
            if port_id in vlans:
                vlans[port_id].setdefault(vlan, asn)
        for port_id, vlan in session.execute(select(ServiceEndpoint.port_id, ServiceEndpoint.vlan)):
            if port_id in vlans:
                vlans[port_id].setdefault(vlan, first_asn.get(ports[port_id].org, 0))
        entries: list[tuple[int, int, PortSide, int]] = []
        for port_id, mac in session.execute(
            select(PortMac.port_id, PortMac.mac).order_by(PortMac.port_id, PortMac.mac)
        ):
            side = ports.get(port_id)
            if side is None:
                continue
            value = int(mac.replace(":", ""), 16)
            default_asn = first_asn.get(side.org, 0)
            for vlan, asn in sorted(vlans[port_id].items()) or [(0, default_asn)]:
                entries.append((vlan, value, side, asn))
        return cls.build(version, entries, ports)


def registry_version(session: Session) -> int:
    """The registry's change counter: the newest audit-log id (0 for an empty registry)."""
    return int(session.scalar(select(func.max(AuditEntry.id))) or 0)


def _find(sorted_keys: NDArray[np.uint64], wanted: NDArray[np.uint64]) -> NDArray[np.intp]:
    """Index of each wanted key in ``sorted_keys`` plus 1, or 0 where it is not there."""
    if not len(sorted_keys):
        return np.zeros(len(wanted), np.intp)
    at = np.searchsorted(sorted_keys, wanted)
    np.minimum(at, len(sorted_keys) - 1, out=at)
    hit = sorted_keys[at] == wanted
    at += 1
    at *= hit
    return at


def lookup(tables: EnrichmentTables, vlan: NDArray[Any], mac: NDArray[Any]) -> NDArray[np.intp]:
    """Row of ``tables.values`` for each (vlan, mac): 0 when unknown."""
    return _lookup(tables, vlan.astype(np.uint64) << np.uint64(MAC_BITS), mac)


def _lookup(
    tables: EnrichmentTables, vlan_bits: NDArray[np.uint64], mac: NDArray[Any]
) -> NDArray[np.intp]:
    mac = mac.astype(np.uint64, copy=False) & _MAC_MASK
    entry = tables.key_entry[_find(tables.keys, vlan_bits | mac)]
    missing = np.flatnonzero(entry == 0)
    if len(missing) and len(tables.mac_keys):
        entry[missing] = tables.mac_entry[_find(tables.mac_keys, mac[missing])]
    return entry


def enrich(tables: EnrichmentTables, flows: FlowBatch) -> EnrichedFlows:
    """The source and destination side of every row of ``flows`` (two look-ups, no copies)."""
    vlan_bits = flows["vlan"].astype(np.uint64) << np.uint64(MAC_BITS)
    src = _lookup(tables, vlan_bits, flows["src_mac"])
    dst = _lookup(tables, vlan_bits, flows["dst_mac"])
    return EnrichedFlows(flows, tables.values, src, dst)


class TablesSource(Protocol):
    def tables(self) -> EnrichmentTables:
        """The tables to enrich the next batch with."""
        ...


class FixedTables:
    """Tables that never change (tests, offline imports)."""

    def __init__(self, tables: EnrichmentTables) -> None:
        self._tables = tables

    def tables(self) -> EnrichmentTables:
        return self._tables


class RegistryWatch:
    """Enrichment tables that follow the registry: checked every ``check_every_s`` seconds."""

    def __init__(
        self, registry: Registry, clock: Clock | None = None, check_every_s: float = 30.0
    ) -> None:
        self.registry = registry
        self.clock: Clock = clock or SystemClock()
        self.check_every = dt.timedelta(seconds=check_every_s)
        self._tables = EnrichmentTables.empty()
        self._checked: dt.datetime | None = None
        self.reloads = 0
        self.refresh()

    def refresh(self) -> EnrichmentTables:
        """Reload the tables now (if the registry changed since they were built)."""
        self._checked = self.clock.now()
        with self.registry.read() as session:
            version = registry_version(session)
            if version != self._tables.version or not self.reloads:
                self._tables = EnrichmentTables.load(session, version)
                self.reloads += 1
                logger.info(
                    "enrichment: %d keys at registry version %d", len(self._tables.keys), version
                )
        return self._tables

    def tables(self) -> EnrichmentTables:
        if self._checked is None or self.clock.now() - self._checked >= self.check_every:
            self.refresh()
        return self._tables


class FlowStore(Protocol):
    """What the sink needs of a flow store's writer (``store.FlowStoreWriter``)."""

    @property
    def state(self) -> dict[str, Any]: ...

    def append(self, flows: EnrichedFlows) -> None: ...

    def append_counters(self, rows: pa.Table) -> None: ...

    def set_unknown_macs(self, table: pa.Table) -> None: ...

    def unknown_macs(self) -> pa.Table: ...

    def flush(self) -> None: ...

    def maintain(self) -> object: ...

    def start_maintenance(self, every_s: float) -> None: ...

    def close(self) -> None: ...


class EnrichingSink:
    """A ``TelemetrySink``: enrich each batch, then write it to ``store``.

    The store's maintenance (rollups, merges, expiry) runs every ``maintain_every_s`` seconds in
    the store's background thread, off the receive path; with ``background=False`` it runs
    inside ``flush()`` instead, once that much time has passed.
    """

    def __init__(
        self,
        source: TablesSource | EnrichmentTables,
        store: FlowStore,
        *,
        clock: Clock | None = None,
        maintain_every_s: float = 60.0,
        interfaces: Mapping[tuple[str, int], int] | None = None,
        background: bool = True,
    ) -> None:
        self.source = FixedTables(source) if isinstance(source, EnrichmentTables) else source
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.maintain_every = dt.timedelta(seconds=maintain_every_s)
        self._maintained = self.clock.now()
        state = store.state
        self.counters = CounterRates()
        self.counters.load_state(state.get("counters", []))
        self.interfaces = InterfaceMap(fixed=interfaces)
        self.interfaces.load_state(state.get("interfaces", []))
        self.unknown = UnknownMacs()
        self.unknown.load(store.unknown_macs())
        self._unknown_changed = False
        if hasattr(store, "state_provider"):
            store.state_provider = self.state
        self.background = background
        if background:
            store.start_maintenance(maintain_every_s)

    def write(self, flows: FlowBatch, counters: CounterBatch) -> None:
        tables = self.source.tables()
        if len(flows):
            enriched = enrich(tables, flows)
            self._unknown_changed |= self.unknown.observe(enriched)
            self.interfaces.learn(enriched)
            self.store.append(enriched)
        if len(counters):
            rows = self.counters.rows(counters, lambda e, i: self.interfaces.resolve(e, i, tables))
            self.store.append_counters(rows)

    def state(self) -> dict[str, Any]:
        return {"counters": self.counters.state(), "interfaces": self.interfaces.state()}

    def close(self) -> None:
        """Flush and let go of the store (its writer lock)."""
        self.flush()
        self.store.close()

    def flush(self) -> None:
        if self._unknown_changed:
            self.store.set_unknown_macs(self.unknown.table())
            self._unknown_changed = False
        self.store.flush()
        if not self.background and self.clock.now() - self._maintained >= self.maintain_every:
            self._maintained = self.clock.now()
            self.store.maintain()


def open_sink(settings: Settings, registry: Registry, clock: Clock | None = None) -> EnrichingSink:
    """The collector's sink: enrichment from ``registry`` into the flow store of ``settings``."""
    from ixcenter.telemetry.store import open_writer

    watch = RegistryWatch(registry, clock, settings.flow_registry_check_s)
    return EnrichingSink(watch, open_writer(settings, clock), clock=clock)
