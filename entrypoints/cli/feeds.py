"""`regiekaart feeds`: a region system's NATS credentials, issued, rotated and revoked."""

from __future__ import annotations

from pathlib import Path

import click
import msgspec

from adapters.data_dir import Kept
from adapters.nats.access import (
    FEED_API_PREFIX,
    Credentials,
    FeedAccess,
    feed_access,
    url_without_credentials,
)
from adapters.nats.feeds import FeedLayout, check_region
from adapters.nats.server import reload_running_server
from adapters.settings import Settings
from api.scopes import require_known_scopes
from entrypoints.cli.options import (
    data_dir_option,
    read_models,
    settings_from,
)


@click.group()
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
    settings = settings_from(data_dir, reads=[Kept.GOVERNANCE_MAPS])
    try:
        check_region(region)
        require_known_scopes(read_models(settings), regions=(region,))
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
    # Like service-password, made on first request: deploy/ keeps a data directory for the access
    # files alone, which starts empty.
    click.echo(feed_access(settings_from(data_dir, reads=())).authorization_config(), nl=False)


@feeds.command("service-password")
@data_dir_option
def service_password(data_dir: Path | None) -> None:
    """Print the password of the service's own NATS user (issued on first request), which the
    service's REGIEKAART_NATS_URL carries when it connects to a NATS server run by the operator."""
    click.echo(feed_access(settings_from(data_dir, reads=())).service().password)
