"""The CLI's output layer: the only place ixcenter prints.

Tables (rich) for people, JSON for scripts (``--json``), and errors as one line each on stderr.
"""

from __future__ import annotations

import datetime as dt
import enum
import ipaddress
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ixcenter.core.errors import IxcError, ValidationFailed

Row = Mapping[str, Any]


_TEXT = (
    ipaddress.IPv4Address,
    ipaddress.IPv6Address,
    ipaddress.IPv4Network,
    ipaddress.IPv6Network,
    ipaddress.IPv4Interface,
    ipaddress.IPv6Interface,
)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, _TEXT):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "-"
    return str(value)


def console(stderr: bool = False) -> Console:
    return Console(file=sys.stderr if stderr else sys.stdout, highlight=False, soft_wrap=False)


def table(rows: Sequence[Row], columns: Sequence[str], *, as_json: bool, title: str = "") -> None:
    """Rows as a table, or as a JSON list of objects with exactly ``columns``."""
    if as_json:
        data = [{c: _plain(r.get(c)) for c in columns} for r in rows]
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        return
    if not rows:
        console().print(f"no {title or 'rows'}")
        return
    out = Table(title=title or None, title_justify="left")
    for column in columns:
        out.add_column(column.replace("_", " "), no_wrap=True)
    for row in rows:
        out.add_row(*(_cell(row.get(c)) for c in columns))
    console().print(out)


def record(data: Row, *, as_json: bool) -> None:
    """One object: ``key: value`` lines, or JSON."""
    if as_json:
        plain = {k: _plain(v) for k, v in data.items()}
        sys.stdout.write(json.dumps(plain, indent=2, ensure_ascii=False, default=str) + "\n")
        return
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        console().print(f"{key.replace('_', ' '):<{width}}  {_cell(value)}")


def message(text: str) -> None:
    console().print(text)


def error_lines(exc: IxcError) -> Iterable[str]:
    """One clear line per problem."""
    if isinstance(exc, ValidationFailed) and exc.problems:
        for problem in exc.problems:
            yield f"error: {problem}"
    else:
        yield f"error: {exc.message}"
