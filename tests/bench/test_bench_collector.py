"""The collector benchmark counts what it claims: its workloads hold exactly the samples and
records it multiplies by, and its /proc readings see the processes and sockets it measures.
(No timing is asserted here; numbers live in bench/RESULTS.md.)"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np
import pytest

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


def test_the_store_run_enriches_every_mix_member_and_counts_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ixcenter.config import Settings
    from ixcenter.registry.db import Registry
    from ixcenter.telemetry.collector import Pipeline, Protocol
    from ixcenter.telemetry.collector.sinks import close_sink, open_sink

    bench_collector.mix_registry(tmp_path)
    for name, value in bench_collector.store_env(6).items():
        monkeypatch.setenv(name, value)
    settings = Settings(data_dir=tmp_path)
    registry = Registry(settings.registry_url)
    pipeline = Pipeline(open_sink(settings, registry), batch_rows=1000)
    rows = 0
    for protocol, distinct in (("sflow", 30), ("ipfix", 40)):
        load = bench_collector.workload(protocol, distinct=distinct)
        pipeline.feed(Protocol(protocol), [(d, "192.0.2.1") for d in load.datagrams], 1, 0.0)
        rows += distinct * load.per_datagram
    pipeline.finish()
    close_sink(pipeline.batcher.sink)
    registry.close()
    assert pipeline.batcher.rows_written == rows
    assert bench_collector.count_store(settings.flow_store_path) == (rows, rows, rows)
