"""What every command shares: settings and the registry, opened (and migrated) on first use."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

import click

from ixcenter.config import Settings
from ixcenter.registry.db import Registry


@dataclass
class App:
    settings: Settings
    _registry: Registry | None = field(default=None, repr=False)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(self.settings.registry_url)
            self._registry.migrate()
        return self._registry

    @property
    def actor(self) -> str:
        return f"cli:{getpass.getuser()}"

    def close(self) -> None:
        if self._registry is not None:
            self._registry.close()


pass_app = click.make_pass_decorator(App)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
