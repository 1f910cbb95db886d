"""Data directories for tests that start the exchange's daemons, and the CLI to run on them.

The directory is short, directly under /tmp: the daemons' control sockets live in it, and a
socket's path must fit in a ``sockaddr_un`` (108 bytes), which pytest's own temporary
directories can exceed.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

CLI = [sys.executable, "-c", "from ixcenter.cli.main import main; main()"]


@contextlib.contextmanager
def short_data_dir(prefix: str) -> Iterator[Path]:
    """A new directory ``/tmp/<prefix>XXXXXXXX``, removed with what is in it afterwards."""
    directory = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
