"""The portal's languages: Simplified Chinese and English, chosen per user.

Templates mark every visible string with ``_("...")`` (or ``{% trans %}``); Python code that
produces visible text calls ``gettext`` (or marks a constant with ``N_`` and translates it where it
is shown). The language of the request being rendered is held in a context variable
(``activate``), so one Jinja environment serves every language.

Translations are the gettext catalogs in ``locale/<language>/LC_MESSAGES/messages.po``, read with
Babel and compiled in memory the first time a language is used (no ``.mo`` build step; fuzzy and
empty entries fall back to the English text). English is the source language: its catalog may be
empty. ``python -m ixcenter.portal.catalogs`` extracts the strings and checks the catalogs.

Which language a request gets (``negotiate``): the visitor's explicit choice (the ``ixc_lang``
cookie that ``GET /lang/{code}`` sets), else the browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import functools
import gettext as stdlib_gettext
import io
import logging
from contextvars import ContextVar, Token
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)

LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT = "en"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"
SWITCH_PATH = "/lang"

# Each language named in itself, so a visitor finds their own in the switcher whatever is shown.
NATIVE_NAMES: dict[str, str] = {"zh_CN": "中文", "en": "English"}
# The BCP 47 tag of each language, for ``<html lang>`` and ``Content-Language``.
HTML_LANG: dict[str, str] = {"zh_CN": "zh-CN", "en": "en"}
# Chinese subtags that mean Traditional script: not served Simplified Chinese by negotiation.
_TRADITIONAL = frozenset({"hant", "tw", "hk", "mo"})

_current: ContextVar[str] = ContextVar("portal_language", default=DEFAULT)
_here: ContextVar[str] = ContextVar("portal_path", default="/")


def activate(language: str) -> Token[str]:
    """Render in ``language`` until ``deactivate`` (unknown languages fall back to the default)."""
    return _current.set(language if language in LANGUAGES else DEFAULT)


def deactivate(token: Token[str]) -> None:
    _current.reset(token)


def current() -> str:
    return _current.get()


def enter_path(path: str) -> Token[str]:
    """Remember the page being rendered (path and query), where the language switcher returns."""
    return _here.set(path)


def leave_path(token: Token[str]) -> None:
    _here.reset(token)


@functools.cache
def translations(language: str) -> stdlib_gettext.NullTranslations:
    """The compiled catalog of ``language`` (kept for the life of the process); no catalog file:
    the English text itself."""
    path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language not in LANGUAGES or not path.is_file():
        return stdlib_gettext.NullTranslations()
    return compile_po(path.read_bytes(), language)


def compile_po(po: bytes, language: str) -> stdlib_gettext.GNUTranslations:
    """A ``.po`` file's text as a gettext ``Translations``, compiled in memory."""
    catalog = read_po(io.BytesIO(po), locale=language, domain=DOMAIN)
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    logger.debug("portal: catalog %s loaded, %d messages", language, len(catalog))
    return stdlib_gettext.GNUTranslations(mo)


def gettext(message: str) -> str:
    """``message`` in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for ``n`` in the current language."""
    return translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it now: for constants, which are
    translated with ``gettext`` where they are shown, in the language of that request."""
    return message


def match(tag: str) -> str | None:
    """The portal language for a language tag (``zh``, ``zh-CN``, ``zh-Hans``, ``zh_CN``, ``en-GB``
    ...), or None. Traditional Chinese tags (``zh-TW``, ``zh-Hant``) match nothing."""
    parts = tag.strip().replace("_", "-").lower().split("-")
    if parts[0] == "zh" and not _TRADITIONAL.intersection(parts[1:]):
        return "zh_CN"
    if parts[0] == "en":
        return "en"
    return None


def from_accept_language(header: str) -> str | None:
    """The most preferred portal language of an ``Accept-Language`` header, or None.

    Ranges are taken by quality (``q``, default 1; ``q=0`` means "not this"), in header order
    among equal ones; ``*`` accepts the default. Malformed entries are skipped.
    """
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate(header.split(",")):
        tag, _, params = entry.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = -1.0
        if tag.strip() and 0 < quality <= 1:
            ranked.append((-quality, position, tag.strip()))
    for _, _, tag in sorted(ranked):
        found = DEFAULT if tag == "*" else match(tag)
        if found is not None:
            return found
    return None


def negotiate(cookie: str | None, accept_language: str | None) -> str:
    """The language of a request: the explicit choice, else the browser's, else the default."""
    if cookie in LANGUAGES:
        return cookie
    found = from_accept_language(accept_language) if accept_language else None
    return found or DEFAULT


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """One entry of the language switcher."""

    code: str
    name: str  # in the language itself
    lang: str  # BCP 47
    url: str
    current: bool


def switch_url(language: str, back_to: str) -> str:
    """The URL that chooses ``language`` and returns to ``back_to`` (a local path)."""
    return f"{SWITCH_PATH}/{language}?next={quote(back_to, safe='/')}"


def language_links() -> tuple[LanguageLink, ...]:
    """The switcher of the page being rendered: every language, each returning to this page."""
    here, shown = _here.get(), current()
    return tuple(
        LanguageLink(
            code, NATIVE_NAMES[code], HTML_LANG[code], switch_url(code, here), code == shown
        )
        for code in LANGUAGES
    )


def html_lang() -> str:
    """The BCP 47 tag of the current language, for ``<html lang>``."""
    return HTML_LANG[current()]


# What every page template may call besides ``_``/``gettext``/``ngettext``.
TEMPLATE_GLOBALS: dict[str, object] = {"html_lang": html_lang, "language_links": language_links}
