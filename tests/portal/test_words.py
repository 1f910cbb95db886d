"""Every registry kind shown on a page has words in both languages."""

from __future__ import annotations

import pytest

from ixcenter.core.kinds import OrgCategory
from ixcenter.portal import i18n
from ixcenter.portal.words import category_words


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_every_category_has_its_own_words(language: str) -> None:
    token = i18n.activate(language)
    try:
        words = [category_words(c) for c in OrgCategory]
    finally:
        i18n.deactivate(token)
    assert len(set(words)) == len(OrgCategory)
    assert all(words)
    if language == "zh_CN":
        assert not any(w.isascii() for w in words)  # every one translated
