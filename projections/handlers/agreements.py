"""How the agreements' events (account holderships, joint procurements, expertise-centre mandates,
trekkerschappen and other agreements) change the governance maps' fact rows: one handler per event
class."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.agreements import (
    AccountHoldership,
    Agreement,
    AgreementAggregate,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.values import AgreementKind, AgreementStatus, SubjectKind, SubjectRef
from projections.batch import Batch, EventStamp
from projections.facts import FactKind, ref_columns
from projections.handlers.keys import agreement_key, holder_key
from projections.row_values import view_details
from projections.views import AgreementEntry, OptOut, Procurement, Role

# The agreement kinds of the aggregates whose events name none, as the agreement_kind column stores them.
_ACCOUNTHOUDERSCHAP = str(AgreementKind.ACCOUNTHOUDERSCHAP)
_GEZAMENLIJKE_INKOOP = str(AgreementKind.GEZAMENLIJKE_INKOOP)
_EXPERTISECENTRUM_MANDAAT = str(AgreementKind.EXPERTISECENTRUM_MANDAAT)
_TREKKERSCHAP = str(AgreementKind.TREKKERSCHAP)


def _holder_columns(e: Any) -> dict[str, Any]:
    return {
        "cooperation": e.cooperation,
        "organisation": e.organisation,
        "region": e.holder_region,
        "municipality": e.executing_municipality,
        "agreement": e.agreement,
        "agreement_kind": _ACCOUNTHOUDERSCHAP,
    }


def _holder_term(
    batch: Batch,
    at: EventStamp,
    e: AccountHoldership.HolderAssigned | AccountHoldership.HolderTransferred,
    details: dict[str, Any],
    status: str,
) -> None:
    """The fact row of a holder's term on an account: assigned, or begun by a transfer."""
    key = holder_key(e.account, e.agreement)
    account = SubjectRef(SubjectKind.ACCOUNT, e.account)
    columns = _holder_columns(e)
    batch.state_of(at, e, key, FactKind.ACCOUNT_HOLDER, account, details, status=status, **columns)


def _holder_assigned(batch: Batch, at: EventStamp, e: AccountHoldership.HolderAssigned) -> None:
    details = view_details(Role, e, basis=e.basis, notes=e.notes)
    _holder_term(batch, at, e, details, str(e.status))


def _holder_transferred(
    batch: Batch, at: EventStamp, e: AccountHoldership.HolderTransferred
) -> None:
    batch.revise(
        at, holder_key(e.account, e.previous_agreement), valid_until=e.valid_from.day_before()
    )
    details = view_details(
        Role, e, basis=e.basis, notes=e.notes, previous_agreement=e.previous_agreement
    )
    _holder_term(batch, at, e, details, str(AgreementStatus.IN_FORCE))


def _holder_ended(batch: Batch, at: EventStamp, e: AccountHoldership.HolderEnded) -> None:
    batch.revise(at, holder_key(e.account, e.agreement), e.valid_from, e.valid_until)


def _status_changed(batch: Batch, at: EventStamp, e: AgreementAggregate.StatusChanged) -> None:
    until = None
    if e.status is AgreementStatus.ENDED and e.valid_from.is_known:
        until = e.valid_from.day_before()
    if e.agreement_kind == AgreementKind.TREKKERSCHAP:
        for lead in _open_leads(batch, e.agreement):
            batch.revise_version(at, lead, valid_until=until, status=str(e.status))
        return
    batch.revise(at, agreement_key(e.agreement), valid_until=until, status=str(e.status))


def _agreement_row(
    batch: Batch,
    at: EventStamp,
    e: Any,
    fact_kind: FactKind,
    agreement_kind: str,
    details: dict[str, Any],
    key: str | None = None,
    status: str | None = None,
    **columns: Any,
) -> None:
    """The agreement's own row (``agreement:<slug>`` unless ``key`` says otherwise, as a lead's does):
    its owner's slug is the row's subject, its status that of ``e`` unless ``status`` says otherwise,
    and it holds as long as ``e`` says."""
    owner: SubjectRef | None = e.owner
    batch.state(
        at,
        agreement_key(e.agreement) if key is None else key,
        fact_kind,
        SubjectKind.AGREEMENT,
        e.valid_from,
        e.valid_until,
        details,
        agreement=e.agreement,
        agreement_kind=agreement_kind,
        status=str(e.status) if status is None else status,
        subject_slug=owner.slug if owner else None,
        **ref_columns(owner),
        **columns,
    )


def _part_of_agreement(
    batch: Batch,
    at: EventStamp,
    e: Any,
    key: str,
    fact_kind: FactKind,
    agreement_kind: str,
    details: dict[str, Any] | None = None,
    **columns: Any,
) -> None:
    """A fact about a part of the agreement ``e`` records (a party, a supplier, an opt-out, an
    option): the agreement is its subject, and it holds as long as ``e`` says."""
    agreement = SubjectRef(SubjectKind.AGREEMENT, e.agreement)
    columns.update(agreement=e.agreement, agreement_kind=agreement_kind)
    batch.state_of(at, e, key, fact_kind, agreement, details, **columns)


def _parties(
    batch: Batch,
    at: EventStamp,
    e: Any,
    agreement_kind: str,
    fact_kind: FactKind,
    parties: Iterable[tuple[str, dict[str, Any]]],
) -> None:
    """A row for each party to the agreement ``e`` records: ``parties`` gives each one's part of the
    key and its columns (``_registered_parties``, ``_organisations``)."""
    for party, columns in parties:
        key = f"party:{e.agreement}:{party}"
        _part_of_agreement(batch, at, e, key, fact_kind, agreement_kind, **columns)


def _registered_parties(parties: tuple[SubjectRef, ...]) -> list[tuple[str, dict[str, Any]]]:
    return [(f"{p.kind}:{p.slug}", {"role": str(p.kind), **ref_columns(p)}) for p in parties]


def _organisations(part: str, organisations: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """Organisations the agreement names in one ``part`` (its suppliers, its recipients)."""
    return [(f"{part}:{o}", {"organisation": o}) for o in organisations]


def _procurement_recorded(batch: Batch, at: EventStamp, e: JointProcurement.Recorded) -> None:
    contract = e.contract
    details = view_details(
        Procurement,
        e,
        lots=[lot.name for lot in e.lots],
        contract_start=contract.start if contract else None,
        term=contract.term.notation if contract and contract.term else None,
        term_text=contract.term_text if contract else None,
        max_years=contract.max_years if contract else None,
        funding=contract.funding if contract else None,
        supplier_count=e.supplier_count,
        basis=e.basis,
        notes=e.notes,
    )
    _agreement_row(batch, at, e, FactKind.PROCUREMENT, _GEZAMENLIJKE_INKOOP, details)
    participants = _registered_parties(e.participants)
    _parties(batch, at, e, _GEZAMENLIJKE_INKOOP, FactKind.PROCUREMENT_PARTICIPANT, participants)
    suppliers = _organisations("supplier", e.suppliers)
    _parties(batch, at, e, _GEZAMENLIJKE_INKOOP, FactKind.PROCUREMENT_SUPPLIER, suppliers)


def _opted_out(batch: Batch, at: EventStamp, e: JointProcurement.OptedOut) -> None:
    _part_of_agreement(
        batch,
        at,
        e,
        f"opt-out:{e.agreement}:{e.municipality}:{e.scope}",
        FactKind.OPT_OUT,
        _GEZAMENLIJKE_INKOOP,
        view_details(OptOut, e),
        municipality=e.municipality,
        scope=e.scope,
    )


def _option_decided(exercised: bool) -> Any:
    def handle(batch: Batch, at: EventStamp, e: Any) -> None:
        _part_of_agreement(
            batch,
            at,
            e,
            f"option:{e.agreement}:{e.option_number}",
            FactKind.EXTENSION_OPTION,
            _GEZAMENLIJKE_INKOOP,
            {"option_number": e.option_number, "years": e.years},
            status="exercised" if exercised else "declined",
        )

    return handle


def _mandate_granted(batch: Batch, at: EventStamp, e: ExpertiseCentreMandate.Granted) -> None:
    details = view_details(
        Role,
        e,
        adoption_route=e.adoption_route,
        annual_plan=e.annual_plan,
        basis=e.basis,
        notes=e.notes,
    )
    columns = {"municipality": e.holder_municipality, "organisation": e.expertise_centre}
    _agreement_row(batch, at, e, FactKind.MANDATE, _EXPERTISECENTRUM_MANDAAT, details, **columns)


def _lead(batch: Batch, at: EventStamp, e: Any, details: dict[str, Any], status: str) -> None:
    _agreement_row(
        batch,
        at,
        e,
        FactKind.LEAD,
        _TREKKERSCHAP,
        view_details(Role, e, item=e.item, **details),
        key=f"lead:{e.agreement}:{at.position}",
        status=status,
        region=e.lead_region,
        scope=e.item,
    )


def _lead_assigned(batch: Batch, at: EventStamp, e: Trekkerschap.LeadAssigned) -> None:
    _lead(batch, at, e, {"content": e.content, "basis": e.basis, "notes": e.notes}, str(e.status))


def _open_leads(batch: Batch, agreement: str) -> list[dict[str, Any]]:
    return [
        lead
        for lead in batch.current_of_agreement(agreement, FactKind.LEAD)
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
    details = view_details(
        AgreementEntry,
        terms,
        holder_body=terms.holder_body,
        provider=terms.provider,
        mechanism=terms.mechanism,
        recipients=terms.recipients,
        host_municipality=terms.host_municipality,
        tasks=terms.tasks,
        other_parties=terms.other_parties,
        part_of=e.part_of,
        basis=e.basis,
        notes=e.notes,
    )
    columns = {
        "municipality": terms.holder_municipality or terms.host_municipality,
        "organisation": terms.provider,
        "scope": terms.subject,
    }
    kind = str(e.agreement_kind)
    _agreement_row(batch, at, e, FactKind.AGREEMENT, kind, details, **columns)
    _parties(batch, at, e, kind, FactKind.AGREEMENT_PARTY, _registered_parties(terms.parties))
    recipients = _organisations("recipient", terms.recipients)
    _parties(batch, at, e, kind, FactKind.AGREEMENT_RECIPIENT, recipients)


HANDLERS: dict[type, Any] = {
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
