"""The `regiekaart` command line."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click

from adapters.settings import Settings
from services.runtime import Runtime


def _settings(data_dir: Path | None, nats_url: str | None) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, nats_url=nats_url)
    except ValueError as error:
        raise click.UsageError(str(error)) from error


@click.group()
def main() -> None:
    """Regiekaart: the governance map of Dutch youth-care regions."""


data_dir_option = click.option(
    "--data-dir", type=click.Path(path_type=Path), help="Where the embedded NATS server keeps its data."
)
nats_url_option = click.option(
    "--nats-url", help="Use this NATS server or cluster instead of starting an embedded one."
)


@main.command()
@data_dir_option
@nats_url_option
def serve(data_dir: Path | None, nats_url: str | None) -> None:
    """Start the service: the event store and the governance facts, until interrupted."""
    settings = _settings(data_dir, nats_url)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with Runtime(settings) as runtime:
        report = runtime.import_facts()
        click.echo(f"event store: {runtime.nats_url} (data in {settings.data_dir.resolve()})")
        click.echo(
            f"governance facts: {report.total_recorded} commands recorded, "
            f"{sum(report.skipped.values())} already present"
        )
        click.echo("ready")
        try:
            stopped.wait()
        except KeyboardInterrupt:
            pass
    click.echo("stopped")


@main.command("import-facts")
@data_dir_option
@nats_url_option
def import_facts(data_dir: Path | None, nats_url: str | None) -> None:
    """Record the governance facts shipped with Regiekaart that are not recorded yet."""
    with Runtime(_settings(data_dir, nats_url)) as runtime:
        report = runtime.import_facts()
    for kind, count in sorted(report.recorded.items()):
        click.echo(f"recorded {count:5d} {kind}")
    click.echo(f"{report.total_recorded} recorded, {sum(report.skipped.values())} already present")
