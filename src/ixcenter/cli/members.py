"""``ixc member``: list, show, onboard in one step, update licence and category."""

from __future__ import annotations

import datetime as dt

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import record, table
from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.models import MemberAsn, Organisation, Port
from ixcenter.registry.services import lookups, members, routing_data

CATEGORIES = click.Choice([c.value for c in OrgCategory])


@click.group("member")
def member() -> None:
    """Members: organisations, ASNs, licences.

    Also their ports and addresses.

    A member is named by name, by ASN (AS64500) or by id (#12).
    """


@member.command("list")
@click.option("--category", type=CATEGORIES, help="Only members of this category.")
@click.option("--expired", is_flag=True, help="Only members whose licence is expired or missing.")
@json_option
@pass_app
def member_list(app: App, category: str | None, expired: bool, as_json: bool) -> None:
    """List members with ASNs, category, licence and port count."""
    today = app.registry.clock.today()
    with app.registry.read() as s:
        query = select(Organisation).options(
            selectinload(Organisation.asns), selectinload(Organisation.ports)
        )
        if category:
            query = query.where(Organisation.category == OrgCategory(category))
        rows = [
            {
                "id": o.id,
                "name": o.name,
                "asns": [f"AS{a.asn}" for a in o.asns],
                "category": o.category,
                "country": o.country,
                "sme": o.sme,
                "licence_expires": o.licence_expires,
                "licence_ok": o.licence_valid_on(today),
                "ports": len(o.ports),
            }
            for o in s.scalars(query.order_by(Organisation.name))
        ]
    if expired:
        rows = [r for r in rows if not r["licence_ok"]]
    table(
        rows,
        [
            "id",
            "name",
            "asns",
            "category",
            "country",
            "sme",
            "licence_expires",
            "licence_ok",
            "ports",
        ],
        as_json=as_json,
        title="members",
    )


@member.command("show")
@click.argument("key")
@json_option
@pass_app
def member_show(app: App, key: str, as_json: bool) -> None:
    """Show one member: organisation, ASNs and connections."""
    with app.registry.read() as s:
        org = lookups.member(s, key)
        asns = org.asns
        data = {
            "id": org.id,
            "name": org.name,
            "category": org.category,
            "country": org.country,
            "sme": org.sme,
            "licence_number": org.licence_number,
            "licence_expires": org.licence_expires,
            "licence_ok": org.licence_valid_on(app.registry.clock.today()),
            "asns": [f"AS{a.asn}" for a in asns],
            "as_set": [a.as_set for a in asns if a.as_set],
            "max_prefix": [f"AS{a.asn} v4 {a.max_prefix_v4} v6 {a.max_prefix_v6}" for a in asns],
            "route_servers": [_route_server_text(a) for a in asns],
            "ports": [_port_text(p) for p in org.ports],
            "addresses": [
                f"{x.lan.exchange.code} VLAN {x.lan.vlan}: {x.ipv4 or '-'} {x.ipv6 or '-'}"
                for p in org.ports
                for x in p.assignments
            ],
        }
    record(data, as_json=as_json)


def _route_server_text(asn: MemberAsn) -> str:
    words = ["yes" if asn.rs_participation else "no"]
    if asn.rs_blackhole:
        words.append("receives blackholes")
    if asn.bgp_password:
        words.append("password set")
    return f"AS{asn.asn} {', '.join(words)}"


def _port_text(port: Port) -> str:
    return f"#{port.id} {port.switch.name} {port.name} {port.speed_mbps} Mbit/s {port.status}"


@member.command("onboard")
@click.option("--name", required=True, help="Organisation name.")
@click.option("--asn", required=True, help="AS number, e.g. 64500 or AS64500.")
@click.option("--category", type=CATEGORIES, required=True)
@click.option("--country", default="CN", show_default=True)
@click.option("--licence", "licence_number", help="Business licence number (required).")
@click.option("--licence-expires", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--sme", is_flag=True, help="Small or medium enterprise (tariff discount).")
@click.option("--switch", "switch_name", required=True, help="Switch the member connects to.")
@click.option("--port", "port_name", required=True, help="Port name; created if it is new.")
@click.option("--speed", "speed_mbps", type=int, help="Mbit/s, for a new port.")
@click.option("--mac", "macs", multiple=True, help="Router MAC address (repeatable).")
@click.option("--vlan", type=int, help="Peering LAN VLAN; default the center's first LAN.")
@click.option("--ipv4", help="Address to use; default the next free one.")
@click.option("--ipv6", help="Address to use; default the next free one.")
@click.option("--as-set", help="IRR AS-SET, e.g. AS-EXAMPLE.")
@click.option("--max-prefix-v4", type=int, default=100, show_default=True)
@click.option("--max-prefix-v6", type=int, default=20, show_default=True)
@click.option("--no-route-servers", is_flag=True, help="Do not peer with the route servers.")
@json_option
@pass_app
def member_onboard(
    app: App,
    name: str,
    asn: str,
    category: str,
    country: str,
    licence_number: str | None,
    licence_expires: dt.datetime | None,
    sme: bool,
    switch_name: str,
    port_name: str,
    speed_mbps: int | None,
    macs: tuple[str, ...],
    vlan: int | None,
    ipv4: str | None,
    ipv6: str | None,
    as_set: str | None,
    max_prefix_v4: int,
    max_prefix_v6: int,
    no_route_servers: bool,
    as_json: bool,
) -> None:
    """Connect a new member in one step: organisation, ASN, port, MACs and dual-stack addresses.

    Every problem is reported at once and nothing is written unless all is well.

    \b
    Example:
      ixc member onboard --name "Example Net" --asn 64500 --category isp \\
          --licence B1-2024-001 --licence-expires 2027-12-31 \\
          --switch bj1-sw1 --port Ethernet1/1 --speed 10000 --mac 02:00:00:00:00:01
    """
    request = members.Onboarding(
        name=name,
        category=OrgCategory(category),
        country=country,
        asn=asn,
        switch=switch_name,
        port=port_name,
        licence_number=licence_number,
        licence_expires=licence_expires.date() if licence_expires else None,
        sme=sme,
        speed_mbps=speed_mbps,
        macs=macs,
        vlan=vlan,
        ipv4=ipv4,
        ipv6=ipv6,
        as_set=as_set,
        max_prefix_v4=max_prefix_v4,
        max_prefix_v6=max_prefix_v6,
        rs_participation=not no_route_servers,
    )
    with app.registry.transaction(app.actor) as s:
        done = members.onboard(s, request, app.registry.clock)
    record(
        {
            "member": name,
            "organisation_id": done.organisation_id,
            "asn": f"AS{done.asn}",
            "port_id": done.port_id,
            "ipv4": done.ipv4,
            "ipv6": done.ipv6,
        },
        as_json=as_json,
    )


@member.command("update")
@click.argument("key")
@click.option("--licence", "licence_number", help="New business licence number.")
@click.option("--licence-expires", type=click.DateTime(["%Y-%m-%d"]), help="YYYY-MM-DD")
@click.option("--sme/--no-sme", default=None, help="Small or medium enterprise.")
@click.option("--category", type=CATEGORIES)
@pass_app
def member_update(
    app: App,
    key: str,
    licence_number: str | None,
    licence_expires: dt.datetime | None,
    sme: bool | None,
    category: str | None,
) -> None:
    """Change a member's licence, SME flag or category."""
    change = members.MemberChange(
        licence_number=licence_number,
        licence_expires=licence_expires.date() if licence_expires else None,
        sme=sme,
        category=OrgCategory(category) if category else None,
    )
    with app.registry.transaction(app.actor) as s:
        org = members.update(s, lookups.member(s, key), change)
        name = org.name
    click.echo(f"member {name} updated")


@member.command("routing")
@click.argument("asn")
@click.option("--as-set", help="IRR AS-SET (AS-EXAMPLE); an empty value clears it.")
@click.option("--irr-sources", help="IRR sources in preference order, e.g. RIPE,APNIC.")
@click.option("--max-prefix-v4", type=int, help="Route-server max-prefix for IPv4.")
@click.option("--max-prefix-v6", type=int, help="Route-server max-prefix for IPv6.")
@click.option("--route-servers/--no-route-servers", default=None, help="Peer with the RS.")
@click.option(
    "--blackholes/--no-blackholes", default=None, help="Receive RFC 7999 blackhole routes."
)
@click.option("--bgp-password", help="TCP MD5 password of the RS sessions; empty clears it.")
@pass_app
def member_routing(
    app: App,
    asn: str,
    as_set: str | None,
    irr_sources: str | None,
    max_prefix_v4: int | None,
    max_prefix_v6: int | None,
    route_servers: bool | None,
    blackholes: bool | None,
    bgp_password: str | None,
) -> None:
    """Change an ASN's routing data: AS-SET, IRR sources, max-prefix, route-server options.

    The route servers pick the change up at the next ``ixc rs build``.

    \b
    Example:
      ixc member routing AS64500 --as-set AS-EXAMPLE --max-prefix-v4 200 --blackholes
    """
    change = routing_data.RoutingChange(
        as_set=as_set,
        irr_sources=irr_sources,
        max_prefix_v4=max_prefix_v4,
        max_prefix_v6=max_prefix_v6,
        rs_participation=route_servers,
        rs_blackhole=blackholes,
        bgp_password=bgp_password,
    )
    with app.registry.transaction(app.actor) as s:
        member_asn = lookups.member_asn(s, asn)
        routing_data.change_routing(s, member_asn, change)
        number = member_asn.asn
    click.echo(f"AS{number} routing data updated")


def register(cli: click.Group) -> None:
    cli.add_command(member)
