"""``ixc ip``: member addresses on the peering LANs."""

from __future__ import annotations

import click
from sqlalchemy import select

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import record, table
from ixcenter.registry.models import ExchangeCenter, IpAssignment, PeeringLan
from ixcenter.registry.services import addresses, lookups


def _row(x: IpAssignment) -> dict[str, object]:
    return {
        "id": x.id,
        "exchange": x.lan.exchange.code,
        "vlan": x.lan.vlan,
        "asn": f"AS{x.member_asn.asn}",
        "member": x.member_asn.organisation.name,
        "port_id": x.port_id,
        "ipv4": x.ipv4,
        "ipv6": x.ipv6,
    }


COLUMNS = ["id", "exchange", "vlan", "asn", "member", "port_id", "ipv4", "ipv6"]


@click.group("ip")
def ip() -> None:
    """Member addresses on the peering LANs.

    One dual-stack pair per member router per peering LAN.
    """


@ip.command("list")
@click.option("--exchange", "exchange_code", help="Only this exchange center.")
@click.option("--member", "member_key", help="Only this member (name, ASN or #id).")
@json_option
@pass_app
def ip_list(app: App, exchange_code: str | None, member_key: str | None, as_json: bool) -> None:
    """List assigned addresses."""
    with app.registry.read() as s:
        query = (
            select(IpAssignment)
            .join(PeeringLan)
            .join(ExchangeCenter)
            .order_by(ExchangeCenter.code, PeeringLan.vlan, IpAssignment.id)
        )
        if exchange_code:
            query = query.where(ExchangeCenter.code == exchange_code)
        if member_key:
            org = lookups.member(s, member_key)
            query = query.where(IpAssignment.asn_id.in_([a.id for a in org.asns]))
        rows = [_row(x) for x in s.scalars(query)]
    table(rows, COLUMNS, as_json=as_json, title="IP assignments")


@ip.command("find")
@click.argument("address")
@json_option
@pass_app
def ip_find(app: App, address: str, as_json: bool) -> None:
    """Who holds ADDRESS (IPv4 or IPv6)."""
    with app.registry.read() as s:
        data = _row(addresses.find(s, address))
    record(data, as_json=as_json)


@ip.command("assign")
@click.argument("port_id", type=int)
@click.option("--exchange", "exchange_code", required=True)
@click.option("--vlan", type=int, required=True)
@click.option("--asn", type=int, help="Which of the member's ASNs; default its first.")
@click.option("--ipv4", help="Default: the next free address.")
@click.option("--ipv6", help="Default: the next free address.")
@json_option
@pass_app
def ip_assign(
    app: App,
    port_id: int,
    exchange_code: str,
    vlan: int,
    asn: int | None,
    ipv4: str | None,
    ipv6: str | None,
    as_json: bool,
) -> None:
    """Give the member on PORT_ID another router address pair on a LAN."""
    with app.registry.transaction(app.actor) as s:
        done = addresses.assign_to_port(s, port_id, exchange_code, vlan, asn, ipv4, ipv6)
        data = _row(done)
    record(data, as_json=as_json)


def register(cli: click.Group) -> None:
    cli.add_command(ip)
