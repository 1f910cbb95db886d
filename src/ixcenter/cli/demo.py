"""``ixc demo-data``, ``ixc serve`` and ``ixc demo``."""

from __future__ import annotations

import logging

import click
from sqlalchemy import func, select

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import message, record
from ixcenter.cli.progress import progress_bar
from ixcenter.core.kinds import Role
from ixcenter.registry import demo_data
from ixcenter.registry.models import ApiToken, Organisation
from ixcenter.registry.services import tokens

logger = logging.getLogger(__name__)


@click.command("demo-data")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same exchange.")
@click.option("--members", type=int, default=300, show_default=True)
@json_option
@pass_app
def demo_data_command(app: App, seed: int, members: int, as_json: bool) -> None:
    """Fill an empty registry with a realistic synthetic exchange.

    3 exchange centers in different provinces with 2-4 nodes each, long-distance links and a
    cross-border channel, members of every category with dual-stack addresses, and private
    interconnects of every kind. Deterministic by seed.
    """
    with progress_bar("building demo exchange") as progress:
        summary = demo_data.generate(app.registry, seed=seed, members=members, progress=progress)
    record(summary.as_dict(), as_json=as_json)


def _serve(app: App, host: str | None, port: int | None) -> None:
    import uvicorn

    from ixcenter.api.app import create_app

    host = host or app.settings.api_host
    port = port or app.settings.api_port
    message(f"ixcenter serving on http://{host}:{port}/  (API: /openapi.json, Ctrl-C stops)")
    uvicorn.run(create_app(app.registry), host=host, port=port, log_level="info")


@click.command("serve")
@click.option("--host", help="Address to listen on.  [default: 127.0.0.1]")
@click.option("--port", type=int, help="Port to listen on.  [default: 8470]")
@pass_app
def serve(app: App, host: str | None, port: int | None) -> None:
    """Serve the REST API and the portal.

    One port for both; the OpenAPI description is at /openapi.json.
    """
    _serve(app, host, port)


@click.command("demo")
@click.option("--members", type=int, default=300, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--port", type=int, help="Port to listen on.  [default: 8470]")
@pass_app
def demo(app: App, members: int, seed: int, port: int | None) -> None:
    """Run a demo exchange on localhost.

    Synthetic data in the registry, with the API and portal served on localhost.

    The registry is filled once; running again reuses it. An operator token is printed so the
    API can be tried at once.
    """
    registry = app.registry
    with registry.read() as s:
        existing = s.scalar(select(func.count()).select_from(Organisation)) or 0
    if existing == 0:
        with progress_bar("building demo exchange") as progress:
            demo_data.generate(registry, seed=seed, members=members, progress=progress)
    else:
        message(f"registry has {existing} members already: reusing it")
    with registry.transaction(app.actor) as s:
        taken = s.scalar(select(func.count()).select_from(ApiToken)) or 0
        _, secret = tokens.create(
            s, f"demo-operator-{taken + 1}", Role.OPERATOR, None, registry.clock
        )
    message(f"registry: {registry.url}")
    message(f"operator token: {secret}")
    message(
        "  try: curl -H 'Authorization: Bearer <token>' "
        f"http://127.0.0.1:{port or app.settings.api_port}/api/v1/members"
    )
    _serve(app, None, port)


def register(cli: click.Group) -> None:
    cli.add_command(demo_data_command)
    cli.add_command(serve)
    cli.add_command(demo)
