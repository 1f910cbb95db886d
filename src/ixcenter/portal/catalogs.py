"""The portal's translation catalogs: extract the strings, merge them into the catalogs, check.

Usage (from the repository, in the project's virtualenv)::

    python -m ixcenter.portal.catalogs extract   # rewrite locale/messages.pot from the sources
    python -m ixcenter.portal.catalogs update    # extract, then merge into zh_CN/.../messages.po
    python -m ixcenter.portal.catalogs check     # exit 1 listing every gap (the tests run it too)

The sources are every file in ``portal/templates`` (Jinja2, with the options of the portal's own
environment) and every Python module under ``ixcenter/portal`` and ``ixcenter/api``: each
``_("...")``, ``gettext``, ``ngettext``, ``N_`` and ``{% trans %}`` with literal text. After
``update``, translate the new entries in ``zh_CN/LC_MESSAGES/messages.po`` (empty ``msgstr``) and
review those marked ``#, fuzzy`` (a guess from a similar old string: remove the flag when right),
then run ``check``. English is the source language; its catalog stays empty.

``check`` reports: a ``messages.pot`` out of date with the sources; a msgid of the sources missing
from a translated catalog, untranslated (any plural form empty), fuzzy, or with placeholders that
do not match; an entry of a catalog no longer in the sources (stale or ``#~`` obsolete); and text
in a template that is visible on the page but outside ``_()``/``{% trans %}`` (``unmarked_text``).
"""

from __future__ import annotations

import argparse
import io
import re
import string
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment

import ixcenter
from ixcenter.portal import i18n
from ixcenter.portal.templating import templates

COMMENT_TAGS = ("Translators:",)
WIDTH = 100
# Words a template may show untranslated: the product's name, units, the time zone; and AS
# numbers (``AS64500``, ``AS{{ asn }}``), written so in every language.
UNTRANSLATED_WORDS = frozenset({"ixcenter", "UTC", "ms", "Mbit/s", "Gbit/s", "Tbit/s"})
# Attributes whose values a visitor sees or hears.
VISIBLE_ATTRIBUTES = frozenset({"title", "alt", "placeholder", "aria-label", "label"})
_BUTTON_TYPES = frozenset({"submit", "button", "reset"})
_EXPRESSION = "\ue000"  # stands for a ``{{ ... }}`` in the text the lint reads: not a letter
_AS_NUMBER = re.compile(f"AS(?:[0-9]+|{_EXPRESSION})")
_PUNCTUATION = string.punctuation + "·…“”‘’«»()（）、，。：；！？【】《》"
_DATE_LINES = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"$', re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Sources:
    """Where the strings come from and where the catalogs live; locations in the catalogs are
    written relative to ``root``."""

    root: Path
    templates: Path
    python: tuple[Path, ...]
    locale: Path

    @classmethod
    def of_package(cls) -> Sources:
        package = Path(ixcenter.__file__).resolve().parent
        return cls(
            root=package.parent,
            templates=package / "portal" / "templates",
            python=(package / "portal", package / "api"),
            locale=i18n.LOCALE_DIR,
        )

    @property
    def pot(self) -> Path:
        return self.locale / f"{i18n.DOMAIN}.pot"

    def po(self, language: str) -> Path:
        return self.locale / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"

    def template_files(self) -> list[Path]:
        return sorted(p for p in self.templates.rglob("*") if p.is_file())

    def python_files(self) -> list[Path]:
        return sorted(
            p for root in self.python for p in root.rglob("*.py") if "__pycache__" not in p.parts
        )


TRANSLATED: tuple[str, ...] = tuple(code for code in i18n.LANGUAGES if code != i18n.DEFAULT)


def template_options(environment: Environment) -> dict[str, str]:
    """Options for Jinja's Babel extractor that parse templates as ``environment`` does."""
    return {
        "extensions": ",".join(environment.extensions),
        "trim_blocks": str(environment.trim_blocks),
        "lstrip_blocks": str(environment.lstrip_blocks),
        "trimmed": str(environment.policies.get("ext.i18n.trimmed", False)),
        "newstyle_gettext": "true",
        "silent": "false",  # a template that does not parse is an error, not "no strings"
    }


def _new_catalog(language: str | None = None) -> Catalog:
    what = "Translations template" if language is None else f"{language} translations"
    return Catalog(
        locale=language,
        domain=i18n.DOMAIN,
        header_comment=f"# {what} of the ixcenter portal.\n"
        "# Distributed under the same license as the ixcenter project.\n#",
        project="ixcenter",
        version=ixcenter.__version__,
        msgid_bugs_address="the ixcenter issue tracker",
        language_team="ixcenter",
        last_translator="ixcenter",
        charset="utf-8",
        fuzzy=False,
    )


def extract(sources: Sources, environment: Environment = templates) -> Catalog:
    """Every translatable string of ``sources``, as a template catalog (``messages.pot``)."""
    catalog = _new_catalog()
    jobs = [(p, "jinja2.ext:babel_extract", template_options(environment))
            for p in sources.template_files()]  # fmt: skip
    jobs += [(p, "python", {}) for p in sources.python_files()]
    for path, method, options in jobs:
        where = path.relative_to(sources.root).as_posix()
        found = extract_from_file(method, path, DEFAULT_KEYWORDS, COMMENT_TAGS, options, True)
        for lineno, message, comments, context in found:
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    return catalog


def _po_text(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=WIDTH, ignore_obsolete=True, include_previous=True)
    return out.getvalue()


def _write(path: Path, text: bytes) -> bool:
    """Write ``text`` unless the file says the same but for its dates (no churn); True: written."""
    if path.is_file():
        old = path.read_bytes().decode()
        if _DATE_LINES.sub("", old) == _DATE_LINES.sub("", text.decode()):
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text)
    return True


def write_template(sources: Sources) -> Catalog:
    """Extract the strings and rewrite ``messages.pot``."""
    catalog = extract(sources)
    _write(sources.pot, _po_text(catalog))
    return catalog


def _read(path: Path, language: str | None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=language, domain=i18n.DOMAIN)


def update(sources: Sources) -> list[Path]:
    """Extract, then merge the template into every translated catalog (new ones are created):
    new strings come in untranslated or fuzzy, strings gone from the sources are dropped. The
    English catalog is only created, empty, where it is missing."""
    template = write_template(sources)
    written = []
    for language in TRANSLATED:
        path = sources.po(language)
        catalog = _read(path, language) if path.is_file() else _new_catalog(language)
        catalog.update(template, update_creation_date=False)
        if _write(path, _po_text(catalog)):
            written.append(path)
    source = sources.po(i18n.DEFAULT)
    if not source.is_file():  # the source language: msgid is the text, nothing to merge
        _write(source, _po_text(_new_catalog(i18n.DEFAULT)))
        written.append(source)
    return written


def _key(message: Message) -> tuple[str, str | None]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return msgid, message.context


def _entries(catalog: Catalog) -> dict[tuple[str, str | None], Message]:
    return {_key(m): m for m in catalog if m.id}


def _translated(message: Message) -> bool:
    forms = (message.string,) if isinstance(message.string, str) else (message.string or ())
    return bool(forms) and all(forms)


def catalog_problems(sources: Sources) -> list[str]:
    """Every gap between the sources, ``messages.pot`` and the translated catalogs."""
    wanted = _entries(extract(sources))
    problems: list[str] = []
    if not sources.pot.is_file():
        problems.append(f"{sources.pot.name} is missing (run update)")
    else:
        have = _entries(_read(sources.pot, None))
        problems += [
            f"{sources.pot.name} lacks {k[0]!r} (run update)" for k in wanted.keys() - have
        ]
        problems += [f"{sources.pot.name} has {k[0]!r}, gone from the sources (run update)"
                     for k in have.keys() - wanted]  # fmt: skip
    for language in TRANSLATED:
        path = sources.po(language)
        if not path.is_file():
            problems.append(f"{language}: {path.name} is missing (run update)")
            continue
        catalog = _read(path, language)
        entries = _entries(catalog)
        for key in wanted:
            message = entries.get(key)
            if message is None:
                problems.append(f"{language}: missing {key[0]!r} (run update)")
            elif message.fuzzy:
                problems.append(f"{language}: fuzzy {key[0]!r}")
            elif not _translated(message):
                problems.append(f"{language}: untranslated {key[0]!r}")
        problems += [f"{language}: stale {k[0]!r}, gone from the sources (run update)"
                     for k in entries.keys() - wanted]  # fmt: skip
        problems += [f"{language}: obsolete {_key(m)[0]!r} (#~, run update)"
                     for m in catalog.obsolete.values()]  # fmt: skip
        for message, errors in catalog.check():
            if _key(message) in wanted and not message.fuzzy and _translated(message):
                problems += [f"{language}: {_key(message)[0]!r}: {e}" for e in errors]
    return problems


class _VisibleText(HTMLParser):
    """Collects the text of an HTML skeleton that a visitor sees: text nodes outside ``<script>``
    and ``<style>``, and visible attribute values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._raw = tag
        values = dict(attrs)
        for name, value in attrs:
            visible = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in _BUTTON_TYPES
            )
            if visible and value:
                self._check(value)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == self._raw:
            self._raw = None

    def handle_endtag(self, tag: str) -> None:
        if tag == self._raw:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw is None:
            self._check(data)

    def _check(self, text: str) -> None:
        for word in re.finditer(r"\S+", text):
            bare = word.group().strip(_PUNCTUATION)
            if (
                any(c.isalpha() for c in bare)
                and bare not in UNTRANSLATED_WORDS
                and not _AS_NUMBER.fullmatch(bare)
            ):
                line = self.getpos()[0] + text.count("\n", 0, word.start())
                self.found.append((line, " ".join(text.split()).replace(_EXPRESSION, "{{…}}")))
                return


def _skeleton(source: str, environment: Environment) -> Iterator[str]:
    """The template's HTML as a visitor's browser gets it, but with each ``{{ ... }}`` one
    placeholder character, the tags and comments gone, and ``{% trans %}`` blocks (marked text)
    dropped; line breaks are kept, so lines match the template's."""
    inside_trans = 0
    tag_next = False
    for _, kind, value in environment.lexer.tokeniter(source, None):
        if kind == "data" and not inside_trans:
            yield value
            continue
        if kind == "variable_begin" and not inside_trans:
            yield _EXPRESSION
        elif kind == "block_begin":
            tag_next = True
        elif kind == "name" and tag_next:
            tag_next = False
            inside_trans += {"trans": 1, "endtrans": -1}.get(value, 0)
        yield "\n" * value.count("\n")


def unmarked_text(source: str, environment: Environment = templates) -> list[tuple[int, str]]:
    """``(line, text)`` of each visible text in a template that is not marked for translation:
    letters outside ``_()``/``{% trans %}``, other than ``UNTRANSLATED_WORDS``. Whitespace,
    numbers, punctuation, entities and the values of expressions are fine. In ``text``, ``{{…}}``
    stands for an expression."""
    parser = _VisibleText()
    parser.feed("".join(_skeleton(source, environment)))
    parser.close()
    return parser.found


def template_problems(sources: Sources, environment: Environment = templates) -> list[str]:
    problems = []
    for path in sources.template_files():
        where = path.relative_to(sources.templates).as_posix()
        for line, text in unmarked_text(path.read_text(encoding="utf-8"), environment):
            problems.append(f"{where}:{line}: text not marked for translation: {text!r}")
    return problems


def check(sources: Sources) -> list[str]:
    """Everything ``python -m ixcenter.portal.catalogs check`` reports; empty: all translated."""
    return catalog_problems(sources) + template_problems(sources)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ixcenter.portal.catalogs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("command", choices=("extract", "update", "check"))
    command = parser.parse_args(argv).command
    sources = Sources.of_package()
    if command == "extract":
        catalog = write_template(sources)
        sys.stdout.write(f"{sources.pot}: {len(catalog)} messages\n")
        return 0
    if command == "update":
        for path in update(sources):
            sys.stdout.write(f"updated {path}\n")
        return 0
    problems = check(sources)
    for problem in problems:
        sys.stdout.write(problem + "\n")
    sys.stdout.write(f"{len(problems)} problems\n" if problems else "all strings translated\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
