"""Imports the ``agreements`` section of the governance facts: each account holdership's term, and each
other agreement (joint procurement, expertise-centre mandate, trekkerschap, any other kind) with the
opt-outs and milestones recorded on it. Idempotent like the rest of the import: the agreement is asked
whether it already holds what a command would record."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from domain.agreements import (
    AccountHoldership,
    AgreementAggregate,
    AgreementTerms,
    JointProcurement,
)
from domain.values import AgreementKind, Contract, Lot, Milestone, PartialDate, TermStructure
from services import commands as c

if TYPE_CHECKING:
    from services.importer import GovernanceFactsImporter


def import_agreements(importer: GovernanceFactsImporter) -> Iterator[tuple[c.Command, bool]]:
    for a in importer.facts["agreements"]:
        kind = AgreementKind(a["kind"])
        if kind is AgreementKind.ACCOUNTHOUDERSCHAP:
            yield from _account_holdership(importer, a)
            continue
        yield (
            _agreement_command(importer, kind, a),
            importer.registered(AgreementAggregate, a["id"]),
        )
        agreement = importer.app.get(AgreementAggregate, a["id"])
        if isinstance(agreement, JointProcurement):
            for o in a.get("opt_outs", ()):
                yield (
                    c.OptOutOfProcurement(
                        agreement=a["id"],
                        municipality=o["municipality"],
                        scope=o["scope"],
                        reason=o.get("reason"),
                        **importer.attribution(o),
                    ),
                    agreement.has_opted_out(o["municipality"], o["scope"]),
                )
        for m in a.get("milestones", ()):
            milestone = Milestone(PartialDate.parse(m["date"]), m["what"], m.get("date_note"))
            yield (
                c.RecordMilestone(
                    agreement=a["id"],
                    milestone=milestone,
                    **importer.attribution(m),
                ),
                agreement.has_milestone(milestone),
            )


def _account_holdership(
    importer: GovernanceFactsImporter, a: dict[str, Any]
) -> Iterator[tuple[c.Command, bool]]:
    slug = AccountHoldership.account_slug(
        a.get("cooperation"), a.get("subject_organisation"), a["id"]
    )
    done = importer.registered(AccountHoldership, slug) and importer.app.get(
        AccountHoldership, slug
    ).has_term(a["id"])
    yield (
        c.AssignAccountHoldership(
            agreement=a["id"],
            cooperation=a.get("cooperation"),
            organisation=a.get("subject_organisation"),
            subject_count=a.get("subject_count"),
            holder_region=a.get("holder_region"),
            executing_municipality=a.get("executing_municipality"),
            status=a["status"],
            basis=a.get("basis"),
            obligations=tuple(a.get("obligations", ())),
            notes=a.get("notes"),
            **importer.period(a),
            **importer.attribution(a),
        ),
        done,
    )


def _agreement_command(
    importer: GovernanceFactsImporter, kind: AgreementKind, a: dict[str, Any]
) -> c.Command:
    common: dict[str, Any] = {
        "agreement": a["id"],
        "status": a["status"],
        "basis": a.get("basis"),
        "notes": a.get("notes"),
        **importer.period(a),
        **importer.attribution(a),
    }
    if kind is AgreementKind.GEZAMENLIJKE_INKOOP:
        return c.RecordJointProcurement(
            owner=importer.owner(a),
            participants=tuple(importer.ref(p) for p in a.get("participants", ())),
            segments=tuple(a.get("segments", ())),
            lots=tuple(
                Lot(
                    name=lot["name"],
                    funding=lot.get("funding"),
                    contract_form=lot.get("contract_form"),
                    sources=(lot["src"],),
                )
                for lot in a.get("lots", ())
            ),
            contract=_contract(a.get("contract")),
            part_of=a.get("part_of"),
            suppliers=tuple(a.get("suppliers", ())),
            supplier_count=a.get("supplier_count"),
            principles=tuple(a.get("principles", ())),
            date_note=a.get("date_note"),
            **common,
        )
    if kind is AgreementKind.EXPERTISECENTRUM_MANDAAT:
        route = a.get("adoption_route")
        return c.GrantExpertiseCentreMandate(
            cooperation=a["cooperation"],
            holder_municipality=a["holder"],
            expertise_centre=a["expertise_centre"],
            adoption_route=tuple(route) if route is not None else None,
            annual_plan=a.get("annual_plan"),
            **common,
        )
    if kind is AgreementKind.TREKKERSCHAP:
        return c.AssignLead(
            cooperation=a["cooperation"],
            module=a.get("module"),
            item=a["item"],
            lead_region=a["lead_region"],
            content=a.get("content"),
            **common,
        )
    terms = AgreementTerms(
        parties=tuple(importer.ref(p) for p in (*a.get("participants", ()), *a.get("parties", ()))),
        other_parties=tuple(a.get("other_parties", ())),
        subject=a.get("subject") or a.get("topic") or a.get("scope"),
        holder_municipality=a.get("holder"),
        holder_body=a.get("holder_body"),
        provider=a.get("provider"),
        mechanism=a.get("mechanism"),
        recipients=tuple(a.get("recipients", ())),
        recipient_count=a.get("recipient_count"),
        host_municipality=a.get("host_municipality"),
        tasks=tuple(a.get("tasks", ())),
        exit_terms=a.get("exit"),
    )
    return c.RecordAgreement(
        agreement_kind=kind,
        owner=importer.owner(a),
        terms=terms,
        part_of=a.get("part_of"),
        date_note=a.get("date_note"),
        **common,
    )


def _contract(contract: dict[str, Any] | None) -> Contract | None:
    if contract is None:
        return None
    term_text = contract.get("term")
    term = TermStructure.parse(term_text) if term_text else None
    max_years = contract.get("max_years")
    return Contract(
        start=PartialDate.parse(contract.get("start")),
        term=term,
        term_text=term_text if term is None else None,
        max_years=Decimal(str(max_years)) if max_years is not None else None,
        funding=contract.get("funding"),
    )
