"""``ixc audit``: the append-only log of every change."""

from __future__ import annotations

import json

import click
from sqlalchemy import select

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import table
from ixcenter.registry.models import AuditEntry


def _changes(entry: AuditEntry) -> str:
    before, after = entry.before or {}, entry.after or {}
    if entry.action == "update":
        keys = [k for k in after if before.get(k) != after.get(k)]
        return ", ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in keys)
    shown = after or before
    return json.dumps({k: v for k, v in shown.items() if v is not None}, ensure_ascii=False)[:120]


@click.command("audit")
@click.option("--limit", type=int, default=50, show_default=True, help="Newest N entries.")
@click.option("--object", "object_type", help="Only this table, e.g. ports.")
@click.option("--actor", help="Only changes by this actor.")
@json_option
@pass_app
def audit(app: App, limit: int, object_type: str | None, actor: str | None, as_json: bool) -> None:
    """Show who changed what and when (newest first)."""
    with app.registry.read() as s:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if object_type:
            query = query.where(AuditEntry.object_type == object_type)
        if actor:
            query = query.where(AuditEntry.actor == actor)
        rows = [
            {
                "id": e.id,
                "at": e.at.strftime("%Y-%m-%d %H:%M:%S"),
                "actor": e.actor,
                "action": e.action,
                "object": f"{e.object_type}#{e.object_id}",
                "changes": _changes(e),
                "before": e.before,
                "after": e.after,
            }
            for e in s.scalars(query)
        ]
    columns = ["id", "at", "actor", "action", "object"]
    table(
        rows,
        [*columns, "before", "after"] if as_json else [*columns, "changes"],
        as_json=as_json,
        title="audit log",
    )


def register(cli: click.Group) -> None:
    cli.add_command(audit)
