"""What several commands share: reading the settings (and refusing a data directory that holds none
of what a command reads), the data-directory and NATS options, the moments a map is asked at, and the
read models a command reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect

from adapters.data_dir import Kept, require_data
from adapters.settings import Settings
from adapters.sql import create_engine
from projections.queries import GovernanceMaps
from projections.schema import FACTS

# Where `make serve` keeps its data: the default data directory, relative to the checkout it runs in.
_CHECKOUT_DATA_DIR = Path(__file__).resolve().parents[2] / Settings().data_dir


def settings_from(
    data_dir: Path | None,
    nats_url: str | None = None,
    *,
    reads: Iterable[Kept],
    **overrides: object,
) -> Settings:
    """The command's settings; refused (NoRegiekaartData) when the data directory holds none of what
    the command ``reads`` from it, before anything is created there."""
    try:
        settings = Settings.from_env(data_dir=data_dir, nats_url=nats_url, **overrides)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    # Suggested in turn: the one REGIEKAART_DATA_DIR names, the default, and that of `make serve`.
    elsewhere = (
        Settings.from_env(nats_url=nats_url, **overrides).data_dir,
        Settings().data_dir,
        _CHECKOUT_DATA_DIR,
    )
    require_data(settings, reads, elsewhere)
    return settings


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="The data directory of `regiekaart serve` (default: REGIEKAART_DATA_DIR, else .regiekaart "
    "in the current directory).",
)
nats_url_option = click.option(
    "--nats-url", help="Use this NATS server or cluster instead of starting an embedded one."
)


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


def read_models(settings: Settings) -> GovernanceMaps:
    engine = create_engine(settings.effective_database_url)
    if FACTS not in inspect(engine).get_table_names():
        raise click.ClickException(
            f"there are no governance maps in {engine.url.render_as_string(hide_password=True)} yet: "
            "start `regiekaart serve` or run `regiekaart projections rebuild` first"
        )
    return GovernanceMaps(engine)
