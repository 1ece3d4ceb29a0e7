"""A fact row's details are taken from its event by the fields of its view (``view_details``) and read
back by the same list (``view_from``): a field added to an event and to its view reaches the map with
no line in the projection's handler, while what the row keeps in columns or a map composes stays out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from domain.values import UNKNOWN_DATE, Authority, Provenance, SubjectRef
from projections.row_values import view_details, view_from
from projections.views import Role


class _Transfer(Role, frozen=True, kw_only=True):
    """A role with one more field, as a new field on a fact would be declared."""

    explanation: Annotated[str | None, Meta(title="Toelichting")] = None


@dataclass
class _Event:  # the attributes of a recorded event, as a handler sees them
    agreement: str
    status: str
    holder_region: str
    cooperation: str
    owner: SubjectRef | None
    obligations: tuple[str, ...]
    explanation: str
    valid_from: object = UNKNOWN_DATE


EVENT = _Event(
    agreement="nmz-pactum-2027",
    status="in-force",
    holder_region="zuid-limburg",
    cooperation="nmz-limburg",
    owner=None,
    obligations=("contractbeheer",),
    explanation="Zuid-Limburg neemt het contractbeheer over",
)


def test_the_details_are_the_view_fields_the_event_carries_besides_columns_and_references() -> None:
    details = view_details(_Transfer, EVENT, basis="besluitenlijst 2026-11")
    assert details == {
        "obligations": ("contractbeheer",),
        "explanation": "Zuid-Limburg neemt het contractbeheer over",
        "basis": "besluitenlijst 2026-11",
    }


def test_a_value_worked_out_by_the_handler_takes_precedence() -> None:
    details = view_details(_Transfer, EVENT, obligations=["worked out"])
    assert details["obligations"] == ["worked out"]


def test_the_stored_details_fill_the_view_again() -> None:
    stored = msgspec.json.decode(msgspec.json.encode(view_details(_Transfer, EVENT)))
    role = view_from(
        _Transfer,
        stored,
        valid_from=UNKNOWN_DATE,
        valid_until=UNKNOWN_DATE,
        certain=False,
        authority=Authority(external="Ministerie van VWS"),
        principal="coordinator:alice",
        provenance=Provenance(),
        recorded_at=datetime(2026, 11, 20, tzinfo=UTC),
        recorded_position=1,
        role="account-holder",
        agreement="nmz-pactum-2027",
        agreement_kind="accounthouderschap",
    )
    assert role.explanation == "Zuid-Limburg neemt het contractbeheer over"
    assert role.obligations == ("contractbeheer",)
