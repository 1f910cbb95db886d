"""Deploying route-server configs safely: validated first, one server at a time, rolled back
if the daemon refuses the file or does not come back healthy.

Each route server's directory keeps its configs::

    versions/0007.conf   every deployed text, numbered   versions/0007.json  what happened
    current -> versions/0006.conf                        the last good one (a symlink)

``deploy(server, text, validate=...)``:

1. ``validate`` (e.g. ``bird -p``/``bgpd -n``) sees the exact text the daemon will read; if it
   raises, nothing is written and the daemon is not touched;
2. the text becomes the next version and the daemon parses it without using it (BIRD:
   ``configure check`` over the socket, ``bird -p`` if not running; OpenBGPD: ``bgpd -n``);
   if it refuses, the version is marked refused and the daemon is left as it was;
3. the daemon loads it (BIRD: ``configure "FILE"``; OpenBGPD: the file it reads is replaced,
   then ``bgpctl reload``) or, if it is not running, is started with it;
4. it must then be healthy within ``timeout``: running, done reconfiguring, every session
   named in ``expect`` present, and ``health(sessions)`` (if given) without complaint;
5. if not, the version is marked failed, the daemon goes back to ``current`` (reloaded, or
   restarted if it died) and ``DeployError`` says what happened. Without an earlier good
   config the daemon is stopped rather than left on an untested one.

Name the sessions the new config defines in ``expect``: their presence is what shows that the
daemon runs the new config, and a rollback waits for the sessions of the version it returns to.

``deploy_all`` validates every plan, then deploys one server after the other and stops at the
first failure, so two route servers are never down, or on an untested config, at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.clock import Clock, SystemClock
from ixcenter.core.errors import ConfigurationError, UpstreamError
from ixcenter.routing.control.daemons import Daemon, RouteServer, daemon_for
from ixcenter.routing.control.model import DaemonError, Session

logger = logging.getLogger(__name__)

Validator = Callable[[str], None]
HealthCheck = Callable[[list[Session]], str | None]
"""Looks at the sessions after a load; returns what is wrong, or None if all is well."""

KEEP_VERSIONS = 20
_VERSION = re.compile(r"^(\d{4,})\.conf$")


class DeployError(UpstreamError):
    """A config the daemon refused or that left it unhealthy; ``rolled_back`` says whether the
    route server is back on its last good config."""

    def __init__(self, server: str, message: str, *, rolled_back: bool) -> None:
        super().__init__(f"{server}: {message}")
        self.server = server
        self.rolled_back = rolled_back


@dataclass(frozen=True, slots=True)
class Plan:
    """One route server, the config text for it, and how to check both."""

    server: RouteServer
    text: str
    validate: Validator
    expect: tuple[str, ...] = ()
    health: HealthCheck | None = None


@dataclass(frozen=True, slots=True)
class Deployment:
    """A config that is now the route server's current one."""

    server: str
    version: int
    path: Path
    previous: int | None
    started: bool
    sessions: tuple[Session, ...]


class ConfigStore:
    """The numbered configs of one route server and its ``current`` pointer."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.versions = directory / "versions"
        self.pointer = directory / "current"

    def current(self) -> Path | None:
        """The last good config, or None before the first successful deployment."""
        if not self.pointer.is_symlink():
            return None
        return (self.directory / os.readlink(self.pointer)).resolve()

    def number(self, path: Path) -> int:
        match = _VERSION.match(path.name)
        if match is None:
            raise DaemonError(f"not a config version: {path}")
        return int(match[1])

    def add(self, text: str, *, meta: dict[str, object]) -> Path:
        """Write ``text`` as the next version."""
        self.versions.mkdir(parents=True, exist_ok=True)
        taken = [int(m[1]) for p in self.versions.iterdir() if (m := _VERSION.match(p.name))]
        path = self.versions / f"{max(taken, default=0) + 1:04d}.conf"
        _write(path, text)
        self.note(path, meta)
        return path

    def note(self, path: Path, meta: dict[str, object]) -> None:
        sidecar = path.with_suffix(".json")
        before = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
        _write(sidecar, json.dumps({**before, **meta}, indent=1) + "\n")

    def expected(self, path: Path) -> tuple[str, ...]:
        sidecar = path.with_suffix(".json")
        if not sidecar.exists():
            return ()
        return tuple(json.loads(sidecar.read_text(encoding="utf-8")).get("expect", []))

    def promote(self, path: Path) -> None:
        """Make ``path`` the current config (symlink replaced atomically); prune old ones."""
        temporary = self.directory / ".current.tmp"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(path.relative_to(self.directory))
        temporary.replace(self.pointer)
        self._prune(keep=path)

    def _prune(self, *, keep: Path) -> None:
        found = sorted(p for p in self.versions.iterdir() if _VERSION.match(p.name))
        for old in found[:-KEEP_VERSIONS]:
            if old != keep:
                old.unlink()
                old.with_suffix(".json").unlink(missing_ok=True)


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.chmod(temporary, 0o644)
    temporary.replace(path)


@contextlib.contextmanager
def _locked(server: RouteServer) -> Iterator[None]:
    server.directory.mkdir(parents=True, exist_ok=True)
    with (server.directory / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = "another deployment is running"
            raise DeployError(server.name, message, rolled_back=True) from None
        yield


def deploy(
    server: RouteServer,
    text: str,
    *,
    validate: Validator,
    expect: Iterable[str] = (),
    health: HealthCheck | None = None,
    timeout: float = 30.0,
    clock: Clock | None = None,
) -> Deployment:
    """Validate, load and check ``text`` on ``server``; roll back and raise if it fails."""
    plan = Plan(server, text, validate, tuple(expect), health)
    daemon = daemon_for(server)
    final = daemon.prepare(text)
    validate(final)
    return _deploy(plan, daemon, final, timeout, clock or SystemClock())


def deploy_all(
    plans: Sequence[Plan], *, timeout: float = 30.0, clock: Clock | None = None
) -> list[Deployment]:
    """Validate every plan, then deploy them one by one; the first failure stops the rest."""
    prepared = []
    for plan in plans:
        daemon = daemon_for(plan.server)
        final = daemon.prepare(plan.text)
        plan.validate(final)
        prepared.append((plan, daemon, final))
    done = []
    for plan, daemon, final in prepared:
        done.append(_deploy(plan, daemon, final, timeout, clock or SystemClock()))
    return done


def _deploy(plan: Plan, daemon: Daemon, text: str, timeout: float, clock: Clock) -> Deployment:
    server = plan.server
    store = ConfigStore(server.directory)
    with _locked(server):
        previous = store.current()
        candidate = store.add(
            text, meta={"expect": list(plan.expect), "written": clock.now().isoformat()}
        )
        version = store.number(candidate)
        started = False
        try:
            daemon.check(candidate)
        except DaemonError as exc:
            store.note(candidate, {"state": "refused", "reason": str(exc)})
            message = f"version {version} refused by {server.kind}'s own check ({exc}); untouched"
            raise DeployError(server.name, message, rolled_back=True) from None
        try:
            if daemon.running():
                daemon.load(candidate)
            else:
                daemon.stop()  # a recorded process that no longer answers
                daemon.start(candidate)
                started = True
            sessions = _wait_healthy(daemon, plan.expect, plan.health, timeout)
        except (UpstreamError, ConfigurationError) as exc:  # DaemonError is an UpstreamError
            logger.warning("%s: version %d failed: %s", server.name, version, exc)
            store.note(candidate, {"state": "failed", "reason": str(exc)})
            rolled_back, outcome = _roll_back(daemon, store, previous, timeout)
            raise DeployError(
                server.name, f"version {version} failed ({exc}); {outcome}", rolled_back=rolled_back
            ) from None
        store.note(candidate, {"state": "good", "deployed": clock.now().isoformat()})
        store.promote(candidate)
    before = None if previous is None else store.number(previous)
    logger.info("%s: version %d deployed (before: %s)", server.name, version, before)
    return Deployment(server.name, version, candidate, before, started, tuple(sessions))


def _wait_healthy(
    daemon: Daemon, expect: Iterable[str], health: HealthCheck | None, timeout: float
) -> list[Session]:
    wanted = set(expect)
    deadline = time.monotonic() + timeout
    while True:
        if not daemon.running():
            raise DaemonError(f"{daemon.server.name} is not running or not answering")
        sessions, problem = _health(daemon, wanted, health)
        if sessions is not None:
            return sessions
        if time.monotonic() >= deadline:
            raise DaemonError(f"not healthy after {timeout:g}s: {problem}")
        time.sleep(0.1)


def _health(
    daemon: Daemon, wanted: set[str], health: HealthCheck | None
) -> tuple[list[Session] | None, str]:
    """The sessions if all is well, else None and what is wrong."""
    if not daemon.settled():
        return None, "still reconfiguring"
    try:
        sessions = daemon.sessions()
    except DaemonError as exc:  # e.g. busy right after a reload: ask again
        return None, str(exc)
    missing = sorted(wanted - {s.name for s in sessions})
    if missing:
        return None, f"sessions missing: {', '.join(missing)}"
    problem = health(sessions) if health is not None else None
    return (sessions, "") if problem is None else (None, problem)


def _roll_back(
    daemon: Daemon, store: ConfigStore, previous: Path | None, timeout: float
) -> tuple[bool, str]:
    name = daemon.server.name
    if previous is None:
        with contextlib.suppress(DaemonError):
            daemon.stop()
        return False, "no earlier good config: daemon stopped"
    number = store.number(previous)
    try:
        if daemon.running():
            daemon.load(previous)
        else:
            daemon.stop()
            daemon.start(previous)
        _wait_healthy(daemon, store.expected(previous), None, timeout)
    except (UpstreamError, ConfigurationError) as exc:
        logger.error("%s: rollback to version %d failed: %s", name, number, exc)
        return False, f"ROLLBACK to version {number} FAILED: {exc}"
    logger.warning("%s: rolled back to version %d", name, number)
    return True, f"rolled back to version {number}"
