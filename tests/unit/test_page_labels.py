"""Every field a map page can show has a Dutch label, and every coded value a Dutch word: the test
walks every field of every view struct a map holds, so that a field or code added later without Dutch
fails here (``api.web.labels`` is their one home)."""

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
    COLUMN_LABELS,
    LIST_ITEM_LABELS,
    PARTICULAR_LABELS,
    SECTION_HEADINGS,
    VALUE_LABELS,
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
    """The types a field's type holds (an optional's, a tuple's items)."""
    if isinstance(kind, mi.UnionType):
        return [inner for member in kind.types for inner in _inner(member)]
    if isinstance(kind, mi.VarTupleType | mi.ListType):
        return _inner(kind.item_type)
    return [kind]


def _shown_fields() -> dict[str, set[str]]:
    """Each struct a map holds (through the fields a page shows) → its fields a page shows."""
    found: dict[str, set[str]] = {}

    def walk(struct: mi.StructType) -> None:
        if struct.cls.__name__ in found or struct.cls in AS_ONE_VALUE:
            return
        found[struct.cls.__name__] = set()
        for field in struct.fields:
            if field.name in LEFT_OUT or field.name in HEADER_FIELDS:
                continue
            found[struct.cls.__name__].add(field.name)
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
            labels = SECTION_HEADINGS if is_section else PARTICULAR_LABELS
            assert field.name in labels, f"{view.__name__}.{field.name} has no Dutch heading"
            if is_section and not any(isinstance(t, mi.StructType) for t in inner):
                assert field.name in LIST_ITEM_LABELS, (
                    f"{view.__name__}.{field.name}: no item label"
                )


def test_every_field_of_every_view_struct_on_a_map_has_a_dutch_label() -> None:
    maps = {view.__name__ for view in MAPS}
    missing = [
        f"{struct}.{field}"
        for struct, fields in _shown_fields().items()
        if struct not in maps
        for field in fields
        if field not in COLUMN_LABELS
    ]
    assert not missing, f"fields without a Dutch label: {missing}"
    assert {"Body", "Route", "RouteStep", "PlanProgress", "AgendaModule", "Conflict"} <= set(
        _shown_fields()
    )  # the walk reaches the newer sections


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
    names = set(_shown_fields())
    seen: dict[str, mi.StructType] = {}

    def walk(struct: mi.StructType) -> None:
        if struct.cls.__name__ in seen or struct.cls.__name__ not in names:
            return
        seen[struct.cls.__name__] = struct
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
