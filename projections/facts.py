"""What the columns of a fact row (``projections.schema``'s ``map_facts``) hold where more than one
module fills or reads them: the kinds of fact, a period's six bound columns and the slug column a
subject kind fills. The projection's handlers write them and the queries read them, so they are named
once, here."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from domain.values import PartialDate, SubjectKind, SubjectRef


class FactKind(StrEnum):
    """What a fact row states (its ``fact_kind`` column): written by the projection's handlers, read by
    the queries. The values are stored, so they never change."""

    REGISTERED = "registered"
    MEMBERSHIP = "membership"
    MERGER = "merger"
    PARTICIPATION = "participation"
    INVOLVEMENT = "involvement"
    CHANGE = "change"
    ACCOUNT_HOLDER = "account-holder"
    PROCUREMENT = "procurement"
    PROCUREMENT_PARTICIPANT = "procurement-participant"
    PROCUREMENT_SUPPLIER = "procurement-supplier"
    OPT_OUT = "opt-out"
    EXTENSION_OPTION = "extension-option"
    MANDATE = "mandate"
    LEAD = "lead"
    AGREEMENT = "agreement"
    AGREEMENT_PARTY = "agreement-party"
    AGREEMENT_RECIPIENT = "agreement-recipient"
    PLAN_STEP = "plan-step"
    PLAN_ADOPTED = "plan-adopted"
    CONFLICTING_CLAIMS = "conflicting-claims"  # claims on one disputed topic, beside their subject
    MODULE_COMMITMENT = "module-commitment"  # a region's commitment to a module of a cooperation
    MODULE_MANDATE = "module-mandate"  # its region's mandate for the content or the costs
    COST_SHARE = "cost-share"  # a region's share in a module's cost key
    NORM = "norm"  # a requirement of a framework
    VERDICT = "verdict"  # one region's verdict on a norm, from its assessment date
    REMARK = "remark"  # a reviewer's remark beside a region's assessment of a norm
    PLAN_OF_APPROACH = "plan-of-approach"
    ACTION = "action"  # what a plan's action is; its statuses are rows of their own
    ACTION_STATUS = "action-status"  # an action's status during a period
    PLAN_MILESTONE = "plan-milestone"
    RECOMMENDATION = "recommendation"


PERIOD_COLUMNS = (
    "valid_from_earliest",
    "valid_from_latest",
    "valid_from_precision",
    "valid_until_earliest",
    "valid_until_latest",
    "valid_until_precision",
)


def period_columns(valid_from: PartialDate, valid_until: PartialDate) -> dict[str, Any]:
    return {
        "valid_from_earliest": valid_from.earliest,
        "valid_from_latest": valid_from.latest,
        "valid_from_precision": str(valid_from.precision),
        "valid_until_earliest": valid_until.earliest,
        "valid_until_latest": valid_until.latest,
        "valid_until_precision": str(valid_until.precision),
    }


# The column that holds the slug of a subject of each kind a fact can name besides its own subject.
SLUG_COLUMNS = {
    SubjectKind.REGION: "region",
    SubjectKind.COOPERATION: "cooperation",
    SubjectKind.ORGANISATION: "organisation",
    SubjectKind.MUNICIPALITY: "municipality",
}


def ref_columns(ref: SubjectRef | None) -> dict[str, str]:
    """The slug column a reference fills (an owner, a party, a body's region or cooperation)."""
    if ref is None or ref.kind not in SLUG_COLUMNS:
        return {}
    return {SLUG_COLUMNS[ref.kind]: ref.slug}
