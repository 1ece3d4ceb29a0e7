"""The `regiekaart` command line."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from adapters.nats.access import FeedAccess, inbox_prefix
from adapters.nats.feeds import FeedLayout
from adapters.nats.server import reload_running_server
from adapters.settings import Settings
from adapters.sql import create_engine, migrate
from api.tokens import TokenStore
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
    from api.server import serve as serve_everything

    settings = _settings(data_dir, nats_url, api_host=host, api_port=port, api_workers=workers)
    serve_everything(settings, lambda line: click.echo(line))
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
