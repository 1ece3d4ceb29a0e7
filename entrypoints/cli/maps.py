"""`regiekaart map`: a region's, cooperation's or organisation's governance map in the terminal, and
a region's plans of approach and overdue actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
import msgspec

from adapters.data_dir import Kept
from api.map_documents import map_document
from domain.errors import UnknownReference
from entrypoints.cli.options import (
    as_of_option,
    data_dir_option,
    known_at_option,
    read_models,
    settings_from,
)
from entrypoints.map_tables import (
    cooperation_tables,
    organisation_tables,
    overdue_tables,
    plan_tables,
    print_tables,
    region_tables,
)
from projections.queries import GovernanceMaps
from projections.views import CooperationMap, OrganisationView, RegionMap

MAPS = (RegionMap, CooperationMap, OrganisationView)  # served as map documents (api.map_documents)


@click.group("map")
def map_group() -> None:
    """Show the governance map of a region, cooperation or organisation."""


def _map_command(
    name: str, help_text: str, query: Callable[..., Any], render: Callable[[Any], Any]
) -> None:
    @map_group.command(name, help=help_text)
    @click.argument("slug")
    @as_of_option
    @known_at_option
    @click.option(
        "--json", "as_json", is_flag=True, help="Print the map as JSON, as the API serves it."
    )
    @data_dir_option
    def command(
        slug: str,
        as_of: datetime | None,
        known_at: datetime | None,
        as_json: bool,
        data_dir: Path | None,
    ) -> None:
        maps = read_models(settings_from(data_dir, reads=[Kept.GOVERNANCE_MAPS]))
        day: date | None = as_of.date() if as_of else None
        try:
            view = query(maps, slug, as_of=day, known_at=known_at)
        except UnknownReference as error:
            raise click.ClickException(str(error)) from None
        if as_json:  # as the API serves it: a map names each authority and provenance once
            served = map_document(view) if isinstance(view, MAPS) else view
            document = msgspec.json.encode(served)
            click.echo(msgspec.json.format(document, indent=2).decode())
        else:
            print_tables(render(view))


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
_map_command(
    "plans",
    "The plans of approach of the region SLUG: actions with their status, milestones, recommendations.",
    GovernanceMaps.region_plans,
    plan_tables,
)
_map_command(
    "overdue",
    "The actions of the region SLUG's plans overdue on the day (deadline passed, not done).",
    lambda maps, slug, **when: maps.overdue_actions(region=slug, **when),
    overdue_tables,
)
