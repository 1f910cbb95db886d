"""UDP sockets the collector reads datagrams from, in batches, with the kernel's drop counter.

A ``Listener`` is one non-blocking UDP socket with a large receive buffer. ``receive_into`` takes
what the kernel holds, up to a limit, straight into a ``DatagramSlots`` buffer (``recvmmsg`` on
Linux: many datagrams per system call, no Python object per datagram). Datagrams the kernel
had to drop because the buffer was full are counted by the kernel per socket;
``kernel_counters`` reads them from ``/proc/net/udp`` (or ``udp6``), found by the socket's
inode, so they are accounted like any other loss.

Binding ``::`` listens on IPv6 and IPv4 at once (``IPV6_V6ONLY`` off); IPv4 exporters then arrive
as ``::ffff:a.b.c.d`` and are reported as ``a.b.c.d``. On a kernel without IPv6, ``::`` falls
back to ``0.0.0.0`` (with a warning).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from ixcenter.core.errors import ConfigurationError
from ixcenter.telemetry.collector.slots import DatagramSlots

logger = logging.getLogger(__name__)

_SO_RCVBUFFORCE = 33  # Linux: may exceed net.core.rmem_max (needs CAP_NET_ADMIN)
PROC_NET = Path("/proc/net")


@dataclass(frozen=True, slots=True)
class KernelCounters:
    """What the kernel says about one socket: datagrams dropped, bytes waiting to be read."""

    drops: int = 0
    queued_bytes: int = 0


class Listener:
    """One bound, non-blocking UDP socket."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        receive_buffer: int = 32 << 20,
    ) -> None:
        family = _family(host)
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:  # IPv6 switched off in this kernel
            if host != "::" or exc.errno != errno.EAFNOSUPPORT:
                raise ConfigurationError(f"cannot open a UDP socket for {host}: {exc}") from exc
            logger.warning("no IPv6 here: listening on 0.0.0.0 instead of ::")
            host, family = "0.0.0.0", socket.AF_INET  # noqa: S104 - what "::" asked for
            sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            _set_receive_buffer(sock, receive_buffer)
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"UDP port {port} on {host} is in use (another collector running?)"
                ) from exc
            raise ConfigurationError(f"cannot listen on UDP {host} port {port}: {exc}") from exc
        sock.setblocking(False)
        self._sock = sock
        self._inode = os.fstat(sock.fileno()).st_ino
        self._proc = PROC_NET / ("udp6" if family == socket.AF_INET6 else "udp")
        self.host, self.port = sock.getsockname()[:2]
        self.receive_buffer = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        self.received = 0

    def fileno(self) -> int:
        return self._sock.fileno()

    def receive_into(self, slots: DatagramSlots, limit: int) -> int:
        """Receive up to ``limit`` datagrams into ``slots``; how many (0 if none wait)."""
        try:
            got = slots.receive(self._sock, limit)
        except OSError as exc:  # e.g. ENOMEM under pressure: try later
            logger.warning("UDP port %d: receive failed: %s", self.port, exc)
            return 0
        self.received += got
        return got

    def kernel_counters(self) -> KernelCounters:
        """The socket's kernel drop counter and receive queue (zeros if /proc cannot tell)."""
        try:
            lines = self._proc.read_text().splitlines()[1:]
        except OSError:
            return KernelCounters()
        inode = str(self._inode)
        for line in lines:
            parts = line.split()
            if len(parts) >= 13 and parts[9] == inode:
                queued = int(parts[4].split(":")[1], 16)
                return KernelCounters(int(parts[12]), queued)
        return KernelCounters()

    def close(self) -> None:
        self._sock.close()


def _family(host: str) -> socket.AddressFamily:
    try:
        address = ipaddress.ip_address(host)
    except ValueError as exc:
        raise ConfigurationError(f"collector bind address {host!r} is not an IP address") from exc
    return socket.AF_INET6 if address.version == 6 else socket.AF_INET


def _set_receive_buffer(sock: socket.socket, size: int) -> None:
    """Ask for ``size`` bytes; past net.core.rmem_max only root gets it (SO_RCVBUFFORCE)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, size)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    got = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    if got < size:  # Linux reports twice what was granted; less than asked means capped
        logger.warning(
            "UDP receive buffer %d bytes, asked for %d (raise net.core.rmem_max)", got, size
        )
