"""``ixc exchange``, ``ixc node``, ``ixc switch``, ``ixc lan``: the exchange's build-out."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import record, table
from ixcenter.registry.models import (
    ExchangeCenter,
    IpAssignment,
    Node,
    PeeringLan,
    Port,
    Switch,
)
from ixcenter.registry.services import lookups, topology


@click.group("exchange")
def exchange() -> None:
    """Exchange centers, one per region.

    Each has nodes in several cities and its own peering LANs.
    """


@exchange.command("list")
@json_option
@pass_app
def exchange_list(app: App, as_json: bool) -> None:
    """List exchange centers with their nodes and peering LANs."""
    with app.registry.read() as s:
        rows = [
            {
                "code": e.code,
                "name": e.name,
                "city": e.city,
                "province": e.province,
                "country": e.country,
                "nodes": len(e.nodes),
                "lans": len(e.lans),
                "rs_asn": e.rs_asn,
            }
            for e in s.scalars(select(ExchangeCenter).order_by(ExchangeCenter.code))
        ]
    table(
        rows,
        ["code", "name", "city", "province", "country", "nodes", "lans", "rs_asn"],
        as_json=as_json,
        title="exchange centers",
    )


@exchange.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--city", required=True)
@click.option("--province", required=True)
@click.option("--country", default="CN", show_default=True, help="ISO 3166 alpha-2 code.")
@click.option("--rs-asn", type=int, help="ASN of the route servers.")
@click.option("--url")
@pass_app
def exchange_add(
    app: App,
    code: str,
    name: str,
    city: str,
    province: str,
    country: str,
    rs_asn: int | None,
    url: str | None,
) -> None:
    """Add an exchange center CODE (e.g. BJ)."""
    with app.registry.transaction(app.actor) as s:
        topology.add_exchange(
            s, topology.NewExchange(code, name, city, province, country, url, rs_asn)
        )
    click.echo(f"exchange center {code} added")


@click.group("node")
def node() -> None:
    """Nodes: points of presence in cities.

    A node stands in a data center and belongs to one exchange center.
    """


@node.command("list")
@click.option("--exchange", "exchange_code", help="Only this exchange center.")
@json_option
@pass_app
def node_list(app: App, exchange_code: str | None, as_json: bool) -> None:
    """List nodes with their location and switch count."""
    with app.registry.read() as s:
        query = select(Node).join(ExchangeCenter).order_by(Node.code)
        if exchange_code:
            query = query.where(ExchangeCenter.code == exchange_code)
        rows = [
            {
                "code": n.code,
                "exchange": n.exchange.code,
                "name": n.name,
                "city": n.city,
                "province": n.province,
                "facility": n.facility,
                "switches": len(n.switches),
                "latitude": n.latitude,
                "longitude": n.longitude,
            }
            for n in s.scalars(query)
        ]
    table(
        rows,
        [
            "code",
            "exchange",
            "name",
            "city",
            "province",
            "facility",
            "switches",
            "latitude",
            "longitude",
        ],
        as_json=as_json,
        title="nodes",
    )


@node.command("add")
@click.argument("code")
@click.option("--exchange", "exchange_code", required=True)
@click.option("--name", required=True)
@click.option("--city", required=True)
@click.option("--province", required=True)
@click.option("--country", default="CN", show_default=True)
@click.option("--lat", type=float)
@click.option("--lon", type=float)
@click.option("--facility", help="The data center the node stands in.")
@pass_app
def node_add(
    app: App,
    code: str,
    exchange_code: str,
    name: str,
    city: str,
    province: str,
    country: str,
    lat: float | None,
    lon: float | None,
    facility: str | None,
) -> None:
    """Add node CODE to an exchange center."""
    with app.registry.transaction(app.actor) as s:
        topology.add_node(
            s,
            topology.NewNode(
                exchange_code, code, name, city, province, country, lat, lon, facility
            ),
        )
    click.echo(f"node {code} added to {exchange_code}")


@click.group("switch")
def switch() -> None:
    """Switches of the exchange fabric."""


@switch.command("list")
@json_option
@pass_app
def switch_list(app: App, as_json: bool) -> None:
    """List switches with their node and port usage."""
    with app.registry.read() as s:
        counts = dict(
            s.execute(
                select(Port.switch_id, func.count())
                .where(Port.organisation_id.is_not(None))
                .group_by(Port.switch_id)
            )
            .tuples()
            .all()
        )
        rows = [
            {
                "name": w.name,
                "node": w.node.code,
                "exchange": w.node.exchange.code,
                "model": w.model,
                "ports": len(w.ports),
                "connected": counts.get(w.id, 0),
            }
            for w in s.scalars(select(Switch).order_by(Switch.name))
        ]
    table(
        rows,
        ["name", "node", "exchange", "model", "ports", "connected"],
        as_json=as_json,
        title="switches",
    )


@switch.command("add")
@click.argument("name")
@click.option("--node", "node_code", required=True)
@click.option("--manufacturer")
@click.option("--model")
@pass_app
def switch_add(
    app: App, name: str, node_code: str, manufacturer: str | None, model: str | None
) -> None:
    """Add switch NAME at a node."""
    with app.registry.transaction(app.actor) as s:
        topology.add_switch(s, node_code, name, manufacturer, model)
    click.echo(f"switch {name} added at {node_code}")


@click.group("lan")
def lan() -> None:
    """Peering LANs: a VLAN with IPv4 and IPv6.

    Each exchange center has one or more; members get addresses on them.
    """


@lan.command("list")
@json_option
@pass_app
def lan_list(app: App, as_json: bool) -> None:
    """List peering LANs with address usage."""
    with app.registry.read() as s:
        used = dict(
            s.execute(select(IpAssignment.lan_id, func.count()).group_by(IpAssignment.lan_id))
            .tuples()
            .all()
        )
        rows = [
            {
                "exchange": n.exchange.code,
                "name": n.name,
                "vlan": n.vlan,
                "ipv4_prefix": n.ipv4_prefix,
                "ipv6_prefix": n.ipv6_prefix,
                "reserved": len(n.reservations),
                "routers": used.get(n.id, 0),
            }
            for n in s.scalars(select(PeeringLan).order_by(PeeringLan.exchange_id, PeeringLan.vlan))
        ]
    table(
        rows,
        ["exchange", "name", "vlan", "ipv4_prefix", "ipv6_prefix", "reserved", "routers"],
        as_json=as_json,
        title="peering LANs",
    )


@lan.command("add")
@click.option("--exchange", "exchange_code", required=True)
@click.option("--name", required=True)
@click.option("--vlan", type=int, required=True)
@click.option("--ipv4", "ipv4_prefix", help="e.g. 198.51.100.0/24")
@click.option("--ipv6", "ipv6_prefix", help="e.g. 2001:db8:100::/64")
@click.option(
    "--reserve",
    multiple=True,
    metavar="ADDRESS=PURPOSE",
    help="An address members never get, e.g. 198.51.100.1=rs1 (repeatable).",
)
@pass_app
def lan_add(
    app: App,
    exchange_code: str,
    name: str,
    vlan: int,
    ipv4_prefix: str | None,
    ipv6_prefix: str | None,
    reserve: tuple[str, ...],
) -> None:
    """Add a peering LAN (and its public-peering service) to an exchange center."""
    reserved = tuple(
        (text.partition("=")[0], text.partition("=")[2] or "reserved") for text in reserve
    )
    with app.registry.transaction(app.actor) as s:
        topology.add_lan(
            s,
            topology.NewLan(exchange_code, name, vlan, ipv4_prefix, ipv6_prefix, reserved),
            app.registry.clock,
        )
    click.echo(f"peering LAN {name} (VLAN {vlan}) added to {exchange_code}")


@lan.command("show")
@click.option("--exchange", "exchange_code", required=True)
@click.option("--vlan", type=int, required=True)
@json_option
@pass_app
def lan_show(app: App, exchange_code: str, vlan: int, as_json: bool) -> None:
    """Show a LAN and its reserved addresses."""
    with app.registry.read() as s:
        found = lookups.lan(s, exchange_code, vlan)
        data = {
            "exchange": exchange_code,
            "name": found.name,
            "vlan": found.vlan,
            "ipv4_prefix": found.ipv4_prefix,
            "ipv6_prefix": found.ipv6_prefix,
            "mtu": found.mtu,
            "reserved": [f"{r.address} ({r.purpose})" for r in found.reservations],
        }
    record(data, as_json=as_json)


def register(cli: click.Group) -> None:
    for group in (exchange, node, switch, lan):
        cli.add_command(group)
