"""The collector benchmark counts what it claims: its workloads hold exactly the samples and
records it multiplies by, and its /proc readings see the processes and sockets it measures.
(No timing is asserted here; numbers live in bench/RESULTS.md.)"""

from __future__ import annotations

import os
import socket

import numpy as np

from bench import bench_collector
from ixcenter.telemetry.decode import ipfix, sflow


def test_sflow_workload_has_exactly_its_samples_and_no_counters() -> None:
    load = bench_collector.workload("sflow", distinct=40)
    flows, counters, stats = sflow.SflowDecoder().decode_many([(d, "e") for d in load.datagrams])
    assert len(flows) == 40 * load.per_datagram == 40 * bench_collector.SFLOW_SAMPLES
    assert len(counters) == 0
    assert stats.total("malformed") == 0


def test_ipfix_workload_records_are_one_packet_each() -> None:
    load = bench_collector.workload("ipfix", distinct=60)
    flows, _, stats = ipfix.IpfixDecoder().decode_many([(d, "e") for d in load.datagrams])
    assert len(flows) == 60 * load.per_datagram
    assert set(np.unique(flows["packets"])) == {1}  # pmacct's PACKETS total = records
    assert stats.total("no_template") == 0


def test_proc_readings() -> None:
    assert bench_collector.tree_cpu(os.getpid()) > 0
    assert bench_collector.rss_mib(os.getpid()) > 1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        port = receiver.getsockname()[1]
        assert bench_collector.socket_state(port) == (0, 0)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(bytes(100), ("127.0.0.1", port))
        queued, dropped = bench_collector.socket_state(port)
        assert queued > 0 and dropped == 0
        assert not bench_collector.port_is_free(port)
