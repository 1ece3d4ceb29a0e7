"""A map's view struct (``projections.views``) as tables for a page: one table per list of facts,
one column per field that has a value. Generic on purpose, so that a field added to a view shows up
without a change here; fields without a Dutch label keep their own name."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import msgspec

from domain.values import PartialDate

SECTION_HEADINGS = {
    "members": "Leden",
    "cooperations": "Samenwerkingsverbanden",
    "organisations": "Organisaties",
    "roles": "Rollen (accounthouderschap, trekkerschap, mandaten)",
    "roles_towards": "Rollen van anderen in haar samenwerkingsverbanden",
    "procurements": "Inkoop",
    "opt_outs": "Uitzonderingen (opt-outs)",
    "agreements": "Overige afspraken",
    "account_holders": "Accounthouderschappen",
    "mandates": "Mandaten als expertisecentrum",
}
COLUMN_LABELS = {
    "municipality": "Gemeente",
    "region": "Regio",
    "cooperation": "Samenwerkingsverband",
    "organisation": "Organisatie",
    "participation": "Deelname",
    "role": "Rol",
    "agreement": "Afspraak",
    "agreement_kind": "Soort afspraak",
    "holder_region": "Accounthouder (regio)",
    "holder_municipality": "Accounthouder (gemeente)",
    "holder_body": "Houder (orgaan)",
    "status": "Status",
    "owner": "Eigenaar",
    "participants": "Deelnemers",
    "suppliers": "Leveranciers",
    "segments": "Segmenten",
    "lots": "Percelen",
    "contract_start": "Start contract",
    "term": "Looptijd",
    "parties": "Partijen",
    "subject": "Onderwerp",
    "scope": "Reikwijdte",
    "partial": "Gedeeltelijk",
    "note": "Toelichting",
    "reason": "Reden",
    "module": "Module",
    "name": "Naam",
    "slug": "Kenmerk",
    "kind": "Soort",
    "valid_from": "Geldig vanaf",
    "valid_until": "Geldig tot",
}
# A fact's bookkeeping: shown on the history, not in every row of the map.
LEFT_OUT = frozenset(
    {
        "authority",
        "principal",
        "provenance",
        "recorded_at",
        "recorded_position",
        "certain",
        "term_text",
        "part_of",
        "opt_outs",
    }
)
FIRST_AND_LAST = ("valid_from", "valid_until")


def text(value: Any) -> str:
    """One value as a cell's text."""
    if value is None or value == ():
        return ""
    if isinstance(value, PartialDate):
        return "" if value.value is None else _partial(value)
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(text(item) for item in value)
    if isinstance(value, msgspec.Struct):
        name = getattr(value, "name", None) or getattr(value, "slug", None)
        return str(name) if name is not None else ""
    return str(value)


def _partial(value: PartialDate) -> str:
    day = value.value
    assert day is not None
    precision = str(value.precision)
    if precision == "year":
        return f"{day.year}"
    if precision == "month":
        return f"{day.year}-{day.month:02d}"
    return day.isoformat()


def _columns(rows: tuple[msgspec.Struct, ...]) -> list[str]:
    fields = [f for f in rows[0].__struct_fields__ if f not in LEFT_OUT and f not in FIRST_AND_LAST]
    filled = [f for f in fields if any(text(getattr(row, f, None)) for row in rows)]
    return filled + [f for f in FIRST_AND_LAST if f in rows[0].__struct_fields__]


def sections(view: msgspec.Struct) -> list[dict[str, Any]]:
    """The view's lists of facts, each as a heading, column labels and rows of cell texts."""
    tables = []
    for field in view.__struct_fields__:
        rows = getattr(view, field)
        if not isinstance(rows, tuple):
            continue
        if not rows:
            tables.append({"key": field, "heading": _heading(field), "columns": [], "rows": []})
            continue
        if not isinstance(rows[0], msgspec.Struct):
            continue
        columns = _columns(rows)
        tables.append(
            {
                "key": field,
                "heading": _heading(field),
                "columns": [COLUMN_LABELS.get(c, c) for c in columns],
                "rows": [[text(getattr(row, c, None)) for c in columns] for row in rows],
            }
        )
    return tables


def _heading(field: str) -> str:
    return SECTION_HEADINGS.get(field, field.replace("_", " ").capitalize())


def particulars(view: msgspec.Struct) -> list[tuple[str, str]]:
    """The view's single values (its kind, province, decision rule …) as label and text."""
    labels = {
        "region_kind": "Soort regio",
        "province": "Provincie",
        "cooperation_kind": "Soort samenwerkingsverband",
        "decision_rule": "Besluitvorming",
        "organisation_kind": "Soort organisatie",
    }
    shown = []
    for field in view.__struct_fields__:
        value = getattr(view, field)
        if field in ("as_of", "known_at", "position") or isinstance(value, tuple):
            continue
        if isinstance(value, msgspec.Struct):
            continue  # the subject itself: the page's heading
        if text(value):
            shown.append((labels.get(field, field.replace("_", " ")), text(value)))
    return shown


def _row(fact: msgspec.Struct) -> dict[str, str]:
    return {
        field: text(getattr(fact, field))
        for field in fact.__struct_fields__
        if field not in LEFT_OUT and text(getattr(fact, field))
    }


def differences(before: msgspec.Struct, after: msgspec.Struct) -> list[dict[str, Any]]:
    """What changed from one map to another (two peildata): per list of facts the rows that are new
    and the rows that lapsed, compared on everything a page shows of them."""
    changes = []
    for field in after.__struct_fields__:
        old, new = getattr(before, field, ()), getattr(after, field)
        if not isinstance(new, tuple) or not all(isinstance(f, msgspec.Struct) for f in old + new):
            continue
        old_rows = [_row(f) for f in old]
        new_rows = [_row(f) for f in new]
        lapsed = [row for row in old_rows if row not in new_rows]
        added = [row for row in new_rows if row not in old_rows]
        if not (lapsed or added):
            continue
        fields = [f for f in new[0].__struct_fields__ if f not in LEFT_OUT] if new else []
        fields = fields or [f for f in old[0].__struct_fields__ if f not in LEFT_OUT]
        fields = [f for f in fields if any(f in row for row in lapsed + added)]
        changes.append(
            {
                "key": field,
                "heading": _heading(field),
                "columns": [COLUMN_LABELS.get(f, f) for f in fields],
                "rows": [("vervallen", [row.get(f, "") for f in fields]) for row in lapsed]
                + [("nieuw", [row.get(f, "") for f in fields]) for row in added],
            }
        )
    return changes
