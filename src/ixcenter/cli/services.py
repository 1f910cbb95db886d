"""``ixc service``: public peering and private interconnects."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ixcenter.cli.context import App, json_option, pass_app
from ixcenter.cli.output import table
from ixcenter.core.kinds import ServiceKind, ServiceStatus
from ixcenter.registry.models import Service, ServiceEndpoint
from ixcenter.registry.services import interconnects

PRIVATE_KINDS = click.Choice([k.value for k in ServiceKind if k.is_private])


@click.group("service")
def service() -> None:
    """Public peering and private interconnects.

    Public peering is one service per LAN; a private interconnect is a VLAN joining ports.
    """


@service.command("list")
@click.option("--kind", type=click.Choice([k.value for k in ServiceKind]))
@click.option("--all", "show_all", is_flag=True, help="Include ceased services.")
@json_option
@pass_app
def service_list(app: App, kind: str | None, show_all: bool, as_json: bool) -> None:
    """List services with their ports and committed bandwidth."""
    with app.registry.read() as s:
        query = select(Service).options(
            selectinload(Service.endpoints).selectinload(ServiceEndpoint.port)
        )
        if kind:
            query = query.where(Service.kind == ServiceKind(kind))
        if not show_all:
            query = query.where(Service.status == ServiceStatus.ACTIVE)
        rows = [
            {
                "id": v.id,
                "kind": v.kind,
                "name": v.name,
                "status": v.status,
                "committed_mbps": v.committed_mbps or None,
                "ports": len(v.endpoints),
                "vlans": sorted({e.vlan for e in v.endpoints}),
            }
            for v in s.scalars(query.order_by(Service.id))
        ]
    table(
        rows,
        ["id", "kind", "name", "status", "committed_mbps", "ports", "vlans"],
        as_json=as_json,
        title="services",
    )


@service.command("add")
@click.option("--kind", type=PRIVATE_KINDS, required=True)
@click.option("--name", required=True)
@click.option("--vlan", type=int, required=True, help="VLAN on every port.")
@click.option("--mbps", "committed_mbps", type=int, required=True, help="Committed bandwidth.")
@click.argument("port_ids", nargs=-1, type=int, required=True)
@pass_app
def service_add(
    app: App, kind: str, name: str, vlan: int, committed_mbps: int, port_ids: tuple[int, ...]
) -> None:
    """Add a private interconnect joining PORT_IDS on one VLAN.

    Every port must serve a member with a valid licence, the VLAN must be free on each port,
    and the committed bandwidth must fit each port's remaining capacity.
    """
    request = interconnects.Interconnect(ServiceKind(kind), name, committed_mbps, port_ids, vlan)
    with app.registry.transaction(app.actor) as s:
        done = interconnects.add(s, request, app.registry.clock)
        service_id = done.id
    click.echo(f"service #{service_id} {name} ({kind}) added on {len(port_ids)} ports")


@service.command("cease")
@click.argument("service_id", type=int)
@pass_app
def service_cease(app: App, service_id: int) -> None:
    """End a private interconnect and free its VLANs."""
    with app.registry.transaction(app.actor) as s:
        interconnects.cease(s, service_id)
    click.echo(f"service #{service_id} ceased")


def register(cli: click.Group) -> None:
    cli.add_command(service)
