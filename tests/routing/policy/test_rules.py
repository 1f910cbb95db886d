"""``PrefixRules``: packed rules that are still a sequence of ``PrefixRule``."""

from __future__ import annotations

from ipaddress import ip_network

from ixcenter.routing.irr.prefix_keys import pack
from ixcenter.routing.policy.model import PrefixRule
from ixcenter.routing.policy.rules import PrefixRules

N = ip_network


def test_rules_materialise_in_family_then_address_order() -> None:
    rules = PrefixRules(
        (pack(N("10.0.0.0/8")), pack(N("10.0.0.0/16"))),
        (pack(N("2001:db8::/32")),),
        longest4=12,
    )
    assert len(rules) == 3 and rules.size(4) == 2 and rules.size(6) == 1
    assert tuple(rules) == (
        PrefixRule(N("10.0.0.0/8"), 8, 12),
        PrefixRule(N("10.0.0.0/16"), 16, 16),  # longer than 12 already: exactly itself
        PrefixRule(N("2001:db8::/32"), 32, 32),
    )
    assert rules[2] == PrefixRule(N("2001:db8::/32"), 32, 32)
    assert PrefixRule(N("10.0.0.0/8"), 8, 12) in rules


def test_equality_and_digest_follow_the_content() -> None:
    keys = (pack(N("192.0.2.0/24")),)
    same, other = PrefixRules(keys), PrefixRules(keys, longest4=32)
    assert PrefixRules(keys) == same and hash(PrefixRules(keys)) == hash(same)
    assert same != other and same.digest(4) != other.digest(4)
    assert same == (PrefixRule(N("192.0.2.0/24"), 24, 24),)  # equal to the same rules as a tuple
    assert PrefixRules() == () and not PrefixRules()
    # the longest length of a family without rules changes nothing
    assert PrefixRules(keys, longest6=48) == same
