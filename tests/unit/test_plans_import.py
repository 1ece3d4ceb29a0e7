"""Every row of the facts' plans of approach is imported, each with its own line citations and its
inferred flag, and a status only where the source states one (else marked inferred)."""

from __future__ import annotations

import pytest

from domain.plans_of_approach import ActionStatus, PlanOfApproach
from services.application import GovernanceApplication
from services.importer import import_governance_facts, load_facts

FACTS = load_facts()
PLANS = FACTS["plans_of_approach"]


@pytest.fixture(scope="module")
def imported() -> GovernanceApplication:
    app = GovernanceApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    import_governance_facts(app)
    return app


def _events(app: GovernanceApplication, plan: str, event_class: type) -> dict[str, object]:
    history = app.get(PlanOfApproach, plan).history()
    return {
        getattr(e, "action", None) or getattr(e, "milestone", None) or e.recommendation: e
        for e in history
        if isinstance(e, event_class)
    }


def test_every_plan_action_milestone_and_recommendation_is_recorded(imported) -> None:
    for plan in PLANS:
        recorded = imported.get(PlanOfApproach, plan["id"])
        assert recorded.owner.slug == plan["owner"]
        assert set(recorded.actions) == {a["id"] for a in plan.get("actions", ())}
        assert recorded.milestones == {m["id"] for m in plan.get("milestones", ())}
        assert set(recorded.recommendations) == {r["id"] for r in plan.get("recommendations", ())}


def test_each_row_cites_its_own_lines_and_says_what_was_inferred(imported) -> None:
    for plan in PLANS:
        kinds = (
            ("actions", PlanOfApproach.ActionRecorded),
            ("milestones", PlanOfApproach.MilestoneSet),
            ("recommendations", PlanOfApproach.RecommendationRecorded),
        )
        for section, event_class in kinds:
            events = _events(imported, plan["id"], event_class)
            for row in plan.get(section, ()):
                provenance = events[row["id"]].provenance
                assert provenance.sources == (row["src"], *row.get("also_src", ())), row["id"]
                assert provenance.inferred is bool(row.get("inferred")), row["id"]
                assert provenance.sources[0].startswith("noord-holland-oplegger-2021:L")


def test_the_gooi_en_vechtstreek_action_keeps_its_deadline_as_written(imported) -> None:
    action = imported.get(PlanOfApproach, "gooi-en-vechtstreek-pva-2021").action(
        "gv-zicht-wachtende-jeugdigen"
    )
    assert action.deadline.notation == "2021-11"
    assert action.deadline.as_written == "Afgerond uiterlijk november 2021"
    assert action.statuses[-1].status is ActionStatus.GEPLAND
