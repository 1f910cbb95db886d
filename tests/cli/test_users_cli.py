"""``ixc user``: create, passwd, disable and list portal accounts; passwords never as arguments."""

from __future__ import annotations

import json
import re

from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.db import Registry
from ixcenter.registry.models import Organisation
from ixcenter.registry.services import accounts
from tests.cli.conftest import Invoke
from tests.registry_state import dump

PASSWORD = "correct horse battery"
_WHEN = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")


def _signs_in(registry: Registry, login: str, password: str) -> bool:
    with registry.transaction("test") as s:
        return accounts.authenticate(s, login, password, registry.clock).account is not None


def _member(registry: Registry) -> int:
    with registry.transaction("test") as s:
        org = Organisation(name="Alpha Net", category=OrgCategory.ISP, country="CN")
        s.add(org)
        s.flush()
        return org.id


def test_create_reads_the_password_from_stdin(ixc: Invoke, registry: Registry) -> None:
    result = ixc(
        "user", "create", "Alice", "--role", "operator", "--name", "Alice Zhang",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output == ("login   alice\nname    Alice Zhang\nrole    operator\nmember  -\n")
    assert _signs_in(registry, "alice", PASSWORD)
    assert not _signs_in(registry, "alice", PASSWORD + "\n")


def test_create_asks_twice_without_echoing(ixc: Invoke, registry: Registry) -> None:
    org_id = _member(registry)
    result = ixc(
        "user", "create", "bob", "--role", "member", "--member", f"#{org_id}", "--json",
        input=f"{PASSWORD}\nsomething else!!\n{PASSWORD}\n{PASSWORD}\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert result.output.count("Password: ") == 2
    assert "Error: The two entered values do not match." in result.output
    printed = json.loads(result.output[result.output.index("{") :])
    assert printed == {"login": "bob", "name": "bob", "role": "member", "member": "Alpha Net"}
    assert _signs_in(registry, "bob", PASSWORD)


def test_every_problem_is_one_line_and_nothing_changes(ixc: Invoke, registry: Registry) -> None:
    before = dump(registry)
    result = ixc("user", "create", "a/b", "--role", "member", "--password-stdin", input="short\n")
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        "error: login: 'a/b' is not a login (letters, digits, . _ @ -)",
        "error: organisation_id: a member account names its member",
        "error: password: a password has at least 12 characters",
    ]
    assert dump(registry) == before


def test_empty_stdin_is_an_error(ixc: Invoke) -> None:
    result = ixc("user", "create", "carol", "--role", "supervisor", "--password-stdin", input="")
    assert result.exit_code == 3
    assert result.output == "error: password: standard input held no password\n"


def test_an_operator_account_names_no_member(ixc: Invoke, registry: Registry) -> None:
    org_id = _member(registry)
    result = ixc(
        "user", "create", "carol", "--role", "operator", "--member", f"#{org_id}",
        "--password-stdin", input=PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 3
    assert result.output == (
        "error: organisation_id: a operator account acts for no single member\n"
    )


def test_passwd_replaces_the_password(ixc: Invoke, registry: Registry) -> None:
    ixc("user", "create", "alice", "--role", "operator", "--password-stdin", input=PASSWORD)
    result = ixc("user", "passwd", "alice", "--password-stdin", input="a new passphrase 2\n")
    assert result.exit_code == 0, result.output
    assert result.output == "password of alice set; its portal sessions have ended\n"
    assert not _signs_in(registry, "alice", PASSWORD)
    assert _signs_in(registry, "alice", "a new passphrase 2")
    too_short = ixc("user", "passwd", "alice", "--password-stdin", input="short\n")
    assert (too_short.exit_code, too_short.output) == (
        3,
        "error: password: a password has at least 12 characters\n",
    )
    missing = ixc("user", "passwd", "zed", "--password-stdin", input=PASSWORD)
    assert (missing.exit_code, missing.output) == (4, "error: no user account 'zed'\n")


def test_disable_and_list(ixc: Invoke, registry: Registry) -> None:
    org_id = _member(registry)
    ixc("user", "create", "alice", "--role", "operator", "--password-stdin", input=PASSWORD)
    ixc(
        "user", "create", "bob", "--role", "member", "--member", "Alpha Net", "--name", "Bob Li",
        "--password-stdin", input=PASSWORD,
    )  # fmt: skip
    assert org_id
    _signs_in(registry, "bob", PASSWORD)
    disabled = ixc("user", "disable", "alice")
    assert (disabled.exit_code, disabled.output) == (0, "user alice disabled\n")
    again = ixc("user", "disable", "alice")
    assert (again.exit_code, again.output) == (3, "error: login: 'alice' is disabled already\n")
    assert not _signs_in(registry, "alice", PASSWORD)

    listed = json.loads(ixc("user", "list", "--json").output)
    assert [
        (u["login"], u["name"], u["role"], u["member"], u["disabled_at"] is not None)
        for u in listed
    ] == [
        ("alice", "alice", "operator", None, True),
        ("bob", "Bob Li", "member", "Alpha Net", False),
    ]
    assert listed[1]["last_signin_at"] is not None and listed[0]["last_signin_at"] is None
    assert all(_WHEN.fullmatch(u["created_at"]) for u in listed)
    assert all("password" not in key for u in listed for key in u)

    output = ixc("user", "list").output
    assert output.splitlines()[0].rstrip() == "portal accounts"
    rows = [
        [_WHEN.sub("<when>", cell.strip()) for cell in line.strip("│ ").split("│")]
        for line in output.splitlines()
        if line.startswith("│")
    ]
    header = [c.strip() for c in output.splitlines()[2].strip("┃ ").split("┃")]
    assert header == [
        "login", "name", "role", "member", "created at", "last signin at", "disabled at"
    ]  # fmt: skip
    assert rows == [
        ["alice", "alice", "operator", "-", "<when>", "-", "<when>"],
        ["bob", "Bob Li", "member", "Alpha Net", "<when>", "<when>", "-"],
    ]


def test_an_empty_list(ixc: Invoke) -> None:
    assert ixc("user", "list").output == "no portal accounts\n"
    assert ixc("user", "list", "--json").output == "[]\n"
