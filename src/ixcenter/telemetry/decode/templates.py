"""IPFIX and NetFlow v9 templates, and the cache that keeps them across datagrams and restarts.

A template is keyed by (exporter address, observation domain or source id, template id) (RFC
7011 8, RFC 3954 5.2). The cache also keeps what options data told us per (exporter, domain): the
sampling interval and the exporter's boot time. ``to_json``/``from_json`` write and read all of it
as plain data, so a restarted collector decodes data sets at once instead of waiting for the next
template refresh.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

VARIABLE = 0xFFFF  # RFC 7011 7: the length of a variable-length field is in the record

_FIELD = struct.Struct(">HH")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One template field: information element, length on the wire, enterprise (0 = IANA)."""

    element: int
    length: int
    enterprise: int = 0

    def to_bytes(self) -> bytes:
        if self.enterprise:
            return _FIELD.pack(self.element | 0x8000, self.length) + self.enterprise.to_bytes(4)
        return _FIELD.pack(self.element, self.length)


@dataclass(frozen=True, slots=True)
class Template:
    """A (data or options) template; ``scope_count`` > 0 makes it an options template."""

    template_id: int
    fields: tuple[FieldSpec, ...]
    scope_count: int = 0

    @property
    def is_options(self) -> bool:
        return self.scope_count > 0

    @property
    def record_length(self) -> int | None:
        """Bytes per record, or None if a field is variable-length."""
        if any(f.length == VARIABLE for f in self.fields):
            return None
        return sum(f.length for f in self.fields)

    @property
    def min_record_length(self) -> int:
        return sum(1 if f.length == VARIABLE else f.length for f in self.fields)

    def ipfix_record(self) -> bytes:
        """The template record in an IPFIX template (set 2) or options template (set 3) set."""
        head = struct.pack(">HH", self.template_id, len(self.fields))
        if self.scope_count:
            head += struct.pack(">H", self.scope_count)
        return head + b"".join(f.to_bytes() for f in self.fields)

    def netflow9_record(self) -> bytes:
        """The template record in a NetFlow v9 template (0) or options template (1) flowset."""
        body = b"".join(_FIELD.pack(f.element, f.length) for f in self.fields)
        if self.scope_count:
            scope = 4 * self.scope_count
            return struct.pack(">HHH", self.template_id, scope, len(body) - scope) + body
        return struct.pack(">HH", self.template_id, len(self.fields)) + body

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.template_id,
            "scope": self.scope_count,
            "fields": [[f.element, f.length, f.enterprise] for f in self.fields],
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Template:
        specs = tuple(FieldSpec(int(e), int(n), int(x)) for e, n, x in data["fields"])
        return cls(int(data["id"]), specs, int(data.get("scope", 0)))


TemplateKey = tuple[str, int, int]  # exporter, observation domain / source id, template id


@dataclass(slots=True)
class ExporterOptions:
    """What an exporter's options data said, per (exporter, domain)."""

    sampling_interval: int = 0  # 0: not known, so flows count as unsampled
    system_init_ms: int = 0  # IPFIX systemInitTimeMilliseconds: turns uptimes into times


@dataclass(slots=True)
class TemplateCache:
    """Templates per (exporter, domain, id) and options per (exporter, domain)."""

    templates: dict[TemplateKey, Template] = field(default_factory=dict)
    options: dict[tuple[str, int], ExporterOptions] = field(default_factory=dict)
    compiled: dict[TemplateKey, object] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.templates)

    def get(self, exporter: str, domain: int, template_id: int) -> Template | None:
        return self.templates.get((exporter, domain, template_id))

    def add(self, exporter: str, domain: int, template: Template) -> None:
        key = (exporter, domain, template.template_id)
        if self.templates.get(key) != template:
            self.templates[key] = template
            self.compiled.pop(key, None)

    def withdraw(self, exporter: str, domain: int, template_id: int | None = None) -> None:
        """Forget one template, or all of (exporter, domain) if ``template_id`` is None."""
        for key in list(self.templates):
            if key[:2] == (exporter, domain) and template_id in (None, key[2]):
                del self.templates[key]
                self.compiled.pop(key, None)

    def options_for(self, exporter: str, domain: int) -> ExporterOptions:
        found = self.options.get((exporter, domain))
        if found is None:
            found = self.options[(exporter, domain)] = ExporterOptions()
        return found

    def to_json(self) -> str:
        """Everything the cache knows, as JSON (plain data; compiled forms are rebuilt)."""
        return json.dumps(
            {
                "version": 1,
                "templates": [
                    {"exporter": e, "domain": d, **t.to_data()}
                    for (e, d, _), t in sorted(self.templates.items())
                ],
                "options": [
                    {
                        "exporter": e,
                        "domain": d,
                        "sampling_interval": o.sampling_interval,
                        "system_init_ms": o.system_init_ms,
                    }
                    for (e, d), o in sorted(self.options.items())
                ],
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> TemplateCache:
        data = json.loads(text)
        cache = cls()
        for item in data.get("templates", []):
            cache.add(str(item["exporter"]), int(item["domain"]), Template.from_data(item))
        for item in data.get("options", []):
            opts = cache.options_for(str(item["exporter"]), int(item["domain"]))
            opts.sampling_interval = int(item.get("sampling_interval", 0))
            opts.system_init_ms = int(item.get("system_init_ms", 0))
        return cache
