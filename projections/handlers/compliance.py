"""How norms, assessments and reviewers' remarks change the governance maps' fact rows.

A norm is a row of its own (``norm:<slug>``). Every verdict is a fact of its own
(``verdict:<norm>:<region>:<position>``): a revised verdict is a new row beside the earlier one, which
keeps its valid time, so a map ``as_of`` a day picks the latest verdict assessed by then and a map
``known_at`` a moment reads only the verdicts recorded by then (``projections.compliance``). Remarks are
rows too (``remark:<norm>:<region>:<position>``). These rows name the norm as their subject and the
assessed region in the ``region`` column.
"""

from __future__ import annotations

from typing import Any

from domain.compliance import ComplianceAssessment, NormRequirement
from domain.values import SubjectKind, SubjectRef
from projections.batch import Batch, EventStamp
from projections.facts import FactKind


def _norm(e: Any) -> SubjectRef:
    return SubjectRef(SubjectKind.NORM, e.norm)


def _norm_registered(batch: Batch, at: EventStamp, e: NormRequirement.Registered) -> None:
    details = {
        "framework": e.framework,
        "code": e.code,
        "theme": e.theme,
        "title": e.title,
        "text": e.text,
        "sub_items": e.sub_items,
        "duplicate_of": e.duplicate_of,
        "relates_to": e.relates_to,
    }
    name = f"{e.code} {e.title}"
    batch.state_of(at, e, f"norm:{e.norm}", FactKind.NORM, _norm(e), details, name=name)


def _assessed(batch: Batch, at: EventStamp, e: ComplianceAssessment.Assessed) -> None:
    details = {
        "verdict_as_written": e.verdict_as_written,
        "explanation": e.explanation,
        "assessed_by": e.assessed_by,
        "action": e.action,
        "version": e.originator_version,
    }
    key = f"verdict:{e.norm}:{e.region}:{at.position}"
    status = str(e.verdict)
    batch.state_of(at, e, key, FactKind.VERDICT, _norm(e), details, region=e.region, status=status)


def _annotated(batch: Batch, at: EventStamp, e: ComplianceAssessment.Annotated) -> None:
    details = {"reviewer": e.reviewer, "remark": e.remark, "on_version": e.on_version}
    key = f"remark:{e.norm}:{e.region}:{at.position}"
    batch.state_of(at, e, key, FactKind.REMARK, _norm(e), details, region=e.region)


HANDLERS: dict[type, Any] = {
    NormRequirement.Registered: _norm_registered,
    ComplianceAssessment.Assessed: _assessed,
    ComplianceAssessment.Annotated: _annotated,
}
