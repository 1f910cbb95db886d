"""``ixc token``: API tokens (stored hashed; the plaintext is shown once)."""

from __future__ import annotations

import click

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import record, table
from ixcenter.core.kinds import Role
from ixcenter.registry.services import lookups, tokens


@click.group("token")
def token() -> None:
    """API tokens for operators, supervisors and members."""


@token.command("create")
@click.argument("name")
@click.option(
    "--role", type=click.Choice([r.value for r in Role if r is not Role.PUBLIC]), required=True
)
@click.option("--member", "member_key", help="For a member token: the member (name, ASN, #id).")
@json_option
@pass_app
def token_create(app: App, name: str, role: str, member_key: str | None, as_json: bool) -> None:
    """Create token NAME; its secret is printed this once and never stored.

    \b
    Example:
      ixc token create noc-alice --role operator
      ixc token create example-net --role member --member AS64500
    """
    with app.registry.transaction(app.actor) as s:
        org_id = lookups.member(s, member_key).id if member_key else None
        created, secret = tokens.create(s, name, Role(role), org_id, app.registry.clock)
        data = {
            "name": created.name,
            "role": created.role,
            "organisation_id": org_id,
            "token": secret,
        }
    record(data, as_json=as_json)


@token.command("list")
@json_option
@pass_app
def token_list(app: App, as_json: bool) -> None:
    """List tokens (never their secrets)."""
    with app.registry.read() as s:
        rows = [
            {
                "name": t.name,
                "role": t.role,
                "member": t.organisation.name if t.organisation else None,
                "created_at": t.created_at.strftime("%Y-%m-%d %H:%M"),
                "revoked_at": t.revoked_at.strftime("%Y-%m-%d %H:%M") if t.revoked_at else None,
            }
            for t in tokens.list_tokens(s)
        ]
    table(
        rows,
        ["name", "role", "member", "created_at", "revoked_at"],
        as_json=as_json,
        title="API tokens",
    )


@token.command("revoke")
@click.argument("name")
@pass_app
def token_revoke(app: App, name: str) -> None:
    """Revoke token NAME."""
    with app.registry.transaction(app.actor) as s:
        tokens.revoke(s, name, app.registry.clock)
    click.echo(f"token {name} revoked")


def register(cli: click.Group) -> None:
    cli.add_command(token)
