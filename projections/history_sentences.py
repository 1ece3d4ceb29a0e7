"""A history entry as a Dutch sentence for its readers ("Pactum's accounthouder binnen NMZ-overleg gaat
over van Noord-Limburg (Venlo) naar Zuid-Limburg (Maastricht) per 2027-03-04, besloten door …").

Built when a history is read, from what its row stores (the event's name and described attributes,
``projections.history``), with display names instead of slugs: so histories of logs recorded before
this module read as sentences too. One sentence per event type, in ``_SENTENCES``: a template whose
``{attribute}`` fields are filled with what ``_Say`` makes of them, or a function where the sentence
depends on what was recorded; an event type without one gets a plain sentence naming what was recorded
about which subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from domain.values import Authority, PartialDate
from projections.user_text import reader_text

# The kind of subject an attribute names, where its value is a bare slug.
ATTRIBUTE_KINDS = {
    "region": "region",
    "holder_region": "region",
    "previous_holder_region": "region",
    "lead_region": "region",
    "previous_lead_region": "region",
    "municipality": "municipality",
    "executing_municipality": "municipality",
    "previous_executing_municipality": "municipality",
    "holder_municipality": "municipality",
    "successor_municipality": "municipality",
    "cooperation": "cooperation",
    "organisation": "organisation",
    "expertise_centre": "organisation",
    "body": "body",
}
_ATTRIBUTE = re.compile(r", (?=[a-z_]+=)")

Names = Callable[[str, str], str]  # (kind, slug) -> the display name, else the slug


def described_attributes(description: str) -> dict[str, str]:
    """The ``attribute=value`` pairs of a history row's description (``projections.history``)."""
    _, _, attributes = description.partition(": ")
    pairs = (part.partition("=") for part in _ATTRIBUTE.split(attributes) if "=" in part)
    return {name: value for name, _, value in pairs}


def wanted_slugs(attributes: Mapping[str, str]) -> set[str]:
    """The slugs whose display names a sentence of these attributes may need."""
    slugs = {v for k, v in attributes.items() if k in ATTRIBUTE_KINDS}
    slugs |= {v.partition(":")[2] for k, v in attributes.items() if k in ("owner", "subject", "of")}
    return slugs


class _Say:
    """The attributes of one entry as display names."""

    def __init__(self, attributes: Mapping[str, str], names: Names) -> None:
        self.attributes, self.names = attributes, names

    def __call__(self, attribute: str) -> str | None:
        value = self.attributes.get(attribute)
        if not value or value == "None":
            return None
        if attribute in ATTRIBUTE_KINDS:
            return self.names(ATTRIBUTE_KINDS[attribute], value)
        kind, colon, slug = value.partition(":")
        if colon and attribute in ("owner", "subject", "of"):
            return self.names(kind, slug)
        return reader_text(value)

    def __getitem__(self, attribute: str) -> str | None:
        # A template's ``{attribute}`` (``str.format_map``) says the attribute as a call would.
        return self(attribute)

    def holder(self, region: str, municipality: str) -> str:
        held_by = self(region) or "een onbekende regio"
        executing = self(municipality)
        return f"{held_by} ({executing})" if executing else held_by


def _holder_transferred(say: _Say) -> str:
    return (
        f"Het accounthouderschap voor {say('organisation')} binnen {say('cooperation')} gaat over"
        f" van {say.holder('previous_holder_region', 'previous_executing_municipality')}"
        f" naar {say.holder('holder_region', 'executing_municipality')}"
    )


def _holder_assigned(say: _Say) -> str:
    return (
        f"{say.holder('holder_region', 'executing_municipality')} wordt accounthouder voor"
        f" {say('organisation')} binnen {say('cooperation')}"
    )


def _holder_ended(say: _Say) -> str:
    return (
        f"Het accounthouderschap van {say.holder('holder_region', 'executing_municipality')}"
        f" voor {say('organisation')} binnen {say('cooperation')} eindigt"
    )


def _membership_started(say: _Say) -> str:
    scope = say("scope")
    return f"{say('municipality')} wordt lid van {say('region')}" + (
        f" (voor {scope})" if scope else ""
    )


def _region_joined(say: _Say) -> str:
    return (
        f"{say('region')} neemt deel aan {say('cooperation')}"
        f" als {say('participation') or 'deelnemer'}"
    )


def _registered(say: _Say) -> str:
    return f"{say('name') or 'Een onderwerp'} geregistreerd"


def _agreement_recorded(say: _Say) -> str:
    kind = say("agreement_kind") or "afspraak"
    return f"Afspraak {say('agreement')} ({kind}) van {say('owner')} vastgelegd"


def _opted_out(say: _Say) -> str:
    scope = say("scope")
    return f"{say('municipality')} doet niet mee aan inkoop {say('agreement')}" + (
        f" voor {scope}" if scope else ""
    )


def _lead_assigned(say: _Say) -> str:
    item = say("item") or say("agreement")
    return f"{say('lead_region')} wordt trekker van {item} binnen {say('owner')}"


def _lead_reassigned(say: _Say) -> str:
    item = say("item") or say("agreement")
    return (
        f"Het trekkerschap van {item} binnen {say('owner')} gaat over van"
        f" {say('previous_lead_region')} naar {say('lead_region')}"
    )


_MANDATE_WORDS = {"content": "de inhoud", "costs": "de kosten"}


def _module_mandate_given(say: _Say) -> str:
    covers = _MANDATE_WORDS.get(say("mandate") or "", say("mandate"))
    return (
        f"{say('region')} geeft mandaat voor {covers} van module {say('module')}"
        f" van {say('cooperation')}"
    )


def _module_mandate_ended(say: _Say) -> str:
    covers = _MANDATE_WORDS.get(say("mandate") or "", say("mandate"))
    return (
        f"{say('region')} trekt het mandaat in voor {covers} van module {say('module')}"
        f" van {say('cooperation')}"
    )


def _claims_recorded(say: _Say) -> str:
    return f"Tegenstrijdige bronnen vastgelegd over {say('topic') or say('subject')}"


def _fact_corrected(say: _Say) -> str:
    reason = say("reason")
    return "Een eerder vastgelegd feit gecorrigeerd" + (f": {reason}" if reason else "")


# A template (its fields are attributes) or, where the sentence varies with them, a function.
_Sentence = str | Callable[[_Say], str]

_SENTENCES: dict[str, _Sentence] = {
    "AccountHoldership.HolderTransferred": _holder_transferred,
    "AccountHoldership.HolderAssigned": _holder_assigned,
    "AccountHoldership.HolderEnded": _holder_ended,
    "AccountHoldership.Opened": "Accounthouderschap voor {organisation} binnen {cooperation} geopend",
    "Municipality.MembershipStarted": _membership_started,
    "Municipality.MembershipEnded": "{municipality} is niet langer lid van {region}",
    "Municipality.Merged": "{municipality} gaat op in {successor_municipality}",
    "Cooperation.RegionJoined": _region_joined,
    "Cooperation.OrganisationInvolved": "{organisation} is betrokken bij {cooperation}",
    "Agreement.Recorded": _agreement_recorded,
    "JointProcurement.Recorded": "Gezamenlijke inkoop {agreement} van {owner} vastgelegd",
    "JointProcurement.OptedOut": _opted_out,
    "ExpertiseCentreMandate.Granted": (
        "{holder_municipality} krijgt het mandaat voor expertisecentrum {expertise_centre} van {owner}"
    ),
    "Trekkerschap.LeadAssigned": _lead_assigned,
    "Trekkerschap.LeadReassigned": _lead_reassigned,
    "ConflictingClaims.Recorded": _claims_recorded,
    "StructuralChange.Recorded": "Structurele wijziging {change} vastgelegd",
    "ModuleCommitment.Opened": "Deelname van {region} aan module {module} van {cooperation} geopend",
    "ModuleCommitment.Committed": "{region} committeert zich aan module {module} van {cooperation}",
    "ModuleCommitment.MandateGiven": _module_mandate_given,
    "ModuleCommitment.MandateEnded": _module_mandate_ended,
    "CostKey.Agreed": "Verdeelsleutel {cost_key} voor module {module} van {cooperation} afgesproken",
    "CostKey.Revised": "Verdeelsleutel {cost_key} voor module {module} van {cooperation} herzien",
    "ComplianceAssessment.Assessed": "Oordeel van {region} over norm {norm}: {verdict}",
    "ComplianceAssessment.Annotated": "Opmerking van {reviewer} bij het oordeel van {region} over norm {norm}",
    "PlanOfApproach.Recorded": "Plan van aanpak '{title}' van {owner} vastgelegd",
    "PlanOfApproach.ActionRecorded": "Actie {action} ({status}) vastgelegd in {plan_of_approach}",
    "PlanOfApproach.ActionStatusChanged": (
        "De status van actie {action} in {plan_of_approach} wordt {status} (was {previous_status})"
    ),
    "PlanOfApproach.MilestoneSet": "Mijlpaal {milestone} vastgelegd in {plan_of_approach}",
    "PlanOfApproach.RecommendationRecorded": "Aanbeveling {recommendation} vastgelegd in {plan_of_approach}",
    "PlanOfApproach.ResultReported": "Resultaat gemeld op aanbeveling {recommendation}: {result}",
}
# Event types every aggregate has, by the part of their name after the aggregate's.
_SENTENCES_BY_KIND: dict[str, _Sentence] = {
    "Registered": _registered,
    "StatusChanged": "De status van {agreement} wordt {status}",
    "MilestoneRecorded": "Mijlpaal vastgelegd bij {agreement} van {owner}",
    "FactCorrected": _fact_corrected,
}


def _plain(event: str, subject: str) -> str:
    return f"{event.rpartition('.')[2]} vastgelegd voor {subject}"


def history_sentence(
    event: str,
    description: str,
    subject: str,
    names: Names,
    valid_from: PartialDate,
    authority: Authority,
) -> str:
    """The sentence of one history entry: what changed, from when, and who decided it."""
    render = _SENTENCES.get(event) or _SENTENCES_BY_KIND.get(event.rpartition(".")[2])
    attributes = described_attributes(description)
    say = _Say(attributes, names)
    if render is None:
        sentence = _plain(event, subject)
    elif isinstance(render, str):
        sentence = render.format_map(say)
    else:
        sentence = render(say)
    sentence = sentence.replace("None", "?")
    sentence = sentence[:1].upper() + sentence[1:]
    if valid_from.is_known:
        sentence += f" per {valid_from}"
    if decided_by := authority.decided_by:
        sentence += f", besloten door {names('body', decided_by)}"
    return sentence + "."
