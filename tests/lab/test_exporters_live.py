"""softflowd on the lab's fabric: one per bridge port, exporting IPFIX or NetFlow v9 with the
members' MACs to the collector in its own namespace (raw rows to the spool, read back here)."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np
import pytest

from ixcenter.lab import exporters, sender, traffic
from ixcenter.telemetry.collector import read_spool
from ixcenter.telemetry.decode.batch import FLOW_DTYPE, ip_columns
from tests.lab.livelab import live_lab, wait_for
from tests.live import require

pytestmark = pytest.mark.live

RUN_S = 8.0
KNOBS = traffic.Knobs(total_pps=1000, payloads=((1400, 1),), attack_pps=0)  # ~700 kB/s a port
MACS = {"m1": "02:00:00:00:01:01", "m2": "02:00:00:00:02:01"}


def mac_value(text: str) -> int:
    return int(text.replace(":", ""), 16)


@pytest.mark.parametrize(("version", "protocol"), [(10, "ipfix"), (9, "netflow9")])
def test_softflowd_exports_each_ports_traffic_with_macs(
    tmp_path: Path, version: int, protocol: str
) -> None:
    require("softflowd")
    require("softflowctl")
    members = [
        traffic.Member("m1", 10, ipaddress.IPv4Address("192.0.2.1"), ipaddress.IPv6Address("2001:db8::1")),
        traffic.Member("m2", 10, ipaddress.IPv4Address("192.0.2.2"), ipaddress.IPv6Address("2001:db8::2")),
    ]  # fmt: skip
    plan = traffic.plan(members, KNOBS, seed=2, period_s=60)
    data_dir = tmp_path / "data"
    with live_lab(tmp_path / "lab") as lab:
        lan = lab.add_lan(ipv4="192.0.2.0/24", ipv6="2001:db8::/64")
        for m in members:
            lan.attach(lab.add_node(m.name), ipv4=m.ipv4, ipv6=m.ipv6, mac=MACS[m.name])
        ports = {p.name: p.if_index for p in exporters.bridge_ports(lan)}
        link = exporters.collector_link(lab)
        exporters.start_collector(lab, link, data_dir, batch_ms=200,
                                  env={"IXC_COLLECTOR_SINK": "spool"})  # fmt: skip
        watching = exporters.start_softflowd(lab, lan, link, version=version, active_s=2)
        assert [p.name for p in watching] == [f"softflowd-{name}" for name in ports]
        sender.start_senders(lab, plan, duration_s=RUN_S)
        sent = {
            m.name: wait_for(lambda m=m: sender.read_stats(lab, m.name), timeout=60, what=m.name)
            for m in members
        }
        # softflowd opens libpcap with no timeout: a capture block (256 KiB) reaches it only when
        # the ring is full, so it lags a ring (~2 MB) behind, and it answers its control socket
        # only between blocks. Flows it has read are exported after ``active_s``.
        wait_for(lambda: both_ways(data_dir), what="flows of both ports in the spool")
        assert lab.stop("collector")
    rows = measured(data_dir)
    for src, dst, port in (("m1", "m2", "br0p1"), ("m2", "m1", "br0p2")):
        mine = rows[rows["src_mac"] == mac_value(MACS[src])]
        assert set(mine["dst_mac"]) == {mac_value(MACS[dst])}
        assert set(mine["in_if"]) == {ports[port]}  # the bridge port's own ifIndex
        assert set(mine["sampling_rate"]) == {1}
        assert set(mine["ip_version"]) == {4, 6}
        assert set(mine["dst_port"]) <= set(KNOBS.ports)
        for address in (members[int(dst[1]) - 1].ipv4, members[int(dst[1]) - 1].ipv6):
            _, hi, lo = ip_columns(str(address))
            assert np.any((mine["dst_ip_hi"] == hi) & (mine["dst_ip_lo"] == lo))
        assert 0 < int(mine["packets"].sum()) <= sent[src].sent[dst]


def both_ways(data_dir: Path) -> bool:
    return {int(mac) for mac in measured(data_dir)["src_mac"]} == {
        mac_value(mac) for mac in MACS.values()
    }


def measured(data_dir: Path) -> np.ndarray:
    """The UDP rows in the spool: the senders' traffic."""
    spool = data_dir / "flow-spool"
    if not spool.exists():
        return np.zeros(0, FLOW_DTYPE)
    rows = read_spool(spool)[0].rows
    return rows[rows["protocol"] == 17]
