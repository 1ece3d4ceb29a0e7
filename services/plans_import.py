"""Imports the ``plans_of_approach`` section of the governance facts: each plan, then its
recommendations (the actions that answer them name them), its actions and its milestones, each
citing its own source lines and marking what was inferred. A reported result is recorded after its
recommendation. Idempotent like the rest of the import: the plan aggregate is asked whether it already
holds what a command would record."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from domain.accountability import Deadline, Owner
from domain.plans_of_approach import Goal, PlanOfApproach
from domain.values import PartialDate
from services import commands as c

if TYPE_CHECKING:
    from services.importer import GovernanceFactsImporter


def _deadline(entry: dict[str, Any]) -> Deadline:
    notation = entry.get("notation")
    return Deadline(
        notation=None if notation is None else str(notation), as_written=entry["as_written"]
    )


def _owner(entry: dict[str, Any]) -> Owner:
    return Owner(kind=entry["kind"], slug=entry.get("slug"), name=entry.get("name", ""))


def import_plans_of_approach(importer: GovernanceFactsImporter) -> Iterator[tuple[c.Command, bool]]:
    app = importer.app
    for p in importer.facts.get("plans_of_approach", []):
        slug = p["id"]
        yield (
            c.RecordPlanOfApproach(
                plan_of_approach=slug,
                owner=importer.ref(p["owner"]),
                title=p["title"],
                goals=tuple(
                    Goal(number=g["number"], title=g["title"], findings=tuple(g["findings"]))
                    for g in p.get("goals", ())
                ),
                notes=p.get("notes"),
                **importer.attribution(p),
            ),
            importer.registered(PlanOfApproach, slug),
        )
        yield from _recommendations(importer, slug, p)
        for a in p.get("actions", ()):
            yield (
                c.RecordAction(
                    plan_of_approach=slug,
                    action=a["id"],
                    what=a["what"],
                    for_whom=a.get("for_whom", ""),
                    owners=tuple(_owner(o) for o in a.get("owners", ())),
                    deadline=_deadline(a["deadline"]),
                    status=a["status"],
                    status_note=a.get("status_note", ""),
                    goal=a.get("goal"),
                    answers=a.get("answers"),
                    valid_from=PartialDate.parse(a.get("status_date")),
                    **importer.attribution(a),
                ),
                _holds(app, slug, lambda plan, a=a: a["id"] in plan.actions),
            )
        for m in p.get("milestones", ()):
            yield (
                c.SetPlanMilestone(
                    plan_of_approach=slug,
                    milestone=m["id"],
                    what=m["what"],
                    deadline=_deadline(m["deadline"]),
                    parties=tuple(importer.ref(party) for party in m.get("parties", ())),
                    other_parties=tuple(m.get("other_parties", ())),
                    **importer.attribution(m),
                ),
                _holds(app, slug, lambda plan, m=m: m["id"] in plan.milestones),
            )


def _recommendations(
    importer: GovernanceFactsImporter, slug: str, p: dict[str, Any]
) -> Iterator[tuple[c.Command, bool]]:
    app = importer.app
    for r in p.get("recommendations", ()):
        yield (
            c.RecordRecommendation(
                plan_of_approach=slug,
                recommendation=r["id"],
                number=r["number"],
                text=r["text"],
                issued_by=r.get("issued_by", ""),
                expected_result=r.get("expected_result", ""),
                **importer.attribution(r),
            ),
            _holds(app, slug, lambda plan, r=r: r["id"] in plan.recommendations),
        )
        if r.get("result"):
            result = r["result"]
            yield (
                c.ReportResult(
                    plan_of_approach=slug,
                    recommendation=r["id"],
                    result=result["text"],
                    valid_from=PartialDate.parse(result.get("date")),
                    **importer.attribution(r),
                ),
                _holds(
                    app,
                    slug,
                    lambda plan, r=r: plan.recommendations.get(r["id"]) == r["result"]["text"],
                ),
            )


def _holds(app: Any, slug: str, question: Any) -> bool:
    """Whether the plan exists and already holds what a command would record."""
    return app.exists(PlanOfApproach, slug) and bool(question(app.get(PlanOfApproach, slug)))
