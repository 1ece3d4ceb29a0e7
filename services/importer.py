"""Loads the governance facts (``services/data/governance-facts.yaml``) into the application.

Every record becomes one or more commands, recorded by the principal ``importer:governance-facts`` with
the record's source references (``src`` + ``also_src``), its ``inferred`` flag and note, and as authority
the deciding body where the record names one (``decided_by``) and the cited source document.

The import is idempotent: aggregate ids are uuid5 of the slugs, and every command is skipped when what
it would record is already there, so a second run records nothing. Whether it is there is asked of the
aggregate (``has_membership``, ``has_term``, ...), the same question behind the domain's
``AlreadyRecorded``; asking first keeps a second run from loading and checking every command again.
Order: sources, municipalities, regions with their members, organisations, cooperations with their
participants, bodies, agreements (``services.agreements_import``), the regions' commitments to modules
(``services.module_import``), changes (after the member rows, so a merger only records what the
member rows do not already say), conflicting claims, norms with their assessments per region
(``services.compliance_import``) and plans of approach (``services.plans_import``).

Entry point: ``import_governance_facts(app)``.
"""

from __future__ import annotations

import importlib.resources
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import msgspec
import yaml
from eventsourcing.persistence import IntegrityError

from domain.base import GovernanceAggregate
from domain.errors import AlreadyRecorded, UnknownReference
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
from domain.values import (
    UNKNOWN_DATE,
    AgendaItem,
    Authority,
    AuthorityKind,
    Claim,
    CooperationScope,
    DecisionException,
    DecisionRoute,
    PartialDate,
    Participation,
    Provenance,
    SubjectKind,
    SubjectRef,
    Subregion,
)
from services import commands as c
from services.agreements_import import import_agreements
from services.application import GovernanceApplication, VersionConflict
from services.compliance_import import import_assessments, import_norms
from services.module_import import import_modular_cooperation
from services.plans_import import import_plans_of_approach

PRINCIPAL = "importer:governance-facts"
_RACE_ATTEMPTS = 5
_RACE_PAUSE_SECONDS = 0.05

_SECTION_KINDS = {
    "sources": SubjectKind.SOURCE,
    "municipalities": SubjectKind.MUNICIPALITY,
    "regions": SubjectKind.REGION,
    "cooperations": SubjectKind.COOPERATION,
    "organisations": SubjectKind.ORGANISATION,
    "bodies": SubjectKind.BODY,
    "agreements": SubjectKind.AGREEMENT,
    "changes": SubjectKind.CHANGE,
    "norms": SubjectKind.NORM,
}


def load_facts() -> dict[str, Any]:
    """The governance facts shipped with the package."""
    text = (
        importlib.resources.files("services.data")
        .joinpath("governance-facts.yaml")
        .read_text("utf-8")
    )
    facts: dict[str, Any] = yaml.safe_load(text)
    return facts


class ImportReport(msgspec.Struct, kw_only=True):
    recorded: Counter[str] = msgspec.field(default_factory=Counter)
    skipped: Counter[str] = msgspec.field(default_factory=Counter)

    @property
    def total_recorded(self) -> int:
        return sum(self.recorded.values())


def claims_slug(entry: dict[str, Any]) -> str:
    """Conflicting claims have no id in the facts: subject plus the topic, slugified."""
    topic = re.sub(r"[^a-z0-9]+", "-", entry["topic"].lower()).strip("-")
    return f"{entry.get('subject') or 'general'}--{topic}"


class GovernanceFactsImporter:
    def __init__(self, app: GovernanceApplication, facts: dict[str, Any] | None = None) -> None:
        self.app = app
        self.facts = facts if facts is not None else load_facts()
        self.kinds = {
            record["id"]: kind
            for section, kind in _SECTION_KINDS.items()
            for record in self.facts.get(section, [])
        }
        self.source_titles = {s["id"]: s["title"] for s in self.facts.get("sources", [])}
        self.report = ImportReport()

    # -- helpers ----------------------------------------------------------------------------------------
    def ref(self, slug: str) -> SubjectRef:
        return SubjectRef(self.kinds[slug], slug)

    def owner(self, record: dict[str, Any]) -> SubjectRef | None:
        slug = record.get("cooperation") or record.get("region")
        return self.ref(slug) if slug else None

    def attribution(
        self, record: dict[str, Any], sources: tuple[str, ...] | None = None
    ) -> dict[str, Any]:
        sources = sources or (record["src"], *record.get("also_src", ()))
        source_id = sources[0].split(":")[0]
        return {
            "principal": PRINCIPAL,
            # The sources document every imported fact; the body they name, if any, decided it.
            "authority": Authority(
                kind=AuthorityKind.SOURCE,
                body=record.get("decided_by"),
                document=f"{source_id}: {self.source_titles.get(source_id, source_id)}",
            ),
            "provenance": Provenance(
                sources=sources,
                inferred=bool(record.get("inferred")),
                inferred_note=record.get("inferred_note"),
            ),
        }

    @staticmethod
    def period(record: dict[str, Any]) -> dict[str, PartialDate]:
        return {
            "valid_from": PartialDate.parse(record.get("valid_from")),
            "valid_until": PartialDate.parse(record.get("valid_until")),
        }

    def run_command(self, command: c.Command, done: bool) -> None:
        name = type(command).__name__
        if done:
            self.report.skipped[name] += 1
            return
        # Several service processes may import at once against one cluster (each runs the import on
        # start). A process that loses a race is refused by the event store's optimistic lock, or reads
        # a replica that has not caught up yet; loading again and retrying settles it either way.
        for attempt in range(1, _RACE_ATTEMPTS + 1):
            try:
                self.app.handle(command)
            except AlreadyRecorded:
                self.report.skipped[name] += 1  # the other process recorded it first
                return
            except (IntegrityError, VersionConflict, UnknownReference):
                if attempt == _RACE_ATTEMPTS:
                    raise
                time.sleep(_RACE_PAUSE_SECONDS * attempt)
                continue
            self.report.recorded[name] += 1
            return

    def registered(self, cls: type[GovernanceAggregate], slug: str) -> bool:
        return self.app.exists(cls, slug)

    @staticmethod
    def takes_part(cooperation: Cooperation, admission: c.AdmitRegionToCooperation) -> bool:
        return cooperation.participation_during(admission.region, admission.period) is not None

    # -- sections ---------------------------------------------------------------------------------------
    def run(self) -> ImportReport:
        for step in (
            self.import_sources,
            self.import_municipalities,
            self.import_regions,
            self.import_organisations,
            self.import_cooperations,
            self.import_bodies,
            lambda: import_agreements(self),
            lambda: import_modular_cooperation(self),
            self.import_changes,
            self.import_claims,
            lambda: import_norms(self),
            lambda: import_assessments(self),
            lambda: import_plans_of_approach(self),
        ):
            for command, done in step():
                self.run_command(command, done)
        return self.report

    def import_sources(self) -> Iterator[tuple[c.Command, bool]]:
        for s in self.facts["sources"]:
            date = s["date"]
            yield (
                c.RegisterSource(
                    source=s["id"],
                    file=s["file"],
                    title=s["title"],
                    title_note=s.get("title_note"),
                    date=PartialDate.parse(date["value"]),
                    date_inferred=bool(date.get("inferred")),
                    date_note=date.get("note"),
                    **self.attribution(s),
                ),
                self.registered(SourceDocument, s["id"]),
            )

    def import_municipalities(self) -> Iterator[tuple[c.Command, bool]]:
        for m in self.facts["municipalities"]:
            yield (
                c.RegisterMunicipality(
                    municipality=m["id"],
                    name=m["name"],
                    source_spelling=m.get("source_spelling"),
                    notes=m.get("notes"),
                    **self.attribution(m),
                ),
                self.registered(Municipality, m["id"]),
            )

    def import_regions(self) -> Iterator[tuple[c.Command, bool]]:
        for r in self.facts["regions"]:
            route = r.get("decision_route")
            yield (
                c.RegisterRegion(
                    region=r["id"],
                    name=r["name"],
                    region_kind=r["kind"],
                    aliases=tuple(r.get("aliases", ())),
                    province=r.get("province"),
                    contact_municipality=r.get("contact_municipality"),
                    contact_label=r.get("contact_label"),
                    contact_note=r.get("contact_note"),
                    members_complete=bool(r.get("members_complete")),
                    subregions=tuple(
                        Subregion(
                            s["name"], tuple(s["members"]) if s.get("members") is not None else None
                        )
                        for s in r.get("subregions", ())
                    ),
                    decision_route=DecisionRoute(
                        route["applies_to"], tuple(route["steps"]), route.get("final_step")
                    )
                    if route
                    else None,
                    notes=r.get("notes"),
                    **self.attribution(r),
                ),
                self.registered(Region, r["id"]),
            )
            for member in r.get("members", ()):
                command = c.StartMembership(
                    municipality=member["municipality"],
                    region=r["id"],
                    scope=member.get("scope"),
                    **self.period(member),
                    **self.attribution(member),
                )
                municipality = self.app.get(Municipality, member["municipality"])
                yield command, municipality.has_membership(command.effective_membership_id)

    def import_organisations(self) -> Iterator[tuple[c.Command, bool]]:
        for o in self.facts["organisations"]:
            yield (
                c.RegisterOrganisation(
                    organisation=o["id"],
                    name=o["name"],
                    organisation_kind=o["kind"],
                    aliases=tuple(o.get("aliases", ())),
                    member_organisations=tuple(o.get("members", ())),
                    legal_entity=o.get("legal_entity"),
                    notes=o.get("notes"),
                    **self.attribution(o),
                ),
                self.registered(Organisation, o["id"]),
            )

    def import_cooperations(self) -> Iterator[tuple[c.Command, bool]]:
        for co in self.facts["cooperations"]:
            scope = co.get("scope")
            themes = [t["item"] for t in (*co.get("themes", ()), *co.get("standing_agenda", ()))]
            yield (
                c.RegisterCooperation(
                    cooperation=co["id"],
                    name=co["name"],
                    cooperation_kind=co["kind"],
                    members_complete=bool(co.get("members_complete")),
                    member_count=co.get("member_count"),
                    formalised=co.get("formalised"),
                    cadence=co.get("cadence"),
                    decision_rule=co.get("decision_rule"),
                    decision_exceptions=tuple(
                        DecisionException(e["topic"], e["holder"], e.get("agreement"))
                        for e in co.get("decision_exceptions", ())
                    ),
                    process_owner_body=co.get("process_owner"),
                    principles=tuple(co.get("principles", ())),
                    agenda=tuple(
                        AgendaItem(a["item"], a.get("module")) for a in co.get("agenda", ())
                    ),
                    themes=tuple(themes),
                    scope=CooperationScope(tuple(scope["in"]), tuple(scope["out_for_now"]))
                    if scope
                    else None,
                    related_cooperations=tuple(co.get("related", ())),
                    date_note=co.get("date_note"),
                    notes=co.get("notes"),
                    valid_from=PartialDate.parse(co.get("valid_from")),
                    **self.attribution(co),
                ),
                self.registered(Cooperation, co["id"]),
            )
            cooperation = self.app.get(Cooperation, co["id"])
            for region in co.get("members", ()):
                admission = c.AdmitRegionToCooperation(
                    cooperation=co["id"],
                    region=region,
                    participation=Participation.MEMBER,
                    **self.attribution(co),
                )
                yield admission, self.takes_part(cooperation, admission)
            for a in co.get("associated", ()):
                participation = (
                    Participation.INVITED
                    if a["participation"] == "uitgenodigd"
                    else Participation.ASSOCIATED
                )
                admission = c.AdmitRegionToCooperation(
                    cooperation=co["id"],
                    region=a["region"],
                    participation=participation,
                    participation_note=a["participation"],
                    cadence=a.get("cadence"),
                    **self.attribution(a),
                )
                yield admission, self.takes_part(cooperation, admission)
            for organisation in co.get("organisations", ()):
                yield (
                    c.InvolveOrganisationInCooperation(
                        cooperation=co["id"],
                        organisation=organisation,
                        **self.attribution(co),
                    ),
                    cooperation.involves(organisation),
                )

    def import_bodies(self) -> Iterator[tuple[c.Command, bool]]:
        for b in self.facts["bodies"]:
            yield (
                c.RegisterDecisionBody(
                    body=b["id"],
                    name=b["name"],
                    of=self.ref(b["of"]),
                    role=b["role"],
                    level=b.get("level"),
                    composition=b.get("composition"),
                    member_municipalities=tuple(b.get("member_municipalities", ())),
                    cadence=b.get("cadence"),
                    commissioned_by_body=b.get("commissioned_by"),
                    notes=b.get("notes"),
                    valid_from=PartialDate.parse(b.get("valid_from")),
                    **self.attribution(b),
                ),
                self.registered(DecisionBody, b["id"]),
            )

    def import_changes(self) -> Iterator[tuple[c.Command, bool]]:
        for ch in self.facts["changes"]:
            done = self.registered(StructuralChange, ch["id"])
            if ch["kind"] == "merger":
                yield (
                    c.MergeMunicipalities(
                        change=ch["id"],
                        from_municipalities=tuple(ch.get("from", ())),
                        into_municipality=ch["into"],
                        date=PartialDate.parse(ch["date"]),
                        from_names=tuple(ch.get("from_names", ())),
                        description=ch["description"],
                        date_note=ch.get("date_note"),
                        **self.attribution(ch),
                    ),
                    done,
                )
            else:
                yield (
                    c.RecordStructuralChange(
                        change=ch["id"],
                        change_kind=ch["kind"],
                        subject=self.ref(ch["subject"]) if ch.get("subject") else None,
                        description=ch["description"],
                        date_note=ch.get("date_note"),
                        valid_from=PartialDate.parse(ch.get("date")),
                        valid_until=UNKNOWN_DATE,
                        **self.attribution(ch),
                    ),
                    done,
                )

    def import_claims(self) -> Iterator[tuple[c.Command, bool]]:
        for entry in self.facts["claims_in_conflict"]:
            slug = claims_slug(entry)
            claims = tuple(Claim(claim["value"], (claim["src"],)) for claim in entry["claims"])
            yield (
                c.RecordConflictingClaims(
                    claims=slug,
                    topic=entry["topic"],
                    claim_values=claims,
                    subject=self.ref(entry["subject"]) if entry.get("subject") else None,
                    note=entry.get("note"),
                    **self.attribution(
                        entry, tuple(dict.fromkeys(claim.sources[0] for claim in claims))
                    ),
                ),
                self.registered(ConflictingClaims, slug),
            )


def import_governance_facts(
    app: GovernanceApplication, facts: dict[str, Any] | None = None
) -> ImportReport:
    """Record every governance fact that is not yet recorded; returns what was recorded and skipped."""
    return GovernanceFactsImporter(app, facts).run()
