from __future__ import annotations

import ipaddress
import os
from pathlib import Path

import pytest

from ixcenter.core.errors import ConfigurationError, NotFound, ValidationFailed
from ixcenter.lab import EmulatedLan, Lab, Segment


def test_attach_checks_addresses_before_touching_anything() -> None:
    lan = EmulatedLan("ixc-none-fabric", "br0", ipaddress.IPv4Network("192.0.2.0/24"), None)
    with pytest.raises(ValidationFailed, match="not inside"):
        lan.attach("ixc-none-m1", ipv4="198.51.100.1")
    with pytest.raises(ValidationFailed, match="no IPv6 prefix"):
        lan.attach("ixc-none-m1", ipv6="2001:db8::1")
    with pytest.raises(ValidationFailed, match="not inside"):
        lan.attach("ixc-none-m1", ipv4="2001:db8::1")
    with pytest.raises(ValidationFailed, match="does not appear"):
        lan.attach("ixc-none-m1", ipv4="192.0.2.300")
    assert lan.attachments == []


def test_lab_needs_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(ConfigurationError, match=r"root|iproute2"):
        Lab(tmp_path)
    assert not (tmp_path / "lab.json").exists()


def test_span_and_attach_check_the_fabrics_before_touching_anything() -> None:
    home = Segment("ixc-none-a", "br0")
    lan = EmulatedLan("ixc-none-a", "br0", ipaddress.IPv4Network("192.0.2.0/24"), None)
    lan.segments = [home]
    with pytest.raises(ValidationFailed, match="no VNI"):
        lan.span("ixc-none-b", "br0", {})
    lan.vni = 100
    with pytest.raises(ValidationFailed, match="in ixc-none-a already"):
        lan.span("ixc-none-a", "br1", {"ixc-none-a": ipaddress.IPv4Address("198.18.0.1")})
    with pytest.raises(ValidationFailed, match="no VTEP address"):
        lan.span("ixc-none-b", "br0", {"ixc-none-a": ipaddress.IPv4Address("198.18.0.1")})
    with pytest.raises(NotFound, match="not present in ixc-none-c"):
        lan.attach("ixc-none-m1", ipv4="192.0.2.1", fabric="ixc-none-c")
    assert (lan.segments, lan.attachments, lan.vxlan) == ([home], [], "vx100")
