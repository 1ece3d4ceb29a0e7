"""The event catalogue, generated from the event classes: every event, its fields and their types, and
the value types they use, so that it cannot drift from the code.

The committed copy is ``domain/events.md`` (a test keeps it equal to what this module renders).
Regenerate it after changing an event: ``.venv/bin/python -m domain.catalogue > domain/events.md``.
What the classes cannot say (why an event exists, what its valid time means) is in ``EVENT_NOTES``.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Iterator
from typing import Any

import msgspec

from domain.agreements import (
    AccountHoldership,
    ExpertiseCentreMandate,
    JointProcurement,
    Trekkerschap,
)
from domain.base import GovernanceAggregate
from domain.events import _AGGREGATE_BY_NAME, EVENT_CLASSES
from domain.modules import CostKey, ModuleCommitment
from domain.plans_of_approach import PlanOfApproach
from domain.registry import ConflictingClaims, Cooperation, Municipality, StructuralChange

# The library's own attributes of every event (``originator_topic`` only on an aggregate's first).
ENVELOPE_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")

# What the fields every decision carries mean.
COMMON_FIELD_NOTES: dict[str, str] = {
    "valid_from": "the first day the fact holds (valid time); its precision says how well it is known",
    "valid_until": "the last day the fact holds, inclusive; unknown while it still holds",
    "authority": "who decided it: a decision body, a municipality's organ, an external authority or, "
    "for imported facts, the source",
    "principal": 'who recorded it ("importer:governance-facts", "coordinator:alice#<token id>")',
    "provenance": 'the source lines it rests on ("<source id>:L<n>[-L<m>]") and whether it is inferred',
}

# What an event means beyond its fields: its valid time, and what is recorded with it.
EVENT_NOTES: dict[type, str] = {
    Municipality.Registered: "A gemeente exists (valid_from: when it was formed, if known).",
    Municipality.MembershipStarted: (
        "The municipality belongs to a region during valid_from..valid_until. scope None is full "
        "membership; otherwise the part it covers (Wijchen: some contract areas only)."
    ),
    Municipality.MembershipEnded: (
        "The membership ended; valid_until is its last day (valid_from repeats its start)."
    ),
    Municipality.Merged: (
        "The municipality merged into the successor on valid_from (its open memberships end the day "
        "before)."
    ),
    Cooperation.RegionJoined: (
        "A region takes part: members decide along; associated or invited participants only join the "
        "talks."
    ),
    StructuralChange.Recorded: (
        "A dated structural change; its date is valid_from. A merger also records Municipality.Merged, "
        "MembershipEnded and MembershipStarted in the same save."
    ),
    ConflictingClaims.Recorded: (
        "The sources disagree; all claims are kept side by side, none is preferred."
    ),
    AccountHoldership.Opened: (
        "One account per cooperation and organisation: its slug is ``<cooperation>:<organisation>``, "
        "or ``unattributed:<agreement>`` when either is unknown."
    ),
    AccountHoldership.HolderAssigned: (
        "``agreement`` names the term (the accounthouderschap agreement's slug)."
    ),
    AccountHoldership.HolderTransferred: (
        "Handover on valid_from; the previous term ends the day before."
    ),
    AccountHoldership.HolderEnded: "The current term ended; valid_until is its last day.",
    JointProcurement.ExtensionOptionExercised: (
        "Valid time: the years the option adds, when the contract start is known to the day."
    ),
    JointProcurement.ExtensionOptionDeclined: (
        "Valid time: the years the option would have added, when the contract start is known to the "
        "day."
    ),
    ExpertiseCentreMandate.Granted: "``owner`` is the cooperation that grants the mandate.",
    Trekkerschap.LeadAssigned: "``owner`` is the cooperation whose agenda item it is.",
    ModuleCommitment.Opened: (
        "A region's place in a module, slug ``<cooperation>:m<module>:<region>``; opened by the first "
        "commitment or mandate recorded on it."
    ),
    ModuleCommitment.MandateGiven: (
        "The region's mandate for the content or the costs of its commitment, holding valid_from.."
        "valid_until; the authority is the regional body or municipality that gave it. The commitment "
        "counts only on days when it and a mandate of each kind hold."
    ),
    ModuleCommitment.MandateEnded: (
        "The region withdrew the mandate that started on valid_from; valid_until is its last day."
    ),
    CostKey.Agreed: "``shares``: each region's percentage of the module's costs, together 100.",
    CostKey.Revised: "The new shares hold from valid_from; the previous ones end the day before.",
    PlanOfApproach.Recorded: "``owner`` is the region or cooperation whose plan of approach it is.",
    PlanOfApproach.ActionRecorded: (
        "valid_from: the day the first status took effect. ``owners`` act; the deadline keeps the "
        "precision the plan gave it (``domain.accountability``)."
    ),
    PlanOfApproach.ActionStatusChanged: (
        "The action has ``status`` from valid_from (never before the status it follows); the "
        "statuses before that day stay as they were."
    ),
    PlanOfApproach.ResultReported: "valid_from: the day the result was reported, if known.",
    GovernanceAggregate.FactCorrected: (
        "The fact stated by event ``corrects_version`` of aggregate ``corrects_id`` no longer counts; "
        "it stays in the history. Correcting version 1 retracts the aggregate."
    ),
}


def common_fields() -> tuple[str, ...]:
    """The fields every event carries besides the library's envelope, in declaration order."""
    shared = set.intersection(*(set(event_fields(cls)) for cls in EVENT_CLASSES))
    return tuple(name for name in event_fields(EVENT_CLASSES[0]) if name in shared)


def event_fields(event_class: type) -> dict[str, Any]:
    """An event's own fields (the library's envelope left out) and their types."""
    hints = typing.get_type_hints(event_class)
    return {
        f.name: hints[f.name]
        for f in dataclasses.fields(event_class)
        if f.name not in ENVELOPE_FIELDS
    }


def type_name(hint: Any) -> str:
    """``hint`` as it reads in the source: ``str | None``, ``tuple[Lot, ...]``, ``PartialDate``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is type(None):
        return "None"
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(repr(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{origin.__name__}[{inner}]"
    return getattr(hint, "__name__", str(hint))


def _named_types(hint: Any) -> Iterator[type]:
    """The value types (structs and enums) a type hint names, however deeply."""
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct | enum.Enum):
        yield hint
        if issubclass(hint, msgspec.Struct):
            for field in msgspec.structs.fields(hint):
                yield from _named_types(field.type)
    for arg in typing.get_args(hint):
        yield from _named_types(arg)


def value_types() -> list[type]:
    """Every struct and enum an event field uses, by name."""
    found = {
        t
        for cls in EVENT_CLASSES
        for hint in event_fields(cls).values()
        for t in _named_types(hint)
    }
    return sorted(found, key=lambda t: t.__name__)


def _summary(cls: type) -> str:
    """The first paragraph of a class's own docstring (not one it inherits), on one line, in Markdown."""
    doc = inspect.cleandoc(vars(cls).get("__doc__") or "")
    return " ".join(doc.split("\n\n")[0].split()).replace("``", "`").replace(":class:", "")


def _fields(names_and_types: dict[str, Any]) -> list[str]:
    return [f"- `{name}`: `{type_name(hint)}`" for name, hint in names_and_types.items()]


def render_catalogue() -> str:
    """The catalogue in Markdown."""
    common = common_fields()
    first = event_fields(EVENT_CLASSES[0])
    lines = [
        "# The event catalogue",
        "",
        "Generated from the event classes by `domain/catalogue.py`; do not edit. Regenerate after",
        "changing an event: `.venv/bin/python -m domain.catalogue > domain/events.md`.",
        "",
        "Every event has the library's `originator_id` (the aggregate's UUID), `originator_version`",
        "and `timestamp` (record time); the first event of an aggregate also has `originator_topic`.",
        "Besides its own fields below, every event carries:",
        "",
        *(
            f"- `{name}`: `{type_name(first[name])}` — {COMMON_FIELD_NOTES.get(name, '')}".rstrip(
                " —"
            )
            for name in common
        ),
        "",
        "Events are nested in their aggregate class (topic `<module>:<Aggregate>.<Event>`).",
    ]
    aggregate = None
    for cls in EVENT_CLASSES:
        owner_name = cls.__qualname__.split(".")[0]
        owner = _AGGREGATE_BY_NAME.get(owner_name, GovernanceAggregate)
        if owner is not aggregate:
            aggregate = owner
            kind = getattr(owner, "kind", None)
            heading = f"## {owner_name}" + (f" (kind `{kind}`)" if kind else " (every aggregate)")
            lines += ["", heading, "", _summary(owner)]
        lines += ["", f"### {cls.__qualname__}", ""]
        if cls in EVENT_NOTES:
            lines += [EVENT_NOTES[cls].replace("``", "`"), ""]
        own = {k: v for k, v in event_fields(cls).items() if k not in common}
        lines += _fields(own) if own else ["(no fields of its own)"]
    lines += ["", "## Value types", ""]
    lines += ["The structs and enumerations the events' fields use (`domain/values.py`)."]
    for value_type in value_types():
        lines += ["", f"### {value_type.__name__}", ""]
        if summary := _summary(value_type):
            lines += [summary, ""]
        if issubclass(value_type, enum.Enum):
            lines.append("One of: " + ", ".join(f"`{member.value}`" for member in value_type))
        else:
            lines += _fields(
                {f.name: f.type for f in msgspec.structs.fields(value_type)}  # type: ignore[arg-type]
            )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_catalogue(), end="")
