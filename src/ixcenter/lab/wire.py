"""A long-distance link of the lab: two TAP interfaces and a delay line that carries every
Ethernet frame from one to the other ``delay`` milliseconds later, in both directions.

Why not ``tc qdisc ... netem delay``: the kernels the project runs on are built without netem
(``CONFIG_NET_SCH_NETEM`` unset, no modules), so the delay is made in user space. The link
behaves like a fibre of that length: every frame arrives exactly ``delay`` later, in order;
a frame that finds ``QUEUE_LIMIT`` frames in flight, or a closed far end, is dropped, the way a
full buffer drops it. The process runs as ``python -m ixcenter.lab.wire A B DELAY_MS`` inside
a fabric namespace (started and recorded by ``Lab.add_link``), creates both TAP interfaces
there and pumps until it is stopped; the lab then moves interface ``B`` into the far fabric
(a TAP keeps working across namespaces). A TAP lives only while its descriptor is open, so
stopping the process (or deleting the namespaces) removes both interfaces.

Throughput is that of one Python process copying frames (tens of thousands of frames a
second): plenty for BGP, pings and sampled test traffic, not a line-rate emulator.
"""

from __future__ import annotations

import asyncio
import collections
import fcntl
import logging
import os
import signal
import struct
import sys
from collections.abc import Sequence

logger = logging.getLogger(__name__)

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
FRAME_MAX = 65536
QUEUE_LIMIT = 20_000  # frames in flight per direction
BATCH = 64  # frames read per wake-up, so one busy direction cannot starve the other


def open_tap(name: str) -> int:
    """Create TAP interface ``name`` in this process's namespace; its non-blocking descriptor."""
    descriptor = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        fcntl.ioctl(descriptor, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


class DelayLine:
    """One direction: frames read from ``source`` are written to ``target`` ``delay`` later."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, source: int, target: int, delay: float, name: str
    ) -> None:
        self.loop = loop
        self.source = source
        self.target = target
        self.delay = delay
        self.name = name
        self.queue: collections.deque[tuple[float, bytes]] = collections.deque()
        self.carried = 0
        self.dropped = 0

    def readable(self) -> None:
        for _ in range(BATCH):
            try:
                frame = os.read(self.source, FRAME_MAX)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # the interface went away: nothing more will come
                logger.warning("wire %s: read failed: %s", self.name, exc)
                self.loop.remove_reader(self.source)
                return
            if len(self.queue) >= QUEUE_LIMIT:
                self.dropped += 1
                continue
            due = self.loop.time() + self.delay
            self.queue.append((due, frame))
            if len(self.queue) == 1:
                self.loop.call_at(due, self.deliver)

    def deliver(self) -> None:
        now = self.loop.time()
        while self.queue and self.queue[0][0] <= now:
            _, frame = self.queue.popleft()
            try:
                os.write(self.target, frame)
                self.carried += 1
            except OSError:  # far end down or its queue full: the frame is lost
                self.dropped += 1
        if self.queue:
            self.loop.call_at(self.queue[0][0], self.deliver)


def run(a: str, b: str, delay_ms: float) -> None:
    """Create TAPs ``a`` and ``b`` and carry frames between them until stopped."""
    loop = asyncio.new_event_loop()
    ends = (open_tap(a), open_tap(b))
    delay = delay_ms / 1000.0
    lines = (
        DelayLine(loop, ends[0], ends[1], delay, f"{a}->{b}"),
        DelayLine(loop, ends[1], ends[0], delay, f"{b}->{a}"),
    )
    for line in lines:
        loop.add_reader(line.source, line.readable)
    loop.add_signal_handler(signal.SIGTERM, loop.stop)
    logger.info("wire %s <-> %s: %.3f ms each way", a, b, delay_ms)
    try:
        loop.run_forever()
    finally:
        loop.close()
        for end in ends:
            os.close(end)
        for line in lines:
            logger.info(
                "wire %s: %d frames carried, %d dropped", line.name, line.carried, line.dropped
            )


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if len(arguments) != 3:
        sys.stderr.write("usage: python -m ixcenter.lab.wire TAP_A TAP_B DELAY_MS\n")
        return 2
    a, b, delay = arguments
    try:
        delay_ms = float(delay)
    except ValueError:
        sys.stderr.write(f"not a delay in milliseconds: {delay!r}\n")
        return 2
    if not delay_ms >= 0:
        sys.stderr.write(f"the delay cannot be negative: {delay_ms}\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    run(a, b, delay_ms)
    return 0


if __name__ == "__main__":
    sys.exit(main())
