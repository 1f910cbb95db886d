"""``ixc link``: long-distance links between exchange centers and cross-border channels."""

from __future__ import annotations

import click
from sqlalchemy import select

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import table
from ixcenter.registry.models import LongDistanceLink
from ixcenter.registry.services import topology


@click.group("link")
def link() -> None:
    """Long-distance and cross-border links.

    Links join exchange centers; cross-border channels reach exchanges abroad.
    """


@link.command("list")
@json_option
@pass_app
def link_list(app: App, as_json: bool) -> None:
    """List links with capacity and latency."""
    with app.registry.read() as s:
        rows = [
            {
                "name": k.name,
                "a": k.a_exchange.code,
                "b": k.b_exchange.code if k.b_exchange else f"{k.remote_name} ({k.remote_country})",
                "capacity_mbps": k.capacity_mbps,
                "latency_ms": k.latency_ms,
                "cross_border": k.cross_border,
            }
            for k in s.scalars(select(LongDistanceLink).order_by(LongDistanceLink.name))
        ]
    table(
        rows,
        ["name", "a", "b", "capacity_mbps", "latency_ms", "cross_border"],
        as_json=as_json,
        title="long-distance links",
    )


@link.command("add")
@click.argument("name")
@click.option("--from", "a_exchange", required=True, help="Exchange center code.")
@click.option("--to", "b_exchange", help="Exchange center code of the far end.")
@click.option("--remote", "remote_name", help="A foreign exchange the link reaches.")
@click.option("--remote-country", help="ISO code of the foreign exchange's country.")
@click.option("--capacity", "capacity_mbps", type=int, required=True, help="Mbit/s")
@click.option("--latency", "latency_ms", type=float, required=True, help="Milliseconds.")
@click.option("--cross-border", is_flag=True, help="The link crosses a national border.")
@pass_app
def link_add(
    app: App,
    name: str,
    a_exchange: str,
    b_exchange: str | None,
    remote_name: str | None,
    remote_country: str | None,
    capacity_mbps: int,
    latency_ms: float,
    cross_border: bool,
) -> None:
    """Add a long-distance link NAME."""
    new = topology.NewLink(
        name,
        a_exchange,
        capacity_mbps,
        latency_ms,
        b_exchange,
        remote_name,
        remote_country,
        cross_border,
    )
    with app.registry.transaction(app.actor) as s:
        topology.add_link(s, new)
    click.echo(f"link {name} added")


def register(cli: click.Group) -> None:
    cli.add_command(link)
