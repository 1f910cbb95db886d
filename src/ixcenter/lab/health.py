"""``ixc lab status``: how the lab of a data directory is doing.

Per route server: running, and its sessions with the routers the lab emulates established or
not (sessions with member routers the lab left out, by ``--members``, are counted apart); the
lab's processes still alive; the member pairs and bytes the flow store holds for the last
minutes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from ixcenter.config import Settings
from ixcenter.core.errors import NotFound
from ixcenter.lab import netns
from ixcenter.lab.exchange import ExchangeState, read_state, run_dir
from ixcenter.lab.lab import Lab
from ixcenter.registry.db import Registry
from ixcenter.routing import route_servers


@dataclass(frozen=True, slots=True)
class ServerHealth:
    exchange: str
    server: str
    running: bool
    established: int
    sessions: int  # with the member routers the lab emulates
    not_emulated: int  # sessions with member routers left out of the lab


@dataclass(frozen=True, slots=True)
class LabStatus:
    state: ExchangeState
    servers: tuple[ServerHealth, ...]
    processes: int
    processes_down: tuple[str, ...]
    member_pairs: int  # member pairs with traffic in the flow store over the last minutes
    flow_bytes: int

    def to_json(self) -> dict[str, Any]:
        document = dataclasses.asdict(self)
        document["state"] = self.state.to_json()
        return document


def status(registry: Registry, settings: Settings, *, minutes: int = 10) -> LabStatus:
    """Route servers and their sessions, the lab's processes, and the traffic stored lately."""
    state = read_state(settings)
    if state is None:
        raise NotFound(f"no lab is up in {run_dir(settings)}: `ixc lab up` starts one")
    netns.require_privileges()
    servers = []
    root = settings.route_server_root
    codes = [c.code for c in state.centers]
    emulated = {c.code: set(c.addresses) for c in state.centers}
    for found in route_servers.status(registry, root, exchanges=codes):
        mine = emulated[found.spec.exchange]
        sessions = [x for x in found.sessions if str(x.address) in mine]
        up = sum(1 for x in sessions if x.established)
        servers.append(
            ServerHealth(
                found.spec.exchange,
                found.spec.name,
                found.running,
                up,
                len(sessions),
                len(found.sessions) - len(sessions),
            )
        )
    lab = Lab(run_dir(settings) / "netns")
    processes = lab.processes()
    stopped = tuple(sorted(p.name for p in processes if not p.alive()))
    pairs, octets = _recent_traffic(settings, minutes)
    return LabStatus(state, tuple(servers), len(processes), stopped, pairs, octets)


def _recent_traffic(settings: Settings, minutes: int) -> tuple[int, int]:
    from ixcenter.telemetry.analytics.traffic import traffic_matrix
    from ixcenter.telemetry.analytics.window import Window
    from ixcenter.telemetry.store import open_reader

    if not settings.flow_store_path.exists():
        return 0, 0
    end = dt.datetime.now(dt.UTC)
    window = Window(end - dt.timedelta(minutes=minutes), end)
    with open_reader(settings) as reader:
        matrix = traffic_matrix(reader, window)
    return len(matrix.cells), matrix.total_bytes
