"""The `regiekaart` command line."""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
import msgspec
from nats.errors import NoServersError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from adapters.data_dir import DataDirInUse
from adapters.nats.access import (
    FEED_API_PREFIX,
    Credentials,
    FeedAccess,
    feed_access,
    url_without_credentials,
)
from adapters.nats.audit import NatsLog
from adapters.nats.client import JetStreamApiError, NatsClient, NoAnswer
from adapters.nats.feeds import FeedLayout, check_region
from adapters.nats.server import reload_running_server
from adapters.seal import known_public_keys, rotate_signing_key
from adapters.settings import Settings
from adapters.sql import create_engine, migrate
from api.scopes import require_known_scopes
from api.tokens import TokenStore
from domain.errors import UnknownReference
from entrypoints.map_tables import (
    cooperation_tables,
    organisation_tables,
    print_tables,
    region_tables,
)
from entrypoints.runtime import ForeignEventLog, Runtime, event_store, governance_application
from projections.audit import LogFault, export_log, verify_export, verify_log
from projections.queries import GovernanceMaps
from projections.rebuild import rebuild
from projections.replay import compare_read_models, snapshot
from projections.replay import replay as replay_log
from projections.schema import FACTS
from services.authorisation import Role


def _settings(data_dir: Path | None, nats_url: str | None = None, **overrides: object) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, nats_url=nats_url, **overrides)
    except ValueError as error:
        raise click.UsageError(str(error)) from error


class _Commands(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DataDirInUse, ForeignEventLog) as error:
            # Refused before anything was written: a second process, or a log other than the one
            # the read models were built from, would fork the record.
            raise click.ClickException(str(error)) from None


@click.group(cls=_Commands)
def main() -> None:
    """Regiekaart: the governance map of Dutch youth-care regions."""


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Where the embedded NATS server keeps its data.",
)
nats_url_option = click.option(
    "--nats-url", help="Use this NATS server or cluster instead of starting an embedded one."
)


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

    settings = _settings(data_dir, nats_url, api_host=host, api_port=port, api_workers=workers)
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
    with Runtime(_settings(data_dir, nats_url)) as runtime:
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
    with Runtime(_settings(data_dir, nats_url)) as runtime:
        runtime.start_projections(batch_size=batch_size)
        click.echo("running")
        _wait(stopped)
    click.echo("stopped")


@projections.command("rebuild")
@data_dir_option
@nats_url_option
def rebuild_projections(data_dir: Path | None, nats_url: str | None) -> None:
    """Replay the whole log into fresh tables and swap them in; the old ones answer until then."""
    with Runtime(_settings(data_dir, nats_url), rebuilding=True) as runtime:
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

            position = rebuild(runtime.app, runtime.engine, progress=advance)
    click.echo(f"rebuilt up to log position {position}")


# -- maps ------------------------------------------------------------------------------------------
class _Moment(click.ParamType):
    name = "moment"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                f"{value!r} is not a moment like 2024-05-01T12:00:00 or 2024-05-01", param, ctx
            )
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


as_of_option = click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the map is of (valid time, YYYY-MM-DD); default today.",
)
known_at_option = click.option(
    "--known-at",
    type=_Moment(),
    help="Show the map as it was known at this moment (record time, ISO 8601; UTC unless it "
    "carries an offset); default now.",
)


def _map_command(
    name: str, help_text: str, query: Callable[..., Any], render: Callable[[Any], Any]
) -> None:
    @map_group.command(name, help=help_text)
    @click.argument("slug")
    @as_of_option
    @known_at_option
    @click.option("--json", "as_json", is_flag=True, help="Print the map as JSON.")
    @data_dir_option
    def command(
        slug: str,
        as_of: datetime | None,
        known_at: datetime | None,
        as_json: bool,
        data_dir: Path | None,
    ) -> None:
        maps = _maps(_settings(data_dir, None))
        day: date | None = as_of.date() if as_of else None
        try:
            view = query(maps, slug, as_of=day, known_at=known_at)
        except UnknownReference as error:
            raise click.ClickException(str(error)) from None
        if as_json:
            click.echo(msgspec.json.format(msgspec.json.encode(view), indent=2).decode())
        else:
            print_tables(render(view))


def _maps(settings: Settings) -> GovernanceMaps:
    engine = create_engine(settings.effective_database_url)
    if FACTS not in inspect(engine).get_table_names():
        raise click.ClickException(
            f"there are no governance maps in {engine.url.render_as_string(hide_password=True)} yet: "
            "start `regiekaart serve` or run `regiekaart projections rebuild` first"
        )
    return GovernanceMaps(engine)


@main.group("map")
def map_group() -> None:
    """Show the governance map of a region, cooperation or organisation."""


_map_command("region", "The map of the region SLUG.", GovernanceMaps.region_map, region_tables)
_map_command(
    "cooperation",
    "The map of the cooperation SLUG.",
    GovernanceMaps.cooperation_map,
    cooperation_tables,
)
_map_command(
    "organisation",
    "The account holders and arrangements of the organisation SLUG.",
    GovernanceMaps.organisation_view,
    organisation_tables,
)


@main.group()
def tokens() -> None:
    """Bearer tokens for the API (stored hashed; a token's secret is shown only when it is created)."""


def _token_store(data_dir: Path | None) -> TokenStore:
    engine = create_engine(_settings(data_dir).effective_database_url)
    migrate(engine)
    return TokenStore(engine)


@tokens.command("create")
@data_dir_option
@click.option(
    "--name", required=True, help="Who or what holds the token, e.g. alice or region-system-venlo."
)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--cooperation", "cooperations", multiple=True, help="A cooperation a coordinator coordinates."
)
@click.option(
    "--region", "regions", multiple=True, help="A region of a coordinator or region system."
)
def create_token(
    data_dir: Path | None,
    name: str,
    role: str,
    cooperations: tuple[str, ...],
    regions: tuple[str, ...],
) -> None:
    """Create a token and print it (this once)."""
    try:
        if regions or cooperations:
            require_known_scopes(
                _maps(_settings(data_dir)), regions=regions, cooperations=cooperations
            )
        issued = _token_store(data_dir).create(
            name=name, role=Role(role), cooperations=cooperations, regions=regions
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"token {issued.info.token_id} for {role}:{name}")
    click.echo(issued.token)


@tokens.command("list")
@data_dir_option
def list_tokens(data_dir: Path | None) -> None:
    """List tokens (never their secrets)."""
    for info in _token_store(data_dir).list():
        scope = ", ".join((*info.cooperations, *info.regions)) or "-"
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
        click.echo(f"{info.token_id}  {info.role:<13} {info.name:<24} {scope:<30} {state}")


@tokens.command("revoke")
@data_dir_option
@click.argument("token_id")
def revoke_token(data_dir: Path | None, token_id: str) -> None:
    """Revoke a token by its id (as `tokens list` shows it)."""
    if not _token_store(data_dir).revoke(token_id):
        raise click.ClickException(f"no active token {token_id!r}")
    click.echo(f"revoked {token_id}")


@main.group()
def feeds() -> None:
    """Region feeds: credentials for region systems."""


def _connection(settings: Settings, region: str, issued: Credentials) -> dict[str, str]:
    """All a region system needs to connect and read its feed."""
    layout = FeedLayout()
    url = (
        url_without_credentials(settings.nats_url)
        if settings.nats_url
        else f"nats://127.0.0.1:{settings.nats_port}"
    )
    return {
        "region": region,
        "url": url,
        "user": issued.user,
        "password": issued.password,
        "inbox_prefix": issued.inbox_prefix,
        "api_prefix": FEED_API_PREFIX,
        "stream": layout.stream(region),
        "subjects": layout.subjects(region),
    }


def _admit(settings: Settings, access: FeedAccess, change: str) -> None:
    """Writes the embedded server's access configuration and has a running server reload it."""
    access.write_server_config(settings.nats_data_dir)
    if settings.nats_url:
        click.echo(
            f"{change}: give the NATS server the block `regiekaart feeds server-config` prints",
            err=True,
        )
    elif reload_running_server(settings.nats_data_dir):
        click.echo(f"{change}: the running service applies it now", err=True)
    else:
        click.echo(f"{change}: the service applies it when it next starts", err=True)


def _region_access(data_dir: Path | None, region: str) -> tuple[Settings, FeedAccess]:
    settings = _settings(data_dir, None)
    try:
        check_region(region)
        require_known_scopes(_maps(settings), regions=(region,))
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="REGION") from error
    return settings, feed_access(settings)


@feeds.command()
@click.argument("region")
@data_dir_option
def credentials(region: str, data_dir: Path | None) -> None:
    """Print REGION's system's connection (the NATS URL, its credentials, inbox prefix and feed) as
    JSON; the credentials are issued on first request.

    The embedded server admits them at once if it is running, otherwise when the service starts.
    """
    settings, access = _region_access(data_dir, region)
    issued = access.region(region)
    _admit(settings, access, "credentials issued")
    click.echo(
        msgspec.json.format(msgspec.json.encode(_connection(settings, region, issued))).decode()
    )


@feeds.command()
@click.argument("region")
@data_dir_option
def rotate(region: str, data_dir: Path | None) -> None:
    """Replace REGION's system's password and print its new connection; connections made with the old
    one are closed."""
    settings, access = _region_access(data_dir, region)
    issued = access.rotate(region)
    _admit(settings, access, "credentials rotated")
    click.echo(
        msgspec.json.format(msgspec.json.encode(_connection(settings, region, issued))).decode()
    )


@feeds.command()
@click.argument("region")
@data_dir_option
def revoke(region: str, data_dir: Path | None) -> None:
    """Take REGION's system's credentials away; its open connections are closed."""
    settings, access = _region_access(data_dir, region)
    if not access.revoke(region):
        raise click.ClickException(f"{region} has no credentials")
    _admit(settings, access, "credentials revoked")


@feeds.command("server-config")
@data_dir_option
def server_config(data_dir: Path | None) -> None:
    """Print the nats-server authorization block for the service and the region systems issued so far
    (for a NATS server run by the operator)."""
    click.echo(feed_access(_settings(data_dir, None)).authorization_config(), nl=False)


@feeds.command("service-password")
@data_dir_option
def service_password(data_dir: Path | None) -> None:
    """Print the password of the service's own NATS user (issued on first request), which the
    service's REGIEKAART_NATS_URL carries when it connects to a NATS server run by the operator."""
    click.echo(feed_access(_settings(data_dir, None)).service().password)


@main.group()
def audit() -> None:
    """Check the event log without trusting the service: hashes, links and signed checkpoints."""


def _fail(message: str, code: int) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _reader_of(settings: Settings) -> Settings:
    """An auditor's one-off read of an embedded event store runs its server on a free port, leaving
    the configured one to the service."""
    return msgspec.structs.replace(settings, nats_port=0)


@contextmanager
def _event_log(settings: Settings) -> Iterator[NatsLog]:
    """The event log on NATS, read-only; an unreachable or missing log is a readable failure."""
    try:
        with event_store(_reader_of(settings)) as (_, url):
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
    multiple=True,
    callback=lambda _ctx, _param, values: [_public_key(value) for value in values],
    help="A public key (hex) of the service that seals and checkpoints may be signed with; repeat it "
    "for keys the service had before a rotation. Without it, the keys of the signing key file (its "
    "current and retired ones) are used if it is here, or else those the log names.",
)
@data_dir_option
@nats_url_option
def verify(
    export_file: Path | None, public_key: list[str], data_dir: Path | None, nats_url: str | None
) -> None:
    """Verify every event's hash, link and seal, that no message is missing, and every signed
    checkpoint; exit 1 at the first fault."""
    settings = _settings(data_dir, nats_url)
    trusted: list[str] | None = list(public_key) or None
    if trusted is None and settings.effective_signing_key_file.exists():
        trusted = known_public_keys(settings.effective_signing_key_file)
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
    with (
        _event_log(settings) as log,
        output.open("wb") if output else nullcontext(sys.stdout.buffer) as out,
    ):
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
    """Print the public key (hex) the service signs events and checkpoints with, after the keys it
    replaced (one a line, oldest first): an auditor needs them all to verify the whole log."""
    settings = _settings(data_dir, None)
    for key in known_public_keys(settings.effective_signing_key_file):
        click.echo(key)


@audit.command("rotate-key")
@data_dir_option
def rotate_key(data_dir: Path | None) -> None:
    """Replace the signing key by a new one. The old public key stays valid for what it signed (it is
    kept in the retired keys); restart the service to sign with the new key, and publish it."""
    settings = _settings(data_dir, None)
    old, new = rotate_signing_key(settings.effective_signing_key_file)
    click.echo(f"retired key: {old}")
    click.echo(f"new key:     {new}")
    click.echo("restart `regiekaart serve` to sign with the new key; publish both public keys")


@audit.command()
@as_of_option
@known_at_option
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
    as_of: datetime | None,
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
                maps = snapshot(GovernanceMaps(scratch), as_of.date() if as_of else None, known_at)
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
        with event_store(_reader_of(settings)) as (_, url):
            app = governance_application(settings, url)
            try:
                return replay_log(app, scratch, until)
            finally:
                app.close()
    except (OSError, RuntimeError, NoServersError, JetStreamApiError, *NoAnswer) as error:
        _fail(f"cannot read the event log from NATS: {error}", 2)
