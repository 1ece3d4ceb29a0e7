"""The sections of the governance maps that describe how a region or cooperation decides: its decision
bodies, its decision route, the adoption routes of its mandates and how far each plan has got along
them, and its uitvoeringsagenda with the leads of each module. ``projections.subject_maps`` adds them to the
maps; ``GovernanceMaps.body_map`` serves one body."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from domain.errors import UnknownReference
from domain.values import SubjectKind
from projections.facts import FactKind
from projections.map_rows import MapQuery
from projections.row_values import details_of, view_from
from projections.views import (
    AgendaModule,
    Body,
    Named,
    PlanProgress,
    Role,
    Route,
    RouteStep,
    Summary,
)


def _body_rows(q: MapQuery) -> list[Any]:
    """Every decision body holding on the map's day: a few dozen rows, read at once so that who
    commissions whom can be answered across regions and cooperations."""
    facts = q.facts
    rows = q.rows(
        facts.c.fact_kind == FactKind.REGISTERED, facts.c.subject_kind == str(SubjectKind.BODY)
    )
    for row in rows:
        details = details_of(row)
        q.want(row["subject_slug"], row["region"], row["cooperation"])
        q.want(details.get("commissioned_by_body"), *(details.get("member_municipalities") or ()))
    q.load_names()
    return rows


def _of(q: MapQuery, row: Any) -> Named | None:
    if row["cooperation"]:
        return q.named(SubjectKind.COOPERATION, row["cooperation"])
    if row["region"]:
        return q.named(SubjectKind.REGION, row["region"])
    return None


def _body(q: MapQuery, row: Any, all_rows: Sequence[Any]) -> Body:
    details = details_of(row)
    slug = row["subject_slug"]
    return view_from(
        Body,
        details,
        **q.fact(row),
        body=q.named(SubjectKind.BODY, slug),
        of=_of(q, row),
        role=row["role"],
        member_municipalities=tuple(
            q.named(SubjectKind.MUNICIPALITY, m) for m in details.get("member_municipalities") or ()
        ),
        commissioned_by=q.named(SubjectKind.BODY, details.get("commissioned_by_body")),
        commissions=tuple(
            q.named(SubjectKind.BODY, other["subject_slug"])
            for other in sorted(all_rows, key=lambda r: r["subject_slug"])
            if details_of(other).get("commissioned_by_body") == slug
        ),
    )


def bodies_of(q: MapQuery, kind: SubjectKind, slug: str) -> tuple[Body, ...]:
    """The decision bodies of a region or cooperation, by slug."""
    rows = _body_rows(q)
    column = "region" if kind is SubjectKind.REGION else "cooperation"
    return tuple(
        _body(q, row, rows)
        for row in sorted(rows, key=lambda r: r["subject_slug"])
        if row[column] == slug
    )


def body(q: MapQuery, slug: str) -> Body:
    rows = _body_rows(q)
    for row in rows:
        if row["subject_slug"] == slug:
            return _body(q, row, rows)
    q.registration(SubjectKind.BODY, slug)  # unknown: raises; else registered, not on this day
    raise UnknownReference(
        f"decision body {slug!r} does not hold on {q.as_of} — {UnknownReference.rule}"
    )


def body_summaries(q: MapQuery) -> list[Summary]:
    facts = q.facts
    rows = q.connection.execute(
        facts.select()
        .where(
            q.known(),
            facts.c.fact_kind == FactKind.REGISTERED,
            facts.c.subject_kind == str(SubjectKind.BODY),
        )
        .order_by(facts.c.subject_slug)
    ).mappings()
    return [
        Summary(kind=SubjectKind.BODY, slug=r["subject_slug"], name=r["name"], category=r["role"])
        for r in rows
    ]


def decision_route(q: MapQuery, registration: Any) -> Route | None:
    """A region's decision route: the bodies a regional decision passes, then its final step."""
    route = details_of(registration).get("decision_route")
    if not route:
        return None
    q.want(*route["body_steps"])
    q.load_names()
    return Route(
        applies_to=route["applies_to"],
        steps=tuple(
            RouteStep(
                number=number,
                step=q.names.get((str(SubjectKind.BODY), slug)) or slug,
                body=q.named(SubjectKind.BODY, slug),
            )
            for number, slug in enumerate(route["body_steps"], start=1)
        ),
        final_step=route.get("final_step"),
    )


def _progress(route: Sequence[str], rows: Iterable[Any]) -> tuple[PlanProgress, ...]:
    plans: dict[str, dict[str, Any]] = {}
    for row in rows:
        details = details_of(row)
        plan = plans.setdefault(
            details["plan_key"],
            {"plan": details["plan"], "title": details.get("title"), "steps_done": 0},
        )
        if row["fact_kind"] == FactKind.PLAN_ADOPTED:
            plan.update(adopted=True, steps_done=len(route), last_step=details.get("step"))
        elif not plan.get("adopted") and details["step_number"] > plan["steps_done"]:
            plan.update(steps_done=details["step_number"], last_step=details["step"])
    return tuple(PlanProgress(**plans[key]) for key in sorted(plans))


def adoption_routes(q: MapQuery, mandates: Iterable[Any]) -> tuple[Route, ...]:
    """The adoption routes of expertise-centre mandates (their ``mandate`` rows) and how far each
    plan has got along its route on the map's day; a mandate without a known route has none."""
    with_route = {
        row["agreement"]: row for row in mandates if details_of(row).get("adoption_route")
    }
    if not with_route:
        return ()
    facts = q.facts
    steps: dict[str, list[Any]] = {agreement: [] for agreement in with_route}
    for row in q.rows(
        facts.c.agreement.in_(sorted(with_route)),
        facts.c.fact_kind.in_((FactKind.PLAN_STEP, FactKind.PLAN_ADOPTED)),
    ):
        steps[row["agreement"]].append(row)
    q.want(*(r["municipality"] for r in with_route.values()))
    q.want(*(r["organisation"] for r in with_route.values()))
    q.load_names()
    routes = []
    for agreement in sorted(with_route):
        row = with_route[agreement]
        details = details_of(row)
        route = details["adoption_route"]
        plans = (
            "the policy document and annual plans"
            if details.get("annual_plan")
            else ("the policy document")
        )
        routes.append(
            Route(
                applies_to=f"{plans} of the expertise centre",
                agreement=agreement,
                holder_municipality=q.named(SubjectKind.MUNICIPALITY, row["municipality"]),
                organisation=q.named(SubjectKind.ORGANISATION, row["organisation"]),
                steps=tuple(
                    RouteStep(number=number, step=step)
                    for number, step in enumerate(route, start=1)
                ),
                plans=_progress(route, steps[agreement]),
            )
        )
    return tuple(routes)


def agenda(registration: Any, leads: Iterable[Role]) -> tuple[AgendaModule, ...]:
    """A cooperation's uitvoeringsagenda, module by module, with the leads of each (a lead names its
    module, or else its item)."""
    leads = tuple(lead for lead in leads if lead.role == "lead")
    modules = []
    for entry in details_of(registration).get("agenda") or ():
        module, item = entry.get("module"), entry["item"]
        modules.append(
            AgendaModule(
                module=module,
                item=item,
                leads=tuple(
                    lead
                    for lead in leads
                    if (lead.module == module if module is not None else lead.subject == item)
                ),
            )
        )
    return tuple(modules)
