"""Who may do what: the one place the API decides access.

Every route declares exactly one ``Rule`` through a ``Guard`` dependency (``create_app`` refuses a
route without one). The rule says which roles reach the route at all:

=============  ======  ==========  ==========================  ========
rule           public  supervisor  member                      operator
=============  ======  ==========  ==========================  ========
PUBLIC         yes     yes         yes                         yes
READ           401     yes         its own objects only        yes
STAFF          401     yes         403                         yes
MEMBER_WRITE   401     403         its own objects only        yes
OPERATOR       401     403         403                         yes
=============  ======  ==========  ==========================  ========

Scope (a member sees only its own organisation, ports, IP assignments and services) is decided by
the functions at the bottom of this module, which routes use to load objects and to filter lists.
An object a member may not see is reported as **404 Not Found**, with the same message whether it
exists or not, so a token never learns about other members' objects. 403 is kept for what the
caller can see but its role may not do (a supervisor writing, a member changing its licence, a
member ceasing an interconnect shared with another member).

Who asks is identified from an API token (``Authorization: Bearer ixc_...``) first, and otherwise
from the portal's session cookie (``ixc_session``, set by signing in to the portal), which gives
the same ``Caller`` (the account's login, role and organisation), so every rule and scope above
holds for a signed-in browser exactly as for a token. A cookie that is unknown, expired or signed
out makes the caller the public. Because a browser sends its cookie on its own, every request
with an unsafe method (POST, PUT, PATCH, DELETE) identified by the cookie must also carry the
session's CSRF token (``csrf_token``), in the form field ``csrf_token`` or the header
``X-CSRF-Token``; without it, or with a wrong one, the request is refused with 403 before the
route runs. Token callers need none: nothing sends their token on its own.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import urllib.parse
from dataclasses import dataclass, field
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ixcenter.core.errors import AuthenticationFailed, NotFound, PermissionDenied
from ixcenter.core.kinds import Role
from ixcenter.registry.db import Registry
from ixcenter.registry.models import IpAssignment, Organisation, Port, Service, ServiceEndpoint
from ixcenter.registry.services import addresses, portal_sessions, tokens

logger = logging.getLogger(__name__)

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer ixc_...`")

SESSION_COOKIE = "ixc_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM = 64 * 1024  # bytes: the portal's forms are small; a bigger body is not parsed


class Rule(enum.StrEnum):
    PUBLIC = "public"
    READ = "read"
    STAFF = "staff"
    MEMBER_WRITE = "member-write"
    OPERATOR = "operator"


_ALLOWED: dict[Rule, frozenset[Role]] = {
    Rule.PUBLIC: frozenset(Role),
    Rule.READ: frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.MEMBER}),
    Rule.STAFF: frozenset({Role.OPERATOR, Role.SUPERVISOR}),
    Rule.MEMBER_WRITE: frozenset({Role.OPERATOR, Role.MEMBER}),
    Rule.OPERATOR: frozenset({Role.OPERATOR}),
}

MEMBER_EDITABLE = frozenset({"url"})  # what a member may change on its own organisation


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking: a token's name or an account's login, the role and (for a member) the
    organisation; or the public. ``via`` says which: ``api`` (a token) or ``portal`` (a session)."""

    name: str | None
    role: Role
    organisation_id: int | None = None
    via: str = field(default="api", compare=False)

    @property
    def actor(self) -> str:
        """The audit log's name for changes made through this caller."""
        return f"{self.via}:{self.name}"

    @property
    def is_member(self) -> bool:
        return self.role is Role.MEMBER

    @property
    def sees_everything(self) -> bool:
        return self.role in (Role.OPERATOR, Role.SUPERVISOR)

    def sees(self, organisation_id: int | None) -> bool:
        """True when this caller may see objects of that organisation (``None``: nobody's)."""
        if self.sees_everything:
            return True
        return (
            self.is_member
            and organisation_id is not None
            and organisation_id == self.organisation_id
        )

    def hidden(self, what: str) -> NotFound:
        """The error for an object that does not exist or that this caller may not see."""
        if self.sees_everything:
            return NotFound(f"no {what}")
        return NotFound(f"no {what} visible to token {self.name!r}")


PUBLIC = Caller(None, Role.PUBLIC)


def registry_of(request: Request) -> Registry:
    return cast(Registry, request.app.state.registry)


def csrf_token(session_id: str) -> str:
    """The CSRF token of a session: an HMAC keyed by its id, which only the cookie holds."""
    return hmac.new(session_id.encode("utf-8"), b"ixc-csrf", hashlib.sha256).hexdigest()


async def form_fields(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as fields (the first value of each);
    empty for any other body, one larger than ``MAX_FORM`` or one of more than 100 fields."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM_TYPE:
        return {}
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=100
        )
    except ValueError:  # more fields than any form of ours has
        return {}
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return fields


async def _posted_csrf(request: Request) -> str | None:
    """The CSRF token an unsafe request carries (header first, then form field), if any."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    return (await form_fields(request)).get(CSRF_FIELD)


def _identify(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> tuple[Caller, str | None]:
    """The caller and, when a session cookie identified it, the session id."""
    raw = request.headers.get("authorization")
    if raw is not None:
        if credentials is None or not credentials.credentials:
            raise AuthenticationFailed("the Authorization header must be 'Bearer <token>'")
        with registry_of(request).read() as session:
            token = tokens.authenticate(session, credentials.credentials)
            return Caller(token.name, token.role, token.organisation_id), None
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        found = portal_sessions.identify(registry_of(request), session_id)
        if found is not None:
            return Caller(found.login, found.role, found.organisation_id, via="portal"), session_id
    return PUBLIC, None


def _anonymous(request: Request) -> bool:
    """True when ``request`` carries neither an Authorization header nor a session cookie:
    ``_identify`` would make it the public without asking the registry."""
    return "authorization" not in request.headers and not request.cookies.get(SESSION_COOKIE)


class Guard:
    """The dependency that admits a caller to a route under one ``Rule``."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        posted_csrf: Annotated[str | None, Depends(_posted_csrf)],
    ) -> Caller:
        # async, so the framework calls it on the event loop: only a request that carries a
        # token or a session cookie needs the registry, on a worker thread; the public (most
        # looking-glass traffic) is identified without a thread hop
        if _anonymous(request):
            caller, session_id = PUBLIC, None
        else:
            caller, session_id = await run_in_threadpool(_identify, request, credentials)
        request.state.caller = caller
        request.state.csrf_token = None if session_id is None else csrf_token(session_id)
        if session_id is not None and request.method not in SAFE_METHODS:
            expected = request.state.csrf_token.encode("ascii")
            if posted_csrf is None or not hmac.compare_digest(posted_csrf.encode(), expected):
                logger.info("session of %s: no CSRF token on %s", caller.name, request.url.path)
                raise PermissionDenied(
                    "the form's CSRF token is missing or wrong: reload the page and try again"
                )
        if caller.role not in _ALLOWED[self.rule]:
            if caller.role is Role.PUBLIC:
                raise AuthenticationFailed("this endpoint needs a bearer token")
            logger.info("token %s (%s) refused on %s", caller.name, caller.role, request.url.path)
            raise PermissionDenied(f"a {caller.role} token may not {_doing(self.rule)}")
        return caller

    def __repr__(self) -> str:
        return f"Guard({self.rule})"


def _doing(rule: Rule) -> str:
    return {
        Rule.READ: "read this",
        Rule.STAFF: "read this (operator and supervisor only)",
        Rule.MEMBER_WRITE: "change this",
        Rule.OPERATOR: "do this (operator only)",
    }.get(rule, "do this")


AnyCaller = Annotated[Caller, Depends(Guard(Rule.PUBLIC))]
Reader = Annotated[Caller, Depends(Guard(Rule.READ))]
Staff = Annotated[Caller, Depends(Guard(Rule.STAFF))]
MemberWriter = Annotated[Caller, Depends(Guard(Rule.MEMBER_WRITE))]
Operator = Annotated[Caller, Depends(Guard(Rule.OPERATOR))]
RegistryDep = Annotated[Registry, Depends(registry_of)]
FormFields = Annotated[dict[str, str], Depends(form_fields)]


def rule_of(dependencies: list[Any]) -> Rule | None:
    """The rule among a route's dependency callables (``None`` when it has no guard)."""
    rules = [d.rule for d in dependencies if isinstance(d, Guard)]
    return rules[0] if len(rules) == 1 else None


# --- scope: what a caller sees among the member objects -------------------------------------


def organisation(caller: Caller, session: Session, organisation_id: int) -> Organisation:
    found = session.get(Organisation, organisation_id)
    if found is None or not caller.sees(found.id):
        raise caller.hidden(f"member #{organisation_id}")
    return found


def port(caller: Caller, session: Session, port_id: int) -> Port:
    found = session.get(Port, port_id)
    if found is None or not caller.sees(found.organisation_id):
        raise caller.hidden(f"port {port_id}")
    return found


def assignment(caller: Caller, session: Session, assignment_id: int) -> IpAssignment:
    found = session.get(IpAssignment, assignment_id)
    if found is None or not caller.sees(found.member_asn.organisation_id):
        raise caller.hidden(f"IP assignment {assignment_id}")
    return found


def assignment_at(caller: Caller, session: Session, address: str) -> IpAssignment:
    """The assignment holding ``address``; a member learns nothing about others' addresses."""
    try:
        found = addresses.find(session, address)
    except NotFound:
        if caller.sees_everything:
            raise
        found = None
    if found is None or not caller.sees(found.member_asn.organisation_id):
        raise caller.hidden(f"assignment of {address}")
    return found


def service(caller: Caller, session: Session, service_id: int) -> Service:
    found = session.get(Service, service_id)
    if found is None or not (
        caller.sees_everything or any(caller.sees(e.port.organisation_id) for e in found.endpoints)
    ):
        raise caller.hidden(f"service {service_id}")
    return found


def members_query(caller: Caller, query: Select[Organisation]) -> Select[Organisation]:
    """Every member for the staff and the public (public fields only); a member: itself."""
    if caller.is_member:
        return query.where(Organisation.id == caller.organisation_id)
    return query


def ports_query(caller: Caller, query: Select[Port]) -> Select[Port]:
    if caller.sees_everything:
        return query
    return query.where(Port.organisation_id == caller.organisation_id)


def assignments_query(caller: Caller, query: Select[IpAssignment]) -> Select[IpAssignment]:
    if caller.sees_everything:
        return query
    return query.where(IpAssignment.port.has(Port.organisation_id == caller.organisation_id))


def services_query(caller: Caller, query: Select[Service]) -> Select[Service]:
    if caller.sees_everything:
        return query
    own = (
        select(ServiceEndpoint.id)
        .join(Port, ServiceEndpoint.port_id == Port.id)
        .where(
            ServiceEndpoint.service_id == Service.id,
            Port.organisation_id == caller.organisation_id,
        )
    )
    return query.where(exists(own))


# --- what a member may change among the objects it sees -------------------------------------


def check_member_change(caller: Caller, fields: set[str]) -> None:
    """A member changes only its own public contact data; licence, category, SME are vetted."""
    if caller.is_member and not fields <= MEMBER_EDITABLE:
        vetted = ", ".join(sorted(fields - MEMBER_EDITABLE))
        raise PermissionDenied(f"only the operator changes {vetted}")


def check_ports_owned(caller: Caller, session: Session, port_ids: tuple[int, ...]) -> None:
    """A member joins only its own ports; naming another member's port is a 404 like any other."""
    if caller.is_member:
        for port_id in port_ids:
            port(caller, session, port_id)


def check_service_change(caller: Caller, found: Service) -> None:
    if caller.is_member and not all(caller.sees(e.port.organisation_id) for e in found.endpoints):
        raise PermissionDenied(
            f"service {found.id} is shared with other members: the operator ceases it"
        )


def redact_ixf(caller: Caller, document: dict[str, Any]) -> dict[str, Any]:
    """The IX-F export as this caller may see it: MAC addresses for the staff only."""
    if caller.sees_everything:
        return document
    redacted: dict[str, Any] = _without(document, "mac_addresses")
    return redacted


def _without(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, key) for k, v in value.items() if k != key}
    if isinstance(value, list):
        return [_without(v, key) for v in value]
    return value
