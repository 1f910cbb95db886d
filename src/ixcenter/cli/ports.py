"""``ixc port``: list, add, bundle into a LAG, set MACs, move, decommission."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import table
from ixcenter.core.kinds import PortStatus
from ixcenter.registry.models import Port, Switch
from ixcenter.registry.services import lookups, ports


@click.group("port")
def port() -> None:
    """Switch ports (and LAGs) and the members they serve."""


@port.command("list")
@click.option("--switch", "switch_name", help="Only this switch.")
@click.option("--member", "member_key", help="Only this member (name, ASN or #id).")
@click.option("--status", type=click.Choice([s.value for s in PortStatus]))
@json_option
@pass_app
def port_list(
    app: App, switch_name: str | None, member_key: str | None, status: str | None, as_json: bool
) -> None:
    """List ports with speed, status, member and MACs."""
    with app.registry.read() as s:
        query = (
            select(Port)
            .join(Switch)
            .options(selectinload(Port.macs), selectinload(Port.organisation))
            .order_by(Switch.name, Port.name)
        )
        if switch_name:
            query = query.where(Switch.name == switch_name)
        if member_key:
            query = query.where(Port.organisation_id == lookups.member(s, member_key).id)
        if status:
            query = query.where(Port.status == PortStatus(status))
        rows = [
            {
                "id": p.id,
                "switch": p.switch.name,
                "name": p.name,
                "kind": p.kind,
                "speed_mbps": p.speed_mbps,
                "status": p.status,
                "member": p.organisation.name if p.organisation else None,
                "macs": [m.mac for m in p.macs],
            }
            for p in s.scalars(query)
        ]
    table(
        rows,
        ["id", "switch", "name", "kind", "speed_mbps", "status", "member", "macs"],
        as_json=as_json,
        title="ports",
    )


@port.command("add")
@click.option("--switch", "switch_name", required=True)
@click.option("--name", required=True)
@click.option("--speed", "speed_mbps", type=int, required=True, help="Mbit/s")
@pass_app
def port_add(app: App, switch_name: str, name: str, speed_mbps: int) -> None:
    """Add an available port to a switch."""
    with app.registry.transaction(app.actor) as s:
        new = ports.add_port(s, switch_name, name, speed_mbps)
        port_id = new.id
    click.echo(f"port #{port_id} {switch_name} {name} added")


@port.command("lag")
@click.option("--switch", "switch_name", required=True)
@click.option("--name", required=True, help="Name of the LAG, e.g. ae0.")
@click.argument("port_ids", nargs=-1, type=int, required=True)
@pass_app
def port_lag(app: App, switch_name: str, name: str, port_ids: tuple[int, ...]) -> None:
    """Bundle available ports into a LAG."""
    with app.registry.transaction(app.actor) as s:
        lag = ports.add_lag(s, switch_name, name, list(port_ids))
        text = f"LAG #{lag.id} {name} of {len(port_ids)} ports, {lag.speed_mbps} Mbit/s"
    click.echo(text)


@port.command("macs")
@click.argument("port_id", type=int)
@click.argument("macs", nargs=-1)
@pass_app
def port_macs(app: App, port_id: int, macs: tuple[str, ...]) -> None:
    """Set the MACs allowed on a port (none: clear)."""
    with app.registry.transaction(app.actor) as s:
        done = ports.set_macs(s, lookups.port(s, port_id), list(macs))
        text = ", ".join(m.mac for m in done.macs) or "none"
    click.echo(f"port #{port_id} MACs: {text}")


@port.command("connect")
@click.argument("port_id", type=int)
@click.option("--member", "member_key", required=True, help="Member name, ASN or #id.")
@click.option("--mac", "macs", multiple=True, help="Router MAC address (repeatable).")
@pass_app
def port_connect(app: App, port_id: int, member_key: str, macs: tuple[str, ...]) -> None:
    """Give an existing member one more port.

    The port must be available; addresses follow with `ixc ip assign`.

    \b
    Example:
      ixc port add --switch sh1-sw1 --name Ethernet3/1 --speed 100000
      ixc port connect 42 --member AS64500 --mac 02:00:00:00:00:02
      ixc ip assign 42 --exchange SH --vlan 200
    """
    with app.registry.transaction(app.actor) as s:
        org = lookups.member(s, member_key)
        ports.connect(s, port_id, org, list(macs), app.registry.clock)
        name = org.name
    click.echo(f"port #{port_id} connected to {name}")


@port.command("move")
@click.argument("port_id", type=int)
@click.option("--to-switch", required=True)
@click.option("--to-port", required=True)
@click.option("--speed", "speed_mbps", type=int, help="Mbit/s, if the new port is created.")
@pass_app
def port_move(app: App, port_id: int, to_switch: str, to_port: str, speed_mbps: int | None) -> None:
    """Move a member to another port.

    MACs, addresses and service VLANs move along.
    """
    with app.registry.transaction(app.actor) as s:
        target = ports.move(s, ports.Move(port_id, to_switch, to_port, speed_mbps))
        target_id = target.id
    click.echo(f"port #{port_id} moved to #{target_id} {to_switch} {to_port}")


@port.command("decommission")
@click.argument("port_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_app
def port_decommission(app: App, port_id: int, yes: bool) -> None:
    """Take a port out of service.

    Its addresses and service VLANs are released.
    """
    if not yes:
        click.confirm(f"decommission port #{port_id} and release its addresses?", abort=True)
    with app.registry.transaction(app.actor) as s:
        ports.decommission(s, port_id)
    click.echo(f"port #{port_id} decommissioned")


def register(cli: click.Group) -> None:
    cli.add_command(port)
