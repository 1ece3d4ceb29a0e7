"""A history entry as a Dutch sentence for its readers ("Pactum's accounthouder binnen NMZ-overleg gaat
over van Noord-Limburg (Venlo) naar Zuid-Limburg (Maastricht) per 2027-03-04, besloten door …").

Built when a history is read, from what its row stores (the event's name and described attributes,
``projections.history``), with display names instead of slugs: so histories of logs recorded before
this module read as sentences too. One function per event type, in ``_SENTENCES``; an event type
without one gets a plain sentence naming what was recorded about which subject.
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


def _opened(say: _Say) -> str:
    return f"Accounthouderschap voor {say('organisation')} binnen {say('cooperation')} geopend"


def _membership_started(say: _Say) -> str:
    scope = say("scope")
    return f"{say('municipality')} wordt lid van {say('region')}" + (
        f" (voor {scope})" if scope else ""
    )


def _membership_ended(say: _Say) -> str:
    return f"{say('municipality')} is niet langer lid van {say('region')}"


def _merged(say: _Say) -> str:
    return f"{say('municipality')} gaat op in {say('successor_municipality')}"


def _region_joined(say: _Say) -> str:
    return (
        f"{say('region')} neemt deel aan {say('cooperation')}"
        f" als {say('participation') or 'deelnemer'}"
    )


def _organisation_involved(say: _Say) -> str:
    return f"{say('organisation')} is betrokken bij {say('cooperation')}"


def _assessed(say: _Say) -> str:
    return f"Oordeel van {say('region')} over norm {say('norm')}: {say('verdict')}"


def _annotated(say: _Say) -> str:
    return f"Opmerking van {say('reviewer')} bij het oordeel van {say('region')} over norm {say('norm')}"


def _registered(say: _Say) -> str:
    return f"{say('name') or 'Een onderwerp'} geregistreerd"


def _agreement_recorded(say: _Say) -> str:
    kind = say("agreement_kind") or "afspraak"
    return f"Afspraak {say('agreement')} ({kind}) van {say('owner')} vastgelegd"


def _procurement_recorded(say: _Say) -> str:
    return f"Gezamenlijke inkoop {say('agreement')} van {say('owner')} vastgelegd"


def _opted_out(say: _Say) -> str:
    scope = say("scope")
    return f"{say('municipality')} doet niet mee aan inkoop {say('agreement')}" + (
        f" voor {scope}" if scope else ""
    )


def _status_changed(say: _Say) -> str:
    return f"De status van {say('agreement')} wordt {say('status')}"


def _milestone(say: _Say) -> str:
    return f"Mijlpaal vastgelegd bij {say('agreement')} van {say('owner')}"


def _mandate_granted(say: _Say) -> str:
    return (
        f"{say('holder_municipality')} krijgt het mandaat voor expertisecentrum"
        f" {say('expertise_centre')} van {say('owner')}"
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


def _module_place_opened(say: _Say) -> str:
    return (
        f"Deelname van {say('region')} aan module {say('module')} van {say('cooperation')} geopend"
    )


def _committed_to_module(say: _Say) -> str:
    return f"{say('region')} committeert zich aan module {say('module')} van {say('cooperation')}"


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


def _cost_key_agreed(say: _Say) -> str:
    return f"Verdeelsleutel {say('cost_key')} voor module {say('module')} van {say('cooperation')} afgesproken"


def _cost_key_revised(say: _Say) -> str:
    return f"Verdeelsleutel {say('cost_key')} voor module {say('module')} van {say('cooperation')} herzien"


def _claims_recorded(say: _Say) -> str:
    return f"Tegenstrijdige bronnen vastgelegd over {say('topic') or say('subject')}"


def _fact_corrected(say: _Say) -> str:
    reason = say("reason")
    return "Een eerder vastgelegd feit gecorrigeerd" + (f": {reason}" if reason else "")


def _structural_change(say: _Say) -> str:
    return f"Structurele wijziging {say('change')} vastgelegd"


def _plan_recorded(say: _Say) -> str:
    return f"Plan van aanpak '{say('title')}' van {say('owner')} vastgelegd"


def _action_recorded(say: _Say) -> str:
    return f"Actie {say('action')} ({say('status')}) vastgelegd in {say('plan_of_approach')}"


def _action_status_changed(say: _Say) -> str:
    return (
        f"De status van actie {say('action')} in {say('plan_of_approach')} wordt"
        f" {say('status')} (was {say('previous_status')})"
    )


def _plan_milestone(say: _Say) -> str:
    return f"Mijlpaal {say('milestone')} vastgelegd in {say('plan_of_approach')}"


def _recommendation_recorded(say: _Say) -> str:
    return f"Aanbeveling {say('recommendation')} vastgelegd in {say('plan_of_approach')}"


def _result_reported(say: _Say) -> str:
    return f"Resultaat gemeld op aanbeveling {say('recommendation')}: {say('result')}"


_SENTENCES: dict[str, Callable[[_Say], str]] = {
    "AccountHoldership.HolderTransferred": _holder_transferred,
    "AccountHoldership.HolderAssigned": _holder_assigned,
    "AccountHoldership.HolderEnded": _holder_ended,
    "AccountHoldership.Opened": _opened,
    "Municipality.MembershipStarted": _membership_started,
    "Municipality.MembershipEnded": _membership_ended,
    "Municipality.Merged": _merged,
    "Cooperation.RegionJoined": _region_joined,
    "Cooperation.OrganisationInvolved": _organisation_involved,
    "Agreement.Recorded": _agreement_recorded,
    "JointProcurement.Recorded": _procurement_recorded,
    "JointProcurement.OptedOut": _opted_out,
    "ExpertiseCentreMandate.Granted": _mandate_granted,
    "Trekkerschap.LeadAssigned": _lead_assigned,
    "Trekkerschap.LeadReassigned": _lead_reassigned,
    "ConflictingClaims.Recorded": _claims_recorded,
    "StructuralChange.Recorded": _structural_change,
    "ModuleCommitment.Opened": _module_place_opened,
    "ModuleCommitment.Committed": _committed_to_module,
    "ModuleCommitment.MandateGiven": _module_mandate_given,
    "ModuleCommitment.MandateEnded": _module_mandate_ended,
    "CostKey.Agreed": _cost_key_agreed,
    "CostKey.Revised": _cost_key_revised,
    "ComplianceAssessment.Assessed": _assessed,
    "ComplianceAssessment.Annotated": _annotated,
    "PlanOfApproach.Recorded": _plan_recorded,
    "PlanOfApproach.ActionRecorded": _action_recorded,
    "PlanOfApproach.ActionStatusChanged": _action_status_changed,
    "PlanOfApproach.MilestoneSet": _plan_milestone,
    "PlanOfApproach.RecommendationRecorded": _recommendation_recorded,
    "PlanOfApproach.ResultReported": _result_reported,
}
# Event types every aggregate has, by the part of their name after the aggregate's.
_SENTENCES_BY_KIND: dict[str, Callable[[_Say], str]] = {
    "Registered": _registered,
    "StatusChanged": _status_changed,
    "MilestoneRecorded": _milestone,
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
    sentence = render(_Say(attributes, names)) if render else _plain(event, subject)
    sentence = sentence.replace("None", "?")
    sentence = sentence[:1].upper() + sentence[1:]
    if valid_from.is_known:
        sentence += f" per {valid_from}"
    if decided_by := authority.decided_by:
        sentence += f", besloten door {names('body', decided_by)}"
    return sentence + "."
