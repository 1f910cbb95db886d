from __future__ import annotations

import asyncio
import ipaddress
import socket
import subprocess
from collections.abc import Iterator

import pytest

from ixcenter.routing.irr.asset import Limits
from ixcenter.routing.irr.rpsl import parse_rpsl
from ixcenter.routing.irr.store import IrrStore
from ixcenter.routing.irr.whois import WhoisClient, WhoisError
from ixcenter.routing.irr.whois_server import Responder, Session, WhoisServer, serve_in_thread
from tests.live import require

RPSL = """\
as-set: AS-TOP
members: AS64500, AS-MID, RS-IGNORED
source: RIPE

as-set: AS-MID
members: AS64501, AS-TOP
source: RIPE

as-set: AS-MID
members: AS64999
source: RADB

route: 192.0.2.0/24
origin: AS64500
source: RIPE

route: 198.51.100.0/24
origin: AS64501
source: RADB

route6: 2001:db8::/32
origin: AS64501
source: RIPE
"""


@pytest.fixture
def store() -> IrrStore:
    objects, problems = parse_rpsl(RPSL)
    assert not problems
    store = IrrStore(["RIPE", "RADB"])
    store.load(objects)
    return store


@pytest.fixture
def address(store: IrrStore) -> Iterator[tuple[str, int]]:
    with serve_in_thread(store) as server:
        assert server.port > 0
        yield server.host, server.port


def test_client_and_server_over_loopback(address: tuple[str, int]) -> None:
    host, port = address
    net = ipaddress.ip_network
    with WhoisClient(host, port, timeout=5) as client:
        assert "ixcenter" in client.version()
        assert client.sources() == ("RIPE", "RADB")
        assert client.set_members("as-top") == ("AS64500", "AS-MID", "RS-IGNORED")
        assert client.origins_of_set("AS-TOP") == {64500, 64501}
        assert client.origins_of_set("AS-NONE") is None
        assert client.routes(64500, 4) == (net("192.0.2.0/24"),)
        assert client.routes(64501, 4) == (net("198.51.100.0/24"),)
        assert client.routes(64501, 6) == (net("2001:db8::/32"),)
        assert client.routes(65000, 4) == ()
        client.set_sources(["RADB"])
        assert client.origins_of_set("AS-MID") == {64999}
        with pytest.raises(WhoisError, match="Unknown source"):
            client.set_sources(["NOPE"])
        with pytest.raises(WhoisError, match="Unrecognized"):
            client.query("!z")
        assert client.query("!a4AS-MID") == ""


def test_sources_chosen_at_connect(address: tuple[str, int]) -> None:
    with WhoisClient(*address, sources=["RADB", "RIPE"]) as client:
        assert client.sources() == ("RADB", "RIPE")
        assert client.origins_of_set("AS-TOP") == {64500, 64999}


def _a(text: str) -> bytes:
    return b"A%d\n%s\nC\n" % (len(text) + 1, text.encode())


async def _answer(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readline()
    if not head.startswith(b"A"):
        return head
    return head + await reader.readexactly(int(head[1:]) + 2)


def test_bgpq4_conversation_pipelined(store: IrrStore) -> None:
    """The commands bgpq4 1.9 sends, written at once as its pipelining does."""
    commands = (
        b"!!\n!nbgpq4 1.9\n!a\n!s-lc\n!sRIPE,RADB\n!iAS-TOP,1\n!iAS-TOP\n!gas64500\n!6AS64501\n"
    )

    async def talk() -> tuple[list[bytes], bytes]:
        async with WhoisServer(store) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(commands)
            await writer.drain()
            answers = [await _answer(reader) for _ in range(8)]
            writer.write(b"!a6AS-TOP\n!q\n")
            rest = await reader.read()
            writer.close()
            await writer.wait_closed()
            return answers, rest

    answers, rest = asyncio.run(talk())
    assert answers == [
        b"C\n",
        b"F Missing required set name for A query\n",
        _a("RIPE,RADB"),
        b"C\n",
        _a("AS64500 AS64501"),
        _a("AS64500 AS-MID RS-IGNORED"),
        _a("192.0.2.0/24"),
        _a("2001:db8::/32"),
    ]
    assert rest == _a("2001:db8::/32")


def test_without_multiple_mode_one_answer_then_close(store: IrrStore) -> None:
    async def talk() -> bytes:
        async with WhoisServer(store) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(b"!gAS64500\n!gAS64501\n")
            await writer.drain()
            data = await reader.read()
            writer.close()
            return data

    assert asyncio.run(talk()) == _a("192.0.2.0/24")


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("!iAS-NONE", b"D\n"),
        ("!iAS-NONE,1", b"D\n"),
        ("!i", b"F Missing required set name\n"),
        ("!gASX", b"F Invalid AS number: ASX\n"),
        ("!g64500", _a("192.0.2.0/24")),
        ("!gAS1", b"C\n"),
        ("!aAS-TOP", _a("192.0.2.0/24 198.51.100.0/24 2001:db8::/32")),
        ("!aAS-NONE", b"D\n"),
        ("!t60", b"C\n"),
        ("-i origin AS64500", b"F Unrecognized command\n"),
        ("!", b"F Unrecognized command\n"),
    ],
)
def test_responder(store: IrrStore, line: str, answer: bytes) -> None:
    assert Responder(store).answer(Session(store.sources), line) == answer


def test_server_applies_limits(store: IrrStore) -> None:
    responder = Responder(store, Limits(max_depth=1))
    assert responder.answer(Session(store.sources), "!iAS-TOP,1") == _a("AS64500")


def test_client_times_out_on_a_silent_server() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(WhoisError, match="timed out"):
            WhoisClient("127.0.0.1", port, timeout=0.2).connect()


def test_client_reports_a_refused_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(WhoisError, match="cannot connect"):
        WhoisClient("127.0.0.1", port, timeout=1).connect()


@pytest.mark.live
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-4", "-b", "-l", "p", "AS-TOP"], ["192.0.2.0/24", "198.51.100.0/24"]),
        (["-6", "-b", "-l", "p", "AS-TOP"], ["2001:db8::/32"]),
        (["-4", "-b", "-L", "1", "-l", "p", "AS-TOP"], ["192.0.2.0/24"]),
    ],
)
def test_bgpq4_against_the_server(store: IrrStore, args: list[str], expected: list[str]) -> None:
    with serve_in_thread(store) as server:
        result = subprocess.run(
            [require("bgpq4"), "-S", "RIPE,RADB", "-p", "-h", f"127.0.0.1:{server.port}", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    found = [line.strip(" ,") for line in result.stdout.splitlines()[1:-1]]
    assert found == expected
