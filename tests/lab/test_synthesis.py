"""Synthesised flows decode with the real IPFIX decoder into exactly the records planned."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np

from ixcenter.lab.synthesis import (
    ATTACK_PORT,
    Endpoint,
    FlowSynthesiser,
    daily_shape,
    write_plan,
)
from ixcenter.telemetry.decode import ipfix

MEMBERS = [
    Endpoint("a", "02:00:00:00:00:01", 101, 100_000, "100.64.0.11", "2001:db8::b"),
    Endpoint("b", "02:00:00:00:00:02", 101, 10_000, "100.64.0.12", "2001:db8::c"),
    Endpoint("c", "02:00:00:00:00:03", 101, 10_000, "100.64.0.13"),
    Endpoint("d", "02:00:00:00:00:04", 101, 1_000, "100.64.0.14", "2001:db8::e"),
    Endpoint("e", "02:00:00:00:00:05", 101, 1_000, None, "2001:db8::f"),
]
MAC = {int(m.mac.replace(":", ""), 16): m.name for m in MEMBERS}
SECOND = 1_790_000_000


def decoded(messages: list[bytes]) -> np.ndarray:
    flows, _, stats = ipfix.decode_many([(m, "192.0.2.1") for m in messages])
    assert stats.total("malformed") == stats.total("no_template") == 0
    return flows.rows


def test_records_decode_as_planned() -> None:
    synthesiser = FlowSynthesiser(MEMBERS, attack_every_s=0)
    v4, v6 = synthesiser.records(SECOND)
    rows = decoded(synthesiser.messages(SECOND))
    assert len(rows) == len(v4) + len(v6) > 0
    pairs = {(MAC[int(r["src_mac"])], MAC[int(r["dst_mac"])], int(r["ip_version"])) for r in rows}
    assert ("c", "e", 4) not in pairs and ("c", "e", 6) not in pairs  # no shared family
    assert ("a", "b", 4) in pairs and ("a", "b", 6) in pairs
    assert set(rows["vlan"].tolist()) == {101}
    by_pair: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (MAC[int(r["src_mac"])], MAC[int(r["dst_mac"])])
        by_pair[key] = by_pair.get(key, 0) + int(r["bytes"])
    assert by_pair[("a", "b")] > by_pair[("b", "d")] > 0  # gravity: bigger ports, more traffic
    # the whole exchange: about utilisation x capacity / 2, times the hour's shape
    expected = synthesiser.bytes_per_s * daily_shape(SECOND)
    assert 0.8 * expected < int(rows["bytes"].sum()) < 1.2 * expected


def test_same_second_same_records_and_an_attack_now_and_then() -> None:
    one = FlowSynthesiser(MEMBERS, attack_every_s=60, attack_s=10, seed=3)
    two = FlowSynthesiser(MEMBERS, attack_every_s=60, attack_s=10, seed=3)
    assert one.records(SECOND) == two.records(SECOND)
    start = SECOND - SECOND % 60
    victim, sources = one.attack(start + 5)
    assert victim is not None and len(sources) == 3 and victim not in sources
    assert one.attack(start + 30) == (None, ())
    rows = decoded(one.messages(start + 5))
    flood = rows[rows["dst_port"] == ATTACK_PORT]
    assert {MAC[int(m)] for m in flood["dst_mac"]} <= {victim}
    assert {MAC[int(m)] for m in flood["src_mac"]} <= set(sources)


def test_daily_shape() -> None:
    # 13:00 UTC is 21:00 in UTC+8, the peak; 20:00 UTC is 04:00, the trough
    assert daily_shape(13 * 3600) > 1.55 and daily_shape(20 * 3600) < 0.45


def test_main_sends_to_a_collector_socket(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    write_plan(plan, MEMBERS, seed=1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sink:
        sink.bind(("127.0.0.1", 0))
        sink.settimeout(5)
        port = sink.getsockname()[1]
        argv = ["--plan", str(plan), "--to", f"127.0.0.1:{port}", "--seconds", "0.5"]
        command = [sys.executable, "-m", "ixcenter.lab.synthesis", *argv]
        process = subprocess.Popen(command)
        try:
            data = sink.recv(65535)
        finally:
            assert process.wait(timeout=10) == 0
    assert len(decoded([data])) > 0


def test_daily_shape_rises_all_day() -> None:
    hours = [daily_shape((h - 8) % 24 * 3600) for h in range(4, 22)]  # 04:00 to 21:00 UTC+8
    assert hours == sorted(hours)
    assert abs(sum(daily_shape(h * 360) for h in range(240)) / 240 - 1.0) < 0.05
