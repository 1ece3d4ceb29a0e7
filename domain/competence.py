"""Who may decide what: the rule that says whether a cited authority is competent for a decision.

A decision concerns the regions, cooperations, organisations and municipalities it names (see
``domain.concerns``), plus those of the agreement, body or set of claims it changes. The rule:

- a **decision body** decides for what it is "of": a region's body for decisions that concern the
  region, a cooperation's body for decisions that concern the cooperation (an aligning body such as
  a bestuurlijk overleg included: cooperations that align decide by aligning). A body that only
  advises (civil servants preparing the bestuurders' decisions) or executes (a team carrying them
  out) takes none, so it authorises none; one that steers may, as the sources do not say it does not.
  What counts is the role the body had on the decision's date (``DecisionBody.role_on``): a body that
  advises now authorised what it decided before, and one that decides now nothing it only advised on;
- a **municipality** (its college, raad or burgemeester) decides for itself, and for the regions it
  was a member of on the decision's date (one it left before, or joined after, is not its to decide for);
- an **external** authority (a ministry, a court, a law) is named, not registered: it is recorded as
  cited, marked as external;
- an imported fact is **documented in its sources**; a body they name must be registered and is held
  to the same rule as any body;
- the decision has been taken: its date is not after the day the fact is recorded (a decision to be
  taken later authorises nothing yet; it is recorded once taken);
- what identifies the decision is there to read: a document (and an external authority's name) that
  shows nothing, only blanks, cites nothing; an external authority's name is written in one script,
  as every display name is (``domain.text``).

The application loads the facts this rule needs from the registry (``CompetenceFacts``) and calls
:func:`check_competence`; the rule itself does no I/O.
"""

from __future__ import annotations

from datetime import date

import msgspec

from domain.concerns import CATEGORY_BY_KIND, Concerns
from domain.errors import IncompetentAuthority, MissingAuthority, UndecidedAuthority
from domain.text import display_name, is_blank
from domain.values import Authority, AuthorityKind, BodyRole, SubjectRef

# The roles of bodies that prepare or carry out decisions, and take none.
_TAKING_NO_DECISIONS = frozenset({BodyRole.ADVISES, BodyRole.EXECUTES})


class CompetenceFacts(msgspec.Struct, frozen=True, kw_only=True):
    """What the registry says about the cited authority: the subject the cited body is "of" and its
    role on the decision's date, and the regions the cited municipality was a member of on that date."""

    body_of: SubjectRef | None = None
    body_role: BodyRole | None = None
    municipality_regions: tuple[str, ...] = ()


def check_competence(
    authority: Authority, subject: Concerns, facts: CompetenceFacts, *, recorded_on: date
) -> None:
    """Raises unless ``authority`` may decide on a matter concerning ``subject``, in a decision taken
    by ``recorded_on``, the day it is recorded."""
    if authority.kind is None:
        raise MissingAuthority(
            f"the command cites no authority — {MissingAuthority.rule} "
            "(a decision body, a municipality, or an external authority)"
        )
    if authority.decision_date.earliest > recorded_on:
        raise UndecidedAuthority(
            f"the authority's decision date {authority.decision_date} is after {recorded_on}, the day "
            f"this is recorded — {UndecidedAuthority.rule}"
        )
    for part in ("document", "external"):
        text = getattr(authority, part)
        if text is not None and is_blank(text):
            raise MissingAuthority(
                f"the authority cites no {part}: its {part} is blank — {MissingAuthority.rule}"
            )
    if authority.external is not None:
        # An external authority is named, not registered: its name is all that tells it apart, so
        # it is held to the rule of display names (one script: no Cyrillic М in "Ministerie").
        display_name(authority.external, "the external authority's name")
    if authority.kind in (AuthorityKind.BODY, AuthorityKind.SOURCE) and authority.body:
        assert facts.body_of is not None, "the application loads the body it checks"
        _check_body(authority.body, facts.body_of, facts.body_role, subject)
    if authority.kind is AuthorityKind.MUNICIPALITY:
        assert authority.municipality is not None
        _check_municipality(authority.municipality, facts.municipality_regions, subject)


def _check_body(body: str, of: SubjectRef, role: BodyRole | None, subject: Concerns) -> None:
    if role in _TAKING_NO_DECISIONS:
        raise IncompetentAuthority(
            f"decision body {body!r} {role}: it takes no decisions of its own, so it authorises "
            f"none; cite the body that decided — {IncompetentAuthority.rule}"
        )
    category = CATEGORY_BY_KIND.get(of.kind)
    if category is not None and of.slug in getattr(subject, category):
        return
    raise IncompetentAuthority(
        f"decision body {body!r} is a body of {of}, which this decision does not concern "
        f"({_describe(subject)}) — {IncompetentAuthority.rule}"
    )


def _check_municipality(municipality: str, regions: tuple[str, ...], subject: Concerns) -> None:
    if municipality in subject.municipalities or set(regions) & set(subject.regions):
        return
    raise IncompetentAuthority(
        f"municipality {municipality!r} is neither concerned by this decision nor was it, on the "
        f"decision's date, a member of a region it concerns ({_describe(subject)}) — "
        f"{IncompetentAuthority.rule}"
    )


def _describe(subject: Concerns) -> str:
    named = [
        f"{category} {', '.join(getattr(subject, category))}"
        for category in ("regions", "cooperations", "organisations", "municipalities")
        if getattr(subject, category)
    ]
    return "; ".join(named) or "it names no region, cooperation, organisation or municipality"
