"""The one Jinja2 environment every portal page renders with: templates from the package,
``StrictUndefined``, autoescaping, and ``_()`` bound to the request's language (``portal.i18n``)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ixcenter.portal import i18n

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"

templates = Environment(
    loader=PackageLoader("ixcenter.portal", "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
templates.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
templates.globals.update(i18n.TEMPLATE_GLOBALS)
