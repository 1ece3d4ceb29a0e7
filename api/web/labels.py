"""The Dutch the pages show for a map: a heading per section, a label per field and a word per coded
value, in the domain's own terms, and dates as people write them. One home for them all; the maps'
JSON keeps its field names and stored values (labels are for pages only).
``tests/unit/test_page_labels.py`` walks every field of every view struct and every coded value, so
that one added without Dutch fails there."""

from __future__ import annotations

from datetime import date, datetime

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
# A map's single values, shown above its sections.
PARTICULAR_LABELS = {
    "region_kind": "Soort regio",
    "province": "Provincie",
    "cooperation_kind": "Soort samenwerkingsverband",
    "decision_rule": "Besluitvorming",
    "organisation_kind": "Soort organisatie",
    "formalised": "Geformaliseerd",
    "member_count": "Aantal leden volgens de bronnen",
}
# Every field of the facts a map lists and of what they hold.
COLUMN_LABELS = {
    # registered things (Named) and the lists' facts
    "kind": "Soort",
    "slug": "Kenmerk",
    "name": "Naam",
    "municipality": "Gemeente",
    "region": "Regio",
    "cooperation": "Samenwerkingsverband",
    "organisation": "Organisatie",
    "participation": "Deelname",
    "role": "Rol",
    "agreement": "Afspraak",
    "agreement_kind": "Soort afspraak",
    "holder_region": "Houder (regio)",
    "holder_municipality": "Houder (gemeente)",
    "holder_body": "Houder (orgaan)",
    "status": "Status",
    "owner": "Eigenaar",
    "participants": "Deelnemers",
    "suppliers": "Leveranciers",
    "segments": "Segmenten",
    "lots": "Percelen",
    "contract_start": "Start contract",
    "term": "Looptijd",
    "contract": "Contract",
    "parties": "Partijen",
    "subject": "Onderwerp",
    "module": "Module",
    "obligations": "Verplichtingen",
    "conflicts": "Tegenstrijdige bronnen",
    "scope": "Reikwijdte",
    "partial": "Gedeeltelijk",
    "note": "Toelichting",
    "notes": "Toelichting",
    "reason": "Reden",
    "valid_from": "Geldig vanaf",
    "valid_until": "Geldig tot",
    "known_to_hold_since": "Ten minste sinds",
    # a decision body
    "body": "Orgaan",
    "of": "Van",
    "level": "Niveau",
    "composition": "Samenstelling",
    "member_municipalities": "Deelnemende gemeenten",
    "cadence": "Vergaderfrequentie",
    "commissioned_by": "Opdrachtgever",
    "commissions": "Opdrachtnemers",
    # a decision or adoption route, its steps and plans
    "applies_to": "Voor",
    "steps": "Stappen",
    "final_step": "Laatste stap",
    "plans": "Plannen",
    "number": "Nummer",
    "step": "Stap",
    "plan": "Plan",
    "title": "Titel",
    "steps_done": "Stappen gezet",
    "last_step": "Laatst gezette stap",
    "adopted": "Vastgesteld",
    # an item of the uitvoeringsagenda
    "item": "Onderwerp",
    "leads": "Trekkers",
    # a conflict between sources
    "claims_id": "Kenmerk",
    "topic": "Waarover de bronnen verschillen",
    "claims": "Wat de bronnen zeggen",
    "value": "Bewering",
    "sources": "Bronnen",
    # a contract in full
    "start": "Start",
    "initial_years": "Eerste looptijd",
    "extension_options": "Verlengingsopties",
    "max_years": "Maximale looptijd",
    "funding": "Bekostiging",
    "years": "Jaren",
    "decision": "Besluit",
    "extends_from": "Verlengd vanaf",
    # why a fact is known to hold
    "since": "Sinds",
    "source": "Bron",
    "date_inferred": "Datum afgeleid uit de inhoud",
    # a date known to a precision
    "precision": "Nauwkeurigheid",
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
