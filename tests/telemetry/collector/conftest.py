from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from ixcenter.telemetry.collector import Collector, Endpoint, Pipeline, Protocol, TemplateStore
from ixcenter.telemetry.sink import MemorySink

MakeCollector = Callable[..., Collector]


@pytest.fixture
def make_collector() -> Iterator[MakeCollector]:
    """Collectors on free loopback ports, closed after the test."""
    made: list[Collector] = []

    def make(
        sink: MemorySink | None = None,
        templates: TemplateStore | None = None,
        host: str = "127.0.0.1",
        protocols: tuple[Protocol, ...] = tuple(Protocol),
        **options: object,
    ) -> Collector:
        pipeline = Pipeline(sink if sink is not None else MemorySink(), templates)
        collector = Collector(pipeline, [Endpoint(p, host, 0) for p in protocols], **options)  # type: ignore[arg-type]
        collector.open()
        made.append(collector)
        return collector

    yield make
    for collector in made:
        collector.close()


def port_of(collector: Collector, protocol: Protocol) -> int:
    return next(e.port for e in collector.endpoints if e.protocol == protocol)


def send(datagrams: list[bytes], port: int, host: str = "127.0.0.1") -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        for data in datagrams:
            sock.sendto(data, (host, port))


def pump(collector: Collector, datagrams: int) -> None:
    """Poll until the collector has read ``datagrams`` (bounded: gives up after 400 polls)."""
    for _ in range(400):
        if collector.snapshot().received >= datagrams:
            return
        collector.poll(0.05)
