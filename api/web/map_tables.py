"""A map's view struct (``projections.views``) as tables for a page: one table per list of facts,
one column per field that has a value, in Dutch (``api.web.labels.field_label``). Generic on purpose,
so that a field added to a view shows up without a change here; its Dutch label, declared with the
field, is checked by a test."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

from api.web.labels import (
    LIST_ITEM_LABELS,
    SECTION_HEADINGS,
    dutch_date,
    dutch_moment,
    dutch_partial_date,
    field_label,
    plan_name,
    route_purpose,
    value_label,
)
from domain.values import PartialDate
from projections.views import (
    Conflict,
    ConflictingClaim,
    ContractTerms,
    ExtensionOption,
    HoldingEvidence,
    Named,
    PlanProgress,
    Role,
    RouteStep,
)

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
        "known_to_hold_since",  # shown in "geldig vanaf" where the start is unknown
        "part_of",
        "opt_outs",
    }
)
FIRST_AND_LAST = ("valid_from", "valid_until")
# A map's moment and log position: the page's own heading says them.
HEADER_FIELDS = frozenset({"as_of", "known_at", "position"})


def text(value: Any, field: str = "") -> str:
    """One value as a cell's Dutch text; ``field``: the field it is the value of (a coded field's
    value is shown by its Dutch word, ``api.web.labels``)."""
    if value is None or value == ():
        return ""
    if isinstance(value, PartialDate):
        return dutch_partial_date(value)
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, datetime):
        return dutch_moment(value)
    if isinstance(value, date):
        return dutch_date(value)
    if isinstance(value, Decimal):
        return _number(value)
    if isinstance(value, tuple):
        separator = " → " if isinstance(value[0], RouteStep) else _separator(value[0])
        return separator.join(text(item, field) for item in value)
    if isinstance(value, msgspec.Struct):
        return _struct_text(value)
    if isinstance(value, str):
        return value_label(field, value)
    return str(value)


def _separator(item: Any) -> str:
    return "; " if isinstance(item, msgspec.Struct) and not isinstance(item, Named) else ", "


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f").replace(".", ",")  # 2,5 jaar


def evidence(since: HoldingEvidence) -> str:
    """Why a fact whose start is unknown held: "ten minste sinds 1 januari 2023 (bron)"."""
    return f"ten minste sinds {dutch_partial_date(since.since)} ({since.title or since.source})"


def _struct_text(value: msgspec.Struct) -> str:
    """A struct inside a row, as a phrase."""
    if isinstance(value, HoldingEvidence):
        return evidence(value)
    if isinstance(value, Conflict):
        return f"{value.topic}: {text(value.claims)}"
    if isinstance(value, ConflictingClaim):
        return f"{value.value} (bron: {', '.join(value.sources)})"
    if isinstance(value, ContractTerms):
        return _contract(value)
    if isinstance(value, ExtensionOption):
        option = f"optie {value.number}: {_number(value.years)} jaar"
        if value.decision:
            option += f", {value_label('decision', value.decision)}"
        if value.extends_from is not None and value.extends_from.value is not None:
            option += f" vanaf {dutch_partial_date(value.extends_from)}"
        return option
    if isinstance(value, RouteStep):
        return f"{value.number}. {value.step}"
    if isinstance(value, PlanProgress):
        plan = plan_name(value.plan) + (f" ‘{value.title}’" if value.title else "")
        if value.adopted:
            return f"{plan}: vastgesteld"
        return f"{plan}: stap {value.steps_done}" + (
            f" ({value.last_step})" if value.last_step else ""
        )
    if isinstance(value, Role):  # a lead of an agenda item: who holds it
        return text(value.holder_region or value.holder_municipality or value.holder_body)
    name = getattr(value, "name", None) or getattr(value, "slug", None)
    return str(name) if name is not None else ""


def _contract(terms: ContractTerms) -> str:
    """The contract's terms in a phrase: "start: 1 januari 2023; looptijd: 2+4+4 jaar; ..."."""
    years = {"term", "initial_years", "max_years"}
    parts = [
        f"{field_label(ContractTerms, field).lower()}: {text(getattr(terms, field))}"
        + (" jaar" if field in years else "")
        for field in ("start", "term", "initial_years", "extension_options", "max_years", "funding")
        if text(getattr(terms, field))
    ]
    return "; ".join(parts)


def _cell(fact: msgspec.Struct, field: str) -> str:
    value = getattr(fact, field, None)
    since = getattr(fact, "known_to_hold_since", None)
    if field == "valid_from" and since is not None and not text(value):
        return evidence(since)  # the start is unknown; a dated source shows it held
    if field == "applies_to":
        return route_purpose(str(value))
    return text(value, field)


def _columns(rows: tuple[msgspec.Struct, ...]) -> list[str]:
    fields = [f for f in rows[0].__struct_fields__ if f not in LEFT_OUT and f not in FIRST_AND_LAST]
    filled = [f for f in fields if any(_cell(row, f) for row in rows)]
    return filled + [f for f in FIRST_AND_LAST if f in rows[0].__struct_fields__]


def _listed(view: msgspec.Struct, field: str) -> tuple[Any, ...] | None:
    """What a map's field lists as a section's rows (a lone struct, its route, as one row); None for
    its single values and its subject."""
    value = getattr(view, field)
    if field in SECTION_HEADINGS and value is None:
        return ()
    if isinstance(value, tuple):
        return value
    if isinstance(value, msgspec.Struct) and not isinstance(value, Named):
        return (value,)
    return None


def _table(field: str, rows: tuple[Any, ...]) -> dict[str, Any]:
    table: dict[str, Any] = {"key": field, "heading": SECTION_HEADINGS[field]}
    if not rows:
        return {**table, "columns": [], "rows": []}
    if not isinstance(rows[0], msgspec.Struct):  # a list of the sources' words (principles)
        return {**table, "columns": [LIST_ITEM_LABELS[field]], "rows": [[str(r)] for r in rows]}
    if isinstance(rows[0], Named):  # registered things: by name
        return {**table, "columns": [field_label(Named, "name")], "rows": [[text(r)] for r in rows]}
    columns = _columns(rows)
    return {
        **table,
        "columns": [field_label(type(rows[0]), c) for c in columns],
        "rows": [[_cell(row, c) for c in columns] for row in rows],
    }


def sections(view: msgspec.Struct) -> list[dict[str, Any]]:
    """The view's lists of facts, each as a heading, column labels and rows of cell texts."""
    return [
        _table(field, rows)
        for field in view.__struct_fields__
        if (rows := _listed(view, field)) is not None
    ]


def particulars(view: msgspec.Struct) -> list[tuple[str, str]]:
    """The view's single values (its kind, province, decision rule …) as label and text."""
    return [
        (field_label(type(view), field), text(getattr(view, field), field))
        for field in view.__struct_fields__
        if field not in HEADER_FIELDS
        and _listed(view, field) is None
        and not isinstance(getattr(view, field), Named)
        and text(getattr(view, field), field)
    ]


def _row(fact: Any) -> dict[str, str]:
    if not isinstance(fact, msgspec.Struct):
        return {"item": str(fact)}
    return {
        field: _cell(fact, field)
        for field in fact.__struct_fields__
        if field not in LEFT_OUT and _cell(fact, field)
    }


def differences(before: msgspec.Struct, after: msgspec.Struct) -> list[dict[str, Any]]:
    """What changed from one map to another (two peildata): per section the rows that are new and
    the rows that lapsed, compared on everything a page shows of them."""
    changes = []
    for field in after.__struct_fields__:
        new = _listed(after, field)
        if new is None:
            continue
        old = _listed(before, field) or ()
        old_rows = [_row(f) for f in old]
        new_rows = [_row(f) for f in new]
        lapsed = [row for row in old_rows if row not in new_rows]
        added = [row for row in new_rows if row not in old_rows]
        if not (lapsed or added):
            continue
        fields = [f for row in lapsed + added for f in row]
        fields = list(dict.fromkeys(fields))  # in the order of the struct's fields, once each
        struct = type((new or old)[0])
        changes.append(
            {
                "key": field,
                "heading": SECTION_HEADINGS[field],
                "columns": [
                    LIST_ITEM_LABELS[field]
                    if f == "item" and field in LIST_ITEM_LABELS
                    else field_label(struct, f)
                    for f in fields
                ],
                "rows": [("vervallen", [row.get(f, "") for f in fields]) for row in lapsed]
                + [("nieuw", [row.get(f, "") for f in fields]) for row in added],
            }
        )
    return changes
