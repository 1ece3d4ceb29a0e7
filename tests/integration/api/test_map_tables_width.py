"""`regiekaart map …` of the real facts stays readable in an 80-column terminal: no line wider than
80 characters, and the names, roles and periods still in it."""

from __future__ import annotations

from datetime import date

import pytest

from entrypoints.map_tables import (
    cooperation_tables,
    organisation_tables,
    print_tables,
    region_tables,
)
from projections.queries import GovernanceMaps

AS_OF = date(2027, 6, 1)
MAPS = [
    (GovernanceMaps.region_map, region_tables, "zuid-limburg", ("Maastricht", "Member municipal")),
    (GovernanceMaps.region_map, region_tables, "regio-nijmegen", ("Nijmegen", "Procurements")),
    (GovernanceMaps.cooperation_map, cooperation_tables, "nmz-limburg", ("account-holder",)),
    (GovernanceMaps.cooperation_map, cooperation_tables, "g7-gelderland", ("Regions",)),
    (GovernanceMaps.organisation_view, organisation_tables, "pactum", ("account-holder",)),
]


@pytest.mark.parametrize(("query", "render", "slug", "expected"), MAPS, ids=[m[2] for m in MAPS])
def test_a_map_in_80_columns_keeps_every_line_within_them(
    context, capsys, monkeypatch, query, render, slug, expected
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    view = query(GovernanceMaps(context.engine), slug, as_of=AS_OF)
    print_tables(render(view))
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80, max(lines, key=len)
    text = "\n".join(lines)
    for word in (slug, *expected):
        assert word in text
