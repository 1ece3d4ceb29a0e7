"""The `regiekaart` command line: `serve`, `import-facts` and `projections` here; `map`, `tokens`,
`feeds` and `audit` in modules of their own."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from adapters.data_dir import DataDirInUse, Kept, NoRegiekaartData
from adapters.nats.client import NatsUnreachable
from adapters.nats.recorders import MutableEventLog
from entrypoints.cli.audit import audit
from entrypoints.cli.feeds import feeds
from entrypoints.cli.maps import map_group
from entrypoints.cli.options import (
    data_dir_option,
    nats_url_option,
    settings_from,
)
from entrypoints.cli.tokens import tokens
from entrypoints.runtime import ForeignEventLog, Runtime
from projections.rebuild import rebuild


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DataDirInUse, ForeignEventLog, MutableEventLog, NoRegiekaartData) as error:
            # Refused before anything was written: a second process, or a log other than the one
            # the read models were built from, would fork the record; a data directory without
            # the service's data would begin an empty one beside it; a stream set to lose events
            # would lose the ones written too.
            raise click.ClickException(str(error)) from None
        except NatsUnreachable as error:
            raise click.ClickException(f"cannot reach the event log: {error}") from None


@click.group(cls=_Commands)
def main() -> None:
    """Regiekaart: the governance map of Dutch youth-care regions."""


def run() -> None:
    """The `regiekaart` command as installed (and `python -m entrypoints`)."""
    # The Python processes a command starts (the rebuild's replay worker, the API's workers, the
    # resource tracker) are spawned with `python -c`, which looks for modules in the working
    # directory before the standard library: a `multiprocessing/` left there by someone else would
    # run as part of them. Inherited by every child, as `-P` (its own flag) is not. Here and not in
    # `main`, which tests invoke in their own process.
    os.environ["PYTHONSAFEPATH"] = "1"
    main()


@main.command()
@data_dir_option
@nats_url_option
@click.option("--host", help="Address the API listens on.")
@click.option("--port", type=int, help="Port the API listens on.")
@click.option("--workers", type=int, help="API worker processes.")
def serve(
    data_dir: Path | None,
    nats_url: str | None,
    host: str | None,
    port: int | None,
    workers: int | None,
) -> None:
    """Start the service: the event store, the governance facts and the API, until interrupted."""
    from entrypoints.server import serve as serve_everything

    settings = settings_from(
        data_dir, nats_url, reads=(), api_host=host, api_port=port, api_workers=workers
    )
    serve_everything(settings, lambda line: click.echo(line))
    click.echo("stopped")


def _stopped_on_sigterm() -> list[bool]:
    # The handler only sets a flag: setting a threading.Event there can deadlock when the signal
    # arrives while the main thread holds that Event's lock inside wait().
    stopped = [False]
    signal.signal(signal.SIGTERM, lambda *_: stopped.__setitem__(0, True))
    return stopped


def _wait(stopped: list[bool]) -> None:
    try:
        while not stopped[0]:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass


@main.command("import-facts")
@data_dir_option
@nats_url_option
def import_facts(data_dir: Path | None, nats_url: str | None) -> None:
    """Record the governance facts shipped with Regiekaart that are not recorded yet."""
    with Runtime(settings_from(data_dir, nats_url, reads=[Kept.EVENT_LOG])) as runtime:
        report = runtime.import_facts()
    for kind, count in sorted(report.recorded.items()):
        click.echo(f"recorded {count:5d} {kind}")
    click.echo(f"{report.total_recorded} recorded, {sum(report.skipped.values())} already present")


# -- projections -----------------------------------------------------------------------------------
@main.group()
def projections() -> None:
    """Keep the governance maps (the read models) up to date, or rebuild them from the log."""


@projections.command("run")
@data_dir_option
@nats_url_option
@click.option("--batch-size", type=click.IntRange(min=1), default=2000, show_default=True)
def run_projections(data_dir: Path | None, nats_url: str | None, batch_size: int) -> None:
    """Apply the event log to the maps, live, until interrupted (while this process holds the lease)."""
    stopped = _stopped_on_sigterm()
    with Runtime(settings_from(data_dir, nats_url, reads=[Kept.EVENT_LOG])) as runtime:
        runtime.start_projections(batch_size=batch_size)
        click.echo("running")
        _wait(stopped)
    click.echo("stopped")


@projections.command("rebuild")
@data_dir_option
@nats_url_option
def rebuild_projections(data_dir: Path | None, nats_url: str | None) -> None:
    """Replay the whole log into fresh tables and swap them in; the old ones answer until then."""
    settings = settings_from(data_dir, nats_url, reads=[Kept.EVENT_LOG])
    with Runtime(settings, rebuilding=True) as runtime:
        assert runtime.app is not None and runtime.engine is not None
        with Progress(
            TextColumn("rebuilding the maps"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("events"),
            TimeRemainingColumn(),
        ) as progress:
            task = progress.add_task("rebuild", total=None)

            def advance(position: int, head: int) -> None:
                progress.update(task, completed=position, total=head)

            position = rebuild(
                runtime.app,
                runtime.engine,
                progress=advance,
                seals=runtime.seal_checks("regiekaart-rebuild-seals"),
            )
    click.echo(f"rebuilt up to log position {position}")


for group in (map_group, tokens, feeds, audit):
    main.add_command(group)
