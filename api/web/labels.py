"""The Dutch the pages show for a map: a heading per section, a label per field and a word per coded
value, in the domain's own terms, and dates as people write them. A field's label is declared with the
field in its view (``projections.views``); this module keeps the rest: the section headings, the labels
of names several views share and the words for coded values. The maps' JSON keeps its field names and
stored values (labels are for pages only). ``tests/unit/test_page_labels.py`` walks every field of
every view struct and every coded value, so that one added without Dutch fails there."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Annotated, get_args, get_origin

import msgspec

from domain.values import (
    AgreementKind,
    AgreementStatus,
    BodyLevel,
    BodyRole,
    CooperationKind,
    PartialDate,
    Participation,
    Precision,
    RegionKind,
    SubjectKind,
)
from projections.map_rows import ROLE_NAMES

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


def dutch_date(day: date) -> str:
    """1 januari 2023."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def dutch_moment(moment: datetime) -> str:
    """1 januari 2023 14:05."""
    return f"{dutch_date(moment.date())} {moment:%H:%M}"


def dutch_partial_date(value: PartialDate) -> str:
    """As precise as it is known: 1 januari 2023, maart 2021, 2023, or nothing."""
    day = value.value
    if day is None:
        return ""
    if value.precision is Precision.YEAR:
        return str(day.year)
    if value.precision is Precision.MONTH:
        return f"{MONTHS[day.month - 1]} {day.year}"
    return dutch_date(day)


# The lists (and the one route) of a map, each a section of the page.
SECTION_HEADINGS = {
    "members": "Leden",
    "cooperations": "Samenwerkingsverbanden",
    "organisations": "Organisaties",
    "roles": "Rollen (accounthouderschap, trekkerschap, mandaten)",
    "roles_towards": "Rollen van anderen in haar samenwerkingsverbanden",
    "procurements": "Inkoop",
    "opt_outs": "Uitzonderingen (opt-outs)",
    "agreements": "Overige afspraken",
    "account_holders": "Accounthouderschappen",
    "mandates": "Mandaten als expertisecentrum",
    "conflicts": "Tegenstrijdige bronnen",
    "bodies": "Overleggen en organen",
    "decision_route": "Besluitvormingsroute",
    "principles": "Uitgangspunten van de samenwerking",
    "agenda": "Uitvoeringsagenda",
    "adoption_routes": "Vaststellingsroutes",
    "procured_by": "Regio's die bij haar inkopen",
}
# The sections that list the sources' words: the label of their one column.
LIST_ITEM_LABELS = {"principles": "Uitgangspunt"}
# The names several views share (a fact's agreement, its holder, its period ...), one Dutch label each.
# Every other field shown has its label declared with it in ``projections.views`` (``field_label``).
SHARED_FIELD_LABELS = {
    "municipality": "Gemeente",
    "region": "Regio",
    "cooperation": "Samenwerkingsverband",
    "organisation": "Organisatie",
    "role": "Rol",
    "agreement": "Afspraak",
    "agreement_kind": "Soort afspraak",
    "holder_region": "Houder (regio)",
    "holder_municipality": "Houder (gemeente)",
    "holder_body": "Houder (orgaan)",
    "status": "Status",
    "term": "Looptijd",
    "subject": "Onderwerp",
    "module": "Module",
    "conflicts": "Tegenstrijdige bronnen",
    "scope": "Reikwijdte",
    "note": "Toelichting",
    "body": "Orgaan",
    "number": "Nummer",
    "valid_from": "Geldig vanaf",
    "valid_until": "Geldig tot",
}


def field_label(struct: type[msgspec.Struct], field: str) -> str:
    """The Dutch label of ``struct``'s ``field``: the title declared with the field, else the label
    of a name several views share."""
    return _titles(struct).get(field) or SHARED_FIELD_LABELS[field]


@cache
def _titles(struct: type[msgspec.Struct]) -> dict[str, str]:
    return {
        field.name: meta.title
        for field in msgspec.structs.fields(struct)
        if get_origin(field.type) is Annotated
        for meta in get_args(field.type)[1:]
        if isinstance(meta, msgspec.Meta) and meta.title
    }


# The fields whose values are codes: shown by their Dutch word.
CODED_FIELDS = frozenset(
    {
        "kind",
        "role",
        "agreement_kind",
        "status",
        "participation",
        "level",
        "region_kind",
        "cooperation_kind",
        "decision",
    }
)
# The codes those fields hold, per kind of code (a test checks each has a word).
CODES: dict[str, tuple[str, ...]] = {
    "SubjectKind": tuple(SubjectKind),
    "RegionKind": tuple(RegionKind),
    "CooperationKind": tuple(CooperationKind),
    "Participation": tuple(Participation),
    "BodyRole": tuple(BodyRole),
    "BodyLevel": tuple(BodyLevel),
    "AgreementKind": tuple(AgreementKind),
    "AgreementStatus": tuple(AgreementStatus),
    # a role on a map: its fact kind's name, or "<agreement kind>-holder" (projections.map_rows)
    "role names": (*ROLE_NAMES.values(), *(f"{kind}-holder" for kind in AgreementKind)),
    "extension decisions": ("exercised", "declined"),
}
AGREEMENT_KIND_WORDS = {
    AgreementKind.ACCOUNTHOUDERSCHAP: "accounthouderschap",
    AgreementKind.GEZAMENLIJKE_INKOOP: "gezamenlijke inkoop",
    AgreementKind.EXPERTISECENTRUM_MANDAAT: "mandaat expertisecentrum",
    AgreementKind.TREKKERSCHAP: "trekkerschap",
    AgreementKind.EXPERTTEAM_MANDAAT: "mandaat expertteam",
    AgreementKind.BESLISBEVOEGDHEID: "beslisbevoegdheid",
    AgreementKind.SAMENWERKINGSREGELING: "samenwerkingsregeling",
    AgreementKind.GEZAMENLIJKE_BEKOSTIGING: "gezamenlijke bekostiging",
    AgreementKind.SUBSIDIERING: "subsidiering",
    AgreementKind.SAMENWERKINGSAFSPRAAK: "samenwerkingsafspraak",
    AgreementKind.BESTUURLIJKE_AFSPRAAK: "bestuurlijke afspraak",
}
VALUE_LABELS: dict[str, str] = {
    # SubjectKind
    SubjectKind.MUNICIPALITY: "gemeente",
    SubjectKind.REGION: "regio",
    SubjectKind.COOPERATION: "samenwerkingsverband",
    SubjectKind.ORGANISATION: "organisatie",
    SubjectKind.BODY: "orgaan",
    SubjectKind.AGREEMENT: "afspraak",
    SubjectKind.CHANGE: "verandering",
    SubjectKind.SOURCE: "bron",
    SubjectKind.CLAIMS: "tegenstrijdige bronnen",
    SubjectKind.ACCOUNT: "accounthouderschap",
    SubjectKind.MODULE_COMMITMENT: "toezegging op een module",
    SubjectKind.COST_KEY: "verdeelsleutel",
    SubjectKind.NORM: "norm",
    SubjectKind.ASSESSMENT: "beoordeling",
    SubjectKind.PLAN_OF_APPROACH: "plan van aanpak",
    # RegionKind
    RegionKind.JEUGDZORGREGIO: "jeugdzorgregio",
    RegionKind.GEBIED: "gebied",
    # CooperationKind
    CooperationKind.BESTUURLIJK_OVERLEG: "bestuurlijk overleg",
    CooperationKind.NETWERK: "netwerk",
    CooperationKind.INKOOPSAMENWERKING: "inkoopsamenwerking",
    CooperationKind.SAMENWERKINGSVERBAND: "samenwerkingsverband",
    CooperationKind.REGIONALE_AANPAK: "regionale aanpak",
    CooperationKind.TOEZICHTSGROEPERING: "toezichtsgroepering",
    # Participation
    Participation.MEMBER: "lid",
    Participation.ASSOCIATED: "sluit aan",
    Participation.INVITED: "uitgenodigd",
    # BodyRole
    BodyRole.DECIDES: "besluit",
    BodyRole.ADVISES: "adviseert",
    BodyRole.ALIGNS: "stemt af",
    BodyRole.EXECUTES: "voert uit",
    BodyRole.STEERS: "stuurt",
    # BodyLevel
    BodyLevel.BESTUURLIJK: "bestuurlijk",
    BodyLevel.AMBTELIJK: "ambtelijk",
    BodyLevel.MANAGEMENT: "management",
    BodyLevel.UITVOERING: "uitvoering",
    # AgreementKind
    **AGREEMENT_KIND_WORDS,
    # AgreementStatus
    AgreementStatus.IN_FORCE: "van kracht",
    AgreementStatus.INTENDED: "voorgenomen",
    AgreementStatus.BEING_EXPLORED: "wordt verkend",
    AgreementStatus.ENDED: "beëindigd",
    # role names
    "account-holder": "accounthouder",
    "lead": "trekker",
    "mandate-holder": "mandaathouder expertisecentrum",
    **{f"{kind}-holder": f"houder {word}" for kind, word in AGREEMENT_KIND_WORDS.items()},
    # extension decisions
    "exercised": "gelicht",
    "declined": "niet gelicht",
}


# Kinds the sources name in their own (Dutch) words, written as slugs: shown as words.
WORDED_FIELDS = frozenset({"organisation_kind"})


def value_label(field: str, value: str) -> str:
    """A coded value's Dutch word; any other text as it is."""
    if field in CODED_FIELDS:
        return VALUE_LABELS.get(str(value), str(value))
    if field in WORDED_FIELDS:
        return str(value).replace("-", " ")
    return str(value)


def plan_name(plan: str) -> str:
    """A plan as the projections name it ("policy document", "annual plan 2026") in Dutch."""
    return plan.replace("policy document", "beleidsdocument").replace("annual plan", "jaarplan")


def route_purpose(applies_to: str) -> str:
    """What an adoption route is for, as the projections word it, in Dutch; a source's words as they
    are."""
    return {
        "the policy document of the expertise centre": "het beleidsdocument van het expertisecentrum",
        "the policy document and annual plans of the expertise centre": (
            "het beleidsdocument en de jaarplannen van het expertisecentrum"
        ),
    }.get(applies_to, applies_to)
