"""The RPKI-to-Router protocol, version 1 (RFC 8210), enough to ask a cache for all its VRPs.

One class per PDU type, each with ``from_bytes`` (the body after the 8-byte header) and
``to_bytes`` (the whole PDU); ``decode`` reads one PDU at an offset and raises ``DecodeError``
with the offset on malformed input. ``fetch`` sends a Reset Query and collects the cache's
answer up to End of Data: how ixcenter checks that stayrtr really serves what we wrote.

Header: version (1 byte), type (1), a 16-bit field (session ID, error code or zero), length
(4, the whole PDU). Version 0 (RFC 6810) is decoded too; it differs only in End of Data (no
timers).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass
from typing import ClassVar, Self

from ixcenter.core.errors import DecodeError, UpstreamError
from ixcenter.core.prefixes import Network
from ixcenter.routing.control.namespaces import connect
from ixcenter.routing.rpki.vrps import Vrp

VERSION = 1
HEADER = struct.Struct("!BBHI")
_MAX_LENGTH = 1 << 16  # far above any PDU a cache sends; guards against garbage lengths


def _header(version: int, kind: int, field: int, length: int) -> bytes:
    return HEADER.pack(version, kind, field, length)


@dataclass(frozen=True, slots=True)
class _SerialPdu:
    """Serial Notify (0) and Serial Query (1): the session ID in the header, then a serial."""

    TYPE: ClassVar[int]
    session_id: int
    serial: int
    version: int = VERSION

    def to_bytes(self) -> bytes:
        body = struct.pack("!I", self.serial)
        return _header(self.version, self.TYPE, self.session_id, 12) + body

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> Self:
        _expect(body, 4, cls.__name__, offset)
        return cls(field, struct.unpack("!I", body)[0], version)


@dataclass(frozen=True, slots=True)
class SerialNotify(_SerialPdu):
    TYPE: ClassVar[int] = 0


@dataclass(frozen=True, slots=True)
class SerialQuery(_SerialPdu):
    TYPE: ClassVar[int] = 1


@dataclass(frozen=True, slots=True)
class ResetQuery:
    TYPE: ClassVar[int] = 2
    version: int = VERSION

    def to_bytes(self) -> bytes:
        return _header(self.version, self.TYPE, 0, 8)

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> ResetQuery:
        _expect(body, 0, cls.__name__, offset)
        return cls(version)


@dataclass(frozen=True, slots=True)
class CacheResponse:
    TYPE: ClassVar[int] = 3
    session_id: int
    version: int = VERSION

    def to_bytes(self) -> bytes:
        return _header(self.version, self.TYPE, self.session_id, 8)

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> CacheResponse:
        _expect(body, 0, cls.__name__, offset)
        return cls(field, version)


@dataclass(frozen=True, slots=True)
class _PrefixPdu:
    """The IPv4 Prefix (4) and IPv6 Prefix (6) PDUs: flags, lengths, address, ASN."""

    TYPE: ClassVar[int]
    WIDTH: ClassVar[int]  # address bytes
    prefix: Network
    max_length: int
    asn: int
    announce: bool = True
    version: int = VERSION

    def to_bytes(self) -> bytes:
        raw = self.prefix.network_address.packed
        body = struct.pack(
            f"!BBBx{self.WIDTH}sI",
            int(self.announce),
            self.prefix.prefixlen,
            self.max_length,
            raw,
            self.asn,
        )
        return _header(self.version, self.TYPE, 0, 8 + len(body)) + body

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> Self:
        _expect(body, 8 + cls.WIDTH, cls.__name__, offset)
        flags, length, max_length, raw, asn = struct.unpack(f"!BBBx{cls.WIDTH}sI", body)
        prefix = _network(raw, length, max_length, cls.WIDTH * 8, offset)
        return cls(ipaddress.ip_network(prefix), max_length, asn, bool(flags & 1), version)

    def vrp(self) -> Vrp:
        return Vrp(self.prefix, self.max_length, self.asn)


@dataclass(frozen=True, slots=True)
class Ipv4Prefix(_PrefixPdu):
    TYPE: ClassVar[int] = 4
    WIDTH: ClassVar[int] = 4


@dataclass(frozen=True, slots=True)
class Ipv6Prefix(_PrefixPdu):
    TYPE: ClassVar[int] = 6
    WIDTH: ClassVar[int] = 16


@dataclass(frozen=True, slots=True)
class EndOfData:
    TYPE: ClassVar[int] = 7
    session_id: int
    serial: int
    refresh: int = 3600
    retry: int = 600
    expire: int = 7200
    version: int = VERSION

    def to_bytes(self) -> bytes:
        if self.version == 0:
            body = struct.pack("!I", self.serial)
        else:
            body = struct.pack("!IIII", self.serial, self.refresh, self.retry, self.expire)
        return _header(self.version, self.TYPE, self.session_id, 8 + len(body)) + body

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> EndOfData:
        if version == 0:
            _expect(body, 4, cls.__name__, offset)
            return cls(field, struct.unpack("!I", body)[0], version=0)
        _expect(body, 16, cls.__name__, offset)
        serial, refresh, retry, expire = struct.unpack("!IIII", body)
        return cls(field, serial, refresh, retry, expire, version)


@dataclass(frozen=True, slots=True)
class CacheReset:
    TYPE: ClassVar[int] = 8
    version: int = VERSION

    def to_bytes(self) -> bytes:
        return _header(self.version, self.TYPE, 0, 8)

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> CacheReset:
        _expect(body, 0, cls.__name__, offset)
        return cls(version)


@dataclass(frozen=True, slots=True)
class RouterKey:
    TYPE: ClassVar[int] = 9
    ski: bytes
    asn: int
    spki: bytes
    announce: bool = True
    version: int = VERSION

    def to_bytes(self) -> bytes:
        body = self.ski + struct.pack("!I", self.asn) + self.spki
        field = int(self.announce) << 8
        return _header(self.version, self.TYPE, field, 8 + len(body)) + body

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> RouterKey:
        if len(body) < 24:
            raise DecodeError(f"RouterKey body of {len(body)} bytes, at least 24", offset)
        asn = struct.unpack("!I", body[20:24])[0]
        return cls(body[:20], asn, body[24:], bool(field >> 8 & 1), version)


@dataclass(frozen=True, slots=True)
class ErrorReport:
    TYPE: ClassVar[int] = 10
    code: int
    pdu: bytes = b""
    text: str = ""
    version: int = VERSION

    def to_bytes(self) -> bytes:
        text = self.text.encode()
        body = struct.pack("!I", len(self.pdu)) + self.pdu + struct.pack("!I", len(text)) + text
        return _header(self.version, self.TYPE, self.code, 8 + len(body)) + body

    @classmethod
    def from_bytes(cls, version: int, field: int, body: bytes, offset: int) -> ErrorReport:
        if len(body) < 8:
            raise DecodeError("ErrorReport body shorter than 8 bytes", offset)
        pdu_length = struct.unpack("!I", body[:4])[0]
        if 4 + pdu_length + 4 > len(body):
            raise DecodeError(f"ErrorReport PDU length {pdu_length} overruns the PDU", offset + 8)
        pdu = body[4 : 4 + pdu_length]
        text_at = 4 + pdu_length
        text_length = struct.unpack("!I", body[text_at : text_at + 4])[0]
        if text_at + 4 + text_length != len(body):
            raise DecodeError(f"ErrorReport text length {text_length} disagrees", offset + 8)
        text = body[text_at + 4 :].decode("utf-8", errors="replace")
        return cls(field, pdu, text, version)


Pdu = (
    SerialNotify
    | SerialQuery
    | ResetQuery
    | CacheResponse
    | Ipv4Prefix
    | Ipv6Prefix
    | EndOfData
    | CacheReset
    | RouterKey
    | ErrorReport
)
_TYPES: dict[int, type[Pdu]] = {
    cls.TYPE: cls
    for cls in (
        SerialNotify,
        SerialQuery,
        ResetQuery,
        CacheResponse,
        Ipv4Prefix,
        Ipv6Prefix,
        EndOfData,
        CacheReset,
        RouterKey,
        ErrorReport,
    )
}


def _expect(body: bytes, size: int, name: str, offset: int) -> None:
    if len(body) != size:
        raise DecodeError(f"{name} body of {len(body)} bytes, expected {size}", offset)


def _network(raw: bytes, length: int, max_length: int, bits: int, offset: int) -> str:
    if not length <= max_length <= bits:
        raise DecodeError(f"prefix length {length}, max length {max_length} of {bits}", offset)
    address = ipaddress.ip_address(raw)
    try:
        return str(ipaddress.ip_network(f"{address}/{length}"))
    except ValueError:
        raise DecodeError(f"{address}/{length} has host bits set", offset) from None


def pdu_length(data: bytes, offset: int = 0) -> int | None:
    """Length of the PDU starting at ``offset``, or None if its header is not all there yet."""
    if len(data) - offset < HEADER.size:
        return None
    length: int = HEADER.unpack_from(data, offset)[3]
    if not HEADER.size <= length <= _MAX_LENGTH:
        raise DecodeError(f"PDU length {length}", offset + 4)
    return length


def decode(data: bytes, offset: int = 0) -> tuple[Pdu, int]:
    """The PDU at ``offset`` and the offset after it."""
    length = pdu_length(data, offset)
    if length is None or len(data) - offset < length:
        raise DecodeError("truncated PDU", offset)
    version, kind, field, _length = HEADER.unpack_from(data, offset)
    if version > 2:
        raise DecodeError(f"protocol version {version}", offset)
    cls = _TYPES.get(kind)
    if cls is None:
        raise DecodeError(f"unknown PDU type {kind}", offset + 1)
    body = data[offset + HEADER.size : offset + length]
    return cls.from_bytes(version, field, body, offset), offset + length


def decode_all(data: bytes) -> list[Pdu]:
    """Every PDU in ``data``, which must end on a PDU boundary."""
    pdus: list[Pdu] = []
    offset = 0
    while offset < len(data):
        pdu, offset = decode(data, offset)
        pdus.append(pdu)
    return pdus


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a cache sent in answer to one Reset Query."""

    version: int
    session_id: int
    serial: int
    vrps: tuple[Vrp, ...]
    end: EndOfData


def fetch(
    host: str,
    port: int,
    *,
    timeout: float = 5.0,
    version: int = VERSION,
    namespace: str | None = None,
) -> Snapshot:
    """Reset Query to the cache at ``host``:``port`` (reached from inside ``namespace`` if
    given); its VRPs up to End of Data.

    Raises ``UpstreamError`` if the cache cannot be reached, reports an error, or resets.
    """
    try:
        with connect(host, port, timeout=timeout, namespace=namespace) as connection:
            connection.sendall(ResetQuery(version).to_bytes())
            return _read_snapshot(connection, f"{host}:{port}")
    except (OSError, DecodeError) as exc:
        raise UpstreamError(f"RTR cache {host}:{port}: {exc}") from None


def _read_snapshot(connection: socket.socket, where: str) -> Snapshot:
    buffer = b""
    offset = 0
    session: CacheResponse | None = None
    vrps: list[Vrp] = []
    while True:
        length = pdu_length(buffer, offset)
        if length is None or len(buffer) - offset < length:
            chunk = connection.recv(65536)
            if not chunk:
                raise UpstreamError(f"RTR cache {where} closed the connection mid-answer")
            buffer = buffer[offset:] + chunk
            offset = 0
            continue
        pdu, offset = decode(buffer, offset)
        if isinstance(pdu, ErrorReport):
            raise UpstreamError(f"RTR cache {where}: error {pdu.code}: {pdu.text}")
        if isinstance(pdu, CacheReset):
            raise UpstreamError(f"RTR cache {where} has no data yet (Cache Reset)")
        if isinstance(pdu, CacheResponse):
            session = pdu
        elif isinstance(pdu, Ipv4Prefix | Ipv6Prefix) and pdu.announce:
            vrps.append(pdu.vrp())
        elif isinstance(pdu, EndOfData):
            if session is None:
                raise UpstreamError(f"RTR cache {where}: End of Data without Cache Response")
            return Snapshot(pdu.version, pdu.session_id, pdu.serial, tuple(vrps), pdu)
