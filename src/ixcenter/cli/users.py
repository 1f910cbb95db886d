"""``ixc user``: portal accounts for operators, supervisors and members.

Passwords are never arguments (they would land in shell history and the process list): they are
typed at a hidden, confirmed prompt, or read as the first line of standard input with
``--password-stdin`` for scripts.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import message, record, table
from ixcenter.core.errors import Problems
from ixcenter.core.kinds import Role
from ixcenter.registry.models import UserAccount
from ixcenter.registry.services import accounts, lookups

password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of a prompt.",
)


def _password(from_stdin: bool) -> str:
    if not from_stdin:
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline().rstrip("\r\n")
    problems = Problems()
    problems.check(bool(line), "password", "standard input held no password", "missing")
    problems.raise_if_any()
    return line


def _when(value: Any) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else None


def _row(account: UserAccount) -> dict[str, Any]:
    return {
        "login": account.login,
        "name": account.display_name,
        "role": account.role,
        "member": account.organisation.name if account.organisation else None,
        "created_at": _when(account.created_at),
        "last_signin_at": _when(account.last_signin_at),
        "disabled_at": _when(account.disabled_at),
    }


@click.group("user")
def user() -> None:
    """Portal accounts: who signs in to the web portal, with which role."""


@user.command("create")
@click.argument("login")
@click.option(
    "--role", type=click.Choice([r.value for r in Role if r is not Role.PUBLIC]), required=True
)
@click.option("--member", "member_key", help="For a member account: the member (name, ASN, #id).")
@click.option("--name", "display_name", help="The name the portal shows (default: LOGIN).")
@password_stdin_option
@json_option
@pass_app
def user_create(
    app: App,
    login: str,
    role: str,
    member_key: str | None,
    display_name: str | None,
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Create account LOGIN; the password is asked for (or read with --password-stdin).

    \b
    Example:
      ixc user create alice --role operator --name "Alice Zhang"
      ixc user create bob --role member --member AS64500
      printf '%s\\n' "$PASSWORD" | ixc user create carol --role supervisor --password-stdin
    """
    password = _password(password_stdin)
    with app.registry.transaction(app.actor) as s:
        org_id = lookups.member(s, member_key).id if member_key else None
        account = accounts.create(
            s, login, display_name or login, Role(role), org_id, password, app.registry.clock
        )
        data = {k: v for k, v in _row(account).items() if k in ("login", "name", "role", "member")}
    record(data, as_json=as_json)


@user.command("passwd")
@click.argument("login")
@password_stdin_option
@pass_app
def user_passwd(app: App, login: str, password_stdin: bool) -> None:
    """Set the password of account LOGIN; it unlocks the login and ends its sessions."""
    password = _password(password_stdin)
    with app.registry.transaction(app.actor) as s:
        account = accounts.set_password(s, login, password, app.registry.clock)
        name = account.login
    message(f"password of {name} set; its portal sessions have ended")


@user.command("disable")
@click.argument("login")
@pass_app
def user_disable(app: App, login: str) -> None:
    """Disable account LOGIN: it signs in no more and its sessions end (it stays for the audit)."""
    with app.registry.transaction(app.actor) as s:
        account = accounts.disable(s, login, app.registry.clock)
        name = account.login
    message(f"user {name} disabled")


@user.command("list")
@json_option
@pass_app
def user_list(app: App, as_json: bool) -> None:
    """List portal accounts (never their passwords)."""
    with app.registry.read() as s:
        rows = [_row(a) for a in accounts.list_accounts(s)]
    table(
        rows,
        ["login", "name", "role", "member", "created_at", "last_signin_at", "disabled_at"],
        as_json=as_json,
        title="portal accounts",
    )


def register(cli: click.Group) -> None:
    cli.add_command(user)
