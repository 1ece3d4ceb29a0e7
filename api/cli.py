"""The `regiekaart` command line."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import click
import msgspec

from adapters.nats.access import FeedAccess, inbox_prefix
from adapters.nats.feeds import FeedLayout
from adapters.nats.server import reload_running_server
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
    """Start the service: the event store, the governance facts, the region feeds and the governance
    maps, until interrupted."""
    settings = _settings(data_dir, nats_url)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with Runtime(settings) as runtime:
        report = runtime.import_facts()
        runtime.start_feeds()
        runtime.start_projections()
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


@main.group()
def feeds() -> None:
    """Region feeds: credentials for region systems."""


@feeds.command()
@click.argument("region")
@data_dir_option
def credentials(region: str, data_dir: Path | None) -> None:
    """Print the NATS credentials of REGION's system (issued on first request), as JSON.

    The embedded server admits them at once if it is running, otherwise when the service starts.
    """
    settings = _settings(data_dir, None)
    access = FeedAccess(settings.access_dir)
    layout = FeedLayout()
    try:
        issued = access.region(region)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="REGION") from error
    access.write_server_config(settings.nats_data_dir)
    admitted = reload_running_server(settings.nats_data_dir)
    document = {
        "region": region,
        "user": issued.user,
        "password": issued.password,
        "inbox_prefix": inbox_prefix(region),
        "stream": layout.stream(region),
        "subjects": layout.subjects(region),
    }
    click.echo(msgspec.json.format(msgspec.json.encode(document)).decode())
    click.echo(
        "the running service admits them now"
        if admitted
        else "the service admits them when it next starts",
        err=True,
    )


@feeds.command("server-config")
@data_dir_option
def server_config(data_dir: Path | None) -> None:
    """Print the nats-server authorization block for the service and the region systems issued so far
    (for a NATS server run by the operator)."""
    click.echo(FeedAccess(_settings(data_dir, None).access_dir).authorization_config(), nl=False)
