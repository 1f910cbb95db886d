"""One ``Settings`` object: where data lives and which database the registry uses.

Values come from arguments, then ``IXC_*`` environment variables, then defaults::

    IXC_DATA_DIR       data directory (default ``~/.local/share/ixcenter``)
    IXC_DATABASE_URL   SQLAlchemy URL; default a SQLite file ``registry.db`` in the data dir.
                       Production: ``postgresql+psycopg://user:pass@host/db``
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "ixcenter"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IXC_", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = None
    api_host: str = "127.0.0.1"
    api_port: int = 8470

    @property
    def registry_url(self) -> str:
        """The database URL the registry opens."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'registry.db'}"
