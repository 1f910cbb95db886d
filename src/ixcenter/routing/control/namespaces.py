"""Daemons that run inside a named Linux network namespace (``ip netns``): how to start a
program there, and how to open a TCP connection from inside it (for health checks).

A route server may live in its own namespace (the lab puts each one there). Starting uses
``ip netns exec NAME``, which execs the program, so its PID is the program's. Connecting
switches one short-lived thread into the namespace (``setns``, network namespaces are per
thread) and opens the socket there; the socket stays in that namespace after the thread ends.
Both need root (CAP_SYS_ADMIN).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket
import threading

from ixcenter.core.errors import ConfigurationError

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


def exec_prefix(namespace: str | None) -> tuple[str, ...]:
    """Command prefix that runs a program inside ``namespace`` (nothing for the host's)."""
    return () if namespace is None else ("ip", "netns", "exec", namespace)


def _setns(descriptor: int) -> None:
    setns = getattr(os, "setns", None)  # Python 3.12+
    if setns is not None:
        setns(descriptor, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.setns(descriptor, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def connect(host: str, port: int, *, timeout: float, namespace: str | None = None) -> socket.socket:
    """A TCP connection to ``host``:``port`` made from inside ``namespace``."""
    if namespace is None:
        return socket.create_connection((host, port), timeout=timeout)
    if "/" in namespace or namespace in {"", ".", ".."}:
        raise ConfigurationError(f"not a namespace name: {namespace!r}")
    outcome: list[socket.socket | OSError] = []

    def inside() -> None:
        try:
            descriptor = os.open(f"{NETNS_DIR}/{namespace}", os.O_RDONLY)
            try:
                _setns(descriptor)
            finally:
                os.close(descriptor)
            outcome.append(socket.create_connection((host, port), timeout=timeout))
        except OSError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=inside, name=f"netns-{namespace}")
    worker.start()
    worker.join()
    if not outcome:
        raise ConfigurationError(f"could not enter network namespace {namespace}")
    result = outcome[0]
    if isinstance(result, OSError):
        raise result
    return result
