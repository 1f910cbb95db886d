"""The web application: REST API under ``/api/v1``, IX-F export, portal pages, OpenAPI and docs.

``create_app(registry)`` is the one way to build it (``ixc serve`` and the benchmarks call it).
Every route must declare its access rule through a ``policy.Guard``; a route without one stops the
app from being built, so no endpoint is ever open by accident. ``app.state.access_rules`` maps each
``(method, path)`` to its rule.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

import ixcenter
from ixcenter.api import docs, metrics, policy, problems
from ixcenter.api.policy import Rule
from ixcenter.api.routes import (
    audit,
    exchanges,
    interchange,
    ips,
    links,
    looking_glass,
    members,
    ports,
    services,
)
from ixcenter.config import Settings
from ixcenter.core.errors import ConfigurationError
from ixcenter.portal import (
    auth,
    error_pages,
    i18n_middleware,
    looking_glass_pages,
    member_pages,
    operator_pages,
    pages,
    public_pages,
)
from ixcenter.portal.live import LiveCache
from ixcenter.registry.db import Registry
from ixcenter.routing.lg_snapshot import SnapshotRefresher

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

DESCRIPTION = """\
The registry of the Internet Exchange Center: exchange centers, members, ports, IP assignments,
services and long-distance links.

**Authentication**: `Authorization: Bearer <token>` (tokens come from `ixc token create`), or
the portal's session cookie after signing in at `/signin` (accounts from `ixc user create`; a
write with the cookie must carry the session's `X-CSRF-Token`). Roles:
*operator* (everything), *supervisor* (reads everything, writes nothing), *member* (its own
organisation, ports, addresses and services only), and the public (no token: centers, LANs, links,
the member list with public fields and the IX-F export).

**Errors** are RFC 9457 problem details (`application/problem+json`); validation errors list every
problem in `errors`. Another member's object answers **404**, exactly like one that does not exist;
**403** means the token's role may not do what it sees.
"""


ROUTERS: tuple[tuple[APIRouter, str], ...] = (
    (exchanges.router, API_PREFIX),
    (members.router, API_PREFIX),
    (ports.router, API_PREFIX),
    (ips.router, API_PREFIX),
    (services.router, API_PREFIX),
    (links.router, API_PREFIX),
    (audit.router, API_PREFIX),
    (interchange.router, API_PREFIX),
    (interchange.export_router, ""),
    (looking_glass.router, API_PREFIX),
    (metrics.router, ""),
    (pages.router, ""),
    (public_pages.router, ""),
    (auth.router, ""),
    (looking_glass_pages.router, ""),
    (member_pages.router, ""),
    (operator_pages.router, ""),
)


def access_rules(routes: Sequence[BaseRoute], prefix: str = "") -> dict[tuple[str, str], Rule]:
    """``(method, path) -> rule`` of every API route; ``ConfigurationError`` for one without."""
    rules: dict[tuple[str, str], Rule] = {}
    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        rule = policy.rule_of([d.call for d in route.dependant.dependencies])
        if rule is None:
            raise ConfigurationError(f"route {prefix}{route.path} declares no access rule")
        for method in route.methods or ():
            rules[(method, prefix + route.path)] = rule
    return rules


def create_app(
    registry: Registry,
    settings: Settings | None = None,
    *,
    snapshots: SnapshotRefresher | None = None,
) -> FastAPI:
    """The ASGI app serving ``registry``; with ``settings`` the overview page also shows the
    route servers and the traffic of that data directory, and the looking glass reads them
    in the background, unless ``snapshots`` are given (read elsewhere: ``api.serving``)."""
    app = FastAPI(
        title="ixcenter",
        version=ixcenter.__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.registry = registry
    app.state.settings = settings
    app.state.live = None if settings is None else LiveCache(registry, settings)
    if snapshots is not None:
        app.state.looking_glass = snapshots
    elif settings is not None:
        looking_glass.install(app, settings)
    problems.install(app, pages=error_pages.page_error)
    metrics.install(app)
    i18n_middleware.install(app)
    rules: dict[tuple[str, str], Rule] = {}
    for router, prefix in ROUTERS:
        rules.update(access_rules(router.routes, prefix))
        app.include_router(router, prefix=prefix)
    app.mount(pages.STATIC_PATH, StaticFiles(directory=pages.STATIC_DIR), name="static")
    docs.install(app)
    rules.update(access_rules(app.router.routes))
    app.state.access_rules = rules
    logger.info("API ready on registry %s", registry.dialect)
    return app
