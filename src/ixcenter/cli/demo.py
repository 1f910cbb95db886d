"""``ixc demo-data``, ``ixc serve`` and ``ixc demo``."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import console, message, record
from ixcenter.cli.progress import progress_bar
from ixcenter.core.clock import Clock
from ixcenter.core.errors import ConfigurationError, NotFound
from ixcenter.core.kinds import Role
from ixcenter.registry import demo_data
from ixcenter.registry.models import ApiToken, Organisation
from ixcenter.registry.services import accounts, tokens

logger = logging.getLogger(__name__)


@click.command("demo-data")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same exchange.")
@click.option("--members", type=int, default=300, show_default=True)
@click.option(
    "--centers", type=click.IntRange(1, 3), default=3, show_default=True,
    help="Exchange centers: Beijing, Shanghai, Guangdong, in that order.",
)  # fmt: skip
@json_option
@pass_app
def demo_data_command(app: App, seed: int, members: int, centers: int, as_json: bool) -> None:
    """Fill an empty registry with a realistic synthetic exchange.

    3 exchange centers in different provinces with 2-4 nodes each, long-distance links and a
    cross-border channel, members of every category with dual-stack addresses, and private
    interconnects of every kind. Deterministic by seed.
    """
    with progress_bar("building demo exchange") as progress:
        summary = demo_data.generate(
            app.registry, seed=seed, members=members, centers=centers, progress=progress
        )
    record(summary.as_dict(), as_json=as_json)


def _serve(app: App, host: str | None, port: int | None) -> None:
    from ixcenter.api import serving

    host = host or app.settings.api_host
    port = port or app.settings.api_port
    listener = serving.listen(host, port)
    message(f"ixcenter serving on http://{host}:{port}/  (API: /openapi.json, Ctrl-C stops)")
    try:
        serving.serve(app.registry, app.settings, listener)
    finally:
        listener.close()


@click.command("serve")
@click.option("--host", help="Address to listen on.  [default: 127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on.  [default: 8470]")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the REST API and the portal.

    One port for both; the OpenAPI description is at /openapi.json. This process reads the
    route servers for the looking glass (every minute, or less often for large tables) and
    forks a worker process to serve each new read; the previous worker finishes its requests
    and exits. SIGTERM or Ctrl-C stops them all.
    """
    _serve(app, host, port)


@click.command("demo")
@click.option("--members", type=click.IntRange(2), default=18, show_default=True,
              help="Members in a new registry (each a live router in the lab).")  # fmt: skip
@click.option("--centers", type=click.IntRange(1, 3), default=2, show_default=True,
              help="Exchange centers in a new registry.")  # fmt: skip
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--port", type=int, help="Port to listen on.  [default: 8470]")
@click.option("--reduced", is_flag=True,
              help="No lab even where it could run: no live BGP, synthesised flows.")  # fmt: skip
@pass_app
def demo(app: App, members: int, centers: int, seed: int, port: int | None, reduced: bool) -> None:
    """Run a living demo exchange on this machine.

    Fills an empty registry with a synthetic exchange (reused when it has members), brings up
    the lab (`ixc lab up`: route servers with live BGP sessions, member routers announcing
    prefixes, some filtered, traffic sampled into the flow collector), then serves the API and
    portal. Ctrl-C stops the server and tears the lab down.

    Without root or network namespaces, or with --reduced, it says so and runs reduced: no live
    BGP, and flows synthesised from the registry (gravity model, now and then an attack) sent
    to the flow collector on loopback.
    """
    registry = app.registry
    with registry.read() as s:
        existing = s.scalar(select(func.count()).select_from(Organisation)) or 0
    if existing == 0:
        with progress_bar("building demo exchange") as progress:
            demo_data.generate(
                registry, seed=seed, members=members, centers=centers, progress=progress
            )
    else:
        message(f"registry has {existing} members already: reusing it")
    with registry.transaction(app.actor) as s:
        taken = s.scalar(select(func.count()).select_from(ApiToken)) or 0
        _, secret = tokens.create(
            s, f"demo-operator-{taken + 1}", Role.OPERATOR, None, registry.clock
        )
        people = _demo_accounts(s, registry.clock)
    with _exchange_alive(app, seed, reduced):
        message(f"registry: {registry.url}")
        message(f"operator token: {secret}")
        for login, (password, who) in people.items():
            message(f"portal sign-in: {login} / {password}  ({who})")
        message(
            "  try: curl -H 'Authorization: Bearer <token>' "
            f"http://127.0.0.1:{port or app.settings.api_port}/api/v1/members"
        )
        _serve(app, None, port)


def _demo_accounts(session: Session, clock: Clock) -> dict[str, tuple[str, str]]:
    """Portal accounts to sign in to the demo with, each with a new random password: an
    operator and the first member. ``login -> (password, who)``."""
    first = session.scalars(select(Organisation).order_by(Organisation.id)).first()
    wanted: list[tuple[str, Role, int | None, str]] = [
        ("demo-noc", Role.OPERATOR, None, "operator")
    ]
    if first is not None:
        wanted.append(("demo-member", Role.MEMBER, first.id, f"member {first.name}"))
    people = {}
    for login, role, org_id, who in wanted:
        password = secrets.token_urlsafe(12)
        try:
            accounts.find(session, login)
        except NotFound:
            accounts.create(session, login, who, role, org_id, password, clock)
        else:
            accounts.set_password(session, login, password, clock)
        people[login] = (password, who)
    return people


@contextlib.contextmanager
def _exchange_alive(app: App, seed: int, reduced: bool) -> Iterator[None]:
    """The lab up for the block (torn down after), or the reduced mode's collector and flow
    synthesiser (stopped after)."""
    from ixcenter.lab import exchange

    reason = "asked for with --reduced" if reduced else None
    if reason is None:
        options = exchange.LabOptions(members_per_center=12, seed=seed)
        try:
            exchange.down(app.settings)  # a lab left by an earlier demo
            with console(stderr=True).status("bringing the lab up") as spinner:
                exchange.up(app.registry, app.settings, options,
                            step=lambda text: spinner.update(f"lab: {text}"))  # fmt: skip
        except ConfigurationError as exc:
            reason = str(exc)
    if reason is None:
        message("lab up: `ixc lab status` shows sessions and traffic; Ctrl-C tears it down")
        try:
            yield
        finally:
            teardown = exchange.down(app.settings)
            message(f"lab down: {teardown.processes} processes, {teardown.namespaces} namespaces")
        return
    message(f"REDUCED MODE ({reason}): no live BGP; flows are synthesised from the registry")
    with _synthesised_flows(app, seed):
        yield


@contextlib.contextmanager
def _synthesised_flows(app: App, seed: int) -> Iterator[None]:
    """``ixc flows collect`` on loopback and ``python -m ixcenter.lab.synthesis`` feeding it."""
    from ixcenter.lab.blueprint import read_blueprint
    from ixcenter.lab.synthesis import endpoints, write_plan

    settings = app.settings
    directory = settings.data_dir / "lab"
    directory.mkdir(parents=True, exist_ok=True)
    plan = directory / "synthesis.json"
    write_plan(plan, endpoints(read_blueprint(app.registry)), seed)
    environment = {**os.environ, "IXC_DATABASE_URL": settings.registry_url}
    cli = [sys.executable, "-c", "from ixcenter.cli.main import main; main()",
           "--data-dir", str(settings.data_dir)]  # fmt: skip
    logs = directory / "reduced.log"
    started: list[subprocess.Popen[bytes]] = []
    with logs.open("ab") as log:
        try:
            started.append(subprocess.Popen(  # noqa: S603 - our own interpreter and CLI
                [*cli, "flows", "collect", "--bind", "127.0.0.1", "--only", "ipfix",
                 "--status-every", "0"], stdout=log, stderr=log, env=environment))  # fmt: skip
            time.sleep(2.0)  # the collector binds before the first message goes out
            target = f"127.0.0.1:{settings.ipfix_port}"
            started.append(subprocess.Popen(  # noqa: S603
                [sys.executable, "-m", "ixcenter.lab.synthesis", "--plan", str(plan),
                 "--to", target], stdout=log, stderr=log))  # fmt: skip
            message(f"collector and flow synthesiser running (log: {logs})")
            yield
        finally:
            for process in reversed(started):
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def register(cli: click.Group) -> None:
    cli.add_command(demo_data_command)
    cli.add_command(serve)
    cli.add_command(demo)
