"""The collector: UDP listeners for sFlow v5, IPFIX and NetFlow v9, read in batches until stopped.

One process, one thread, one loop: wait (epoll) until a socket is readable or something is due,
drain each readable socket (up to ``drain_limit`` datagrams at a time) straight into its
protocol's receive buffer (``slots.DatagramSlots``: one ``max_datagram``-byte slot per datagram,
``recvmmsg`` on Linux; a longer datagram is counted as malformed), decode the buffer in place as
one batch once ``decode_batch`` datagrams wait or the first has waited ``decode_wait`` seconds,
hand rows to the sink every N rows or T seconds. (Decoding costs a fixed
overhead per batch besides the cost per sample: decoding each drain as it came, a few datagrams
at a time at a steady 200k samples/s, took several times the CPU of decoding 256 at once.)

SIGTERM and SIGINT (or ``stop`` from another thread) end the loop; ``close`` then reads what the
kernel still holds, decodes and hands everything over, flushes the sink and saves the templates,
so a restart loses nothing that reached the socket and decodes the next data sets with the
templates it had.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import signal
import socket
import threading
import time
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

from ixcenter.config import Settings
from ixcenter.core.errors import ConfigurationError
from ixcenter.telemetry.collector.accounting import CollectorSnapshot, SocketCounts
from ixcenter.telemetry.collector.listener import Listener
from ixcenter.telemetry.collector.pipeline import Pipeline, Protocol
from ixcenter.telemetry.collector.slots import DatagramSlots
from ixcenter.telemetry.collector.status import StatusFile
from ixcenter.telemetry.decode.batch import CounterBatch, FlowBatch
from ixcenter.telemetry.decode.datagrams import Datagrams
from ixcenter.telemetry.decode.stats import DecodeStats

logger = logging.getLogger(__name__)

StatusCallback = Callable[[CollectorSnapshot], None]


class _InPlace(typing.Protocol):
    """What every decoder of ``Pipeline.decoders`` also offers: decoding a buffer in place."""

    def decode_datagrams(
        self, batch: Datagrams, received_ms: int = 0
    ) -> tuple[FlowBatch, CounterBatch, DecodeStats]: ...


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where one protocol is listened for (port 0: any free port, see ``Collector.endpoints``)."""

    protocol: Protocol
    host: str
    port: int


def endpoints_from(
    settings: Settings, protocols: Sequence[Protocol] = tuple(Protocol)
) -> list[Endpoint]:
    ports = {
        Protocol.SFLOW: settings.sflow_port,
        Protocol.IPFIX: settings.ipfix_port,
        Protocol.NETFLOW9: settings.netflow9_port,
    }
    return [Endpoint(p, settings.collector_bind, ports[p]) for p in protocols]


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class Collector:
    def __init__(
        self,
        pipeline: Pipeline,
        endpoints: Sequence[Endpoint],
        *,
        receive_buffer: int = 32 << 20,
        drain_limit: int = 512,
        decode_batch: int = 256,
        decode_wait: float = 0.05,
        max_datagram: int = 9216,
        recvmmsg: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        clock_ms: Callable[[], int] = wall_ms,
    ) -> None:
        if not endpoints:
            raise ConfigurationError("the collector has no protocol to listen for")
        self.pipeline = pipeline
        self._wanted = tuple(endpoints)
        self.receive_buffer = receive_buffer
        self.drain_limit = drain_limit
        self.decode_batch = decode_batch
        self.decode_wait = decode_wait
        self.max_datagram = max_datagram
        self._recvmmsg = recvmmsg
        self._slots: dict[Protocol, DatagramSlots] = {}  # each protocol's datagrams waiting
        self._since: dict[Protocol, tuple[float, int]] = {}  # first waiting: monotonic, wall ms
        self._monotonic = monotonic
        self._clock_ms = clock_ms
        self._listeners: list[tuple[Listener, Protocol]] = []
        self._selector: selectors.BaseSelector | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = False
        self._final_counts: tuple[SocketCounts, ...] = ()
        self._in_run = False

    def open(self) -> None:
        """Bind every endpoint; raises ``ConfigurationError`` (and binds none) if one fails."""
        selector = selectors.DefaultSelector()
        try:
            for endpoint in self._wanted:
                listener = Listener(
                    endpoint.host,
                    endpoint.port,
                    receive_buffer=self.receive_buffer,
                )
                self._listeners.append((listener, endpoint.protocol))
                selector.register(listener, selectors.EVENT_READ, (listener, endpoint.protocol))
        except BaseException:
            for listener, _ in self._listeners:
                listener.close()
            self._listeners.clear()
            selector.close()
            raise
        selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._selector = selector
        capacity = self.decode_batch - 1 + self.drain_limit  # what one drain may add to a batch
        for _, protocol in self._listeners:
            if protocol not in self._slots:
                self._slots[protocol] = DatagramSlots(
                    capacity, self.max_datagram, mmsg=self._recvmmsg
                )
        self.pipeline.templates.load()
        for listener, protocol in self._listeners:
            logger.info("collector: %s on UDP [%s]:%d, receive buffer %d bytes", protocol.label,
                        listener.host, listener.port, listener.receive_buffer)  # fmt: skip

    @property
    def endpoints(self) -> list[Endpoint]:
        """The bound endpoints, with the ports the system chose for port 0."""
        return [Endpoint(p, lst.host, lst.port) for lst, p in self._listeners]

    def poll(self, timeout: float | None) -> int:
        """Wait up to ``timeout`` seconds for datagrams and read them; decode what is due.

        Returns how many datagrams were read.
        """
        if self._selector is None:
            raise RuntimeError("Collector.open() first")
        count = 0
        for key, _ in self._selector.select(timeout):
            if key.data is None:
                self._clear_wakeups()
                continue
            listener, protocol = key.data
            count += self._receive(listener, protocol)
        now = self._monotonic()
        for protocol, (since, _) in list(self._since.items()):
            if now - since >= self.decode_wait:
                self._decode(protocol)
        self.pipeline.tick(self._monotonic())
        return count

    def seconds_left(self, now: float) -> float | None:
        """Until gathered datagrams or decoded rows are due (None if nothing waits)."""
        times = [since + self.decode_wait - now for since, _ in self._since.values()]
        batcher = self.pipeline.batcher.seconds_left(now)
        if batcher is not None:
            times.append(batcher)
        return max(0.0, min(times)) if times else None

    def _receive(self, listener: Listener, protocol: Protocol) -> int:
        """Read what ``listener`` holds (up to ``drain_limit``) into the protocol's slots."""
        slots = self._slots[protocol]
        first = slots.count == 0
        got = listener.receive_into(slots, self.drain_limit)
        if got and first:
            self._since[protocol] = (self._monotonic(), self._clock_ms())
        if slots.count >= self.decode_batch:
            self._decode(protocol)
        return got

    def _decode(self, protocol: Protocol) -> None:
        _, received_ms = self._since.pop(protocol)
        slots = self._slots[protocol]
        try:
            batch, rejected = slots.datagrams()
            decoder = typing.cast(_InPlace, self.pipeline.decoders[protocol])
            flows, counters, stats = decoder.decode_datagrams(batch, received_ms)
        finally:
            slots.clear()
        stats.merge(rejected)  # cut short by the slot: counted as malformed, never decoded
        self.pipeline.accounting.add(protocol, stats)
        self.pipeline.batcher.add(flows, counters, self._monotonic())

    def run(
        self,
        *,
        duration: float | None = None,
        status_every: float | None = None,
        on_status: StatusCallback | None = None,
        on_ready: Callable[[], None] | None = None,
        status_file: StatusFile | None = None,
    ) -> CollectorSnapshot:
        """Collect until SIGTERM/SIGINT, ``stop()`` or ``duration`` seconds; then ``close``.

        ``on_ready`` is called once the sockets are bound and the signals are caught.
        ``status_file`` gets a snapshot every ``status_file.every`` seconds (independent of
        ``status_every``) and a last one, marked stopped, after ``close``.
        """
        restore = self._catch_signals()
        self._in_run = True
        try:
            if self._selector is None:
                self.open()
            if on_ready is not None:
                on_ready()
            start = self._monotonic()
            deadline = None if duration is None else start + duration
            next_status = None if status_every is None else start + status_every
            next_file = start  # the status file, when there is one: at once, then every ...
            while not self._stopping:
                now = self._monotonic()
                if deadline is not None and now >= deadline:
                    break
                if next_status is not None and now >= next_status:
                    next_status = now + status_every  # type: ignore[operator]
                    if on_status is not None:
                        on_status(self.snapshot())
                if status_file is not None and now >= next_file:
                    next_file = now + status_file.every
                    status_file.write(self.snapshot())
                waits = [1.0, self.seconds_left(now)]
                waits += [t - now for t in (deadline, next_status) if t is not None]
                if status_file is not None:
                    waits.append(next_file - now)
                self.poll(max(0.0, min(w for w in waits if w is not None)))
        finally:
            try:
                self.close()
            finally:
                restore()
                self._in_run = False
                self._close_wakeups()
                if status_file is not None:
                    status_file.write(self.snapshot(), running=False)
        return self.snapshot()

    def stop(self) -> None:
        """End ``run`` soon; safe from another thread or a signal handler."""
        self._stopping = True
        with contextlib.suppress(OSError):  # full: the loop is awake anyway
            self._wake_w.send(b"\0")

    def close(self) -> None:
        """Read what the kernel still holds, hand everything over, save templates, unbind."""
        if self._selector is None:
            return
        started = self._monotonic()
        while self._monotonic() - started < 2.0:  # a sender still sending must not hold us
            got = self.poll(0)
            if got == 0:
                break
        for protocol in list(self._since):
            self._decode(protocol)
        self._final_counts = self._socket_counts()
        self.pipeline.finish()
        self._selector.close()
        self._selector = None
        for listener, _ in self._listeners:
            listener.close()
        if not self._in_run:
            self._close_wakeups()
        logger.info("collector stopped: %d rows written", self.pipeline.batcher.rows_written)

    def snapshot(self) -> CollectorSnapshot:
        batcher = self.pipeline.batcher
        sockets = self._socket_counts() if self._selector is not None else self._final_counts
        return CollectorSnapshot(
            exporters=self.pipeline.accounting.exporters(),
            sockets=sockets,
            rows_written=batcher.rows_written,
            counter_rows_written=batcher.counter_rows_written,
            batches_written=batcher.batches_written,
            rows_pending=batcher.pending,
        )

    def _socket_counts(self) -> tuple[SocketCounts, ...]:
        out = []
        for listener, protocol in self._listeners:
            kernel = listener.kernel_counters()
            out.append(
                SocketCounts(
                    protocol.value,
                    listener.host,
                    listener.port,
                    listener.received,
                    kernel.drops,
                    kernel.queued_bytes,
                )
            )
        return tuple(out)

    def _close_wakeups(self) -> None:
        self._wake_r.close()
        self._wake_w.close()

    def _clear_wakeups(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _catch_signals(self) -> Callable[[], None]:
        """SIGTERM and SIGINT stop the loop (only possible in the main thread)."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None

        def handler(signum: int, frame: FrameType | None) -> None:
            logger.info("collector: signal %d, stopping", signum)
            self.stop()

        previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
        old_fd = signal.set_wakeup_fd(self._wake_w.fileno(), warn_on_full_buffer=False)

        def restore() -> None:
            signal.set_wakeup_fd(old_fd)
            for signum, old in previous.items():
                signal.signal(signum, old)

        return restore
