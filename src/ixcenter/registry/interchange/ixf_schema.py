"""The IX-F Member Export JSON schemas shipped with the package, and validation against them.

Validation is structural (JSON Schema draft 4, no ``format`` checks, which depend on optional
packages); addresses, MACs and ASNs are checked by the importer with precise messages.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from ixcenter.core.errors import FormatError, Problem

VERSIONS = ("0.6", "0.7", "1.0")
EXPORT_VERSION = "1.0"


@functools.cache
def schema(version: str) -> dict[str, Any]:
    """The IX-F schema of ``version`` (one of ``VERSIONS``)."""
    if version not in VERSIONS:
        raise ValueError(f"no IX-F schema for version {version!r}")
    name = f"ixf-member-export-{version}.schema.json"
    text = resources.files(__package__).joinpath("schemas", name).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@functools.cache
def _validator(version: str) -> Draft4Validator:
    return Draft4Validator(schema(version))


def json_path(parts: Iterable[str | int]) -> str:
    """``$.member_list[3].asnum`` from ``("member_list", 3, "asnum")``."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _problem(error: ValidationError) -> Problem:
    return Problem(json_path(error.absolute_path), error.message, "schema")


def detect_version(document: Any) -> str:
    """The schema version a document claims, or a ``FormatError`` saying why there is none."""
    if not isinstance(document, dict):
        raise FormatError([Problem("$", "an IX-F document is a JSON object", "schema")])
    version = document.get("version")
    if version not in VERSIONS:
        supported = ", ".join(VERSIONS)
        raise FormatError(
            [Problem("$.version", f"unsupported version {version!r} (supported: {supported})")]
        )
    return str(version)


def validate(document: Any) -> str:
    """Check ``document`` against the schema of its version; return the version.

    Raises ``FormatError`` carrying every schema violation, each with its JSON path.
    """
    version = detect_version(document)
    errors = sorted(
        _validator(version).iter_errors(document),
        key=lambda e: (
            [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in e.absolute_path],
            e.message,
        ),
    )
    if errors:
        raise FormatError([_problem(e) for e in errors])
    return version
