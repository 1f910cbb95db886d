"""Members: the public view (what the IX-F export shows anyway), the full view, and changes.

A member is listed in one of two shapes, told apart by ``view``: ``public`` (name, category,
country, web site, ASNs and AS-SETs) for callers without a token, ``full`` (adding licence, SME
flag, routing limits and ports) for the operator, the supervisor and the member itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from ixcenter.api.schemas.numbers import Int32, Int64
from ixcenter.core.kinds import OrgCategory
from ixcenter.registry.models import MemberAsn, Organisation
from ixcenter.registry.services import members


class AsnPublic(BaseModel):
    asn: int
    name: str | None
    as_set: str | None


class AsnDetail(AsnPublic):
    irr_sources: str | None
    max_prefix_v4: int
    max_prefix_v6: int
    rs_participation: bool
    rs_blackhole: bool
    bgp_password_set: bool

    @classmethod
    def of(cls, asn: MemberAsn) -> AsnDetail:
        return cls(
            asn=asn.asn,
            name=asn.name,
            as_set=asn.as_set,
            irr_sources=asn.irr_sources,
            max_prefix_v4=asn.max_prefix_v4,
            max_prefix_v6=asn.max_prefix_v6,
            rs_participation=asn.rs_participation,
            rs_blackhole=asn.rs_blackhole,
            bgp_password_set=asn.bgp_password is not None,
        )


class _MemberView(BaseModel):
    """What every view of a member shows."""

    id: int
    name: str
    category: OrgCategory
    country: str
    url: str | None

    @staticmethod
    def common(org: Organisation) -> dict[str, Any]:
        return {
            "id": org.id,
            "name": org.name,
            "category": org.category,
            "country": org.country,
            "url": org.url,
        }


class MemberPublic(_MemberView):
    view: Literal["public"] = "public"
    asns: list[AsnPublic]

    @classmethod
    def of(cls, org: Organisation) -> MemberPublic:
        asns = [AsnPublic(asn=a.asn, name=a.name, as_set=a.as_set) for a in org.asns]
        return cls(**cls.common(org), asns=asns)


class MemberDetail(_MemberView):
    view: Literal["full"] = "full"
    sme: bool
    licence_number: str | None
    licence_expires: dt.date | None
    asns: list[AsnDetail]
    port_ids: list[int]

    @classmethod
    def of(cls, org: Organisation) -> MemberDetail:
        return cls(
            **cls.common(org),
            sme=org.sme,
            licence_number=org.licence_number,
            licence_expires=org.licence_expires,
            asns=[AsnDetail.of(a) for a in org.asns],
            port_ids=[p.id for p in org.ports],
        )


MemberEntry = Annotated[MemberPublic | MemberDetail, Field(discriminator="view")]


class OnboardingIn(BaseModel):
    """Connect a new member to a peering LAN in one step (see ``members.onboard``)."""

    name: str
    category: OrgCategory
    country: str
    asn: Int64 | str
    switch: str
    port: str
    licence_number: str | None = None
    licence_expires: dt.date | None = None
    sme: bool = False
    url: str | None = None
    speed_mbps: Int64 | None = None
    macs: list[str] = Field(default_factory=list)
    vlan: Int32 | None = None
    ipv4: str | None = None
    ipv6: str | None = None
    as_set: str | None = None
    irr_sources: str | None = None
    max_prefix_v4: Int32 = 100
    max_prefix_v6: Int32 = 20
    rs_participation: bool = True
    rs_blackhole: bool = False
    bgp_password: str | None = None

    def to_request(self) -> members.Onboarding:
        values = self.model_dump()
        values["macs"] = tuple(self.macs)
        return members.Onboarding(**values)


class OnboardedOut(BaseModel):
    organisation_id: int
    asn: int
    port_id: int
    lan_id: int
    ipv4: str | None
    ipv6: str | None
    member: MemberDetail


class MemberChangeIn(BaseModel):
    """Fields to change; a field left out stays as it is, an empty string clears it."""

    licence_number: str | None = None
    licence_expires: dt.date | None = None
    sme: bool | None = None
    category: OrgCategory | None = None
    url: str | None = None

    def to_change(self) -> members.MemberChange:
        return members.MemberChange(**self.model_dump())
