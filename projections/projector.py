"""How each event changes the governance maps' tables (``projections.schema``).

``GovernanceProjector.apply`` takes a batch of decoded events with their log positions and writes, in the
caller's transaction, the fact row versions they state, the supersessions they cause, the history rows
(``projections.history``), and the new tracking position — all or nothing. The rows of a batch are
gathered and written by ``projections.batch``.

A fact's key names it across versions: ``membership:<municipality>:<membership id>``,
``holder:<account>:<term agreement>``, ``agreement:<slug>`` (the headline of every agreement but a
trekkerschap, whose leads are terms ``lead:<slug>:<position>``), ``registered:<kind>:<slug>``, ...

Corrections (``FactCorrected``) retract the rows the corrected event stated and restore the validity
of rows it changed (the version before the change), the read-model counterpart of the aggregate
rebuilding itself without the corrected event. Correcting version 1 retracts everything its aggregate
stated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.utils import get_topic
from sqlalchemy import Connection, Index, and_, insert, select, update

from domain.agreements import (
    AccountHoldership,
    Agreement,
    AgreementAggregate,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.base import GovernanceAggregate
from domain.registry import (
    Cooperation,
    DecisionBody,
    Municipality,
    Organisation,
    Region,
    StructuralChange,
)
from domain.values import AgreementStatus, SubjectKind, SubjectRef
from projections.batch import Batch, EventStamp
from projections.facts import PERIOD_COLUMNS, SLUG_COLUMNS, ref_columns
from projections.history import (
    History,
    history_of,
)
from projections.schema import ReadModelTables
from projections.writer import BulkWriter

PROJECTION_NAME = "governance_maps"


class PositionConflict(Exception):
    """The tables have moved on since this batch was read (another runner or a rebuild's swap)."""


def tracking_position(connection: Connection, tables: ReadModelTables) -> int | None:
    return connection.execute(
        select(tables.tracking.c.position).where(tables.tracking.c.name == PROJECTION_NAME)
    ).scalar()


class GovernanceProjector:
    """Applies events to one set of read-model tables."""

    def __init__(
        self, tables: ReadModelTables, indexes_on_first_correction: Sequence[Index] = ()
    ) -> None:
        """``indexes_on_first_correction``: indexes of ``tables`` that corrections need and a
        rebuild leaves out until the first correction (``schema.CORRECTION_INDEX``)."""
        self.tables = tables
        self.indexes_on_first_correction = tuple(indexes_on_first_correction)

    def apply(
        self,
        connection: Connection,
        events: Sequence[tuple[int, Any]],
        expected_position: int | None,
        *,
        up_to: int | None = None,
        history: History | None = None,
    ) -> int | None:
        """Applies ``events`` (position, domain event) after ``expected_position`` and moves the tracking
        position to ``up_to`` (default: the last event's), in ``connection``'s transaction. Raises
        PositionConflict (and writes nothing the caller should commit) if the tables are no longer at
        ``expected_position``.

        ``history`` holds the history rows of the other events up to ``up_to`` when they were
        computed elsewhere (``projections.worker``); ``events`` then hold only the events that
        change facts (``FACT_TOPICS``), whose rows are computed here."""
        new_position = up_to if up_to is not None else (events[-1][0] if events else None)
        if new_position is None:
            return expected_position
        self._move_tracking(connection, expected_position, new_position)
        batch = Batch(connection, self.tables)
        batch.prefetch(
            {key for _, event in events for key in _REVISED_KEYS.get(type(event), _none)(event)}
        )
        for position, event in events:
            if isinstance(event, GovernanceAggregate.FactCorrected):
                self._ensure_correction_indexes(connection)
                self._correct(batch, EventStamp(position, event))
            elif (handler := _HANDLERS.get(type(event))) is not None:
                handler(batch, EventStamp(position, event), event)
        batch.flush()
        rows = history_of(events, batch.record_time)
        if history is not None:
            rows = rows.merged(history)
        self._resolve_corrections(connection, rows)
        BulkWriter(connection).write_history(self.tables, rows)
        return new_position

    def _move_tracking(
        self, connection: Connection, expected: int | None, new_position: int
    ) -> None:
        tracking = self.tables.tracking
        if expected is None:
            exists = tracking_position(connection, self.tables)
            if exists is not None:
                raise PositionConflict(f"expected an empty read model, found position {exists}")
            connection.execute(insert(tracking).values(name=PROJECTION_NAME, position=new_position))
            return
        moved = connection.execute(
            update(tracking)
            .where(and_(tracking.c.name == PROJECTION_NAME, tracking.c.position == expected))
            .values(position=new_position)
        )
        if moved.rowcount != 1:
            raise PositionConflict(
                f"the read model is no longer at position {expected} "
                f"(now {tracking_position(connection, self.tables)})"
            )

    # -- corrections ----------------------------------------------------------------------------
    def _ensure_correction_indexes(self, connection: Connection) -> None:
        # In the batch's transaction: if it rolls back, so does the index, and the next batch
        # with a correction creates it again.
        for index in self.indexes_on_first_correction:
            index.create(connection, checkfirst=True)

    def _correct(self, batch: Batch, at: EventStamp) -> None:
        event = at.event
        corrected = f"{event.corrects_id}:{event.corrects_version}"
        facts = self.tables.facts
        if event.corrects_version == 1:
            prefix = f"{event.corrects_id}:"
            stated = batch.current_where(facts.c.stated_by.startswith(prefix, autoescape=True))
        else:
            stated = batch.current_where(facts.c.stated_by == corrected)
        for version in stated:
            batch.retract(at, version)
        for version in batch.current_where(facts.c.changed_by == corrected):
            before = (
                batch.connection.execute(
                    select(facts).where(
                        facts.c.fact_key == version["fact_key"],
                        facts.c.superseded_position == version["recorded_position"],
                    )
                )
                .mappings()
                .first()
            )
            if before is not None:
                restored = {name: before[name] for name in (*PERIOD_COLUMNS, "status", "role")}
                batch.revise_version(at, version, **restored)

    def _resolve_corrections(self, connection: Connection, history: History) -> None:
        """Fills in the log position each correction in ``history`` corrects."""
        if not history.corrections:
            return
        in_batch = history.positions()
        index_of = {row[0]: index for index, row in enumerate(history.events)}
        events = self.tables.events
        for correction_position, corrected in history.corrections:
            index = index_of[correction_position]
            position = in_batch.get(corrected)
            if position is None:
                originator_id, version = corrected.rsplit(":", 1)
                position = connection.execute(
                    select(events.c.position).where(
                        events.c.originator_id == originator_id,
                        events.c.originator_version == int(version),
                    )
                ).scalar()
            history.events[index] = (*history.events[index][:-1], position)


# -- fact keys: how handlers name facts, and which current versions an event will revise ------------
def _registered_key(kind: SubjectKind, slug: str) -> str:
    return f"registered:{kind}:{slug}"


def _membership_key(municipality: str, membership_id: str) -> str:
    return f"membership:{municipality}:{membership_id}"


def _holder_key(account: str, agreement: str) -> str:
    return f"holder:{account}:{agreement}"


def _agreement_key(agreement: str) -> str:
    return f"agreement:{agreement}"


def _none(_event: Any) -> tuple[str, ...]:
    return ()


_REVISED_KEYS: dict[type, Any] = {
    Municipality.MembershipEnded: lambda e: (_membership_key(e.municipality, e.membership_id),),
    DecisionBody.RoleChanged: lambda e: (_registered_key(SubjectKind.BODY, e.body),),
    AccountHoldership.HolderTransferred: lambda e: (_holder_key(e.account, e.previous_agreement),),
    AccountHoldership.HolderEnded: lambda e: (_holder_key(e.account, e.agreement),),
    # A trekkerschap's status is that of its leads, found by agreement (_open_leads).
    AgreementAggregate.StatusChanged: lambda e: (
        () if e.agreement_kind == "trekkerschap" else (_agreement_key(e.agreement),)
    ),
}


# -- handlers: one per event class that changes a map ----------------------------------------------
def _registered(kind: SubjectKind, **details_of: str) -> Any:
    def handle(batch: Batch, at: EventStamp, e: Any) -> None:
        slug = getattr(e, kind.value if kind is not SubjectKind.BODY else "body")
        columns: dict[str, Any] = {}
        if kind in SLUG_COLUMNS:
            columns[SLUG_COLUMNS[kind]] = slug
        if kind is SubjectKind.BODY:
            columns.update(ref_columns(e.of), role=str(e.role))
        batch.state(
            at,
            _registered_key(kind, slug),
            "registered",
            kind,
            e.valid_from,
            e.valid_until,
            {name: getattr(e, attribute) for name, attribute in details_of.items()},
            subject_slug=slug,
            name=e.name,
            **columns,
        )

    return handle


def _membership_started(batch: Batch, at: EventStamp, e: Municipality.MembershipStarted) -> None:
    batch.state(
        at,
        _membership_key(e.municipality, e.membership_id),
        "membership",
        SubjectKind.MUNICIPALITY,
        e.valid_from,
        e.valid_until,
        subject_slug=e.municipality,
        municipality=e.municipality,
        region=e.region,
        scope=e.scope,
    )


def _membership_ended(batch: Batch, at: EventStamp, e: Municipality.MembershipEnded) -> None:
    batch.revise(at, _membership_key(e.municipality, e.membership_id), e.valid_from, e.valid_until)


def _merged(batch: Batch, at: EventStamp, e: Municipality.Merged) -> None:
    batch.state(
        at,
        f"merger:{e.municipality}",
        "merger",
        SubjectKind.MUNICIPALITY,
        e.valid_from,
        e.valid_until,
        {"successor_municipality": e.successor_municipality, "change": e.change},
        subject_slug=e.municipality,
        municipality=e.municipality,
    )


def _region_joined(batch: Batch, at: EventStamp, e: Cooperation.RegionJoined) -> None:
    batch.state(
        at,
        f"participation:{e.cooperation}:{e.region}:{at.position}",
        "participation",
        SubjectKind.COOPERATION,
        e.valid_from,
        e.valid_until,
        {"participation_note": e.participation_note, "cadence": e.cadence},
        subject_slug=e.cooperation,
        cooperation=e.cooperation,
        region=e.region,
        role=str(e.participation),
    )


def _organisation_involved(
    batch: Batch, at: EventStamp, e: Cooperation.OrganisationInvolved
) -> None:
    batch.state(
        at,
        f"involvement:{e.cooperation}:{e.organisation}",
        "involvement",
        SubjectKind.COOPERATION,
        e.valid_from,
        e.valid_until,
        subject_slug=e.cooperation,
        cooperation=e.cooperation,
        organisation=e.organisation,
    )


def _role_changed(batch: Batch, at: EventStamp, e: DecisionBody.RoleChanged) -> None:
    batch.revise(at, _registered_key(SubjectKind.BODY, e.body), role=str(e.role))


def _change_recorded(batch: Batch, at: EventStamp, e: StructuralChange.Recorded) -> None:
    batch.state(
        at,
        _registered_key(SubjectKind.CHANGE, e.change),
        "change",
        SubjectKind.CHANGE,
        e.valid_from,
        e.valid_until,
        {
            "description": e.description,
            "from_municipalities": e.from_municipalities,
            "into_municipality": e.into_municipality,
        },
        subject_slug=e.change,
        role=str(e.change_kind),
        **ref_columns(e.subject),
    )


def _holder_columns(e: Any) -> dict[str, Any]:
    return {
        "subject_slug": e.account,
        "cooperation": e.cooperation,
        "organisation": e.organisation,
        "region": e.holder_region,
        "municipality": e.executing_municipality,
        "agreement": e.agreement,
        "agreement_kind": "accounthouderschap",
    }


def _holder_assigned(batch: Batch, at: EventStamp, e: AccountHoldership.HolderAssigned) -> None:
    batch.state(
        at,
        _holder_key(e.account, e.agreement),
        "account-holder",
        SubjectKind.ACCOUNT,
        e.valid_from,
        e.valid_until,
        {"basis": e.basis, "obligations": e.obligations, "notes": e.notes},
        status=str(e.status),
        **_holder_columns(e),
    )


def _holder_transferred(
    batch: Batch, at: EventStamp, e: AccountHoldership.HolderTransferred
) -> None:
    batch.revise(
        at, _holder_key(e.account, e.previous_agreement), valid_until=e.valid_from.day_before()
    )
    batch.state(
        at,
        _holder_key(e.account, e.agreement),
        "account-holder",
        SubjectKind.ACCOUNT,
        e.valid_from,
        e.valid_until,
        {"basis": e.basis, "notes": e.notes, "previous_agreement": e.previous_agreement},
        status=str(AgreementStatus.IN_FORCE),
        **_holder_columns(e),
    )


def _holder_ended(batch: Batch, at: EventStamp, e: AccountHoldership.HolderEnded) -> None:
    batch.revise(at, _holder_key(e.account, e.agreement), e.valid_from, e.valid_until)


def _status_changed(batch: Batch, at: EventStamp, e: AgreementAggregate.StatusChanged) -> None:
    until = None
    if e.status is AgreementStatus.ENDED and e.valid_from.is_known:
        until = e.valid_from.day_before()
    if e.agreement_kind == "trekkerschap":
        for lead in _open_leads(batch, e.agreement):
            batch.revise_version(at, lead, valid_until=until, status=str(e.status))
        return
    batch.revise(at, _agreement_key(e.agreement), valid_until=until, status=str(e.status))


def _owner_columns(owner: SubjectRef | None) -> dict[str, Any]:
    return {**ref_columns(owner), "subject_slug": owner.slug if owner else None}


def _procurement_recorded(batch: Batch, at: EventStamp, e: JointProcurement.Recorded) -> None:
    contract = e.contract
    batch.state(
        at,
        _agreement_key(e.agreement),
        "procurement",
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        {
            "segments": e.segments,
            "lots": [lot.name for lot in e.lots],
            "contract_start": contract.start if contract else None,
            "term": contract.term.notation if contract and contract.term else None,
            "term_text": contract.term_text if contract else None,
            "part_of": e.part_of,
            "supplier_count": e.supplier_count,
            "basis": e.basis,
            "notes": e.notes,
        },
        agreement=e.agreement,
        agreement_kind="gezamenlijke-inkoop",
        status=str(e.status),
        **_owner_columns(e.owner),
    )
    for party in e.participants:
        batch.state(
            at,
            f"party:{e.agreement}:{party.kind}:{party.slug}",
            "procurement-participant",
            SubjectKind.AGREEMENT,
            e.valid_from,
            e.valid_until,
            subject_slug=e.agreement,
            agreement=e.agreement,
            agreement_kind="gezamenlijke-inkoop",
            role=str(party.kind),
            **ref_columns(party),
        )
    for supplier in e.suppliers:
        batch.state(
            at,
            f"party:{e.agreement}:supplier:{supplier}",
            "procurement-supplier",
            SubjectKind.AGREEMENT,
            e.valid_from,
            e.valid_until,
            subject_slug=e.agreement,
            agreement=e.agreement,
            agreement_kind="gezamenlijke-inkoop",
            organisation=supplier,
        )


def _opted_out(batch: Batch, at: EventStamp, e: JointProcurement.OptedOut) -> None:
    batch.state(
        at,
        f"opt-out:{e.agreement}:{e.municipality}:{e.scope}",
        "opt-out",
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        {"reason": e.reason},
        subject_slug=e.agreement,
        agreement=e.agreement,
        agreement_kind="gezamenlijke-inkoop",
        municipality=e.municipality,
        scope=e.scope,
    )


def _option_decided(exercised: bool) -> Any:
    def handle(batch: Batch, at: EventStamp, e: Any) -> None:
        batch.state(
            at,
            f"option:{e.agreement}:{e.option_number}",
            "extension-option",
            SubjectKind.AGREEMENT,
            e.valid_from,
            e.valid_until,
            {"option_number": e.option_number, "years": e.years},
            subject_slug=e.agreement,
            agreement=e.agreement,
            agreement_kind="gezamenlijke-inkoop",
            status="exercised" if exercised else "declined",
        )

    return handle


def _mandate_granted(batch: Batch, at: EventStamp, e: ExpertiseCentreMandate.Granted) -> None:
    batch.state(
        at,
        _agreement_key(e.agreement),
        "mandate",
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        {
            "adoption_route": e.adoption_route,
            "annual_plan": e.annual_plan,
            "basis": e.basis,
            "notes": e.notes,
        },
        agreement=e.agreement,
        agreement_kind="expertisecentrum-mandaat",
        municipality=e.holder_municipality,
        organisation=e.expertise_centre,
        status=str(e.status),
        **_owner_columns(e.owner),
    )


def _lead(batch: Batch, at: EventStamp, e: Any, details: dict[str, Any], status: str) -> None:
    batch.state(
        at,
        f"lead:{e.agreement}:{at.position}",
        "lead",
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        {"module": e.module, "item": e.item, **details},
        agreement=e.agreement,
        agreement_kind="trekkerschap",
        region=e.lead_region,
        status=status,
        scope=e.item,
        **_owner_columns(e.owner),
    )


def _lead_assigned(batch: Batch, at: EventStamp, e: Trekkerschap.LeadAssigned) -> None:
    _lead(batch, at, e, {"content": e.content, "basis": e.basis, "notes": e.notes}, str(e.status))


def _open_leads(batch: Batch, agreement: str) -> list[dict[str, Any]]:
    return [
        lead
        for lead in batch.current_of_agreement(agreement, "lead")
        if lead["valid_until_precision"] == "unknown"
    ]


def _lead_reassigned(batch: Batch, at: EventStamp, e: Trekkerschap.LeadReassigned) -> None:
    status = str(AgreementStatus.IN_FORCE)
    for lead in _open_leads(batch, e.agreement):
        status = lead["status"]
        batch.revise_version(at, lead, valid_until=e.valid_from.day_before())
    _lead(batch, at, e, {"previous_lead_region": e.previous_lead_region}, status)


def _agreement_recorded(batch: Batch, at: EventStamp, e: Agreement.Recorded) -> None:
    terms = e.terms
    batch.state(
        at,
        _agreement_key(e.agreement),
        "agreement",
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        {
            "subject": terms.subject,
            "holder_body": terms.holder_body,
            "provider": terms.provider,
            "mechanism": terms.mechanism,
            "recipients": terms.recipients,
            "host_municipality": terms.host_municipality,
            "tasks": terms.tasks,
            "other_parties": terms.other_parties,
            "part_of": e.part_of,
            "basis": e.basis,
            "notes": e.notes,
        },
        agreement=e.agreement,
        agreement_kind=str(e.agreement_kind),
        municipality=terms.holder_municipality or terms.host_municipality,
        organisation=terms.provider,
        status=str(e.status),
        scope=terms.subject,
        **_owner_columns(e.owner),
    )
    for party in terms.parties:
        batch.state(
            at,
            f"party:{e.agreement}:{party.kind}:{party.slug}",
            "agreement-party",
            SubjectKind.AGREEMENT,
            e.valid_from,
            e.valid_until,
            subject_slug=e.agreement,
            agreement=e.agreement,
            agreement_kind=str(e.agreement_kind),
            role=str(party.kind),
            **ref_columns(party),
        )
    for recipient in terms.recipients:
        batch.state(
            at,
            f"party:{e.agreement}:recipient:{recipient}",
            "agreement-recipient",
            SubjectKind.AGREEMENT,
            e.valid_from,
            e.valid_until,
            subject_slug=e.agreement,
            agreement=e.agreement,
            agreement_kind=str(e.agreement_kind),
            organisation=recipient,
        )


_HANDLERS: dict[type, Any] = {
    Municipality.Registered: _registered(SubjectKind.MUNICIPALITY),
    Municipality.MembershipStarted: _membership_started,
    Municipality.MembershipEnded: _membership_ended,
    Municipality.Merged: _merged,
    Region.Registered: _registered(
        SubjectKind.REGION,
        region_kind="region_kind",
        province="province",
        aliases="aliases",
        contact_municipality="contact_municipality",
        members_complete="members_complete",
    ),
    Cooperation.Registered: _registered(
        SubjectKind.COOPERATION,
        cooperation_kind="cooperation_kind",
        decision_rule="decision_rule",
        formalised="formalised",
        cadence="cadence",
        member_count="member_count",
        members_complete="members_complete",
        process_owner_body="process_owner_body",
    ),
    Cooperation.RegionJoined: _region_joined,
    Cooperation.OrganisationInvolved: _organisation_involved,
    Organisation.Registered: _registered(
        SubjectKind.ORGANISATION,
        organisation_kind="organisation_kind",
        aliases="aliases",
        member_organisations="member_organisations",
    ),
    DecisionBody.Registered: _registered(
        SubjectKind.BODY, level="level", composition="composition", cadence="cadence"
    ),
    DecisionBody.RoleChanged: _role_changed,
    StructuralChange.Recorded: _change_recorded,
    AccountHoldership.HolderAssigned: _holder_assigned,
    AccountHoldership.HolderTransferred: _holder_transferred,
    AccountHoldership.HolderEnded: _holder_ended,
    AgreementAggregate.StatusChanged: _status_changed,
    JointProcurement.Recorded: _procurement_recorded,
    JointProcurement.OptedOut: _opted_out,
    JointProcurement.ExtensionOptionExercised: _option_decided(True),
    JointProcurement.ExtensionOptionDeclined: _option_decided(False),
    ExpertiseCentreMandate.Granted: _mandate_granted,
    Trekkerschap.LeadAssigned: _lead_assigned,
    Trekkerschap.LeadReassigned: _lead_reassigned,
    Agreement.Recorded: _agreement_recorded,
}
# Every other event (sources, claims, accounts opened, milestones, plan steps) changes only the history.

# The topics of the events that change fact rows (all events change the history).
FACT_TOPICS = tuple(get_topic(cls) for cls in (*_HANDLERS, GovernanceAggregate.FactCorrected))
