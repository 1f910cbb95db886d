"""One ``Settings`` object: where data lives and which database the registry uses.

Values come from arguments, then ``IXC_*`` environment variables, then defaults::

    IXC_DATA_DIR       data directory (default ``~/.local/share/ixcenter``)
    IXC_DATABASE_URL   SQLAlchemy URL; default a SQLite file ``registry.db`` in the data dir.
                       Production: ``postgresql+psycopg://user:pass@host/db``
    IXC_COLLECTOR_BIND, IXC_SFLOW_PORT, IXC_IPFIX_PORT, IXC_NETFLOW9_PORT
                       where ``ixc flows collect`` listens (default ``::`` and 6343, 4739, 2055)
    IXC_COLLECTOR_DECODE_BATCH
                       datagrams the collector gathers before decoding them at once (256)
    IXC_FLOW_DIR       the flow store (default ``flows`` in the data dir)
    IXC_FLOW_RETENTION_RAW_HOURS, IXC_FLOW_RETENTION_1M_DAYS, ..._5M_DAYS, ..._1H_DAYS, ..._1D_DAYS,
    IXC_COUNTER_RETENTION_5M_DAYS
                       how long each tier of the flow store is kept (0 raw hours: no raw tier)
    IXC_FLOW_RAW_MAX_GB  the raw tier is also cut, oldest first, to this many GB (default 50)
    IXC_FLOW_RAW_COMPRESSION
                       none (default: ~100 bytes and ~0.07 us per raw row), lz4 (~32 bytes,
                       ~0.16 us) or zstd (~20 bytes, ~0.27 us)
    IXC_IRR_FILES      RPSL dump files for the route servers, as a JSON list
    IXC_IRR_WHOIS      an IRRd-style whois server HOST:PORT (used when no dump file is given)
    IXC_VRP_FILE       VRPs (rpki-client JSON) that stayrtr serves on IXC_RTR_HOST:IXC_RTR_PORT
    IXC_ROUTE_SERVER_DIR
                       route-server configs and daemons (default ``route-servers`` in the data dir)
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
    # flow collector (``ixc flows collect``); "::" listens on IPv6 and IPv4 at once
    collector_bind: str = "::"
    sflow_port: int = 6343
    ipfix_port: int = 4739
    netflow9_port: int = 2055
    collector_receive_buffer: int = 32 * 1024 * 1024  # bytes per socket (SO_RCVBUF)
    collector_batch_rows: int = 65536  # rows are handed to the sink after this many ...
    collector_batch_ms: int = 1000  # ... or after this many milliseconds
    collector_decode_batch: int = Field(default=256, ge=1)  # datagrams decoded at once
    collector_sink: Literal["store", "spool"] = "store"  # spool: raw rows, for debugging
    collector_templates: Path | None = None  # default: <data dir>/collector/templates.json
    # flow store (``telemetry.store``): where, and how long each tier is kept
    flow_dir: Path | None = None  # default: <data dir>/flows
    flow_retention_raw_hours: int = Field(default=6, ge=0)
    flow_raw_max_gb: float = Field(default=50.0, gt=0)
    flow_raw_compression: Literal["none", "lz4", "zstd"] = "none"
    flow_retention_1m_days: int = Field(default=35, ge=1)
    flow_retention_5m_days: int = Field(default=100, ge=1)
    flow_retention_1h_days: int = Field(default=400, ge=1)
    flow_retention_1d_days: int = Field(default=3650, ge=1)
    counter_retention_5m_days: int = Field(default=400, ge=1)
    flow_settle_s: int = Field(default=180, ge=0)  # rollups wait this long for late rows
    flow_registry_check_s: float = 30.0  # how often enrichment looks for registry changes

    # route servers (``ixc rs``): IRR data, RPKI data, where configs and daemons live
    irr_files: list[Path] = Field(default_factory=list)  # RPSL dumps (JSON list in IXC_IRR_FILES)
    irr_whois: str | None = None  # an IRRd-style whois server, HOST:PORT
    vrp_file: Path | None = None  # VRPs as rpki-client/Routinator JSON, served by stayrtr
    rtr_host: str = "127.0.0.1"
    rtr_port: int = 8323
    route_server_dir: Path | None = None  # default: <data dir>/route-servers

    @property
    def route_server_root(self) -> Path:
        return self.route_server_dir or self.data_dir / "route-servers"

    @property
    def collector_templates_path(self) -> Path:
        """Where the collector keeps IPFIX and NetFlow v9 templates across restarts."""
        return self.collector_templates or self.data_dir / "collector" / "templates.json"

    @property
    def flow_store_path(self) -> Path:
        return self.flow_dir or self.data_dir / "flows"

    @property
    def flow_retention(self) -> dict[str, int]:
        """Seconds each flow-store tier is kept, by tier name."""
        day = 86_400
        return {
            "raw": self.flow_retention_raw_hours * 3_600,
            "flows_1m": self.flow_retention_1m_days * day,
            "flows_5m": self.flow_retention_5m_days * day,
            "flows_1h": self.flow_retention_1h_days * day,
            "flows_1d": self.flow_retention_1d_days * day,
            "counters_5m": self.counter_retention_5m_days * day,
        }

    @property
    def registry_url(self) -> str:
        """The database URL the registry opens."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'registry.db'}"
