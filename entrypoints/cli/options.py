"""What several commands share: reading the settings, the data-directory and NATS options, the
moments a map is asked at, and the read models a command reads."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from sqlalchemy import inspect

from adapters.settings import Settings
from adapters.sql import create_engine
from projections.queries import GovernanceMaps
from projections.schema import FACTS


def settings_from(
    data_dir: Path | None, nats_url: str | None = None, **overrides: object
) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, nats_url=nats_url, **overrides)
    except ValueError as error:
        raise click.UsageError(str(error)) from error


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Where the embedded NATS server keeps its data.",
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
