"""The importer's steps for norms and their assessments (the facts' ``norms`` and ``assessments``).

Each assessment is recorded with the date of the source it cites as its assessment date, unless it
gives one (``assessed_on``): a gap analysis is written on one day, and its verdicts hold from then on.
When that source's date is itself inferred, the assessment is marked inferred and says so. An owner of
kind region without a slug ("Hele regio") is the region assessed. Like every other step, each command
is skipped when what it would record is already there: a verdict saying the same, or the same remark.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import msgspec

from domain.accountability import Deadline, Owner, OwnerKind
from domain.compliance import (
    ComplianceAssessment,
    NormFramework,
    NormRequirement,
    RequiredAction,
    Verdict,
    VerdictRecord,
)
from domain.values import PartialDate, Provenance
from services import commands as c

if TYPE_CHECKING:
    from services.importer import GovernanceFactsImporter

Step = Iterator[tuple[c.Command, bool]]


def import_norms(importer: GovernanceFactsImporter) -> Step:
    for n in importer.facts.get("norms", ()):
        yield (
            c.RegisterNorm(
                norm=n["id"],
                framework=NormFramework(n["framework"]),
                code=n["code"],
                theme=n.get("theme", ""),
                title=n["title"],
                text=n.get("text", ""),
                sub_items=tuple(n.get("sub_items", ())),
                duplicate_of=tuple(n.get("duplicate_of", ())),
                relates_to=tuple(n.get("relates_to", ())),
                **importer.attribution(n),
            ),
            importer.registered(NormRequirement, n["id"]),
        )


def import_assessments(importer: GovernanceFactsImporter) -> Step:
    sources = {s["id"]: s for s in importer.facts.get("sources", ())}
    for a in importer.facts.get("assessments", ()):
        command = c.RecordAssessment(
            norm=a["norm"],
            region=a["region"],
            verdict=Verdict(a["verdict"]),
            verdict_as_written=a["as_written"],
            explanation=a.get("explanation", ""),
            assessed_by=importer.ref(a.get("assessed_by") or a["region"]),
            assessed_on=_assessed_on(a, sources),
            action=RequiredAction(
                what=a.get("action", ""),
                owner=_owner(a.get("owner"), a["region"]),
                statutory_deadline=_deadline(a.get("statutory_deadline")),
                target=_deadline(a.get("target")),
            ),
            **_attribution(importer, a, sources),
        )
        slug = ComplianceAssessment.slug_for(a["norm"], a["region"])
        yield command, _has_verdict(importer, slug, command)
        for note in a.get("annotations", ()):
            # Asked once the assessment above is recorded: the generator runs one command at a time.
            done = importer.registered(ComplianceAssessment, slug) and importer.app.get(
                ComplianceAssessment, slug
            ).has_annotation(note["reviewer"], note["remark"])
            yield (
                c.AnnotateAssessment(
                    norm=a["norm"],
                    region=a["region"],
                    reviewer=note["reviewer"],
                    remark=note["remark"],
                    **importer.attribution(note),
                ),
                done,
            )


def _source_of(record: dict[str, Any], sources: dict[str, Any]) -> dict[str, Any]:
    return sources[record["src"].split(":")[0]]


def _assessed_on(record: dict[str, Any], sources: dict[str, Any]) -> PartialDate:
    if "assessed_on" in record:
        return PartialDate.parse(record["assessed_on"])
    return PartialDate.parse(_source_of(record, sources)["date"]["value"])


def _attribution(
    importer: GovernanceFactsImporter, record: dict[str, Any], sources: dict[str, Any]
) -> dict[str, Any]:
    attribution = importer.attribution(record)
    source_date = _source_of(record, sources)["date"]
    if "assessed_on" in record or not source_date.get("inferred"):
        return attribution
    provenance: Provenance = attribution["provenance"]
    notes = [
        provenance.inferred_note,
        f"The assessment date is the date of its source ({source_date['value']}), which is "
        "inferred.",
    ]
    attribution["provenance"] = msgspec.structs.replace(
        provenance, inferred=True, inferred_note=" ".join(n for n in notes if n)
    )
    return attribution


def _owner(owner: dict[str, Any] | None, region: str) -> Owner | None:
    if owner is None:
        return None
    kind = OwnerKind(owner["kind"])
    slug = owner.get("slug") or (region if kind is OwnerKind.REGION else None)
    return Owner(kind=kind, slug=slug, name=owner.get("name", ""))


def _deadline(deadline: dict[str, Any] | None) -> Deadline:
    if deadline is None:
        return Deadline()
    return Deadline(notation=deadline.get("notation"), as_written=deadline.get("as_written", ""))


def _has_verdict(importer: GovernanceFactsImporter, slug: str, command: c.RecordAssessment) -> bool:
    if not importer.registered(ComplianceAssessment, slug):
        return False
    return importer.app.get(ComplianceAssessment, slug).has_verdict(
        VerdictRecord(
            version=0,
            verdict=command.verdict,
            verdict_as_written=command.verdict_as_written,
            explanation=command.explanation,
            assessed_by=command.assessed_by,
            assessed_on=command.assessed_on,
            action=command.action,
        )
    )
