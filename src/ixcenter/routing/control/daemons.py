"""Starting, loading and asking one route-server daemon, BIRD 2 or OpenBGPD, the same way.

Each route server has a directory of its own; the daemon's control socket, PID record and
log live there. Daemons run in the foreground of their own session (``bird -f``, ``bgpd -d``)
so the PID we record is theirs (``process.py``).

- BIRD: ``bird -f -c CONF -s DIR/bird.ctl``; loading a new file is ``configure check`` and
  then ``configure "FILE"`` over the socket.
- OpenBGPD 7.7: ``bgpd -d -f DIR/bgpd.conf``; bgpd has no socket option, so the config must
  name ``socket "DIR/bgpd.sock"`` (``prepare`` appends it; bgpd accepts it anywhere). Loading
  replaces ``bgpd.conf`` and runs ``bgpctl reload``. bgpd's engines chroot into the home of the
  ``_openbgpd`` user (``/run/openbgpd`` on Debian, made by systemd's ``RuntimeDirectory``
  for the packaged service); outside systemd we create it.
"""

from __future__ import annotations

import enum
import logging
import os
import pwd
import re
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ixcenter.core.errors import ConfigurationError
from ixcenter.routing.control import process
from ixcenter.routing.control.bird import BirdClient
from ixcenter.routing.control.model import DaemonError, Session
from ixcenter.routing.control.namespaces import exec_prefix
from ixcenter.routing.control.openbgpd import BgpctlClient

logger = logging.getLogger(__name__)

OPENBGPD_USER = "_openbgpd"
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the final NUL


class DaemonKind(enum.StrEnum):
    BIRD = "bird"
    OPENBGPD = "openbgpd"


@dataclass(frozen=True, slots=True)
class RouteServer:
    """One route-server instance: its daemon, its directory, and the network namespace it runs
    in (``ip netns`` name; None for the host's)."""

    name: str
    kind: DaemonKind
    directory: Path
    namespace: str | None = None
    program: str | None = None
    startup_timeout: float = 30.0

    @property
    def socket(self) -> Path:
        return self.directory / ("bird.ctl" if self.kind is DaemonKind.BIRD else "bgpd.sock")

    @property
    def pidfile(self) -> Path:
        return self.directory / "daemon.pid"

    @property
    def log(self) -> Path:
        return self.directory / "daemon.log"


class Daemon(Protocol):
    """What deployment needs from a daemon, whichever it is."""

    server: RouteServer

    def prepare(self, text: str) -> str:
        """The config text as the daemon must read it (adds what only this deployment knows)."""
        ...

    def running(self) -> bool:
        """The process we started is alive and answers on its control socket."""
        ...

    def start(self, config: Path) -> None: ...

    def check(self, config: Path) -> None:
        """Have the daemon itself parse ``config`` without using it; ``DaemonError`` if it
        refuses (BIRD: ``configure check`` on the running daemon; OpenBGPD: ``bgpd -n``)."""
        ...

    def load(self, config: Path) -> None:
        """Make the running daemon use ``config``; ``DaemonError`` if it refuses the file."""
        ...

    def settled(self) -> bool:
        """Done applying the last load (BIRD finishes reconfiguring in the background)."""
        ...

    def sessions(self) -> list[Session]: ...

    def stop(self) -> None: ...


class _Base:
    def __init__(self, server: RouteServer) -> None:
        if len(bytes(server.socket)) > MAX_SOCKET_PATH:
            raise ConfigurationError(
                f"{server.name}: control socket path {server.socket} is longer than "
                f"{MAX_SOCKET_PATH} bytes, the limit of a Unix socket name"
            )
        self.server = server

    def alive(self) -> bool:
        recorded = process.read_pidfile(self.server.pidfile)
        return recorded is not None and process.alive(recorded)

    def stop(self) -> None:
        recorded = process.read_pidfile(self.server.pidfile)
        if recorded is not None:
            process.stop(recorded, name=f"{self.server.name} ({self.server.kind})")
        self.server.pidfile.unlink(missing_ok=True)

    def _spawn(self, argv: Sequence[str]) -> None:
        if self.alive():
            raise DaemonError(f"{self.server.name} runs already")
        self.server.directory.mkdir(parents=True, exist_ok=True)
        prefix = exec_prefix(self.server.namespace)
        found = process.spawn(argv, log=self.server.log, command_prefix=prefix)
        process.write_pidfile(self.server.pidfile, found)

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        limit = self.server.startup_timeout
        deadline = time.monotonic() + limit
        while not ready():
            if not self.alive():
                raise DaemonError(f"{self.server.name} exited before {what}; see {self.server.log}")
            if time.monotonic() > deadline:
                raise DaemonError(f"{self.server.name} not {what} after {limit:.0f}s")
            time.sleep(0.05)


class BirdDaemon(_Base):
    def __init__(self, server: RouteServer) -> None:
        super().__init__(server)
        self.client = BirdClient(server.socket)

    def prepare(self, text: str) -> str:
        return text

    def answering(self) -> bool:
        try:
            self.client.status()
        except DaemonError:
            return False
        return True

    def running(self) -> bool:
        return self.alive() and self.answering()

    def start(self, config: Path) -> None:
        program = self.server.program or "bird"
        self.server.socket.unlink(missing_ok=True)
        self._spawn([program, "-f", "-c", str(config), "-s", str(self.server.socket)])
        self._wait(self.answering, "answering on its socket")

    def check(self, config: Path) -> None:
        if self.answering():
            self.client.configure_check(config)
        else:
            _run_check([self.server.program or "bird", "-p", "-c", str(config)])

    def load(self, config: Path) -> None:
        self.client.configure(config)

    def settled(self) -> bool:
        try:
            return self.client.status().running
        except DaemonError:
            return False

    def sessions(self) -> list[Session]:
        return self.client.sessions()


_SOCKET = re.compile(r'^\s*socket\s+"([^"]*)"\s*$', re.MULTILINE)


class OpenbgpdDaemon(_Base):
    def __init__(self, server: RouteServer) -> None:
        super().__init__(server)
        self.client = BgpctlClient(server.socket)
        self.config = server.directory / "bgpd.conf"

    def prepare(self, text: str) -> str:
        named = _SOCKET.findall(text)
        if any(path != str(self.server.socket) for path in named):
            raise ConfigurationError(
                f"{self.server.name}: the config names socket {named}, "
                f"deployment needs {self.server.socket}"
            )
        if named:
            return text
        line = f'socket "{self.server.socket}"'
        return f"{text.rstrip()}\n\n# control socket of this deployment\n{line}\n"

    def answering(self) -> bool:
        return self.client.status().running

    def running(self) -> bool:
        return self.alive() and self.answering()

    def start(self, config: Path) -> None:
        chroot_directory()
        _replace(self.config, config.read_text(encoding="utf-8"))
        self.server.socket.unlink(missing_ok=True)
        program = self.server.program or "bgpd"
        self._spawn([program, "-d", "-f", str(self.config)])
        self._wait(self.answering, "answering on its socket")

    def check(self, config: Path) -> None:
        _run_check([self.server.program or "bgpd", "-n", "-f", str(config)])

    def load(self, config: Path) -> None:
        _replace(self.config, config.read_text(encoding="utf-8"))
        self.client.reload()

    def settled(self) -> bool:
        return True  # bgpctl reload answers once bgpd has taken the new config

    def sessions(self) -> list[Session]:
        return self.client.sessions()


def daemon_for(server: RouteServer) -> Daemon:
    if server.kind is DaemonKind.BIRD:
        return BirdDaemon(server)
    return OpenbgpdDaemon(server)


def chroot_directory() -> Path:
    """The directory bgpd chroots into, created if missing; a clear error if it cannot be."""
    try:
        home = Path(pwd.getpwnam(OPENBGPD_USER).pw_dir)
    except KeyError:
        raise ConfigurationError(
            f"OpenBGPD needs the user {OPENBGPD_USER}; Debian's openbgpd package creates it "
            "(systemd-sysusers openbgpd.conf)"
        ) from None
    if not home.is_dir():
        try:
            home.mkdir(mode=0o755, parents=True)
        except OSError as exc:
            raise ConfigurationError(
                f"OpenBGPD chroots into {home}, which is missing and cannot be made: {exc}"
            ) from None
    return home


def _run_check(argv: list[str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - argv built here
            argv, capture_output=True, text=True, timeout=600, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DaemonError(f"{argv[0]}: {exc}") from None
    if done.returncode != 0:
        raise DaemonError(f"{' '.join(argv)}: {(done.stderr or done.stdout).strip()}")


def _replace(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically."""
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.chmod(temporary, 0o644)
    temporary.replace(target)
