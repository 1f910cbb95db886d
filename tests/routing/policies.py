"""Building blocks of the hand-made route-server policies the renderer tests print."""

from __future__ import annotations

import ipaddress

from ixcenter.routing.policy.model import Client, PrefixRule


def rule(prefix: str, shortest: int | None = None, longest: int | None = None) -> PrefixRule:
    """``prefix`` accepted from ``shortest`` (default its own length) to ``longest`` (default
    ``shortest``)."""
    net = ipaddress.ip_network(prefix)
    low = net.prefixlen if shortest is None else shortest
    return PrefixRule(net, low, low if longest is None else longest)


def client(key: str, asn: int, name: str, v4: str | None, v6: str | None, **kw: object) -> Client:
    """A client with the registry's default limits, only its own ASN as origin, no IRR prefixes
    and its own addresses as next hops, unless ``kw`` says otherwise."""
    ipv4 = None if v4 is None else ipaddress.IPv4Address(v4)
    ipv6 = None if v6 is None else ipaddress.IPv6Address(v6)
    values: dict[str, object] = {
        "max_prefix_v4": 100,
        "max_prefix_v6": 20,
        "as_set": None,
        "allowed_origins": frozenset({asn}),
        "allowed_prefixes": (),
        "next_hops": frozenset(a for a in (ipv4, ipv6) if a is not None),
    }
    values.update(kw)
    return Client(key=key, asn=asn, name=name, ipv4=ipv4, ipv6=ipv6, **values)  # type: ignore[arg-type]
