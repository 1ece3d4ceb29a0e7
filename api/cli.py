"""The `regiekaart` command line."""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

import click
import msgspec
from nats.errors import NoServersError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from adapters.audit import load_signing_key, public_key_path
from adapters.nats.access import FeedAccess, inbox_prefix
from adapters.nats.audit import NatsLog
from adapters.nats.client import JetStreamApiError, NatsClient, NoAnswer
from adapters.nats.feeds import FeedLayout
from adapters.nats.server import reload_running_server
from adapters.settings import Settings
from adapters.sql import create_engine
from projections.queries import GovernanceMaps
from services.application import GovernanceApplication
from services.audit import LogFault, export_log, verify_export, verify_log
from services.replay import compare_read_models, snapshot
from services.replay import replay as replay_log
from services.runtime import Runtime, event_store


def _settings(data_dir: Path | None, nats_url: str | None, **overrides: object) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, nats_url=nats_url, **overrides)
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
        runtime.start_feeds()
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


@main.group()
def audit() -> None:
    """Check the event log without trusting the service: hashes, links and signed checkpoints."""


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


@contextmanager
def _event_log(settings: Settings) -> Iterator[NatsLog]:
    """The event log on NATS, read-only; an unreachable or missing log is a readable failure."""
    try:
        with event_store(settings) as (_, url):
            client = NatsClient(url, name="regiekaart-audit", reconnect=False)
            try:
                yield NatsLog(client, settings.nats_stream)
            finally:
                client.close()
    except (OSError, RuntimeError, NoServersError, JetStreamApiError, *NoAnswer) as error:
        _fail(f"cannot read the event log from NATS: {error}", 2)


def _public_key(value: str | None) -> str | None:
    if value is None:
        return None
    key = value.strip().lower()
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key):
        raise click.BadParameter("an Ed25519 public key is 64 hexadecimal characters")
    return key


@audit.command()
@click.option(
    "--file",
    "export_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Verify this export (from `regiekaart audit export`) instead of the log on NATS.",
)
@click.option(
    "--public-key",
    callback=lambda _ctx, _param, value: _public_key(value),
    help="The service's published public key (hex) that checkpoints must be signed with. "
    "Without it, the key found in the data directory is used, or else the one the log names.",
)
@data_dir_option
@nats_url_option
def verify(
    export_file: Path | None, public_key: str | None, data_dir: Path | None, nats_url: str | None
) -> None:
    """Verify every event's hash and link and every signed checkpoint; exit 1 at the first fault."""
    settings = _settings(data_dir, nats_url)
    if public_key is None and public_key_path(settings.data_dir).exists():
        public_key = public_key_path(settings.data_dir).read_text().strip()
    trusted = None if public_key is None else [public_key]
    try:
        if export_file is not None:
            with export_file.open("rb") as source:
                verified = verify_export(source, trusted)
        else:
            with _event_log(settings) as log:
                verified = verify_log(log, trusted)
    except LogFault as fault:
        _fail(f"FAULT: {fault}", 1)
    click.echo(verified.summary())


@audit.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the export to this file (default: standard output).",
)
@data_dir_option
@nats_url_option
def export(output: Path | None, data_dir: Path | None, nats_url: str | None) -> None:
    """Export the event log as CloudEvents JSON Lines, with hashes, authority and checkpoints."""
    settings = _settings(data_dir, nats_url)
    with _event_log(settings) as log:
        with (output.open("wb") if output else nullcontext(sys.stdout.buffer)) as out:
            try:
                exported = export_log(log, out)
            except LogFault as fault:
                _fail(f"export stopped at {fault}", 1)
    click.echo(
        f"exported {exported.events} events up to position {exported.position} "
        f"and {exported.checkpoints} checkpoints",
        err=True,
    )


@audit.command("public-key")
@data_dir_option
def public_key(data_dir: Path | None) -> None:
    """Print the public key (hex) that the service signs its checkpoints with."""
    settings = _settings(data_dir, None)
    click.echo(load_signing_key(settings.data_dir).verify_key.encode().hex())


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a date is YYYY-MM-DD") from None


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a moment is YYYY-MM-DDTHH:MM[:SS][+HH:MM|Z]") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@audit.command()
@click.option(
    "--as-of",
    callback=lambda _ctx, _param, value: _date(value),
    help="The valid date of the maps (YYYY-MM-DD; default today).",
)
@click.option(
    "--known-at",
    callback=lambda _ctx, _param, value: _moment(value),
    help="Read the maps as they were known at this moment (ISO 8601; UTC unless an offset is given).",
)
@click.option(
    "--compare",
    is_flag=True,
    help="Compare every row of the rebuilt read model with the live one; exit 1 on any difference.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the maps as JSON to this file (default: standard output).",
)
@click.option(
    "--database-url",
    help="The live read model to compare with (default: the service's, REGIEKAART_DATABASE_URL).",
)
@data_dir_option
@nats_url_option
def replay(
    as_of: date | None,
    known_at: datetime | None,
    compare: bool,
    output: Path | None,
    database_url: str | None,
    data_dir: Path | None,
    nats_url: str | None,
) -> None:
    """Rebuild the governance maps from the event log alone, in a scratch database, and print them.

    With --compare, the rebuilt read model (all valid and record times) is compared row by row with the
    live one, up to the live one's position, and every difference is listed."""
    settings = _settings(data_dir, nats_url, database_url=database_url)
    with tempfile.TemporaryDirectory(prefix="regiekaart-replay-") as scratch_dir:
        scratch = create_engine(f"sqlite:///{Path(scratch_dir) / 'replay.sqlite'}")
        live = create_engine(settings.effective_database_url) if compare else None
        try:
            until = None if live is None else GovernanceMaps(live).position()
            position = _replay_log(settings, scratch, until)
            if live is None:
                maps = snapshot(GovernanceMaps(scratch), as_of, known_at)
                with output.open("wb") if output else nullcontext(sys.stdout.buffer) as out:
                    out.write(msgspec.json.format(msgspec.json.encode(maps)) + b"\n")
                return
            differences = compare_read_models(live, scratch)
        except SQLAlchemyError as error:
            _fail(f"cannot read the read model: {error}", 2)
        finally:
            scratch.dispose()
            if live is not None:
                live.dispose()
    for difference in differences:
        click.echo(difference.describe())
    if differences:
        _fail(f"{len(differences)} difference(s) between the live read model and the log", 1)
    click.echo(f"no differences: the live read model at position {position} matches the log")


def _replay_log(settings: Settings, scratch: Engine, until: int | None) -> int | None:
    try:
        with event_store(settings) as (_, url):
            app = GovernanceApplication(
                env={
                    "PERSISTENCE_MODULE": "adapters.nats",
                    "NATS_URL": url,
                    "NATS_STREAM": settings.nats_stream,
                }
            )
            try:
                return replay_log(app, scratch, until)
            finally:
                app.close()
    except (OSError, RuntimeError, NoServersError, JetStreamApiError, *NoAnswer) as error:
        _fail(f"cannot read the event log from NATS: {error}", 2)
