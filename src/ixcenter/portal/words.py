"""The registry's kinds in the reader's language (a member's category, a port's status...)."""

from __future__ import annotations

from ixcenter.core.kinds import OrgCategory
from ixcenter.portal.i18n import gettext as _


def category_words(category: OrgCategory) -> str:
    """What kind of organisation a member is, in words."""
    words = {
        OrgCategory.BASIC_CARRIER: _("basic telecom carrier"),
        OrgCategory.ISP: _("Internet service provider"),
        OrgCategory.VALUE_ADDED_TELECOM: _("value-added telecom operator"),
        OrgCategory.CLOUD: _("cloud provider"),
        OrgCategory.CONTENT: _("content provider"),
        OrgCategory.DATA_CENTER: _("data center"),
        OrgCategory.AI_COMPUTING_CENTER: _("AI computing center"),
        OrgCategory.SUPERCOMPUTING_CENTER: _("supercomputing center"),
        OrgCategory.ENTERPRISE: _("enterprise"),
        OrgCategory.GOVERNMENT_CLOUD: _("government cloud"),
        OrgCategory.INTERNATIONAL_NETWORK: _("international network"),
    }
    return words[category]


def duration_text(seconds: float) -> str:
    """``93784`` -> ``1d 2h`` (the largest two units), in the current language."""
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    if days:
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": rest // 60}
    return _("%(minutes)dm") % {"minutes": rest // 60}
