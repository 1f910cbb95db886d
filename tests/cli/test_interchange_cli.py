from __future__ import annotations

import json
from pathlib import Path

from ixcenter.registry.db import Registry
from ixcenter.registry.interchange.ixf_schema import validate
from tests.cli.conftest import Invoke
from tests.registry_state import dump


def test_import_real_export_then_again_changes_nothing(
    ixc: Invoke, registry: Registry, standards: Path
) -> None:
    bcix = str(standards / "ixf-examples" / "bcix.json")
    first = ixc("import", "ixf", bcix, "--json")
    assert first.exit_code == 0, first.output
    members = {r["kind"]: r for r in json.loads(first.stdout)}["members"]
    assert members["created"] == 81
    before = dump(registry)
    again = ixc("import", "ixf", bcix, "--json")
    assert again.exit_code == 0
    assert all(r["created"] == 0 and r["updated"] == 0 for r in json.loads(again.stdout))
    assert dump(registry) == before


def test_malformed_file_is_refused_and_changes_nothing(
    ixc: Invoke, registry: Registry, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": "1.0", "timestamp": 12, "member_list": [{"asnum": "x"}]}')
    before = dump(registry)
    result = ixc("import", "ixf", str(broken))
    assert result.exit_code == 6
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) >= 2  # every schema problem, one line each
    assert dump(registry) == before


def test_export_is_schema_valid(ixc: Invoke, tmp_path: Path) -> None:
    ixc(
        "member",
        "onboard",
        "--name",
        "Example Net",
        "--asn",
        "131072",
        "--category",
        "isp",
        "--licence",
        "L-1",
        "--switch",
        "bj1-sw1",
        "--port",
        "Eth1",
        "--speed",
        "10000",
    )
    out = tmp_path / "ixf.json"
    result = ixc("export", "ixf", "-o", str(out))
    assert result.exit_code == 0
    document = json.loads(out.read_text())
    validate(document)
    assert [m["asnum"] for m in document["member_list"]] == [131072]
