"""The columns of a fact row (``projections.schema``'s ``map_facts``) that more than one module fills or
reads: a period's six bound columns and the slug column a subject kind fills. The projector writes them
and the queries read them, so they are named once, here."""

from __future__ import annotations

from typing import Any

from domain.values import PartialDate, SubjectKind, SubjectRef

PERIOD_COLUMNS = (
    "valid_from_earliest",
    "valid_from_latest",
    "valid_from_precision",
    "valid_until_earliest",
    "valid_until_latest",
    "valid_until_precision",
)


def period_columns(valid_from: PartialDate, valid_until: PartialDate) -> dict[str, Any]:
    return {
        "valid_from_earliest": valid_from.earliest,
        "valid_from_latest": valid_from.latest,
        "valid_from_precision": str(valid_from.precision),
        "valid_until_earliest": valid_until.earliest,
        "valid_until_latest": valid_until.latest,
        "valid_until_precision": str(valid_until.precision),
    }


SLUG_COLUMNS = {
    SubjectKind.REGION: "region",
    SubjectKind.COOPERATION: "cooperation",
    SubjectKind.ORGANISATION: "organisation",
    SubjectKind.MUNICIPALITY: "municipality",
}


def ref_columns(ref: SubjectRef | None) -> dict[str, str]:
    """The slug column a reference fills (an owner, a party, a body's region or cooperation)."""
    if ref is None or ref.kind not in SLUG_COLUMNS:
        return {}
    return {SLUG_COLUMNS[ref.kind]: ref.slug}
