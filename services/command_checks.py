"""What every command passes before the application records it, whoever sends it (API or importer).

- The slugs it names are slugs, and the display names it registers are NFC-normalised names in one
  script (``domain.text``).
- It cites an authority, and the authority is real and competent: a registered decision body of
  what the decision concerns, a registered municipality concerned by it (or a member of a region it
  concerns), a named external authority, or, for imported facts, the registered sources that
  document it (``domain.competence`` holds the rule; this module loads the registry facts it needs).

Only registering a source and correcting the record decide nothing and may cite no authority.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import msgspec

from domain.competence import CompetenceFacts, check_competence
from domain.concerns import Concerns
from domain.errors import MissingAuthority, UnknownAuthority
from domain.registry import DecisionBody, Municipality, SourceDocument, memberships_during
from domain.text import SLUG_FIELDS, display_name, require_slug
from domain.values import AuthorityKind, PartialDate, ValidPeriod
from services import commands as c
from services.subjects import touched

if TYPE_CHECKING:
    from services.application import GovernanceApplication

_DECIDING_NOTHING = (c.RegisterSource, c.CorrectFact)
_DISPLAY_NAME_FIELDS = ("name", "aliases", "from_names")


def checked(command: c.Command, app: GovernanceApplication) -> c.Command:
    """``command`` with its display names normalised; raises a DomainError naming the rule it
    breaks (a slug that is none, a mixed-script name, a missing, unknown or incompetent authority)."""
    command = _with_display_names(command)
    _check_slugs(command)
    _check_authority(command, app)
    return command


def _with_display_names(command: c.Command) -> c.Command:
    changes: dict[str, Any] = {}
    for name in _DISPLAY_NAME_FIELDS:
        value = getattr(command, name, None)
        if isinstance(value, str):
            changes[name] = display_name(value, name)
        elif isinstance(value, tuple):
            changes[name] = tuple(display_name(item, name) for item in value)
    return msgspec.structs.replace(command, **changes) if changes else command


def _check_slugs(command: c.Command) -> None:
    # The field names only: msgspec.structs.fields resolves every annotation again on each call
    # (about 0.3 ms a command, a third of what handling one cost).
    for name in type(command).__struct_fields__:
        if name not in SLUG_FIELDS:
            continue
        value = getattr(command, name)
        for slug in value if isinstance(value, tuple) else (value,):
            if isinstance(slug, str):
                require_slug(slug, name)


def _check_authority(command: c.Command, app: GovernanceApplication) -> None:
    authority = command.authority
    if authority.kind is None and isinstance(command, _DECIDING_NOTHING):
        return
    if authority.kind is AuthorityKind.SOURCE:
        _check_sources(command, app)
    body = _body(app, authority.body) if authority.body else None
    facts = CompetenceFacts(
        body_of=body.of if body else None,
        body_role=body.role_on(authority.decision_date) if body else None,
        municipality_regions=_regions_of(app, authority.municipality, authority.decision_date)
        if authority.municipality
        else (),
    )
    check_competence(authority, subject_of(command, app), facts, recorded_on=_recorded_on())


def _recorded_on() -> date:
    """The day a command is recorded, as late as it is in the Netherlands: the day after UTC's, since
    Dutch time runs one or two hours ahead (a decision taken just after midnight there is dated on a
    day that has not begun in UTC). A day late, never a day early: no decision taken is refused."""
    return datetime.now(UTC).date() + timedelta(days=1)


def _check_sources(command: c.Command, app: GovernanceApplication) -> None:
    if not command.provenance.sources:
        raise MissingAuthority(
            f"a fact documented in its sources cites at least one source — {MissingAuthority.rule}"
        )
    registering = command.source if isinstance(command, c.RegisterSource) else None
    for ref in command.provenance.sources:
        source = ref.split(":")[0]
        if source != registering and not app.exists(SourceDocument, source):
            raise UnknownAuthority(f"source {source!r} is not registered — {UnknownAuthority.rule}")


def _body(app: GovernanceApplication, body: str) -> DecisionBody:
    if not app.exists(DecisionBody, body) or app.get(DecisionBody, body).retracted:
        raise UnknownAuthority(
            f"decision body {body!r} is not registered — {UnknownAuthority.rule}"
        )
    found: DecisionBody = app.get(DecisionBody, body)
    return found


def _regions_of(
    app: GovernanceApplication, municipality: str, decision_date: PartialDate
) -> tuple[str, ...]:
    """The regions ``municipality`` could be a member of on ``decision_date``: it decides for those."""
    if not app.exists(Municipality, municipality):
        raise UnknownAuthority(
            f"municipality {municipality!r} is not registered — {UnknownAuthority.rule}"
        )
    memberships = memberships_during(
        app.get(Municipality, municipality).memberships.values(),
        ValidPeriod(decision_date, decision_date),
    )
    return tuple(dict.fromkeys(m.region for m in memberships))


def subject_of(command: c.Command, app: GovernanceApplication) -> Concerns:
    """What ``command`` decides on: what it touches (``services.subjects``)."""
    return touched(command, app)
