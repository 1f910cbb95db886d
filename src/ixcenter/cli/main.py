"""``ixc``: the command line of ixcenter.

Exit codes: 0 success, 1 unexpected failure, 2 usage error, 3 validation failed (every problem is
printed, one per line), 4 not found, 5 authentication or permission, 6 malformed input document
or wire data, 7 configuration, 8 an upstream service (IRR, daemon) failed.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from sqlalchemy.exc import DataError, IntegrityError

from ixcenter import __version__
from ixcenter.cli import (
    audit,
    demo,
    exchanges,
    flows,
    interchange,
    ips,
    lab,
    links,
    members,
    ports,
    rs,
    services,
    tokens,
    users,
)
from ixcenter.cli.context import App
from ixcenter.cli.output import console, error_lines
from ixcenter.config import Settings
from ixcenter.core.errors import (
    AuthenticationFailed,
    ConfigurationError,
    DecodeError,
    FormatError,
    IxcError,
    NotFound,
    PermissionDenied,
    UpstreamError,
    ValidationFailed,
)

EXIT_CODES: tuple[tuple[type[IxcError], int], ...] = (
    (FormatError, 6),
    (DecodeError, 6),
    (ValidationFailed, 3),
    (NotFound, 4),
    (AuthenticationFailed, 5),
    (PermissionDenied, 5),
    (ConfigurationError, 7),
    (UpstreamError, 8),
)


def exit_code(exc: IxcError) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return 1


class IxcGroup(click.Group):
    """Turns ixcenter's errors into one line each on stderr and a distinct exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except IxcError as exc:
            err = console(stderr=True)
            for line in error_lines(exc):
                err.print(line, markup=False)
            ctx.exit(exit_code(exc))
        except (IntegrityError, DataError, OverflowError) as exc:
            # a rule the database enforces (e.g. a concurrent change, a number out of range)
            detail = str(getattr(exc, "orig", exc)).splitlines()[0]
            console(stderr=True).print(
                f"error: the database refused the change: {detail}", markup=False
            )
            ctx.exit(3)
        except UnicodeEncodeError:
            # bytes in the arguments that are not UTF-8 (Python keeps them as lone surrogates)
            console(stderr=True).print(
                "error: an argument holds bytes that are not valid UTF-8", markup=False
            )
            ctx.exit(3)


@click.group(
    cls=IxcGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="IXC_DATA_DIR",
    help="Where the embedded registry (SQLite) and other data live.  [env: IXC_DATA_DIR]",
)
@click.option(
    "--database-url",
    envvar="IXC_DATABASE_URL",
    help="Registry database, e.g. postgresql+psycopg://ixc@db/ixc.  [env: IXC_DATABASE_URL; "
    "default: a SQLite file in the data dir]",
)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (to stderr).")
@click.version_option(__version__, prog_name="ixc")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, database_url: str | None, verbose: bool) -> None:
    """ixcenter: run a neutral, multi-site Internet Exchange Center.

    \b
    Start here:
      ixc demo                      a demo exchange, served on http://127.0.0.1:8470/
      ixc demo-data --members 300   fill the registry with a synthetic exchange
      ixc member list               members, their ASNs and ports
      ixc member onboard --help     connect a new member in one step
      ixc export ixf -o ixf.json    IX-F Member Export JSON 1.0

    Every command that lists takes --json for scripts.
    """
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    overrides: dict[str, object] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url:
        overrides["database_url"] = database_url
    app = App(Settings(**overrides))  # type: ignore[arg-type]
    ctx.obj = app
    ctx.call_on_close(app.close)


for module in (
    exchanges,
    members,
    ports,
    ips,
    services,
    links,
    tokens,
    users,
    interchange,
    audit,
    demo,
    rs,
    lab,
):
    module.register(cli)
cli.add_command(flows.flows)


def main() -> None:
    cli(prog_name="ixc")
