"""``ixc export`` and ``ixc import``: IX-F Member Export JSON and PeeringDB data."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import table
from ixcenter.cli.progress import progress_bar
from ixcenter.registry.interchange import ixf_export, ixf_import, peeringdb_import
from ixcenter.registry.interchange.report import ImportReport


@click.group("export")
def export() -> None:
    """Export the registry in standard formats."""


@export.command("ixf")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write; default standard output.",
)
@pass_app
def export_ixf(app: App, output: Path | None) -> None:
    """IX-F Member Export JSON 1.0: every exchange center, LAN, member, connection and address."""
    with app.registry.read() as s:
        document = ixf_export.export_ixf(s, generated=app.registry.clock.now())
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({len(document['member_list'])} members)", err=True)


@click.group("import")
def import_() -> None:
    """Import IX-F or PeeringDB data.

    Importing the same file twice changes nothing.
    """


ALLOW_OUTSIDE = click.option(
    "--allow-outside-prefix",
    is_flag=True,
    help="Keep addresses that lie outside their LAN's prefix (as warnings) instead of refusing "
    "the file. Some published exports declare a LAN prefix narrower than its addresses.",
)


def _report(report: ImportReport, as_json: bool) -> None:
    table(report.rows(), ImportReport.COLUMNS, as_json=as_json, title="imported")
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)


@import_.command("ixf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@ALLOW_OUTSIDE
@json_option
@pass_app
def import_ixf(app: App, file: Path, allow_outside_prefix: bool, as_json: bool) -> None:
    """Import an IX-F Member Export (versions 0.6, 0.7 and 1.0) in one transaction.

    A malformed or schema-invalid file is refused with every problem listed, and nothing changes.
    """
    document = ixf_import.parse_ixf(file.read_bytes())
    with (
        progress_bar(f"importing {file.name}") as progress,
        app.registry.transaction(app.actor, reason=f"import {file.name}") as s,
    ):
        report = ixf_import.import_ixf(
            s, document, progress=progress, allow_outside_prefix=allow_outside_prefix
        )
    _report(report, as_json)


@import_.command("peeringdb")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@ALLOW_OUTSIDE
@json_option
@pass_app
def import_peeringdb(app: App, file: Path, allow_outside_prefix: bool, as_json: bool) -> None:
    """Import PeeringDB JSON (net, ix, ixlan, netixlan objects as the API returns them)."""
    document = peeringdb_import.parse_peeringdb(file.read_bytes())
    with (
        progress_bar(f"importing {file.name}") as progress,
        app.registry.transaction(app.actor, reason=f"import {file.name}") as s,
    ):
        report = peeringdb_import.import_peeringdb(
            s, document, progress=progress, allow_outside_prefix=allow_outside_prefix
        )
    _report(report, as_json)


def register(cli: click.Group) -> None:
    cli.add_command(export)
    cli.add_command(import_)
