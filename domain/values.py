"""Value objects of the governance domain: frozen msgspec Structs and string enums.

Dates and valid time (``PartialDate``, ``ValidPeriod``) live in ``domain.dates`` and are imported
from here as before.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

import msgspec

from domain.dates import UNKNOWN_DATE, PartialDate, ValidPeriod
from domain.dates import Precision as Precision  # imported from here by the rest of the domain
from domain.errors import InvalidValue


def evidence_of_holding(
    period: ValidPeriod, source_date: PartialDate, status: str | None = None
) -> PartialDate:
    """The day from which a fact is known to hold, though its start is unknown: a fact stated in a
    source dated D held on D (to D's precision), so it holds from D on until an end is recorded.
    Unknown (no evidence) when the start is known (the start says more), when the source's date is
    unknown, or when the fact's status says it did not hold on that date (intended, being explored,
    ended)."""
    not_holding = (AgreementStatus.INTENDED, AgreementStatus.BEING_EXPLORED, AgreementStatus.ENDED)
    if period.valid_from.is_known or not source_date.is_known or status in not_holding:
        return UNKNOWN_DATE
    return source_date


_SOURCE_REF = re.compile(r"^[a-z0-9][a-z0-9-]*:L\d+(-L\d+)?$")


@lru_cache(maxsize=4096)
def _is_source_ref(ref: str) -> bool:
    """Cached: every event decoded from the log checks its sources, and sources recur."""
    return _SOURCE_REF.match(ref) is not None


class AuthorityKind(StrEnum):
    """The forms of authority a decision can cite."""

    BODY = "body"  # a registered decision body competent for the subject
    MUNICIPALITY = "municipality"  # the college, raad or burgemeester of a registered municipality
    EXTERNAL = "external"  # a named authority outside the registry, e.g. a ministry
    SOURCE = "source"  # imported facts: the cited sources document it (naming the body, if any)


class MunicipalOrgan(StrEnum):
    COLLEGE = "college"  # college van burgemeester en wethouders
    RAAD = "raad"  # gemeenteraad
    BURGEMEESTER = "burgemeester"


# Which fields each form of authority must give, and which it may give; any other is refused.
_AUTHORITY_FIELDS: dict[AuthorityKind, tuple[frozenset[str], frozenset[str]]] = {
    AuthorityKind.BODY: (frozenset({"body", "decision_date", "document"}), frozenset()),
    AuthorityKind.MUNICIPALITY: (
        frozenset({"municipality", "organ", "decision_date", "document"}),
        frozenset(),
    ),
    AuthorityKind.EXTERNAL: (frozenset({"external", "decision_date", "document"}), frozenset()),
    AuthorityKind.SOURCE: (frozenset({"document"}), frozenset({"body", "decision_date"})),
}


class Authority(msgspec.Struct, frozen=True, kw_only=True):
    """The decision behind a state change, in one of the forms of :class:`AuthorityKind`: who
    decided (a registered body, a municipality's organ, a named external authority), when (a date
    with its precision) and the document that records it. An imported fact cites its sources (the
    command's provenance) and the body they name, if any.

    ``kind`` None marks an event recorded before every decision had to cite an authority: such
    events keep loading as they were stored (body, date and document each possibly unknown), and
    no command may record one any more.
    """

    body: str | None = None
    decision_date: PartialDate = UNKNOWN_DATE
    document: str | None = None
    kind: AuthorityKind | None = None
    municipality: str | None = None
    organ: MunicipalOrgan | None = None
    external: str | None = None

    def __post_init__(self) -> None:
        if self.kind is None:
            return
        required, optional = _AUTHORITY_FIELDS[self.kind]
        given = {
            name
            for name in ("body", "decision_date", "document", "municipality", "organ", "external")
            if getattr(self, name) not in (None, "", UNKNOWN_DATE)
        }
        if missing := sorted(required - given):
            raise InvalidValue(
                f"an authority of kind {self.kind} must give {', '.join(missing)}"
                + (" (a date with its precision)" if "decision_date" in missing else "")
            )
        if extra := sorted(given - required - optional):
            raise InvalidValue(f"an authority of kind {self.kind} does not give {', '.join(extra)}")

    @property
    def decided_by(self) -> str | None:
        """Who decided, as one line: the body, the municipality's organ or the external authority."""
        if self.municipality is not None:
            return f"{self.organ or 'gemeente'} {self.municipality}"
        return self.body or self.external


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """Where a fact comes from: source references ``<source id>:L<n>[-L<m>]`` and whether the fact
    rests partly on inference (then ``inferred_note`` says which part and why)."""

    sources: tuple[str, ...] = ()
    inferred: bool = False
    inferred_note: str | None = None

    def __post_init__(self) -> None:
        for ref in self.sources:
            if not _is_source_ref(ref):
                raise InvalidValue(
                    f"a source reference has the form '<source id>:L<n>[-L<m>]' (got {ref!r})"
                )


class Attribution(msgspec.Struct, frozen=True, kw_only=True):
    """Who recorded a fact, on whose authority and from which sources; every event carries these."""

    principal: str
    authority: Authority = Authority()
    provenance: Provenance = Provenance()

    def event_fields(self) -> dict[str, object]:
        return {
            "authority": self.authority,
            "principal": self.principal,
            "provenance": self.provenance,
        }


class SubjectKind(StrEnum):
    MUNICIPALITY = "municipality"
    REGION = "region"
    COOPERATION = "cooperation"
    ORGANISATION = "organisation"
    BODY = "body"
    AGREEMENT = "agreement"
    CHANGE = "change"
    SOURCE = "source"
    CLAIMS = "claims"
    ACCOUNT = "account-holdership"  # one organisation's account within one cooperation
    MODULE_COMMITMENT = "module-commitment"  # one region's part in one module of a cooperation
    COST_KEY = "cost-key"  # the verdeelsleutel of one module of a cooperation
    NORM = "norm"  # a requirement of a framework (Kamerbrief, NvO, IGJ)
    ASSESSMENT = "assessment"  # one region's verdicts on one norm
    PLAN_OF_APPROACH = "plan-of-approach"  # a region's or cooperation's plan van aanpak


class SubjectRef(msgspec.Struct, frozen=True):
    """A reference to a registered thing by its kind and slug."""

    kind: SubjectKind
    slug: str

    def __str__(self) -> str:
        return f"{self.kind} {self.slug}"


class RegionKind(StrEnum):
    JEUGDZORGREGIO = "jeugdzorgregio"
    GEBIED = "gebied"


class CooperationKind(StrEnum):
    BESTUURLIJK_OVERLEG = "bestuurlijk-overleg"
    NETWERK = "netwerk"
    INKOOPSAMENWERKING = "inkoopsamenwerking"
    SAMENWERKINGSVERBAND = "samenwerkingsverband"
    REGIONALE_AANPAK = "regionale-aanpak"
    TOEZICHTSGROEPERING = "toezichtsgroepering"


class Participation(StrEnum):
    """How a region takes part in a cooperation."""

    MEMBER = "member"
    ASSOCIATED = "associated"  # e.g. "sluit bestuurlijk aan"
    INVITED = "invited"  # e.g. "uitgenodigd", twice a year


class BodyRole(StrEnum):
    DECIDES = "decides"
    ADVISES = "advises"
    ALIGNS = "aligns"
    EXECUTES = "executes"
    # Named as steering body; the sources do not say whether it takes binding decisions.
    STEERS = "steers"


class BodyLevel(StrEnum):
    BESTUURLIJK = "bestuurlijk"
    AMBTELIJK = "ambtelijk"
    MANAGEMENT = "management"
    UITVOERING = "uitvoering"


class AgreementKind(StrEnum):
    ACCOUNTHOUDERSCHAP = "accounthouderschap"
    GEZAMENLIJKE_INKOOP = "gezamenlijke-inkoop"
    EXPERTISECENTRUM_MANDAAT = "expertisecentrum-mandaat"
    TREKKERSCHAP = "trekkerschap"
    EXPERTTEAM_MANDAAT = "expertteam-mandaat"
    BESLISBEVOEGDHEID = "beslisbevoegdheid"
    SAMENWERKINGSREGELING = "samenwerkingsregeling"
    GEZAMENLIJKE_BEKOSTIGING = "gezamenlijke-bekostiging"
    SUBSIDIERING = "subsidiering"
    SAMENWERKINGSAFSPRAAK = "samenwerkingsafspraak"
    BESTUURLIJKE_AFSPRAAK = "bestuurlijke-afspraak"


class AgreementStatus(StrEnum):
    IN_FORCE = "in-force"
    INTENDED = "intended"
    BEING_EXPLORED = "being-explored"
    ENDED = "ended"


class ChangeKind(StrEnum):
    MERGER = "merger"
    PARTIAL_WITHDRAWAL = "partial-withdrawal"
    STEPWISE_RETURN = "stepwise-return"
    JOINS_PROCUREMENT = "joins-procurement"
    COOPERATION_START = "cooperation-start"
    NATIONAL_FRAMEWORK = "national-framework"
    BODY_ESTABLISHED = "body-established"
    RESTART = "restart"
    WORKING_METHOD = "working-method"
    SUPERVISION = "supervision"
    MEMBER_JOINED = "member-joined"
    PROCUREMENT_STRUCTURE = "procurement-structure"
    PRINCIPLE_CHANGE = "principle-change"
    GOVERNANCE_CHANGE = "governance-change"


class PlanKind(StrEnum):
    POLICY_DOCUMENT = "policy-document"  # beleidsdocument
    ANNUAL_PLAN = "annual-plan"  # jaarplan


class Subregion(msgspec.Struct, frozen=True):
    name: str
    # None: the sources name the subregion but not its municipalities.
    municipalities: tuple[str, ...] | None = None


class DecisionRoute(msgspec.Struct, frozen=True):
    """The ordered bodies a regional decision passes (e.g. regio Nijmegen's work programme)."""

    applies_to: str
    body_steps: tuple[str, ...]
    final_step: str | None = None


class DecisionException(msgspec.Struct, frozen=True):
    """A topic on which a cooperation that only aligns lets one municipality decide."""

    topic: str
    holder_municipality: str
    agreement: str | None = None


class AgendaItem(msgspec.Struct, frozen=True):
    item: str
    module: int | None = None


class CooperationScope(msgspec.Struct, frozen=True):
    in_scope: tuple[str, ...] = ()
    out_for_now: tuple[str, ...] = ()


class Milestone(msgspec.Struct, frozen=True):
    date: PartialDate
    what: str
    date_note: str | None = None


_TERM_NOTATION = re.compile(r"^\d+(?:,\d+)?(?:\+\d+(?:,\d+)?)*$")


class TermStructure(msgspec.Struct, frozen=True):
    """A contract term in the sources' notation: initial term plus extension options, in years.

    ``"4+3+3"`` is 4 years with two options of 3 (at most 10); ``"2,5+2+2+2+1"`` is 2.5 years with
    options of 2, 2, 2 and 1 (at most 9.5); ``"2"`` is 2 years without options.
    """

    initial_years: Decimal
    extension_options: tuple[Decimal, ...] = ()

    @classmethod
    def parse(cls, notation: str) -> TermStructure | None:
        """The structure of a notation, or None when the text is a description, not a notation."""
        compact = notation.replace(" ", "")
        if not _TERM_NOTATION.match(compact):
            return None
        try:
            years = [Decimal(part.replace(",", ".")) for part in compact.split("+")]
        except InvalidOperation:
            return None
        return cls(initial_years=years[0], extension_options=tuple(years[1:]))

    @property
    def max_years(self) -> Decimal:
        return self.initial_years + sum(self.extension_options, Decimal(0))

    @property
    def notation(self) -> str:
        return "+".join(
            format(y.normalize(), "f").replace(".", ",")
            for y in (self.initial_years, *self.extension_options)
        )


class Contract(msgspec.Struct, frozen=True, kw_only=True):
    """The contract of a joint procurement. ``term`` holds the parsed notation; ``term_text`` the
    source's wording where it gives a description instead of a notation."""

    start: PartialDate = UNKNOWN_DATE
    term: TermStructure | None = None
    term_text: str | None = None
    max_years: Decimal | None = None
    funding: str | None = None

    def __post_init__(self) -> None:
        if (
            self.term is not None
            and self.max_years is not None
            and self.term.max_years != self.max_years
        ):
            raise InvalidValue(
                f"max_years {self.max_years} differs from the sum of term {self.term.notation} "
                f"({self.term.max_years})"
            )


class Lot(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    funding: str | None = None
    contract_form: str | None = None
    sources: tuple[str, ...] = ()


class PlanRef(msgspec.Struct, frozen=True, kw_only=True):
    """A plan adopted under a mandate: the policy document, or the annual plan of a year."""

    plan_kind: PlanKind
    year: int | None = None
    title: str | None = None

    @property
    def key(self) -> str:
        return f"{self.plan_kind}:{'' if self.year is None else self.year}"

    def __str__(self) -> str:
        name = "policy document" if self.plan_kind is PlanKind.POLICY_DOCUMENT else "annual plan"
        return f"{name} {self.year}" if self.year is not None else name


class Claim(msgspec.Struct, frozen=True):
    """One source's version of a disputed fact."""

    value: str
    sources: tuple[str, ...]
