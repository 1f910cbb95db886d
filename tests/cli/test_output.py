"""The CLI's output layer writes addresses, prefixes, enums and times as plain JSON text."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json

import pytest

from ixcenter.cli.output import record, table
from ixcenter.routing.control.model import SessionState

ROW = {
    "address": ipaddress.ip_address("2001:db8::1"),
    "prefixes": (ipaddress.ip_network("192.0.2.0/24"), ipaddress.ip_network("2001:db8::/32")),
    "state": SessionState.ESTABLISHED,
    "since": dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC),
    "count": 3,
}
PLAIN = {
    "address": "2001:db8::1",
    "prefixes": ["192.0.2.0/24", "2001:db8::/32"],
    "state": "established",
    "since": "2026-11-21T12:00:00+00:00",
    "count": 3,
}


def test_table_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    table([ROW], list(ROW), as_json=True)
    assert json.loads(capsys.readouterr().out) == [PLAIN]


def test_record_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    record(ROW, as_json=True)
    assert json.loads(capsys.readouterr().out) == PLAIN


def test_table_for_people(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # wide enough that rich cuts no cell
    table([ROW], list(ROW), as_json=False)
    out = capsys.readouterr().out
    assert "192.0.2.0/24, 2001:db8::/32" in out and "established" in out
