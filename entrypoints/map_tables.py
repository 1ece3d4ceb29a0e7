"""The governance maps as readable rich tables for the command line (`regiekaart map ...`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from domain.accountability import Deadline
from projections.plans_of_approach import ActionEntry, OverdueActions, RegionPlans
from projections.views import (
    AgreementEntry,
    CooperationMap,
    Fact,
    MapHeader,
    Named,
    OrganisationView,
    Participation,
    Procurement,
    RegionMap,
    Role,
)


def _name(named: Named | None) -> str:
    if named is None:
        return "—"
    return named.name or named.slug


def _period(fact: Fact) -> str:
    start = str(fact.valid_from) if fact.valid_from.is_known else "?"
    end = str(fact.valid_until) if fact.valid_until.is_known else "…"
    return f"{start} – {end}" + ("" if fact.certain else " (could hold)")


def _authority(fact: Fact) -> str:
    """The deciding body, or else the cited document's source id, and the decision date."""
    authority = fact.authority
    document = authority.document.split(":")[0] if authority.document else None
    parts = [authority.decided_by or document or "—"]
    if authority.decision_date.is_known:
        parts.append(str(authority.decision_date))
    return ", ".join(parts)


class _Rows:
    """A titled table of rows, or, where it would not fit the terminal, each row as an indented
    record (``column: value`` a line): in an 80-column terminal a six-column table cuts names and
    roles in the middle of words, a record wraps between them."""

    def __init__(self, title: str, columns: Sequence[str], rows: list[Sequence[str]]) -> None:
        self.title, self.columns, self.rows = title, columns, rows

    def _table(self) -> Table:
        table = Table(title=self.title, title_justify="left", expand=False)
        for column in self.columns:
            table.add_column(column, overflow="fold")
        for row in self.rows:
            table.add_row(*row)
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        table = self._table()
        natural = Measurement.get(console, options.update_width(10_000), table).maximum
        if natural <= options.max_width:
            yield table
            return
        yield Text(self.title, style="italic")
        for row in self.rows:
            record = Text(f"• {row[0]}", style="bold")
            for column, value in zip(self.columns[1:], row[1:], strict=True):
                record.append(f"\n    {column}: ", style="dim")
                record.append(value)
            yield record


def _table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> _Rows | Text:
    rows = list(rows)
    if not rows:
        return Text(f"{title}: none", style="dim")
    return _Rows(title, columns, rows)


def _role_rows(roles: Iterable[Role]) -> Iterable[Sequence[str]]:
    for role in roles:
        holder = _name(role.holder_region) if role.holder_region else "region unknown"
        if role.holder_municipality:
            holder += f" via {_name(role.holder_municipality)}"
        if role.holder_body:
            holder += f" ({_name(role.holder_body)})"
        subject = _name(role.organisation) if role.organisation else (role.subject or "—")
        yield (
            role.role,
            subject,
            _name(role.cooperation),
            holder,
            _period(role),
            _authority(role),
        )


_ROLE_COLUMNS = ("role", "for / about", "cooperation", "held by", "valid", "authority")


def _participation_rows(
    participations: Iterable[Participation], of: str
) -> Iterable[Sequence[str]]:
    for p in participations:
        yield (
            _name(p.cooperation if of == "cooperation" else p.region),
            p.participation,
            _period(p),
            _authority(p),
        )


def _procurement_rows(procurements: Iterable[Procurement]) -> Iterable[Sequence[str]]:
    for p in procurements:
        yield (
            p.agreement,
            _name(p.owner),
            p.status or "—",
            p.term or p.term_text or "—",
            ", ".join(_name(o.municipality) for o in p.opt_outs) or "—",
            _period(p),
        )


_PROCUREMENT_COLUMNS = ("procurement", "owner", "status", "term", "opted out", "valid")


def _agreement_rows(agreements: Iterable[AgreementEntry]) -> Iterable[Sequence[str]]:
    for a in agreements:
        holder = a.holder_municipality or a.holder_region or a.holder_body
        yield (
            a.agreement,
            a.agreement_kind,
            _name(holder),
            a.subject or _name(a.organisation),
            _period(a),
            _authority(a),
        )


def _header(title: str, view: MapHeader) -> Text:
    text = Text(title, style="bold")
    text.append(
        f"\nas of {view.as_of}, as known at {view.known_at:%Y-%m-%d %H:%M:%S %Z}, "
        f"read model at log position {view.position}",
        style="dim",
    )
    return text


def region_tables(view: RegionMap) -> Group:
    return Group(
        _header(f"Region {_name(view.region)} ({view.region.slug})", view),
        _table(
            "Member municipalities",
            ("municipality", "scope", "valid", "authority"),
            (
                (_name(m.municipality), m.scope or "full", _period(m), _authority(m))
                for m in view.members
            ),
        ),
        _table(
            "Cooperations",
            ("cooperation", "participation", "valid", "authority"),
            _participation_rows(view.cooperations, "cooperation"),
        ),
        _table("Roles it holds", _ROLE_COLUMNS, _role_rows(view.roles)),
        _table("Procurements", _PROCUREMENT_COLUMNS, _procurement_rows(view.procurements)),
        _table(
            "Opt-outs of its municipalities",
            ("procurement", "municipality", "scope", "valid"),
            ((o.agreement, _name(o.municipality), o.scope, _period(o)) for o in view.opt_outs),
        ),
        _table("Roles others hold towards it", _ROLE_COLUMNS, _role_rows(view.roles_towards)),
    )


def cooperation_tables(view: CooperationMap) -> Group:
    return Group(
        _header(f"Cooperation {_name(view.cooperation)} ({view.cooperation.slug})", view),
        _table(
            "Regions",
            ("region", "participation", "valid", "authority"),
            _participation_rows(view.members, "region"),
        ),
        _table("Roles", _ROLE_COLUMNS, _role_rows(view.roles)),
        _table("Procurements", _PROCUREMENT_COLUMNS, _procurement_rows(view.procurements)),
        _table(
            "Other agreements",
            ("agreement", "kind", "holder", "subject", "valid", "authority"),
            _agreement_rows(view.agreements),
        ),
    )


def organisation_tables(view: OrganisationView) -> Group:
    return Group(
        _header(f"Organisation {_name(view.organisation)} ({view.organisation.slug})", view),
        _table("Account holders", _ROLE_COLUMNS, _role_rows(view.account_holders)),
        _table(
            "Procurements it supplies", _PROCUREMENT_COLUMNS, _procurement_rows(view.procurements)
        ),
        _table("Mandates for it", _ROLE_COLUMNS, _role_rows(view.mandates)),
        _table(
            "Agreements",
            ("agreement", "kind", "holder", "subject", "valid", "authority"),
            _agreement_rows(view.agreements),
        ),
    )


def _action_rows(actions: Iterable[ActionEntry]) -> Iterable[Sequence[str]]:
    for a in actions:
        owners = ", ".join(o.name or o.slug or "" for o in a.owners) or "—"
        deadline = _deadline(a.deadline)
        status = f"{a.status or '—'}" + (
            f" since {a.status_since}" if a.status_since.is_known else ""
        )
        yield (a.action, a.what, owners, deadline, status, "OVERDUE" if a.overdue else "")


def _deadline(deadline: Deadline) -> str:
    """The deadline's notation and the source's words for it."""
    written = f" ({deadline.as_written})" if deadline.as_written else ""
    return f"{deadline.notation or 'not known'}{written}"


_ACTION_COLUMNS = ("action", "what", "owners", "deadline", "status", "overdue")


def plan_tables(view: RegionPlans) -> Group:
    parts: list[Any] = [_header(f"Plans of approach of {_name(view.region)}", view)]
    for plan in view.plans:
        parts += [
            Text(f"\n{plan.title} ({plan.plan_of_approach}, of {_name(plan.owner)})", style="bold"),
            _table("Actions", _ACTION_COLUMNS, _action_rows(plan.actions)),
            _table(
                "Milestones",
                ("milestone", "what", "deadline", "parties"),
                (
                    (
                        m.milestone,
                        m.what,
                        _deadline(m.deadline),
                        ", ".join(_name(p) for p in m.parties),
                    )
                    for m in plan.milestones
                ),
            ),
            _table(
                "Recommendations",
                ("recommendation", "text", "answered by", "result"),
                (
                    (r.recommendation, r.text, ", ".join(r.answered_by), r.result or "—")
                    for r in plan.recommendations
                ),
            ),
        ]
    return Group(*parts)


def overdue_tables(view: OverdueActions) -> Group:
    return Group(
        _header("Overdue actions", view),
        _table("Actions", _ACTION_COLUMNS, _action_rows(view.actions)),
    )


def print_tables(group: Group) -> None:
    Console().print(group)
