"""Curators' working marks in the real facts ("(L230)", "see claims_in_conflict") do not reach the
maps or histories as text; the lines they cite stay as references of the fact's provenance."""

from __future__ import annotations

import re
from datetime import date

import msgspec

from domain.values import SubjectKind
from projections.queries import GovernanceMaps
from projections.user_text import reader_text

AS_OF = date(2027, 6, 1)
CURATION = re.compile(r"\(L\d|claims_in_conflict|[a-z0-9-]:L\d")


def _texts(node: object, path: str = "") -> list[tuple[str, str]]:
    """Every text of a view outside its provenance's source references."""
    if isinstance(node, dict):
        return [
            found
            for key, value in node.items()
            if key != "sources"
            for found in _texts(value, f"{path}/{key}")
        ]
    if isinstance(node, list):
        return [found for item in node for found in _texts(item, path)]
    return [(path, node)] if isinstance(node, str) else []


def test_no_map_or_history_of_the_real_facts_shows_a_curation_mark(context) -> None:
    maps = GovernanceMaps(context.engine)
    views = [maps.region_map(r.slug, as_of=AS_OF) for r in maps.regions()]
    views += [maps.cooperation_map(c.slug, as_of=AS_OF) for c in maps.cooperations()]
    views += [maps.organisation_view(o.slug, as_of=AS_OF) for o in maps.organisations()]
    views += [maps.history(SubjectKind.REGION, r.slug) for r in maps.regions()]
    leaks = [
        (path, text)
        for view in views
        for path, text in _texts(msgspec.to_builtins(view))
        if CURATION.search(text)
    ]
    assert leaks == []


def test_the_zuid_limburg_opt_outs_read_cleanly_and_keep_their_cited_lines(context) -> None:
    view = GovernanceMaps(context.engine).region_map("zuid-limburg", as_of=AS_OF)
    heerlen = next(o for o in view.opt_outs if o.municipality.slug == "heerlen")
    assert heerlen.scope == "ambulant: 'ambulante jeugdhulp' or 'ambulante basishulp'"
    assert {
        "zuid-limburg-regiovisie-2024:L230",
        "zuid-limburg-regiovisie-2024:L263",
        "zuid-limburg-regiovisie-2024:L494",
    } <= set(heerlen.provenance.sources)


def test_a_remark_inside_a_sentence_leaves_the_sentence_whole() -> None:
    assert reader_text("different dates (see claims_in_conflict). Zuid reports delay.") == (
        "different dates. Zuid reports delay."
    )
    assert reader_text("not given. See claims_in_conflict for the grantor.") == "not given."
    assert reader_text("the ids follow from noord-limburg-beleidsplan-2022:L3066-L3075.") == (
        "the ids follow from noord-limburg-beleidsplan-2022."
    )
