"""Norms and how each region meets them: a framework's requirement, and its assessments per region.

A **norm requirement** (:class:`NormRequirement`) is one requirement of a framework: a measure of the
Kamerbrief, a requirement of the VNG Norm voor Opdrachtgeverschap (NvO) or of the IGJ. It is a registry
fact, with its theme, its text, its sub-items and its links to other norms: a row that repeats another
is ``duplicate_of`` it, a row that refers to another ``relates_to`` it.

An **assessment** (:class:`ComplianceAssessment`) is one region's verdict on one norm, over time: one
aggregate per norm and region, whose every ``Assessed`` event is the verdict from its assessment date
(its ``valid_from``) on, with the explanation, who assessed, the action that must happen, its owner,
the statutory deadline and the region's own target (``domain.accountability``). A revised verdict is a
new event: the earlier verdicts stay as they were recorded, so the history of a verdict reads back in
the order it was given. Reviewers' comments are recorded beside an assessment (``Annotated``); they
never change the verdict.

The verdicts keep apart what the sources keep apart: "no" is not "not yet", "not known", "not
applicable", a cell that cannot be read or a cell left empty, and a region that "seems to meet" a norm
has not said that it meets it.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec
from eventsourcing.domain import event

from domain.accountability import UNKNOWN_DEADLINE, Deadline, Owner
from domain.base import GovernanceAggregate, decision, fact_fields
from domain.errors import InvalidValue, UnknownReference
from domain.values import (
    UNKNOWN_DATE,
    Attribution,
    PartialDate,
    SubjectKind,
    SubjectRef,
    ValidPeriod,
)


class NormFramework(StrEnum):
    """Whose requirements these are."""

    KAMERBRIEF = "kamerbrief"  # the measures of the ministers' letter to parliament
    NVO = "nvo"  # VNG Norm voor Opdrachtgeverschap
    IGJ = "igj"  # Inspectie Gezondheidszorg en Jeugd


class Verdict(StrEnum):
    """Whether a region meets a norm, in the words the assessments use."""

    JA = "ja"
    GEDEELTELIJK = "gedeeltelijk"
    NEE = "nee"
    NOG_NIET = "nog-niet"  # not yet; work on it has started or is planned
    LIJKT_TE_VOLDOEN = "lijkt-te-voldoen"  # the region seems to meet it, and says no more
    NIET_VAN_TOEPASSING = "niet-van-toepassing"  # the norm asks nothing of this region
    ONBEKEND = "onbekend"  # the region does not know ("weten we niet")
    ONLEESBAAR = "onleesbaar"  # the source's cell cannot be read
    LEEG = "leeg"  # the source's cell was left empty

    @property
    def standing(self) -> Standing:
        return _STANDING[self]


class Standing(StrEnum):
    """What a verdict says about meeting the norm: met, not (fully) met, or not known to be met."""

    VOLDOET = "voldoet"
    VOLDOET_NIET = "voldoet-niet"
    ONZEKER = "onzeker"


_STANDING = {
    Verdict.JA: Standing.VOLDOET,
    Verdict.NIET_VAN_TOEPASSING: Standing.VOLDOET,
    Verdict.GEDEELTELIJK: Standing.VOLDOET_NIET,
    Verdict.NEE: Standing.VOLDOET_NIET,
    Verdict.NOG_NIET: Standing.VOLDOET_NIET,
    Verdict.LIJKT_TE_VOLDOEN: Standing.ONZEKER,
    Verdict.ONBEKEND: Standing.ONZEKER,
    Verdict.ONLEESBAAR: Standing.ONZEKER,
    Verdict.LEEG: Standing.ONZEKER,
}


class RequiredAction(msgspec.Struct, frozen=True, kw_only=True):
    """What must happen for a region to meet a norm, who acts, and by when: the statutory deadline
    (mostly not yet known: "Er is nog geen datum bekend") and the region's own target ("2022")."""

    what: str = ""
    owner: Owner | None = None
    statutory_deadline: Deadline = UNKNOWN_DEADLINE
    target: Deadline = UNKNOWN_DEADLINE


class VerdictRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One verdict as it was recorded: the aggregate's version that recorded it, and what it said."""

    version: int
    verdict: Verdict
    verdict_as_written: str
    explanation: str
    assessed_by: SubjectRef
    assessed_on: PartialDate
    action: RequiredAction


class NormRequirement(GovernanceAggregate):
    """A requirement of a framework (see the module docstring), identified by its slug."""

    kind = SubjectKind.NORM
    slug_attribute = "norm"

    @event("Registered")
    @decision
    def __init__(
        self,
        norm: str,
        framework: NormFramework,
        code: str,
        theme: str,
        title: str,
        text: str,
        sub_items: tuple[str, ...],
        duplicate_of: tuple[str, ...],
        relates_to: tuple[str, ...],
    ) -> None:
        self.norm = norm
        self.framework = framework
        self.code = code
        self.name = f"{code} {title}"
        self.duplicate_of = duplicate_of
        self.relates_to = relates_to

    @classmethod
    def register(
        cls,
        *,
        norm: str,
        framework: NormFramework,
        code: str,
        theme: str,
        title: str,
        text: str,
        sub_items: tuple[str, ...],
        duplicate_of: tuple[str, ...],
        relates_to: tuple[str, ...],
        period: ValidPeriod,
        attribution: Attribution,
    ) -> NormRequirement:
        """A new norm; it links only to other norms, and not to itself."""
        if norm in duplicate_of or norm in relates_to:
            raise InvalidValue(f"norm {norm!r} cannot link to itself")
        if not code.strip():
            raise InvalidValue(f"norm {norm!r} has no code (the framework's number, e.g. R1.2g)")
        return cls(
            norm=norm,
            framework=framework,
            code=code,
            theme=theme,
            title=title,
            text=text,
            sub_items=sub_items,
            duplicate_of=duplicate_of,
            relates_to=relates_to,
            **fact_fields(period, attribution),
        )


class ComplianceAssessment(GovernanceAggregate):
    """One region's verdicts on one norm, in the order they were given (see the module docstring)."""

    kind = SubjectKind.ASSESSMENT
    slug_attribute = "assessment"
    repeated_attributes = ("assessment", "norm", "region")

    @staticmethod
    def slug_for(norm: str, region: str) -> str:
        return f"{norm}--{region}"

    @event("Opened")
    @decision
    def __init__(self, assessment: str, norm: str, region: str) -> None:
        self.assessment = assessment
        self.norm = norm
        self.region = region
        self.verdicts: list[VerdictRecord] = []
        self.annotation_count = 0

    @classmethod
    def open(cls, *, norm: str, region: str, attribution: Attribution) -> ComplianceAssessment:
        """The record of ``region``'s verdicts on ``norm``; it holds no verdict until one is given."""
        return cls(
            assessment=cls.slug_for(norm, region),
            norm=norm,
            region=region,
            **fact_fields(ValidPeriod(), attribution),
        )

    @property
    def label(self) -> str:
        return f"{self.norm} in {self.region}"

    def has_verdict(self, record: VerdictRecord) -> bool:
        """Whether a verdict saying the same (all but its version) is already recorded: the
        importer asks it, so a second run records nothing."""
        return any(
            msgspec.structs.replace(past, version=record.version) == record
            for past in self.verdicts
        )

    def assess(
        self,
        *,
        verdict: Verdict,
        verdict_as_written: str,
        explanation: str,
        assessed_by: SubjectRef,
        assessed_on: PartialDate,
        action: RequiredAction,
        attribution: Attribution,
    ) -> None:
        """Records a verdict holding from ``assessed_on``; the verdicts before it stay as they were."""
        self.check_not_retracted()
        if assessed_by.kind not in (SubjectKind.REGION, SubjectKind.BODY):
            raise InvalidValue(
                f"an assessment is made by a region or a decision body, not a {assessed_by.kind}"
            )
        self._assessed(
            verdict=verdict,
            verdict_as_written=verdict_as_written,
            explanation=explanation,
            assessed_by=assessed_by,
            action=action,
            **self._fact(ValidPeriod(assessed_on, UNKNOWN_DATE), attribution),
        )

    def annotate(
        self, *, reviewer: str, remark: str, on_version: int | None, attribution: Attribution
    ) -> None:
        """A reviewer's remark beside the assessment (on one verdict, when ``on_version`` names it)."""
        self.check_not_retracted()
        if on_version is not None and on_version not in {v.version for v in self.verdicts}:
            raise UnknownReference(
                f"{self.label} has no verdict recorded at version {on_version} — "
                f"{UnknownReference.rule}"
            )
        if not remark.strip():
            raise InvalidValue("a reviewer's remark says something")
        self._annotated(
            reviewer=reviewer,
            remark=remark,
            on_version=on_version,
            **self._fact(ValidPeriod(), attribution),
        )

    def has_annotation(self, reviewer: str, remark: str) -> bool:
        return any(
            getattr(e, "reviewer", None) == reviewer and getattr(e, "remark", None) == remark
            for e in self.history()
            if isinstance(e, ComplianceAssessment.Annotated)
        )

    @event("Assessed")
    @decision
    def _assessed(
        self,
        assessment: str,
        norm: str,
        region: str,
        verdict: Verdict,
        verdict_as_written: str,
        explanation: str,
        assessed_by: SubjectRef,
        action: RequiredAction,
        valid_from: PartialDate,
    ) -> None:
        self.verdicts.append(
            VerdictRecord(
                # The event joins the history after this body runs (also when a correction rebuilds
                # the state), so its version is one past the history so far.
                version=len(self._history) + 1,
                verdict=verdict,
                verdict_as_written=verdict_as_written,
                explanation=explanation,
                assessed_by=assessed_by,
                assessed_on=valid_from,
                action=action,
            )
        )

    @event("Annotated")
    @decision
    def _annotated(
        self,
        assessment: str,
        norm: str,
        region: str,
        reviewer: str,
        remark: str,
        on_version: int | None,
    ) -> None:
        self.annotation_count += 1

    def verdict_on(self, day: PartialDate) -> VerdictRecord | None:
        """The verdict that holds on ``day``: the latest assessed on or before it (of two assessed on
        the same day, the later recorded)."""
        holding = [v for v in self.verdicts if v.assessed_on.earliest <= day.earliest]
        return max(holding, key=lambda v: (v.assessed_on.earliest, v.version), default=None)
