"""A client for BIRD 2's control socket (what ``birdc`` speaks), without ``birdc``.

The protocol: BIRD greets with ``0001 BIRD 2.0.12 ready.``; each command is one line; the
reply is lines of a 4-digit code and ``-`` (more follows) or a space (the last line), or a
leading space alone for "same code as the line before". Codes 0xxx report success,
1xxx/2xxx carry data, 8xxx are run-time errors (``8001 Network not found``, ``8002`` a
configuration file error) and 9xxx parse errors (``9001 syntax error``).

``BirdClient`` opens one connection per call and returns ``ixcenter.routing.control.model``
records; ``BirdSocket`` is the connection, for callers that need the raw reply.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ixcenter.core.errors import NotFound
from ixcenter.routing.control.bird_replies import (
    local_zone,
    parse_protocols,
    parse_routes,
    parse_status,
)
from ixcenter.routing.control.model import DaemonError, DaemonStatus, Route, RouteSet, Session

logger = logging.getLogger(__name__)

NETWORK_NOT_FOUND = 8001
CONFIG_ERROR = 8002


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete reply: (code, text) per line, the last line's code first among equals."""

    lines: tuple[tuple[int, str], ...]

    @property
    def code(self) -> int:
        return self.lines[-1][0] if self.lines else 0

    @property
    def ok(self) -> bool:
        return self.code < 8000

    @property
    def text(self) -> str:
        return "\n".join(text for _code, text in self.lines)


def split_line(line: str, previous: int) -> tuple[int, str, bool]:
    """(code, text, last) of one reply line; ``previous`` is the code a continuation repeats."""
    if len(line) >= 5 and line[:4].isdigit() and line[4] in " -":
        return int(line[:4]), line[5:], line[4] == " "
    if line.startswith(" "):
        return previous, line[1:], False
    raise DaemonError(f"BIRD reply line not understood: {line!r}")


class BirdSocket:
    """One connection to BIRD's control socket at ``path``."""

    def __init__(self, path: Path | str, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.settimeout(timeout)
        try:
            self._socket.connect(str(self.path))
        except OSError as exc:
            self._socket.close()
            raise DaemonError(f"BIRD control socket {self.path}: {exc}") from None
        self._reader = self._socket.makefile("rb")
        greeting = self._readline()
        code, text, _last = split_line(greeting, 0)
        if code != 1:
            self.close()
            raise DaemonError(f"BIRD {self.path} greeted with {greeting!r}", code=code)
        self.version = text.removeprefix("BIRD ").removesuffix(" ready.")

    def __enter__(self) -> BirdSocket:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._reader.close()
        self._socket.close()

    def _readline(self) -> str:
        try:
            raw = self._reader.readline()
        except OSError as exc:
            raise DaemonError(f"BIRD {self.path}: {exc}") from None
        if not raw:
            raise DaemonError(f"BIRD {self.path} closed the connection")
        return raw.decode("utf-8", errors="replace").rstrip("\n")

    def lines(self, command: str) -> Iterator[tuple[int, str]]:
        """Send ``command`` and yield its reply's lines as they arrive; the last one included.

        Read the iterator to its end before the next command on this connection.
        """
        if "\n" in command:
            raise DaemonError(f"one line per BIRD command: {command!r}")
        try:
            self._socket.sendall(command.encode() + b"\n")
        except OSError as exc:
            raise DaemonError(f"BIRD {self.path}: {exc}") from None
        code = 0
        while True:
            code, text, last = split_line(self._readline(), code)
            yield code, text
            if last:
                return

    def command(self, command: str, *, check: bool = True) -> Reply:
        """Send ``command``, read the whole reply; an error reply raises if ``check``."""
        reply = Reply(tuple(self.lines(command)))
        if check and not reply.ok:
            raise DaemonError(f"BIRD {command!r}: {reply.lines[-1][1]}", code=reply.code)
        return reply


def quote(path: Path | str) -> str:
    """A file name as a BIRD string literal."""
    text = str(path)
    if '"' in text or "\\" in text or "\n" in text:
        raise DaemonError(f"BIRD cannot be given this file name: {text!r}")
    return f'"{text}"'


class BirdClient:
    """Questions and orders for one BIRD daemon, through its control socket."""

    def __init__(self, path: Path | str, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.zone = local_zone()

    def connect(self) -> BirdSocket:
        return BirdSocket(self.path, timeout=self.timeout)

    def status(self) -> DaemonStatus:
        with self.connect() as bird:
            return parse_status(bird.command("show status").lines, zone=self.zone)

    def sessions(self) -> list[Session]:
        """Every BGP session (``protocol bgp``) with its state and route counts."""
        with self.connect() as bird:
            reply = bird.command("show protocols all")
        return parse_protocols(reply.lines, now=dt.datetime.now(dt.UTC), zone=self.zone)

    def session(self, name: str) -> Session:
        with self.connect() as bird:
            reply = bird.command(f"show protocols all {_symbol(name)}", check=False)
        if not reply.ok:
            raise NotFound(f"BIRD has no protocol {name}")
        found = parse_protocols(reply.lines, now=dt.datetime.now(dt.UTC), zone=self.zone)
        if not found:
            raise NotFound(f"BIRD protocol {name} is not a BGP session")
        return found[0]

    def routes(
        self, peer: str, which: RouteSet = RouteSet.ACCEPTED, *, table: str | None = None
    ) -> list[Route]:
        """Routes of session ``peer``: received, accepted, filtered or exported to it.

        Filtered routes are there only if the session keeps them (``import keep filtered on``).
        """
        if which is RouteSet.RECEIVED:
            return self.routes(peer, RouteSet.ACCEPTED, table=table) + self.routes(
                peer, RouteSet.FILTERED, table=table
            )
        where = f" table {_symbol(table)}" if table else ""
        selector = {
            RouteSet.ACCEPTED: f"protocol {_symbol(peer)}",
            RouteSet.FILTERED: f"filtered protocol {_symbol(peer)}",
            RouteSet.EXPORTED: f"export {_symbol(peer)}",
        }[which]
        return self.query(f"show route{where} {selector} all", filtered=which is RouteSet.FILTERED)

    def query(self, command: str, *, filtered: bool = False) -> list[Route]:
        """Routes of any ``show route ... all`` command; none if BIRD finds no network."""
        with self.connect() as bird:
            reply = bird.command(command, check=False)
        if reply.code == NETWORK_NOT_FOUND:
            return []
        if not reply.ok:
            raise DaemonError(f"BIRD {command!r}: {reply.lines[-1][1]}", code=reply.code)
        return list(parse_routes((text for _c, text in reply.lines), filtered=filtered))

    def configure_check(self, path: Path | str) -> str:
        """Have the running daemon parse ``path`` without loading it; raises with BIRD's words."""
        with self.connect() as bird:
            return bird.command(f"configure check {quote(path)}").text

    def configure(self, path: Path | str) -> str:
        """Load ``path``; returns BIRD's answer (``Reconfigured``, ``Reconfiguration in
        progress``) or raises ``DaemonError`` (code 8002 for a file BIRD refuses)."""
        with self.connect() as bird:
            reply = bird.command(f"configure {quote(path)}")
        logger.info("BIRD %s: configure %s: %s", self.path, path, reply.lines[-1][1])
        return reply.text

    def reload_in(self, peer: str) -> str:
        """Re-run the import filter of session ``peer`` over the routes it sent."""
        with self.connect() as bird:
            return bird.command(f"reload in {_symbol(peer)}").text


def _symbol(name: str) -> str:
    """A protocol or table name, checked so it cannot smuggle in more of a command."""
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise NotFound(f"not a BIRD symbol: {name!r}")
    return name
