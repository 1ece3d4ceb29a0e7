"""Realistic examples for the OpenAPI document: a request body for every command (and for a new
token) and an answer for every map, all about the governance facts the service ships with
(``services/data/governance-facts.yaml``, recorded on its first start), so that each can be sent to a
fresh service as it stands.

Each request example names who sends it (a token's role and scope) and what it answers: 201, or the
4xx a rule of the API gives, and why. The maps are the answers on the imported facts, cut down to
a row or so per section (``api/map_examples.json``). ``tests/integration/api/test_examples.py``
sends every request example and reads every map; routes attach them with
``api.openapi.with_examples``.

Dates are given in their notation (``"2027-01-01"`` a day, ``"2027-01"`` a month), which gives their
precision, as a newcomer writes them; every date also takes the object form
(``{"value": ..., "precision": ...}``, ``api.schemas.DateInput``), which the other precisions need.

The module is longer than ours usually are: it is a catalogue, one entry per command, kept whole as
the one home of the examples (the entries share only the helpers at the top).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar.openapi.spec import Example

from services import commands as c
from services.authorisation import Role

Body = dict[str, Any]


@dataclass(frozen=True)
class Sender:
    """Whose token sends an example: its role and the scope it is given."""

    role: Role
    cooperations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()

    def __str__(self) -> str:
        scope = [*self.cooperations, *self.regions]
        return f"a {self.role} token" + (f" for {', '.join(scope)}" if scope else "")


ADMIN = Sender(Role.ADMIN)
NMZ = Sender(Role.COORDINATOR, cooperations=("nmz-limburg",))
G7 = Sender(Role.COORDINATOR, cooperations=("g7-gelderland",))
ZUID_LIMBURG = Sender(Role.COORDINATOR, regions=("zuid-limburg",))
NOORD_LIMBURG = Sender(Role.COORDINATOR, regions=("noord-limburg",))
WESTFRIESLAND = Sender(Role.COORDINATOR, regions=("westfriesland",))


@dataclass(frozen=True)
class RequestExample:
    name: str  # its key in the OpenAPI document
    summary: str
    body: Body
    sender: Sender
    status: int = 201
    why: str = "Recorded."
    rule: str | None = None  # the domain rule a refusal (422) names

    @property
    def answer(self) -> str:
        return f"{self.status} (rule: {self.rule})" if self.rule else str(self.status)

    def openapi(self) -> Example:
        return Example(
            summary=self.summary,
            description=f"Sent with {self.sender}, it answers {self.answer}. {self.why}",
            value=self.body,
        )


def named(*examples: RequestExample) -> dict[str, Example]:
    """The examples as the OpenAPI document names them."""
    return {example.name: example.openapi() for example in examples}


def by_body(body: str, decision_date: str, document: str) -> Body:
    return {"body": body, "decision_date": decision_date, "document": document}


def by_college(municipality: str, decision_date: str, document: str) -> Body:
    return {
        "kind": "municipality",
        "municipality": municipality,
        "organ": "college",
        "decision_date": decision_date,
        "document": document,
    }


def by_external(external: str, decision_date: str, document: str) -> Body:
    return {
        "kind": "external",
        "external": external,
        "decision_date": decision_date,
        "document": document,
    }


def region(slug: str) -> Body:
    return {"kind": "region", "slug": slug}


VWS = by_external("Ministerie van VWS", "2026-10-01", "Besluit regio-indeling jeugdzorg 2026")
NMZ_OVERLEG = by_body("nmz-bestuurlijk-overleg", "2026-11-20", "besluitenlijst 2026-11")
G16ZLB = by_body("g16zlb", "2026-10-08", "besluitenlijst G16zLB 8 oktober 2026")
G7_OVERLEG = by_body("g7-bestuurlijk-overleg", "2026-09-17", "besluitenlijst G7 september 2026")
MGR_NOORD = by_body("mgr-algemeen-bestuur", "2026-06-25", "besluit algemeen bestuur MGR 2026-06")
VIERHOEK = by_body(
    "vierhoeksoverleg-westfriesland", "2026-10-12", "verslag vierhoeksoverleg 2026-10"
)
NIJMEGEN_COLLEGES = by_body(
    "regionale-colleges-regio-nijmegen", "2026-11-03", "besluit regionale colleges 2026-11"
)


def sez_cost_key(valid_from: Body, *, nijmegen: str, achterhoek: str) -> Body:
    """The shares of G7's module 2 (Spoed Eisende Zorg) from ``valid_from``: the four regions the
    sources name, two of them at the given percentages."""
    shares = {
        "regio-nijmegen": nijmegen,
        "achterhoek": achterhoek,
        "centraal-gelderland": "30",
        "midden-ijssel-oost-veluwe": "20",
    }
    return {
        "cost_key": "g7-sez-verdeelsleutel-2027",
        "cooperation": "g7-gelderland",
        "module": 2,
        "shares": [{"region": r, "percentage": share} for r, share in shares.items()],
        "valid_from": valid_from,
        "authority": G7_OVERLEG,
    }


# -- what a newcomer records first: the quick-start of the README posts this one -------------------
TRANSFER = RequestExample(
    "nmz-pactum-to-zuid-limburg",
    "NMZ Limburg: Zuid-Limburg becomes Pactum's account holder from 2027",
    {
        "cooperation": "nmz-limburg",
        "organisation": "pactum",
        "agreement": "nmz-pactum-2027",
        "handover": "2027-01-01",
        "holder_region": "zuid-limburg",
        "executing_municipality": "maastricht",
        "authority": NMZ_OVERLEG,
    },
    NMZ,
    why="Noord-Limburg (Venlo) hands the accounthouderschap of Pactum over; the region maps show "
    "the new holder from 1 January 2027.",
)

COMMAND_EXAMPLES: dict[type[c.Command], tuple[RequestExample, ...]] = {
    # -- the registry: an admin's --------------------------------------------------------------
    c.RegisterSource: (
        RequestExample(
            "igj-noord-holland-2021",
            "The inspectorates' report the Noord-Holland plans answer",
            {
                "source": "igj-rapport-noord-holland-2021",
                "file": "igj-rapport-noord-holland-2021.md",
                "title": "Kwetsbare kinderen onvoldoende beschermd – Noord-Holland",
                "date": "2021-06",
            },
            ADMIN,
            why="A source takes no decision: it cites no authority.",
        ),
    ),
    c.RegisterMunicipality: (
        RequestExample(
            "voorne-aan-zee",
            "A municipality formed by a merger",
            {
                "municipality": "voorne-aan-zee",
                "name": "Voorne aan Zee",
                "valid_from": "2023-01-01",
                "authority": by_external(
                    "Staten-Generaal", "2022-07-05", "Wet herindeling Voorne aan Zee"
                ),
            },
            ADMIN,
        ),
    ),
    c.RegisterRegion: (
        RequestExample(
            "rijnmond",
            "A youth-care region",
            {
                "region": "rijnmond",
                "name": "Jeugdhulp Rijnmond",
                "province": "Zuid-Holland",
                "authority": VWS,
            },
            ADMIN,
            why="Its municipalities join it with `/municipalities/memberships`.",
        ),
    ),
    c.RegisterCooperation: (
        RequestExample(
            "jeugdzorgplus-zuid-holland",
            "A network of regions",
            {
                "cooperation": "jeugdzorgplus-zuid-holland",
                "name": "Netwerk JeugdzorgPlus Zuid-Holland",
                "cooperation_kind": "netwerk",
                "authority": VWS,
            },
            ADMIN,
        ),
    ),
    c.RegisterOrganisation: (
        RequestExample(
            "jeugdbescherming-west",
            "A certified institution (GI)",
            {
                "organisation": "jeugdbescherming-west",
                "name": "Jeugdbescherming west",
                "organisation_kind": "gecertificeerde instelling",
                "authority": VWS,
            },
            ADMIN,
        ),
    ),
    c.MergeMunicipalities: (
        RequestExample(
            "dijk-en-waard",
            "Heerhugowaard and Langedijk merge into Dijk en Waard",
            {
                "change": "fusie-dijk-en-waard",
                "from_municipalities": ["heerhugowaard", "langedijk"],
                "into_municipality": "dijk-en-waard",
                "date": "2022-01-01",
                "authority": by_external(
                    "Staten-Generaal", "2021-07-07", "Wet herindeling Heerhugowaard en Langedijk"
                ),
            },
            ADMIN,
            status=422,
            why="Refused: the facts already record this merger (change-dijk-en-waard-2022), and a "
            "municipality merges once.",
            rule="a fact is recorded once",
        ),
    ),
    c.AdmitRegionToCooperation: (
        RequestExample(
            "zuid-limburg-in-j42",
            "Zuid-Limburg in the network of the 42 youth-care regions",
            {
                "cooperation": "jeugdregios-42",
                "region": "zuid-limburg",
                "participation_note": "the sources name only Noord-Limburg of the 42 members",
                "authority": by_body("bj42", "2026-10-15", "verslag BJ42 oktober 2026"),
            },
            ADMIN,
        ),
    ),
    c.InvolveOrganisationInCooperation: (
        RequestExample(
            "expertisecentrum-in-nmz",
            "An organisation joins a cooperation",
            {
                "cooperation": "nmz-limburg",
                "organisation": "expertisecentrum-limburg",
                "authority": NMZ_OVERLEG,
            },
            ADMIN,
        ),
    ),
    c.RegisterDecisionBody: (
        RequestExample(
            "regionaal-expertteam-noord-limburg",
            "A region's decision body",
            {
                "body": "expertteam-noord-limburg",
                "name": "Regionaal expertteam Noord-Limburg",
                "of": region("noord-limburg"),
                "role": "executes",
                "level": "ambtelijk",
                "commissioned_by_body": "mgr-algemeen-bestuur",
                "authority": MGR_NOORD,
            },
            ADMIN,
        ),
    ),
    c.ChangeBodyRole: (
        RequestExample(
            "g16zla-decides",
            "The G16zla's role changes",
            {
                "body": "g16zla",
                "role": "aligns",
                "valid_from": "2027-01-01",
                "authority": G16ZLB,
            },
            ADMIN,
        ),
    ),
    # -- structural changes, claims and corrections ---------------------------------------------
    c.RecordStructuralChange: (
        RequestExample(
            "nmz-governance-2027",
            "A change in how NMZ Limburg is governed",
            {
                "change": "nmz-governance-2027",
                "change_kind": "governance-change",
                "subject": {"kind": "cooperation", "slug": "nmz-limburg"},
                "description": "Het NMZ-overleg neemt vanaf 2027 ook besluiten over accounthouderschap",
                "valid_from": "2027-01-01",
                "authority": NMZ_OVERLEG,
            },
            NMZ,
        ),
    ),
    c.RecordConflictingClaims: (
        RequestExample(
            "g7-member-count",
            "Two sources disagree on how many regions G7 has",
            {
                "claims": "g7-aantal-regios",
                "topic": "Hoeveel regio's de G7 telt",
                "subject": {"kind": "cooperation", "slug": "g7-gelderland"},
                "claim_values": [
                    {"value": "7", "sources": ["nijmegen-regiobeeld-2021:L630"]},
                    {"value": "4 named", "sources": ["nijmegen-regiobeeld-2021:L672"]},
                ],
                "authority": G7_OVERLEG,
            },
            G7,
        ),
    ),
    c.AddClaim: (
        RequestExample(
            "kracht-door-verbinding-year",
            "Regio Nijmegen: one more claim on the year of 'Kracht door Verbinding'",
            {
                "claims": "regio-nijmegen--year-of-the-policy-memo-kracht-door-verbinding-regio-nijmegen",
                "claim": {"value": "2014", "sources": ["nijmegen-regiobeeld-2021:L312"]},
                "authority": NIJMEGEN_COLLEGES,
            },
            G7,
            why="An imported set of claims is named after its subject and topic; the claims stay "
            "side by side, none preferred.",
        ),
    ),
    c.CorrectFact: (
        RequestExample(
            "correct-a-fact",
            "Retract a recorded fact, saying why",
            {
                "aggregate_id": "00000000-0000-0000-0000-000000000000",
                "version": 1,
                "reason": "recorded for the wrong region",
            },
            ADMIN,
            status=422,
            why="Refused (no aggregate has this placeholder id): take `aggregate_id` and `version` "
            "from the event to correct (`/events`).",
            rule="references must be registered first",
        ),
    ),
    # -- agreements -------------------------------------------------------------------------------
    c.AssignAccountHoldership: (
        RequestExample(
            "g7-accounthouder-william-schrikker",
            "G7: Regio Nijmegen becomes the William Schrikker Stichting's account holder",
            {
                "agreement": "g7-accounthouder-william-schrikker",
                "cooperation": "g7-gelderland",
                "organisation": "william-schrikker-stichting",
                "holder_region": "regio-nijmegen",
                "executing_municipality": "nijmegen",
                "valid_from": "2027-01-01",
                "authority": G7_OVERLEG,
            },
            G7,
        ),
    ),
    c.TransferAccountHoldership: (TRANSFER,),
    c.EndAccountHoldership: (
        RequestExample(
            "nmz-end-xonar",
            "NMZ Limburg: the account holdership of Xonar ends",
            {
                "cooperation": "nmz-limburg",
                "organisation": "xonar",
                "valid_until": "2026-12-31",
                "reason": "Xonar is contracted by each region on its own from 2027",
                "authority": NMZ_OVERLEG,
            },
            NMZ,
        ),
    ),
    c.RecordJointProcurement: (
        RequestExample(
            "zl-pleegzorg-2027",
            "Zuid-Limburg procures foster care jointly, 2+2+2 years",
            {
                "agreement": "zl-pleegzorg-2027",
                "owner": region("zuid-limburg"),
                "participants": [region("zuid-limburg")],
                "segments": ["Pleegzorg"],
                "contract": {
                    "start": "2027-01-01",
                    "term": {"initial_years": "2", "extension_options": ["2", "2"]},
                },
                "valid_from": "2027-01-01",
                "authority": G16ZLB,
            },
            ZUID_LIMBURG,
        ),
    ),
    c.OptOutOfProcurement: (
        RequestExample(
            "zl-opt-out-maastricht",
            "Zuid-Limburg: Maastricht procures crisis care on its own",
            {
                "agreement": "zl-crisis",
                "municipality": "maastricht",
                "scope": "crisishulp jeugd",
                "reason": "eigen contract met het crisisteam tot eind 2027",
                "valid_from": "2027-01-01",
                "authority": G16ZLB,
            },
            ZUID_LIMBURG,
        ),
    ),
    c.ExerciseExtensionOption: (
        RequestExample(
            "zl-ambulant-schaars-option-1",
            "Zuid-Limburg extends its scarce ambulant care contracts (first option, 4 years)",
            {"agreement": "zl-ambulant-schaars", "option_number": 1, "authority": G16ZLB},
            ZUID_LIMBURG,
        ),
    ),
    c.DeclineExtensionOption: (
        RequestExample(
            "zl-ambulant-schaars-decline-1",
            "Zuid-Limburg lets the first extension of its scarce ambulant care contracts pass",
            {"agreement": "zl-ambulant-schaars", "option_number": 1, "authority": G16ZLB},
            ZUID_LIMBURG,
        ),
    ),
    c.GrantExpertiseCentreMandate: (
        RequestExample(
            "nmz-mandaat-expertisecentrum-limburg",
            "NMZ Limburg: Roermond mandates the Expertisecentrum Limburg",
            {
                "agreement": "nmz-mandaat-expertisecentrum-limburg-2027",
                "cooperation": "nmz-limburg",
                "holder_municipality": "roermond",
                "expertise_centre": "expertisecentrum-limburg",
                "adoption_route": ["concept jaarplan", "advies NMZ-overleg", "vaststelling"],
                "annual_plan": True,
                "valid_from": "2027-01-01",
                "authority": NMZ_OVERLEG,
            },
            NMZ,
        ),
    ),
    c.RecordPlanStep: (
        RequestExample(
            "nmz-jaarplan-2027-step-1",
            "NMZ Limburg: the expertise centre's 2027 annual plan passes its first step",
            {
                "agreement": "nmz-expertisecentrum-mandaat-roermond",
                "plan": {"plan_kind": "annual-plan", "year": 2027},
                "step_number": 1,
                "valid_from": "2026-10-01",
                "authority": NMZ_OVERLEG,
            },
            NMZ,
        ),
    ),
    c.AdoptPlan: (
        RequestExample(
            "nmz-jaarplan-2027-adopted",
            "NMZ Limburg: the expertise centre's 2027 annual plan is adopted",
            {
                "agreement": "nmz-expertisecentrum-mandaat-roermond",
                "plan": {"plan_kind": "annual-plan", "year": 2027},
                "valid_from": "2026-12-01",
                "authority": NMZ_OVERLEG,
            },
            NMZ,
            status=422,
            why="Refused until every step of the plan's adoption route is recorded "
            "(`/agreements/mandates/plan-steps`): a plan is adopted at the end of its route.",
            rule="a plan is adopted only after every earlier step of its route is recorded",
        ),
    ),
    c.AssignLead: (
        RequestExample(
            "g7-trekker-wachttijden",
            "G7: Centraal Gelderland leads the work on waiting times",
            {
                "agreement": "g7-trekker-wachttijden",
                "cooperation": "g7-gelderland",
                "item": "Wachttijden specialistische jeugdhulp",
                "lead_region": "centraal-gelderland",
                "valid_from": "2027-01-01",
                "authority": G7_OVERLEG,
            },
            G7,
        ),
    ),
    c.ReassignLead: (
        RequestExample(
            "g7-crisishulp-to-nijmegen",
            "G7: Regio Nijmegen takes over the lead on intersectoral crisis help",
            {
                "agreement": "g7-trekker-intersectorale-crisishulp",
                "lead_region": "regio-nijmegen",
                "valid_from": "2027-01-01",
                "authority": G7_OVERLEG,
            },
            G7,
        ),
    ),
    c.RecordAgreement: (
        RequestExample(
            "nmz-continuiteit-2027",
            "NMZ Limburg: an agreement on continuity of care",
            {
                "agreement": "nmz-continuiteitsafspraak-2027",
                "agreement_kind": "samenwerkingsafspraak",
                "owner": {"kind": "cooperation", "slug": "nmz-limburg"},
                "terms": {"subject": "continuïteit van jeugdhulp bij zorgaanbieders in nood"},
                "valid_from": "2027-01-01",
                "authority": NMZ_OVERLEG,
            },
            NMZ,
        ),
    ),
    c.RecordMilestone: (
        RequestExample(
            "nmz-spuk-evaluation",
            "NMZ Limburg: a milestone of the SPUK decision authority",
            {
                "agreement": "nmz-beslisbevoegdheid-spuk-roermond",
                "milestone": {"date": "2027-06", "what": "Evaluatie beslisbevoegdheid"},
                "authority": NMZ_OVERLEG,
            },
            NMZ,
        ),
    ),
    c.ChangeAgreementStatus: (
        RequestExample(
            "g7-hic-ended",
            "G7: the solidarity funding of the HIC beds ends",
            {
                "agreement": "g7-hic-solidaire-bekostiging",
                "status": "ended",
                "valid_from": "2027-01-01",
                "authority": G7_OVERLEG,
            },
            G7,
        ),
    ),
    # -- modular cooperation (principle C) ------------------------------------------------------------
    c.CommitToModule: (
        RequestExample(
            "g7-module-2-nijmegen",
            "G7: Regio Nijmegen commits to module 2 (Spoed Eisende Zorg)",
            {
                "cooperation": "g7-gelderland",
                "module": 2,
                "region": "regio-nijmegen",
                "content": "Spoed Eisende Zorg van Jeugdbescherming Gelderland",
                "authority": G7_OVERLEG,
            },
            G7,
            status=422,
            why="Refused: the facts already hold Regio Nijmegen's commitment to module 2, and a "
            "region commits to a module once.",
            rule="a fact is recorded once",
        ),
    ),
    c.GiveModuleMandate: (
        RequestExample(
            "g7-module-2-nijmegen-costs",
            "G7: the regional colleges of Regio Nijmegen mandate the costs of module 2",
            {
                "cooperation": "g7-gelderland",
                "module": 2,
                "region": "regio-nijmegen",
                "mandate": "costs",
                "valid_from": "2026-11-03",
                "authority": NIJMEGEN_COLLEGES,
            },
            G7,
        ),
    ),
    c.EndModuleMandate: (
        RequestExample(
            "g7-module-2-nijmegen-content-ends",
            "G7: Regio Nijmegen withdraws its mandate for the content of module 2",
            {
                "cooperation": "g7-gelderland",
                "module": 2,
                "region": "regio-nijmegen",
                "mandate": "content",
                "valid_until": "2026-12-31",
                "authority": NIJMEGEN_COLLEGES,
            },
            G7,
            status=422,
            why="Refused: the sources name no mandate for the imported commitments, so there is "
            "none to withdraw until one is given (`/module-commitments/mandates`).",
            rule="only a mandate without a recorded end can be ended",
        ),
    ),
    c.AgreeCostKey: (
        RequestExample(
            "g7-sez-verdeelsleutel",
            "G7: the cost key of module 2 (Spoed Eisende Zorg)",
            sez_cost_key("2027-01-01", nijmegen="30", achterhoek="20"),
            G7,
        ),
    ),
    c.ReviseCostKey: (
        RequestExample(
            "g7-sez-verdeelsleutel-revised",
            "G7: new shares in the cost key of module 2",
            sez_cost_key("2028-01-01", nijmegen="25", achterhoek="25"),
            G7,
            status=422,
            why="Refused until the key is agreed (`/module-commitments/cost-keys`, the example "
            "there); the imported facts hold no cost key.",
            rule="references must be registered first",
        ),
    ),
    # -- norms and assessments --------------------------------------------------------------------
    c.RegisterNorm: (
        RequestExample(
            "igj-vaste-jeugdbeschermer",
            "A norm of the inspectorate",
            {
                "norm": "igj-2021-vaste-jeugdbeschermer",
                "framework": "igj",
                "code": "IGJ-2021-1",
                "theme": "Jeugdbescherming",
                "title": "Tijdig een vaste jeugdbeschermer",
                "authority": by_external(
                    "Inspectie Gezondheidszorg en Jeugd", "2021-06-01", "Rapport Noord-Holland 2021"
                ),
            },
            ADMIN,
        ),
    ),
    c.RecordAssessment: (
        RequestExample(
            "noord-limburg-regionale-agenda",
            "Noord-Limburg now meets the norm of a regional agenda",
            {
                "norm": "kamerbrief-r1-2",
                "region": "noord-limburg",
                "verdict": "ja",
                "verdict_as_written": "Ja",
                "explanation": "De regionale agenda jeugd 2027 is vastgesteld.",
                "assessed_by": region("noord-limburg"),
                "assessed_on": "2026-06-25",
                "authority": MGR_NOORD,
            },
            NOORD_LIMBURG,
        ),
    ),
    c.AnnotateAssessment: (
        RequestExample(
            "noord-limburg-remark",
            "A reviewer's remark beside Noord-Limburg's verdict",
            {
                "norm": "kamerbrief-r1-2h",
                "region": "noord-limburg",
                "reviewer": "Monique",
                "remark": "Sociale kaart opnemen in de regionale agenda 2027?",
                "authority": MGR_NOORD,
            },
            NOORD_LIMBURG,
        ),
    ),
    # -- plans of approach ----------------------------------------------------------------------------
    c.RecordPlanOfApproach: (
        RequestExample(
            "westfriesland-pva-2027",
            "Westfriesland's follow-up plan",
            {
                "plan_of_approach": "westfriesland-pva-2027",
                "owner": region("westfriesland"),
                "title": "Plan van aanpak Westfriesland 2027: borging doorbraakaanpak",
                "authority": VIERHOEK,
            },
            WESTFRIESLAND,
        ),
    ),
    c.RecordAction: (
        RequestExample(
            "wf-evaluatie-expertteam",
            "Westfriesland: an action answering the recommendation on the expertteam",
            {
                "plan_of_approach": "westfriesland-pva-2021",
                "action": "wf-evaluatie-expertteam",
                "what": "Evaluatie van het expertteam met aanbieders en gebiedsteams",
                "owners": [{"kind": "region", "slug": "westfriesland"}],
                "deadline": {"notation": "2027-Q1", "as_written": "eerste kwartaal 2027"},
                "answers": "wf-aanbeveling-1",
                "valid_from": "2026-10-12",
                "authority": VIERHOEK,
            },
            WESTFRIESLAND,
        ),
    ),
    c.ChangeActionStatus: (
        RequestExample(
            "wf-lean-week-done",
            "Westfriesland: the lean week is done",
            {
                "plan_of_approach": "westfriesland-pva-2021",
                "action": "wf-lean-week",
                "status": "afgerond",
                "status_note": "Proces doorgelicht; vier stappen geschrapt.",
                "valid_from": "2026-10-12",
                "authority": VIERHOEK,
            },
            WESTFRIESLAND,
        ),
    ),
    c.SetPlanMilestone: (
        RequestExample(
            "wf-evaluatie-bestuur",
            "Westfriesland: a milestone of its plan",
            {
                "plan_of_approach": "westfriesland-pva-2021",
                "milestone": "wf-evaluatie-bestuurlijk",
                "what": "Evaluatie van het plan in het bestuurlijk overleg",
                "deadline": {"notation": "2027-03", "as_written": "maart 2027"},
                "parties": [region("westfriesland")],
                "authority": VIERHOEK,
            },
            WESTFRIESLAND,
        ),
    ),
    c.RecordRecommendation: (
        RequestExample(
            "wf-aanbeveling-6",
            "Westfriesland: a further recommendation",
            {
                "plan_of_approach": "westfriesland-pva-2021",
                "recommendation": "wf-aanbeveling-6",
                "number": "6",
                "text": "Deel de doorbraakaanpak met de andere regio's in Noord-Holland",
                "issued_by": "Inspectie/ministerie",
                "authority": VIERHOEK,
            },
            WESTFRIESLAND,
        ),
    ),
    c.ReportResult: (
        RequestExample(
            "wf-expertteam-ingebed",
            "Westfriesland: the result on the expertteam recommendation",
            {
                "plan_of_approach": "westfriesland-pva-2021",
                "recommendation": "wf-aanbeveling-1",
                "result": "Het expertteam is structureel ingebed; iedere aanbieder kent het.",
                "valid_from": "2026-10-12",
                "authority": VIERHOEK,
            },
            WESTFRIESLAND,
        ),
    ),
    # -- municipalities' memberships ---------------------------------------------------------------
    c.StartMembership: (
        RequestExample(
            "arnhem-in-centraal-gelderland",
            "Arnhem is a member of Centraal Gelderland",
            {
                "municipality": "arnhem",
                "region": "centraal-gelderland",
                "valid_from": "2015-01-01",
                "authority": by_college(
                    "arnhem", "2014-10-28", "collegebesluit regionale samenwerking"
                ),
            },
            G7,
        ),
    ),
    c.EndMembership: (
        RequestExample(
            "wijchen-partial-ends",
            "Wijchen's partial membership of Regio Nijmegen ends",
            {
                "municipality": "wijchen",
                "membership_id": "regio-nijmegen:wijchen",
                "valid_until": "2026-12-31",
                "authority": by_college("wijchen", "2026-09-29", "collegebesluit 2026-09"),
            },
            G7,
        ),
    ),
}

TOKEN_EXAMPLES = (
    RequestExample(
        "coordinator-nmz",
        "A coordinator of NMZ Limburg",
        {"name": "alice", "role": "coordinator", "cooperations": ["nmz-limburg"]},
        ADMIN,
        why="The answer holds the token's secret, once.",
    ),
)


@dataclass(frozen=True)
class MapExample:
    """A map as a route answers it: ``request`` (path and query) on the imported facts."""

    request: str
    summary: str
    document: Body

    def openapi(self) -> dict[str, Example]:
        return {
            "imported-facts": Example(
                summary=self.summary,
                description=f"`GET {self.request}` on the facts the service ships with (a row or so "
                "of each section).",
                value=self.document,
            )
        }


_MAP_DOCUMENTS: dict[str, Body] = json.loads(
    (Path(__file__).parent / "map_examples.json").read_text(encoding="utf-8")
)

# Keyed by the route's path.
MAP_EXAMPLES = {
    route: MapExample(request, summary, _MAP_DOCUMENTS[route])
    for route, request, summary in (
        (
            "/regions/{region}/map",
            "/regions/zuid-limburg/map?as_of=2026-01-01",
            "Zuid-Limburg: members, roles, procurements, opt-outs, bodies",
        ),
        (
            "/cooperations/{cooperation}/map",
            "/cooperations/nmz-limburg/map?as_of=2026-01-01",
            "NMZ Limburg: members, account holders, agreements, bodies, adoption routes",
        ),
        (
            "/organisations/{organisation}/map",
            "/organisations/pactum/map?as_of=2026-01-01",
            "Pactum: its account holders in G7 and NMZ Limburg",
        ),
        (
            "/bodies/{decision_body}",
            "/bodies/g16zlb?as_of=2026-01-01",
            "The G16zLB: composition, role, competence",
        ),
    )
}
