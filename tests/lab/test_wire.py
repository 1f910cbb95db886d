"""The wire's delay line, driven by a clock the test moves (no sleeping, no timing)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from ixcenter.lab import wire
from ixcenter.lab.wire import DelayLine


class ManualLoop:
    """The three event-loop calls a delay line makes, with time the test sets."""

    def __init__(self) -> None:
        self.now = 100.0
        self.timers: list[tuple[float, Callable[[], None]]] = []
        self.removed: list[int] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        self.timers.append((when, callback))

    def remove_reader(self, descriptor: int) -> None:
        self.removed.append(descriptor)

    def advance(self, to: float) -> None:
        self.now = to
        due = [t for t in self.timers if t[0] <= to]
        self.timers = [t for t in self.timers if t[0] > to]
        for _, callback in due:
            callback()


@pytest.fixture
def pipes() -> Iterator[tuple[int, int, int, int]]:
    """Source (read end, write end) and target (read end, write end), non-blocking."""
    source_r, source_w = os.pipe2(os.O_NONBLOCK)
    target_r, target_w = os.pipe2(os.O_NONBLOCK)
    yield source_r, source_w, target_r, target_w
    for descriptor in (source_r, source_w, target_r, target_w):
        os.close(descriptor)


def read_all(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 1 << 16)
    except BlockingIOError:
        return b""


def test_frames_arrive_in_order_no_sooner_than_the_delay(
    pipes: tuple[int, int, int, int],
) -> None:
    source_r, source_w, target_r, target_w = pipes
    loop = ManualLoop()
    line = DelayLine(loop, source_r, target_w, 0.025, "a->b")  # type: ignore[arg-type]
    os.write(source_w, b"one")
    line.readable()
    loop.now = 100.010
    os.write(source_w, b"two")
    line.readable()
    assert [when for when, _ in loop.timers] == [pytest.approx(100.025)]  # one timer at a time
    loop.advance(100.024)
    assert read_all(target_r) == b""
    loop.advance(100.025)
    assert read_all(target_r) == b"one"
    assert [when for when, _ in loop.timers] == [pytest.approx(100.035)]
    loop.advance(100.034)
    assert read_all(target_r) == b""
    loop.advance(100.036)
    assert read_all(target_r) == b"two"
    assert (line.carried, line.dropped, loop.timers) == (2, 0, [])


def test_a_full_line_drops_what_does_not_fit(
    pipes: tuple[int, int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    source_r, source_w, target_r, target_w = pipes
    monkeypatch.setattr(wire, "QUEUE_LIMIT", 2)
    loop = ManualLoop()
    line = DelayLine(loop, source_r, target_w, 0.001, "a->b")  # type: ignore[arg-type]
    for _ in range(3):  # a pipe merges writes: read them one wake-up at a time
        os.write(source_w, b"x")
        line.readable()
    assert (len(line.queue), line.dropped) == (2, 1)
    loop.advance(101.0)
    assert read_all(target_r) == b"xx"
    assert line.carried == 2


def test_a_closed_far_end_loses_the_frame_not_the_line(
    pipes: tuple[int, int, int, int],
) -> None:
    source_r, source_w, target_r, _ = pipes
    loop = ManualLoop()
    line = DelayLine(loop, source_r, target_r, 0.0, "a->b")  # type: ignore[arg-type]
    os.write(source_w, b"frame")  # writing into a read end fails like a TAP that is down
    line.readable()
    loop.advance(100.0)
    assert (line.carried, line.dropped) == (0, 1)


def test_the_command_line_refuses_what_is_not_a_delay() -> None:
    assert wire.main(["lk0a", "lk0b"]) == 2
    assert wire.main(["lk0a", "lk0b", "soon"]) == 2
    assert wire.main(["lk0a", "lk0b", "-1"]) == 2
