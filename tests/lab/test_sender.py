"""The sender's pacing, on a fake clock, and its packets, on loopback."""

from __future__ import annotations

import ipaddress
import socket
from collections import Counter
from collections.abc import Iterator

import pytest

from ixcenter.lab.sender import TICK_S, Pacer, Sender
from ixcenter.lab.traffic import Attack, SenderPlan, Stream

EPOCH = 1_700_000_000.0


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pacer_sends_rate_times_time() -> None:
    pacer = Pacer(3)
    totals = [0, 0, 0]
    for _ in range(1000):  # 10 s
        for i, n in enumerate(pacer.advance(0.01, [33.3, 250.0, 0.5])):
            totals[i] += n
    assert totals[0] in (332, 333)
    assert totals[1] in (2499, 2500)
    assert totals[2] in (4, 5)


def test_pacer_caps_the_backlog_of_a_stall_and_drops_credit_at_rate_zero() -> None:
    pacer = Pacer(1, max_backlog_s=0.25)
    assert pacer.advance(10.0, [100.0]) == [26]  # not 1000 after a 10 s stall
    pacer.advance(0.005, [100.0])  # half a packet of credit
    assert pacer.advance(0.005, [0.0]) == [0]
    assert pacer.advance(0.005, [100.0]) == [0]  # the half packet is gone


@pytest.fixture
def receivers() -> Iterator[dict[int, socket.socket]]:
    """A receiving socket per family on loopback, on one port free in both."""
    made: dict[int, socket.socket] = {}
    try:
        for version, family, host in ((4, socket.AF_INET, "127.0.0.1"),
                                      (6, socket.AF_INET6, "::1")):  # fmt: skip
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((host, made[4].getsockname()[1] if made else 0))
            sock.setblocking(False)
            made[version] = sock
        yield made
    finally:
        for sock in made.values():
            sock.close()


def drain(sock: socket.socket) -> Counter[int]:
    """Datagrams waiting on ``sock``, counted by size."""
    sizes: Counter[int] = Counter()
    while True:
        try:
            sizes[len(sock.recv(65536))] += 1
        except BlockingIOError:
            return sizes


def test_sender_sends_its_streams_and_its_attack_in_its_window(
    receivers: dict[int, socket.socket],
) -> None:
    port = receivers[4].getsockname()[1]
    v4, v6 = ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1")
    plan = SenderPlan(
        member="m1",
        epoch=EPOCH,
        period_s=10.0,
        seed=5,
        ports=(port,),
        payloads=((20, 3), (200, 1)),
        streams=(Stream("m1", "m2", v4, 100.0), Stream("m1", "m3", v6, 30.0)),
        attacks=(Attack(1.0, 0.5, "m2", v4, ("m1",), 200.0, port, 4),),
        sink_ports=(),
        duration_s=2.0,
    )
    clock = FakeClock(EPOCH - 0.3)  # starts before the epoch: waits for it
    sender = Sender(plan, sink=False, clock=clock, sleep=clock.sleep)
    try:
        stats = sender.run()
    finally:
        sender.close()
    assert clock.now == pytest.approx(EPOCH + 2.0, abs=TICK_S)
    assert stats.errors == 0
    got4, got6 = drain(receivers[4]), drain(receivers[6])
    assert abs(stats.sent["m2"] - 200) <= 1 and abs(stats.sent["m3"] - 60) <= 1
    assert abs(stats.attack["m2"] - 100) <= 1  # 200 pps for 0.5 s
    assert got4[4] == stats.attack["m2"]  # the attack's small payload
    assert got4[20] + got4[200] == stats.sent["m2"]
    assert got6.total() == stats.sent["m3"]
    assert got4[20] > got4[200] > 0  # the payload mix, 3:1
