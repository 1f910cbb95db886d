"""Templates survive a restart: written atomically when they change, read back at start."""

from __future__ import annotations

import json
from pathlib import Path

from ixcenter.telemetry.collector.template_store import TemplateStore
from ixcenter.telemetry.decode import export
from ixcenter.telemetry.decode.templates import FieldSpec, Template


def test_round_trip_of_both_protocols(tmp_path: Path) -> None:
    path = tmp_path / "state" / "templates.json"
    store = TemplateStore(path)
    store.ipfix.add("192.0.2.1", 7, export.FLOW_V4)
    store.ipfix.options_for("192.0.2.1", 7).sampling_interval = 512
    store.netflow9.add("2001:db8::1", 0, export.FLOW_V6)
    assert store.save_if_changed()
    again = TemplateStore(path)
    again.load()
    assert again.ipfix.get("192.0.2.1", 7, 256) == export.FLOW_V4
    assert again.ipfix.options_for("192.0.2.1", 7).sampling_interval == 512
    assert again.netflow9.get("2001:db8::1", 0, 257) == export.FLOW_V6
    assert again.ipfix.get("2001:db8::1", 0, 257) is None  # the protocols are kept apart
    assert not again.changed()


def test_written_only_when_something_changed(tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    store = TemplateStore(path)
    assert not store.save_if_changed()
    assert not path.exists()
    store.ipfix.add("192.0.2.1", 0, export.FLOW_V4)
    assert store.save_if_changed()
    assert not store.save_if_changed()
    store.ipfix.add("192.0.2.1", 0, export.FLOW_V4)  # the same template again
    assert not store.save_if_changed()
    store.ipfix.add("192.0.2.1", 0, Template(256, (FieldSpec(1, 4),)))  # redefined
    assert store.save_if_changed()
    store.ipfix.withdraw("192.0.2.1", 0)
    assert store.save_if_changed()
    assert json.loads(path.read_text())["ipfix"]["templates"] == []
    assert store.saves == 3
    assert [p.name for p in path.parent.iterdir()] == ["templates.json"]  # no temporary left


def test_loading_fills_the_caches_the_decoders_already_hold(tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    first = TemplateStore(path)
    first.netflow9.add("192.0.2.1", 3, export.FLOW_V4)
    first.save_if_changed()
    second = TemplateStore(path)
    held = second.netflow9
    second.load()
    assert held.get("192.0.2.1", 3, 256) == export.FLOW_V4


def test_an_unreadable_file_is_moved_aside_and_the_start_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    path.write_text('{"version": 1, "ipfix": {"templates": [{"exporter": "x"')
    store = TemplateStore(path)
    store.load()
    assert len(store.ipfix) == 0
    assert not path.exists()
    assert (tmp_path / "templates.json.bad").exists()


def test_a_missing_file_is_an_empty_start(tmp_path: Path) -> None:
    store = TemplateStore(tmp_path / "none.json")
    store.load()
    assert (len(store.ipfix), len(store.netflow9)) == (0, 0)


def test_a_read_only_store_reads_but_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "templates.json"
    first = TemplateStore(path)
    first.ipfix.add("192.0.2.1", 0, export.FLOW_V4)
    first.save_if_changed()
    before = path.read_bytes()
    dry = TemplateStore(path, writable=False)
    dry.load()
    assert dry.ipfix.get("192.0.2.1", 0, 256) == export.FLOW_V4
    dry.ipfix.add("192.0.2.2", 0, export.FLOW_V6)
    assert not dry.save_if_changed()
    assert path.read_bytes() == before
