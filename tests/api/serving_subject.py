"""``api.serving`` in a process of its own, for ``test_serving``: the real app over a route
server stand-in whose every read holds one path more than the one before.

    python -m tests.api.serving_subject PORT DATA_DIR [--interval S] [--broken]
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from pathlib import Path

from starlette.types import Receive, Scope, Send

from ixcenter.api import serving
from ixcenter.api.routes.looking_glass import refresher_for
from ixcenter.config import Settings
from ixcenter.registry.db import Registry
from ixcenter.routing.control.model import Route, Session, SessionState
from ixcenter.routing.lg_snapshot import SnapshotRefresher

EXIT_FAILED = 3


class GrowingReader:
    label, daemon, rs_asn = "BJ-rs1", "bird", 64500

    def __init__(self) -> None:
        self.reads = 0

    def sessions(self) -> list[Session]:
        address = ipaddress.ip_address("192.0.2.11")
        return [Session("m1", 64511, address, SessionState.ESTABLISHED)]

    def routes(self) -> list[Route]:
        self.reads += 1
        return [
            Route(ipaddress.ip_network(f"10.{i // 256}.{i % 256}.0/24"), "m1", (64511,), best=True)
            for i in range(self.reads)
        ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--broken", action="store_true", help="every worker fails to start")
    options = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    registry = Registry(f"sqlite:///{options.data_dir / 'registry.db'}")
    registry.migrate()
    settings = Settings(data_dir=options.data_dir)
    refresher = refresher_for(settings, readers=[GrowingReader()], interval=options.interval)

    listener = serving.listen("127.0.0.1", options.port)
    try:
        if options.broken:
            serving.Master(nothing, broken, refresher, listener, log_level="warning").run()
        else:
            serving.serve(registry, settings, listener, refresher=refresher, log_level="warning")
    except serving.ServingFailed as exc:
        print(f"serving failed: {exc}", file=sys.stderr)
        sys.exit(EXIT_FAILED)


async def nothing(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("never called")


def broken(snapshots: SnapshotRefresher) -> None:
    raise RuntimeError("this worker fails on purpose")


if __name__ == "__main__":
    main()
