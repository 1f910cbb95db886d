"""Ask the daemons whether they accept a configuration: ``bird -p`` and ``bgpd -n``.

A config is only deployed after its daemon has parsed it. A refusal becomes ``ConfigRejected``
(a ``ConfigurationError``) carrying the daemon's own message, the line (and for BIRD the column)
it names, and that line of the config, so an operator sees what broke without opening the file.
A daemon that cannot be run at all (not installed, timed out) is an ``UpstreamError``.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from ixcenter.core.errors import ConfigurationError, UpstreamError

logger = logging.getLogger(__name__)

TIMEOUT = 600.0  # seconds; BIRD parses a 1,000-member config in about a second

# bird: /path/bird.conf:12:5 syntax error, unexpected ...
_BIRD_ERROR = re.compile(
    r"^(?:bird: )?(?P<file>[^:\n]+):(?P<line>\d+):(?P<column>\d+) (?P<text>.*)$"
)
# /path/bgpd.conf:12: syntax error
_BGPD_ERROR = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+): (?P<text>.*)$")


class ConfigRejected(ConfigurationError):
    """A daemon refused a configuration; ``line``/``column`` where it said, when it said."""

    title = "Configuration rejected"
    slug = "configuration-rejected"

    def __init__(
        self,
        daemon: str,
        output: str,
        *,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
    ) -> None:
        self.daemon = daemon
        self.output = output.strip()
        self.line = line
        self.column = column
        self.source = source
        where = f" at line {line}" + (f", column {column}" if column is not None else "")
        message = f"{daemon} rejected the configuration{where if line else ''}: {self.output}"
        if source is not None:
            message += f" | {source.strip()}"
        super().__init__(message)


def _program(name: str, given: str | None) -> str:
    found = shutil.which(given or name)
    if found is None:
        raise UpstreamError(f"{given or name} is not installed")
    return found


def _run(command: list[str], daemon: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 - a fixed program and our own file
            command, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise UpstreamError(f"{daemon} did not finish checking within {TIMEOUT:.0f} s") from None


def _source_line(path: Path, line: int | None) -> str | None:
    if line is None:
        return None
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None


def _checked(
    daemon: str, command: list[str], path: Path, pattern: re.Pattern[str], has_column: bool
) -> None:
    done = _run(command, daemon)
    if done.returncode == 0:
        logger.debug("%s accepts %s", daemon, path)
        return
    output = "\n".join(part for part in (done.stderr.strip(), done.stdout.strip()) if part)
    line = column = None
    for text in output.splitlines():
        match = pattern.match(text.strip())
        if match:
            line = int(match.group("line"))
            column = int(match.group("column")) if has_column else None
            break
    logger.warning("%s rejects %s: %s", daemon, path, output)
    raise ConfigRejected(daemon, output, line=line, column=column, source=_source_line(path, line))


def check_bird_file(path: Path, *, program: str | None = None) -> None:
    """Raise ``ConfigRejected`` unless ``bird -p -c path`` accepts the file."""
    bird = _program("bird", program)
    _checked("bird", [bird, "-p", "-c", str(path)], path, _BIRD_ERROR, has_column=True)


def check_bgpd_file(path: Path, *, program: str | None = None) -> None:
    """Raise ``ConfigRejected`` unless ``bgpd -n -f path`` accepts the file."""
    bgpd = _program("bgpd", program)
    _checked("bgpd", [bgpd, "-n", "-f", str(path)], path, _BGPD_ERROR, has_column=False)


def _text_checked(text: str, name: str, check: Callable[[Path], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="ixc-check-") as directory:
        path = Path(directory) / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)  # it may hold session passwords
        check(path)


def check_bird(text: str, *, program: str | None = None) -> None:
    """``check_bird_file`` on configuration text (written to a private temporary file)."""
    _text_checked(text, "bird.conf", lambda path: check_bird_file(path, program=program))


def check_bgpd(text: str, *, program: str | None = None) -> None:
    """``check_bgpd_file`` on configuration text (written to a private temporary file)."""
    _text_checked(text, "bgpd.conf", lambda path: check_bgpd_file(path, program=program))
