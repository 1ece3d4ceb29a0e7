"""The `regiekaart` command line."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import msgspec
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import inspect

from adapters.nats.access import FeedAccess, inbox_prefix
from adapters.nats.feeds import FeedLayout
from adapters.nats.server import reload_running_server
from adapters.settings import Settings
from adapters.sql import create_engine, migrate
from api.map_tables import cooperation_tables, organisation_tables, print_tables, region_tables
from api.tokens import TokenStore
from domain.errors import UnknownReference
from projections.queries import GovernanceMaps
from projections.rebuild import rebuild
from projections.schema import FACTS
from services.authorisation import Role
from services.runtime import Runtime


def _settings(data_dir: Path | None, nats_url: str | None = None, **overrides: object) -> Settings:
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
    from api.server import serve as serve_everything

    settings = _settings(data_dir, nats_url, api_host=host, api_port=port, api_workers=workers)
    serve_everything(settings, lambda line: click.echo(line))
    click.echo("stopped")


def _stopped_on_sigterm() -> threading.Event:
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    return stopped


def _wait(stopped: threading.Event) -> None:
    try:
        stopped.wait()
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
    with Runtime(_settings(data_dir, nats_url)) as runtime:
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

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a moment like 2024-05-01T12:00:00 or 2024-05-01", param, ctx)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _map_command(
    name: str, help_text: str, query: Callable[..., Any], render: Callable[[Any], Any]
) -> None:
    @map_group.command(name, help=help_text)
    @click.argument("slug")
    @click.option(
        "--as-of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        help="The day the map is of (valid time, YYYY-MM-DD); default today.",
    )
    @click.option(
        "--known-at",
        type=_Moment(),
        help="Show the map as it was known at this moment (record time, ISO 8601; UTC unless it "
        "carries an offset); default now.",
    )
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
    "cooperation", "The map of the cooperation SLUG.", GovernanceMaps.cooperation_map, cooperation_tables
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
@click.option("--name", required=True, help="Who or what holds the token, e.g. alice or region-system-venlo.")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--cooperation", "cooperations", multiple=True, help="A cooperation a coordinator coordinates.")
@click.option("--region", "regions", multiple=True, help="A region of a coordinator or region system.")
def create_token(
    data_dir: Path | None, name: str, role: str, cooperations: tuple[str, ...], regions: tuple[str, ...]
) -> None:
    """Create a token and print it (this once)."""
    try:
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
