"""Every field a map page can show has a Dutch label, and every coded value a Dutch word: the test
walks every field of every view struct a map holds, so that a field or code added later without Dutch
fails here. A field's label is declared with it (``projections.views``); ``api.web.labels`` keeps the
headings, the codes' words and the labels of names several views share."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest

from api.web.labels import (
    CODED_FIELDS,
    CODES,
    LIST_ITEM_LABELS,
    SECTION_HEADINGS,
    SHARED_FIELD_LABELS,
    VALUE_LABELS,
    field_label,
)
from api.web.map_tables import HEADER_FIELDS, LEFT_OUT, text
from domain.values import PartialDate, Precision
from projections.views import (
    ContractTerms,
    CooperationMap,
    ExtensionOption,
    HoldingEvidence,
    Named,
    OrganisationView,
    RegionMap,
)

MAPS = (RegionMap, CooperationMap, OrganisationView)
# Shown by their own rendering (a date as people write it, a thing by its name), not field by field.
AS_ONE_VALUE = (PartialDate,)


def _inner(kind: Any) -> list[Any]:
    """The types a field's type holds (an optional's, a tuple's items, a labelled field's)."""
    if isinstance(kind, mi.Metadata):
        return _inner(kind.type)
    if isinstance(kind, mi.UnionType):
        return [inner for member in kind.types for inner in _inner(member)]
    if isinstance(kind, mi.VarTupleType | mi.ListType):
        return _inner(kind.item_type)
    return [kind]


def _shown_fields() -> dict[type, set[str]]:
    """Each struct a map holds (through the fields a page shows) → its fields a page shows: every
    section of a map (each is a table), and of a fact the fields not ``LEFT_OUT`` of its row."""
    found: dict[type, set[str]] = {}

    def walk(struct: mi.StructType) -> None:
        if struct.cls in found or struct.cls in AS_ONE_VALUE:
            return
        found[struct.cls] = set()
        left_out = HEADER_FIELDS if struct.cls in MAPS else LEFT_OUT | HEADER_FIELDS
        for field in struct.fields:
            if field.name in left_out:
                continue
            found[struct.cls].add(field.name)
            for inner in _inner(field.type):
                if isinstance(inner, mi.StructType):
                    walk(inner)

    for view in MAPS:
        walk(mi.type_info(view))
    return found


def test_every_section_and_single_value_of_a_map_has_a_dutch_heading() -> None:
    for view in MAPS:
        info = mi.type_info(view)
        for field in info.fields:
            if field.name in HEADER_FIELDS:
                continue
            inner = _inner(field.type)
            if any(isinstance(t, mi.StructType) and t.cls is Named for t in inner) and not (
                isinstance(field.type, mi.VarTupleType)
            ):
                continue  # the map's subject: the page's own heading
            is_section = isinstance(field.type, mi.VarTupleType) or any(
                isinstance(t, mi.StructType) for t in inner
            )
            if is_section:
                assert field.name in SECTION_HEADINGS, f"{view.__name__}.{field.name}: no heading"
            else:
                assert field_label(view, field.name), f"{view.__name__}.{field.name}: no label"
            if is_section and not any(isinstance(t, mi.StructType) for t in inner):
                assert field.name in LIST_ITEM_LABELS, (
                    f"{view.__name__}.{field.name}: no item label"
                )


def _labelled(struct: type, field: str) -> bool:
    try:
        return bool(field_label(struct, field))
    except KeyError:
        return False


def test_every_field_of_every_view_struct_on_a_map_has_a_dutch_label() -> None:
    missing = [
        f"{struct.__name__}.{field}"
        for struct, fields in _shown_fields().items()
        if struct not in MAPS
        for field in fields
        if not _labelled(struct, field)
    ]
    assert not missing, f"fields without a Dutch label: {missing}"
    assert {"Body", "Route", "RouteStep", "PlanProgress", "AgendaModule", "Conflict", "OptOut"} <= {
        struct.__name__ for struct in _shown_fields()
    }  # the walk reaches the newer sections


def test_a_label_is_declared_with_its_field_unless_several_views_share_the_name() -> None:
    """One home per label: a name of one view has its label with the field, not in
    ``api.web.labels``; a name several views share has one label there, none of its own."""
    shown = {(struct, field) for struct, fields in _shown_fields().items() for field in fields}
    sharing = {
        name: {s for s, f in shown if f == name and s not in MAPS} for name in SHARED_FIELD_LABELS
    }
    assert not [name for name, structs in sharing.items() if len(structs) < 2], (
        "labels in api.web.labels of a name only one view shows: declare them with the field"
    )
    titled = [
        f"{struct.__name__}.{field}"
        for struct, field in shown
        if field in SHARED_FIELD_LABELS and field_label(struct, field) != SHARED_FIELD_LABELS[field]
    ]
    assert not titled, f"shared names with a label of their own: {titled}"


def test_every_coded_value_that_can_appear_has_a_dutch_word() -> None:
    missing = [
        f"{kind}: {code}"
        for kind, codes in CODES.items()
        for code in codes
        if code not in VALUE_LABELS
    ]
    assert not missing, f"codes without a Dutch word: {missing}"
    assert VALUE_LABELS["account-holder"] == "accounthouder"
    assert VALUE_LABELS["in-force"] == "van kracht" and VALUE_LABELS["member"] == "lid"
    assert VALUE_LABELS["decides"] == "besluit"


def test_every_field_typed_as_a_code_is_shown_by_its_dutch_word() -> None:
    """A field whose type is a StrEnum: its field is coded and its enum's members have words."""
    enums = {str(code) for codes in CODES.values() for code in codes}
    for struct in _walked_structs():
        for field in struct.fields:
            for inner in _inner(field.type):
                if isinstance(inner, mi.EnumType) and issubclass(inner.cls, StrEnum):
                    assert field.name in CODED_FIELDS, f"{struct.cls.__name__}.{field.name}"
                    assert {str(m) for m in inner.cls} <= enums, inner.cls.__name__


def _walked_structs() -> list[mi.StructType]:
    shown = set(_shown_fields())
    seen: dict[type, mi.StructType] = {}

    def walk(struct: mi.StructType) -> None:
        if struct.cls in seen or struct.cls not in shown:
            return
        seen[struct.cls] = struct
        for field in struct.fields:
            for inner in _inner(field.type):
                if isinstance(inner, mi.StructType):
                    walk(inner)

    for view in MAPS:
        walk(mi.type_info(view))
    return list(seen.values())


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (PartialDate(date(2023, 1, 1), Precision.DAY), "1 januari 2023"),
        (PartialDate(date(2021, 3, 1), Precision.MONTH), "maart 2021"),
        (PartialDate(date(2023, 1, 1), Precision.YEAR), "2023"),
        (PartialDate(), ""),
        (date(2027, 12, 31), "31 december 2027"),
        (datetime(2026, 5, 4, 9, 7), "4 mei 2026 09:07"),
        (Decimal("2.5"), "2,5"),
    ],
)
def test_dates_and_numbers_read_as_people_write_them(value: object, shown: str) -> None:
    assert text(value) == shown


def test_a_fact_known_from_a_dated_source_reads_at_least_since() -> None:
    since = HoldingEvidence(
        since=PartialDate(date(2023, 1, 1), Precision.DAY),
        source="zl-regiovisie-2024",
        title="Regiovisie 2024-2028",
    )
    assert text(since) == "ten minste sinds 1 januari 2023 (Regiovisie 2024-2028)"
    untitled = msgspec.structs.replace(since, title=None)
    assert text(untitled) == "ten minste sinds 1 januari 2023 (zl-regiovisie-2024)"


def test_a_contract_reads_as_a_phrase_with_its_options_decided() -> None:
    terms = ContractTerms(
        start=PartialDate(date(2022, 7, 1), Precision.DAY),
        term="2,5+2",
        initial_years=Decimal("2.5"),
        extension_options=(ExtensionOption(number=1, years=Decimal(2), decision="exercised"),),
        max_years=Decimal("4.5"),
        funding="lumpsum",
    )
    assert text(terms) == (
        "start: 1 juli 2022; looptijd: 2,5+2 jaar; eerste looptijd: 2,5 jaar; "
        "verlengingsopties: optie 1: 2 jaar, gelicht; maximale looptijd: 4,5 jaar; "
        "bekostiging: lumpsum"
    )


def test_a_coded_value_is_shown_by_its_word_and_free_text_as_it_is() -> None:
    assert text("in-force", "status") == "van kracht"
    assert text("member", "participation") == "lid"
    assert text("jeugdzorgregio", "region_kind") == "jeugdzorgregio"
    assert text("member", "note") == "member"  # the sources' own words are not translated
