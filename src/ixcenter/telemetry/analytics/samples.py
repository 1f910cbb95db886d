"""Single samples from the raw tier: who sent what to whom, as received, for looking into an
incident (a flood, a leak) after the fact.

Rows carry the member, ASN, port, node and center each end had when the sample arrived, not
what the registry says now. The raw tier keeps only the last hours
(``IXC_FLOW_RETENTION_RAW_HOURS``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass

from ixcenter.telemetry.analytics.traffic import FlowQueries
from ixcenter.telemetry.analytics.window import Window
from ixcenter.telemetry.decode.batch import ip_text, mac_text
from ixcenter.telemetry.store.schema import Family

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class RawSample:
    """One sampled packet (sFlow) or flow record (IPFIX, NetFlow v9) as the raw tier keeps it."""

    time: dt.datetime
    exporter: str
    src_org: int
    dst_org: int
    src_port: int  # registry port (0: unknown MAC)
    dst_port: int
    vlan: int
    src_mac: str
    dst_mac: str
    src_ip: str
    dst_ip: str
    protocol: int
    src_l4: int
    dst_l4: int
    bytes: int  # frame length (sFlow) or the record's octets
    packets: int
    sampling_rate: int


_COLUMNS = (
    "ts_ms, exporter, src_org, dst_org, src_port, dst_port, vlan, src_mac, dst_mac, ip_version, "
    "src_ip_hi, src_ip_lo, dst_ip_hi, dst_ip_lo, protocol, src_l4, dst_l4, bytes, packets, "
    "sampling_rate"
)


def _in(side: str, network: Network) -> str:
    """SQL: the ``side`` address of a row lies in ``network`` (integers only: no user text)."""
    first, last = int(network.network_address), int(network.broadcast_address)
    if network.version == 4:
        return f"(ip_version = 4 AND {side}_ip_lo BETWEEN {first} AND {last})"
    mask = (1 << 64) - 1
    lo_hi, lo_lo, hi_hi, hi_lo = first >> 64, first & mask, last >> 64, last & mask
    return (
        f"(ip_version = 6 AND ({side}_ip_hi > {lo_hi} OR ({side}_ip_hi = {lo_hi} AND "
        f"{side}_ip_lo >= {lo_lo})) AND ({side}_ip_hi < {hi_hi} OR ({side}_ip_hi = {hi_hi} AND "
        f"{side}_ip_lo <= {hi_lo})))"
    )


def raw_samples(
    reader: FlowQueries,
    window: Window,
    *,
    member: int | None = None,
    network: Network | None = None,
    limit: int = 100,
) -> list[RawSample]:
    """The newest ``limit`` raw samples in ``window``, of ``member`` (as sender or receiver)
    and with ``network`` holding their source or destination address, if given."""
    where = ["TRUE"]
    if member is not None:
        where.append(f"(src_org = {int(member)} OR dst_org = {int(member)})")
    if network is not None:
        where.append(f"({_in('src', network)} OR {_in('dst', network)})")
    start, end = window.seconds
    template = (
        f"SELECT {_COLUMNS} FROM {{rows}} WHERE {' AND '.join(where)} "  # noqa: S608 - integers
        f"ORDER BY ts_ms DESC LIMIT {int(limit)}"
    )
    out: list[RawSample] = []
    for row in reader.query(Family.RAW, start, end, template):
        ts_ms, exporter, src_org, dst_org, src_port, dst_port, vlan, src_mac, dst_mac = row[:9]
        version, src_hi, src_lo, dst_hi, dst_lo = row[9:14]
        protocol, src_l4, dst_l4, size, packets, rate = row[14:]
        out.append(
            RawSample(
                dt.datetime.fromtimestamp(ts_ms / 1000, dt.UTC),
                exporter,
                src_org,
                dst_org,
                src_port,
                dst_port,
                vlan,
                mac_text(src_mac),
                mac_text(dst_mac),
                ip_text(version, src_hi, src_lo),
                ip_text(version, dst_hi, dst_lo),
                protocol,
                src_l4,
                dst_l4,
                size,
                packets,
                rate,
            )
        )
    return out
