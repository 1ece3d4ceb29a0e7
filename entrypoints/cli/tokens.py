"""`regiekaart tokens`: API tokens, created, listed and revoked beside a running service."""

from __future__ import annotations

from pathlib import Path

import click

from adapters.data_dir import Kept
from adapters.settings import Settings
from adapters.sql import create_engine, migrate
from api.scopes import require_known_scopes
from api.tokens import TokenStore
from entrypoints.cli.options import (
    data_dir_option,
    read_models,
    settings_from,
)
from services.authorisation import Role


@click.group()
def tokens() -> None:
    """Bearer tokens for the API (stored hashed; a token's secret is shown only when it is created)."""


def _settings(data_dir: Path | None) -> Settings:
    """Tokens are kept beside the governance maps (their database)."""
    return settings_from(data_dir, reads=[Kept.GOVERNANCE_MAPS])


def _token_store(settings: Settings) -> TokenStore:
    engine = create_engine(settings.effective_database_url)
    migrate(engine)
    return TokenStore(engine)


def _row(token_id: str, role: str, name: str, scope: str, state: str) -> str:
    return f"{token_id:<12}  {role:<13} {name:<24} {scope:<30} {state}"


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
    settings = _settings(data_dir)
    try:
        if regions or cooperations:
            require_known_scopes(read_models(settings), regions=regions, cooperations=cooperations)
        issued = _token_store(settings).create(
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
    listed = _token_store(_settings(data_dir)).list()
    click.echo(_row("id", "role", "name", "scope", "state"))
    for info in listed:
        scope = ", ".join((*info.cooperations, *info.regions)) or "-"
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
        click.echo(_row(info.token_id, info.role, info.name, scope, state))


@tokens.command("revoke")
@data_dir_option
@click.argument("token_id")
def revoke_token(data_dir: Path | None, token_id: str) -> None:
    """Revoke a token by its id (as `tokens list` shows it)."""
    if not _token_store(_settings(data_dir)).revoke(token_id):
        raise click.ClickException(f"no active token {token_id!r}")
    click.echo(f"revoked {token_id}")
