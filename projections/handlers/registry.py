"""How the registry's events (municipalities, regions, cooperations, organisations, decision bodies,
structural changes) change the governance maps' fact rows: one handler per event class."""

from __future__ import annotations

from typing import Any

import msgspec

from domain.registry import (
    ConflictingClaims,
    Cooperation,
    DecisionBody,
    Municipality,
    Organisation,
    Region,
    SourceDocument,
    StructuralChange,
)
from domain.values import Claim, SubjectKind, SubjectRef
from projections.batch import Batch, EventStamp
from projections.facts import FactKind, ref_columns
from projections.handlers.keys import membership_key, registered_key
from projections.row_values import view_details
from projections.views import Body, CooperationMap, OrganisationView, RegionMap


def _registered(kind: SubjectKind, view: type[msgspec.Struct] | None = None, *also: str) -> Any:
    """The registration row of a subject of ``kind``: its details are the fields of its ``view`` (its
    map, or a decision body's entry) that the event carries, and the event's attributes named in
    ``also``, which a map reads otherwise (a route, an agenda, the slugs it names)."""

    def handle(batch: Batch, at: EventStamp, e: Any) -> None:
        subject = SubjectRef(kind, getattr(e, kind.value))
        details = view_details(view, e, **{name: getattr(e, name) for name in also}) if view else {}
        columns = {**ref_columns(e.of), "role": str(e.role)} if kind is SubjectKind.BODY else {}
        _registration(batch, at, e, subject, FactKind.REGISTERED, details, name=e.name, **columns)

    return handle


def _registration(
    batch: Batch,
    at: EventStamp,
    e: Any,
    subject: SubjectRef,
    fact_kind: FactKind,
    details: dict[str, Any],
    **columns: Any,
) -> None:
    """The row that registers ``subject``, keyed by its kind and slug."""
    key = registered_key(subject.kind, subject.slug)
    batch.state_of(at, e, key, fact_kind, subject, details, **columns)


def _source_registered(batch: Batch, at: EventStamp, e: SourceDocument.Registered) -> None:
    """A source's date: the maps take it as evidence that what the source states held on that day."""
    source = SubjectRef(SubjectKind.SOURCE, e.source)
    details = {"date": e.date, "date_inferred": e.date_inferred}
    _registration(batch, at, e, source, FactKind.REGISTERED, details, name=e.title)


def _membership_started(batch: Batch, at: EventStamp, e: Municipality.MembershipStarted) -> None:
    key = membership_key(e.municipality, e.membership_id)
    municipality = SubjectRef(SubjectKind.MUNICIPALITY, e.municipality)
    batch.state_of(at, e, key, FactKind.MEMBERSHIP, municipality, region=e.region, scope=e.scope)


def _membership_ended(batch: Batch, at: EventStamp, e: Municipality.MembershipEnded) -> None:
    batch.revise(at, membership_key(e.municipality, e.membership_id), e.valid_from, e.valid_until)


def _merged(batch: Batch, at: EventStamp, e: Municipality.Merged) -> None:
    details = {"successor_municipality": e.successor_municipality, "change": e.change}
    municipality = SubjectRef(SubjectKind.MUNICIPALITY, e.municipality)
    batch.state_of(at, e, f"merger:{e.municipality}", FactKind.MERGER, municipality, details)


def _region_joined(batch: Batch, at: EventStamp, e: Cooperation.RegionJoined) -> None:
    key = f"participation:{e.cooperation}:{e.region}:{at.position}"
    cooperation = SubjectRef(SubjectKind.COOPERATION, e.cooperation)
    details = {"participation_note": e.participation_note, "cadence": e.cadence}
    columns = {"region": e.region, "role": str(e.participation)}
    batch.state_of(at, e, key, FactKind.PARTICIPATION, cooperation, details, **columns)


def _organisation_involved(
    batch: Batch, at: EventStamp, e: Cooperation.OrganisationInvolved
) -> None:
    key = f"involvement:{e.cooperation}:{e.organisation}"
    cooperation = SubjectRef(SubjectKind.COOPERATION, e.cooperation)
    batch.state_of(at, e, key, FactKind.INVOLVEMENT, cooperation, organisation=e.organisation)


def _role_changed(batch: Batch, at: EventStamp, e: DecisionBody.RoleChanged) -> None:
    batch.revise(at, registered_key(SubjectKind.BODY, e.body), role=str(e.role))


def _change_recorded(batch: Batch, at: EventStamp, e: StructuralChange.Recorded) -> None:
    change = SubjectRef(SubjectKind.CHANGE, e.change)
    details = {
        "description": e.description,
        "from_municipalities": e.from_municipalities,
        "into_municipality": e.into_municipality,
    }
    columns = {"role": str(e.change_kind), **ref_columns(e.subject)}
    _registration(batch, at, e, change, FactKind.CHANGE, details, **columns)


def _claims_rows(
    batch: Batch, at: EventStamp, e: Any, key: str, claims: tuple[Claim, ...], **details: Any
) -> None:
    """Claims on a disputed topic, in a row that names the disputed subject in its column (an
    agreement's in ``agreement``), so they are read with the fact or map they dispute."""
    subject: SubjectRef | None = e.subject
    columns = ref_columns(subject)
    if subject is not None and subject.kind is SubjectKind.AGREEMENT:
        columns["agreement"] = subject.slug
    row_details = {
        "subject_kind": str(subject.kind) if subject else None,
        "subject_slug": subject.slug if subject else None,
        "claims": [{"value": c.value, "sources": c.sources} for c in claims],
        **details,
    }
    claims_subject = SubjectRef(SubjectKind.CLAIMS, e.claims)
    batch.state_of(at, e, key, FactKind.CONFLICTING_CLAIMS, claims_subject, row_details, **columns)


def _claims_recorded(batch: Batch, at: EventStamp, e: ConflictingClaims.Recorded) -> None:
    _claims_rows(batch, at, e, f"claims:{e.claims}", e.claim_values, topic=e.topic, note=e.note)


def _claim_added(batch: Batch, at: EventStamp, e: ConflictingClaims.ClaimAdded) -> None:
    _claims_rows(batch, at, e, f"claims:{e.claims}:{at.position}", (e.claim,))


HANDLERS: dict[type, Any] = {
    Municipality.Registered: _registered(SubjectKind.MUNICIPALITY),
    Municipality.MembershipStarted: _membership_started,
    Municipality.MembershipEnded: _membership_ended,
    Municipality.Merged: _merged,
    Region.Registered: _registered(
        SubjectKind.REGION,
        RegionMap,
        "aliases",
        "contact_municipality",
        "members_complete",
        "decision_route",
    ),
    Cooperation.Registered: _registered(
        SubjectKind.COOPERATION,
        CooperationMap,
        "cadence",
        "members_complete",
        "process_owner_body",
        "agenda",
    ),
    Cooperation.RegionJoined: _region_joined,
    Cooperation.OrganisationInvolved: _organisation_involved,
    Organisation.Registered: _registered(
        SubjectKind.ORGANISATION,
        OrganisationView,
        "aliases",
        "member_organisations",
    ),
    DecisionBody.Registered: _registered(
        SubjectKind.BODY, Body, "member_municipalities", "commissioned_by_body"
    ),
    DecisionBody.RoleChanged: _role_changed,
    StructuralChange.Recorded: _change_recorded,
    SourceDocument.Registered: _source_registered,
    ConflictingClaims.Recorded: _claims_recorded,
    ConflictingClaims.ClaimAdded: _claim_added,
}
