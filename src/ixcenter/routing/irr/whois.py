"""A client for IRRd-style whois servers (the "!" protocol bgpq4 and IRR Explorer speak).

One TCP connection in multiple-command mode (``!!``) carries every query; each answer is read
by its framing (``A<length>`` + data + ``C``, or ``C``, ``D``, ``F <message>``), so answers of
any size arrive whole. Every socket operation has a timeout; a timeout, a refused connection or
a malformed answer raises ``WhoisError``; ``F`` answers raise it too, with the server's message.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from collections.abc import Sequence
from typing import BinaryIO

from ixcenter.core.asns import parse_asn
from ixcenter.core.errors import UpstreamError, ValidationFailed
from ixcenter.core.prefixes import Network

logger = logging.getLogger(__name__)


class WhoisError(UpstreamError):
    """The IRR whois server could not be reached, timed out, or answered an error."""

    title = "IRR whois error"
    slug = "irr-whois-error"


class WhoisClient:
    """A blocking client; use as a context manager so the connection is always closed."""

    def __init__(
        self,
        host: str,
        port: int = 43,
        *,
        timeout: float = 10.0,
        sources: Sequence[str] | None = None,
        client_name: str = "ixcenter",
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._initial_sources = tuple(sources) if sources else ()
        self._client_name = client_name
        self._socket: socket.socket | None = None
        self._stream: BinaryIO | None = None

    def __enter__(self) -> WhoisClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        try:
            self._socket = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise WhoisError(f"whois {self.host}:{self.port}: cannot connect ({exc})") from None
        self._stream = self._socket.makefile("rb")
        self._send("!!")
        self.query(f"!n{self._client_name}")
        if self._initial_sources:
            self.set_sources(self._initial_sources)
        logger.debug("whois %s:%d connected", self.host, self.port)

    def close(self) -> None:
        if self._socket is None:
            return
        with contextlib.suppress(WhoisError):
            self._send("!q")
        if self._stream is not None:
            self._stream.close()
        self._socket.close()
        self._socket = self._stream = None

    # --- the protocol ------------------------------------------------------------------------

    def _send(self, command: str) -> None:
        if self._socket is None:
            raise WhoisError("whois client is not connected")
        try:
            self._socket.sendall(command.encode() + b"\n")
        except OSError as exc:
            raise WhoisError(f"whois {self.host}:{self.port}: {exc}") from None

    def _connected_stream(self) -> BinaryIO:
        if self._stream is None:
            raise WhoisError("whois client is not connected")
        return self._stream

    def _readline(self, command: str) -> bytes:
        try:
            line = self._connected_stream().readline()
        except OSError as exc:  # socket.timeout is an OSError
            raise WhoisError(f"whois {self.host}:{self.port}: {command}: {exc}") from None
        if not line:
            raise WhoisError(f"whois {self.host}:{self.port}: {command}: connection closed")
        return line

    def query(self, command: str) -> str | None:
        """Send one raw command; the answer's data (``""`` for ``C``), ``None`` for ``D``."""
        self._send(command)
        head = self._readline(command).rstrip(b"\r\n")
        if head.startswith(b"A") and head[1:].isdigit():
            size = int(head[1:])
            try:
                data = self._connected_stream().read(size)
            except OSError as exc:
                raise WhoisError(f"whois {self.host}:{self.port}: {command}: {exc}") from None
            if len(data) != size:
                raise WhoisError(f"whois {command}: answer cut short ({len(data)} of {size})")
            tail = self._readline(command).rstrip(b"\r\n")
            if tail != b"C":
                raise WhoisError(f"whois {command}: answer not closed by C ({tail!r})")
            return data.decode("utf-8", "replace").strip()
        if head == b"C":
            return ""
        if head == b"D":
            return None
        if head.startswith(b"F"):
            raise WhoisError(f"whois {command}: {head[1:].decode('utf-8', 'replace').strip()}")
        raise WhoisError(f"whois {command}: unexpected answer {head[:60]!r}")

    # --- queries -----------------------------------------------------------------------------

    def version(self) -> str:
        return self.query("!v") or ""

    def sources(self) -> tuple[str, ...]:
        answer = self.query("!s-lc") or ""
        return tuple(s for s in answer.split(",") if s)

    def set_sources(self, sources: Sequence[str]) -> None:
        self.query("!s" + ",".join(sources))

    def set_members(self, name: str) -> tuple[str, ...] | None:
        """The set's own members (``!i``), ``None`` when the set does not exist."""
        answer = self.query(f"!i{name}")
        return None if answer is None else tuple(answer.split())

    def origins_of_set(self, name: str) -> frozenset[int] | None:
        """The set expanded by the server (``!i<set>,1``), ``None`` when it does not exist."""
        answer = self.query(f"!i{name},1")
        if answer is None:
            return None
        try:
            return frozenset(parse_asn(item) for item in answer.split())
        except ValidationFailed as exc:
            raise WhoisError(f"whois !i{name},1: {exc.message}") from None

    def routes(self, asn: int, version: int) -> tuple[Network, ...]:
        """Prefixes of route (``!g``, version 4) or route6 (``!6``) objects with origin ``asn``."""
        command = f"!{'g' if version == 4 else '6'}AS{asn}"
        answer = self.query(command) or ""
        try:
            return tuple(ipaddress.ip_network(item) for item in answer.split())
        except ValueError as exc:
            raise WhoisError(f"whois {command}: {exc}") from None
