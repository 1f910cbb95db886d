"""A small IRRd-protocol whois server over an ``IrrStore``: enough for bgpq4 1.9 and our client.

Commands (IRRd's "!" protocol; one per line, answers ``A<length>\\n<data>\\nC\\n``, ``C`` for
success without data, ``D`` for a key not found, ``F <message>`` for an error):

========================  ==========================================================
``!!``                    keep the connection open for more commands (no answer);
                          without it the server answers one command and closes
``!n<client>``            the client names itself: ``C``
``!v``                    server version
``!t<seconds>``           idle timeout, accepted and ignored: ``C``
``!q``                    close the connection
``!s-lc``                 the sources searched, most preferred first
``!s<A,B>``               search these sources, in this order: ``C`` (``F`` if unknown)
``!i<set>``               the set's own members (ASNs and set names)
``!i<set>,1``             the set expanded recursively into ASNs
``!g<ASN>`` / ``!6<ASN>``  IPv4 / IPv6 prefixes of route(6) objects with that origin
``!a<set>``               prefixes (``!a4`` IPv4, ``!a6`` IPv6, ``!a`` both) of every
                          route(6) object whose origin is in the expanded set; ``!a``
                          alone answers the error bgpq4 uses to detect ``!a`` support
========================  ==========================================================

Everything binds to 127.0.0.1 by default; it serves tests and the local benchmark, not the world.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from ixcenter.core.asns import parse_asn
from ixcenter.core.errors import ValidationFailed
from ixcenter.routing.irr.asset import Limits
from ixcenter.routing.irr.store import IrrStore

logger = logging.getLogger(__name__)

VERSION = "ixcenter whois (IRRd 4 protocol subset)"


@dataclass(slots=True)
class Session:
    """Per-connection state: multiple-command mode and the selected sources."""

    sources: tuple[str, ...]
    multiple: bool = False
    closing: bool = False
    client: str = ""


def _data(text: str) -> bytes:
    return b"C\n" if not text else f"A{len(text) + 1}\n{text}\nC\n".encode()


class Responder:
    """Answers one command line for a session: pure, no I/O, tested directly."""

    def __init__(self, store: IrrStore, limits: Limits | None = None) -> None:
        self.store = store
        self.limits = limits

    def answer(self, session: Session, line: str) -> bytes | None:
        command = line.strip()
        if command == "!!":
            session.multiple = True
            return None
        if not command.startswith("!") or len(command) < 2:
            return b"F Unrecognized command\n"
        code, argument = command[1], command[2:].strip()
        if code == "q":
            session.closing = True
            return None
        if code == "n":
            session.client = argument
            return b"C\n"
        if code == "t":
            return b"C\n"
        if code == "v":
            return _data(VERSION)
        if code == "s":
            return self._sources(session, argument)
        if code == "i":
            return self._set(session, argument)
        if code in "g6":
            return self._routes(session, 4 if code == "g" else 6, argument)
        if code == "a":
            return self._prefixes_of_set(session, argument)
        return b"F Unrecognized command\n"

    def _sources(self, session: Session, argument: str) -> bytes:
        if argument.lower() == "-lc":
            return _data(",".join(session.sources))
        wanted = tuple(s.strip().upper() for s in argument.split(",") if s.strip())
        unknown = [s for s in wanted if s not in self.store.sources]
        if not wanted or unknown:
            return f"F Unknown source(s): {', '.join(unknown) or '(none)'}\n".encode()
        session.sources = wanted
        return b"C\n"

    def _set(self, session: Session, argument: str) -> bytes:
        name, _, flag = argument.partition(",")
        name = name.strip().upper()
        if not name:
            return b"F Missing required set name\n"
        found = self.store.as_set(name, session.sources)
        if found is None:
            return b"D\n"
        if flag.strip() != "1":
            return _data(" ".join(found.members))
        expansion = self.store.origins_of_set(name, sources=session.sources, limits=self.limits)
        return _data(" ".join(f"AS{asn}" for asn in sorted(expansion.asns)))

    def _routes(self, session: Session, version: int, argument: str) -> bytes:
        try:
            asn = parse_asn(argument)
        except ValidationFailed:
            return f"F Invalid AS number: {argument}\n".encode()
        prefixes = self.store.routes(asn, version, session.sources)
        return _data(" ".join(str(prefix) for prefix in prefixes))

    def _prefixes_of_set(self, session: Session, argument: str) -> bytes:
        versions: tuple[int, ...] = (4, 6)
        if argument[:1] in ("4", "6"):
            versions, argument = (int(argument[0]),), argument[1:]
        name = argument.strip().upper()
        if not name:
            return b"F Missing required set name for A query\n"
        if self.store.as_set(name, session.sources) is None:
            return b"D\n"
        expansion = self.store.origins_of_set(name, sources=session.sources, limits=self.limits)
        found = [
            str(prefix)
            for version in versions
            for prefix in self.store.prefixes_of_asns(expansion.asns, version, session.sources)
        ]
        return _data(" ".join(found))


class WhoisServer:
    """The asyncio server; ``port=0`` picks a free ephemeral port, read back from ``port``."""

    def __init__(
        self,
        store: IrrStore,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        limits: Limits | None = None,
        idle_timeout: float = 60.0,
    ) -> None:
        self.responder = Responder(store, limits)
        self.host = host
        self._port = port
        self.idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        return self._port

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        logger.info("whois server listening on %s:%d", self.host, self._port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None
        logger.info("whois server on %s:%d stopped", self.host, self._port)

    async def __aenter__(self) -> WhoisServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        session = Session(self.responder.store.sources)
        try:
            while not session.closing:
                try:
                    raw = await asyncio.wait_for(reader.readline(), self.idle_timeout)
                except (TimeoutError, ValueError):
                    break
                if not raw:
                    break
                reply = self.responder.answer(session, raw.decode("utf-8", "replace"))
                if reply is not None:
                    writer.write(reply)
                    await writer.drain()
                    if not session.multiple:
                        break
        except ConnectionError:
            logger.debug("whois client went away")
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@contextlib.contextmanager
def serve_in_thread(
    store: IrrStore, *, host: str = "127.0.0.1", port: int = 0, limits: Limits | None = None
) -> Iterator[WhoisServer]:
    """Run a ``WhoisServer`` on its own event loop in a thread, for blocking callers (bgpq4)."""
    server = WhoisServer(store, host=host, port=port, limits=limits)
    ready = threading.Event()
    failure: list[OSError] = []
    loop = asyncio.new_event_loop()
    stopping = asyncio.Event()

    async def main() -> None:
        try:
            await server.start()
        except OSError as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        await stopping.wait()
        await server.stop()

    thread = threading.Thread(
        target=lambda: loop.run_until_complete(main()), name="whois", daemon=True
    )
    thread.start()
    ready.wait()
    try:
        if failure:
            raise failure[0]
        yield server
    finally:
        loop.call_soon_threadsafe(stopping.set)
        thread.join()
        loop.close()
