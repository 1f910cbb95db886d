"""The portal's languages: Simplified Chinese and English, chosen per user.

Templates mark every visible string with ``_("...")`` (or ``{% trans %}``); Python code that
produces visible text calls ``gettext``. The language of the request being rendered is held in a
context variable (``activate``), so one Jinja environment serves every language.
"""

from __future__ import annotations

from contextvars import ContextVar, Token

LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT = "en"

_current: ContextVar[str] = ContextVar("portal_language", default=DEFAULT)


def activate(language: str) -> Token[str]:
    """Render in ``language`` until ``deactivate`` (unknown languages fall back to the default)."""
    return _current.set(language if language in LANGUAGES else DEFAULT)


def deactivate(token: Token[str]) -> None:
    _current.reset(token)


def current() -> str:
    return _current.get()


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return singular if n == 1 else plural
