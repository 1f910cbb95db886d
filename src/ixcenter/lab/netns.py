"""Network namespaces through ``ip netns``: create, delete, list, run a command inside one.

Every namespace the lab makes is named ``ixc-<run>-<node>``, so leftovers of a run that
crashed can be found by that prefix. ``ip netns add`` keeps a namespace alive with a bind
mount under ``/run/netns``; ``ip netns del`` removes the mount, and the kernel frees the
namespace (and the veth interfaces in it) once the last process inside has exited, so the
processes must be stopped first.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence

from ixcenter.core.errors import ConfigurationError, UpstreamError
from ixcenter.routing.control.namespaces import exec_prefix

logger = logging.getLogger(__name__)

PREFIX = "ixc-"
TIMEOUT = 120.0  # the kernel serialises link changes (rtnl lock); a busy host can stall them


def require_privileges() -> None:
    """Raise a clear error where namespaces cannot be made (not root, or no ``ip``)."""
    if shutil.which("ip") is None:
        raise ConfigurationError("the lab needs iproute2's 'ip' command (Debian: iproute2)")
    if os.geteuid() != 0:
        raise ConfigurationError(
            "the lab needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN) to create network namespaces"
        )


def ip(*args: str, check: bool = True, timeout: float = TIMEOUT) -> str:
    """Run ``ip ARGS`` and return its output; a failure raises ``UpstreamError`` with stderr."""
    return _iproute2("ip", args, check=check, timeout=timeout)


def bridge(*args: str, check: bool = True, timeout: float = TIMEOUT) -> str:
    """Run iproute2's ``bridge ARGS`` (``-n NAMESPACE`` first to act inside one)."""
    return _iproute2("bridge", args, check=check, timeout=timeout)


def _iproute2(program: str, args: Sequence[str], *, check: bool, timeout: float) -> str:
    command = [program, *args]
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments are names we made
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UpstreamError(f"{' '.join(command)}: {exc}") from None
    if check and done.returncode != 0:
        raise UpstreamError(f"{' '.join(command)}: {done.stderr.strip() or done.returncode}")
    return done.stdout


def create(name: str) -> None:
    """Create ``name`` and bring its loopback up."""
    ip("netns", "add", name)
    ip("-n", name, "link", "set", "lo", "up")
    logger.debug("namespace %s created", name)


def delete(name: str) -> bool:
    """Delete ``name`` if it exists; True if it did."""
    if name not in namespaces():
        return False
    ip("netns", "del", name)
    logger.debug("namespace %s deleted", name)
    return True


def namespaces(prefix: str = "") -> list[str]:
    """Names of the namespaces ``ip netns list`` shows, those starting with ``prefix``."""
    names = [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]
    return sorted(name for name in names if name.startswith(prefix))


def pids(name: str) -> list[int]:
    """PIDs of the processes running inside namespace ``name``."""
    output = ip("netns", "pids", name, check=False)
    return [int(word) for word in output.split() if word.isdigit()]


def run(
    namespace: str, argv: Sequence[str], *, check: bool = True, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside ``namespace`` and wait; ``check`` turns a failure into an error."""
    command = [*exec_prefix(namespace), *argv]
    try:
        done = subprocess.run(  # noqa: S603 - argv built by the lab
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UpstreamError(f"{' '.join(command)}: {exc}") from None
    if check and done.returncode != 0:
        output = (done.stderr or done.stdout).strip()
        raise UpstreamError(f"{' '.join(argv)} in {namespace} failed ({done.returncode}): {output}")
    return done


def sysctl(namespace: str, key: str, value: str) -> None:
    """Set a per-namespace sysctl (``net.*``) inside ``namespace``."""
    run(namespace, ["sysctl", "-q", "-w", f"{key}={value}"])
