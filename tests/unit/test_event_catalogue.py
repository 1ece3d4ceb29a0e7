"""The event catalogue (``domain/events.md``) is generated from the event classes and lists every event
with every field it carries, and every value type those fields use."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from domain import concerns, values
from domain.catalogue import ENVELOPE_FIELDS, EVENT_NOTES, render_catalogue
from domain.events import EVENT_CLASSES

CATALOGUE = Path(__file__).resolve().parents[2] / "domain" / "events.md"
FIELD = re.compile(r"^- `(\w+)`: `([^`]+)`")


def sections(text: str) -> dict[str, list[str]]:
    """The lines under each heading (``#``, ``##`` or ``###``), by heading text."""
    found: dict[str, list[str]] = {}
    current = found.setdefault("", [])
    for line in text.splitlines():
        if line.startswith("#"):
            current = found.setdefault(line.lstrip("#").strip(), [])
        else:
            current.append(line)
    return found


def listed_fields(lines: list[str]) -> dict[str, str]:
    return {m[1]: m[2] for line in lines if (m := FIELD.match(line))}


def test_the_committed_catalogue_is_the_generated_one():
    assert CATALOGUE.read_text() == render_catalogue(), (
        "domain/events.md is stale: .venv/bin/python -m domain.catalogue > domain/events.md"
    )


def test_it_lists_every_event_class_with_every_field():
    parts = sections(CATALOGUE.read_text())
    common = listed_fields(parts["The event catalogue"])
    assert set(common) == {"valid_from", "valid_until", "authority", "principal", "provenance"}
    for cls in EVENT_CLASSES:
        assert cls.__qualname__ in parts, f"{cls.__qualname__} is not in the catalogue"
        own = listed_fields(parts[cls.__qualname__])
        expected = {f.name for f in dataclasses.fields(cls)} - set(ENVELOPE_FIELDS)
        assert set(own) | set(common) == expected, cls.__qualname__
        assert not set(own) & set(common), cls.__qualname__
    events = {h for h in parts if "." in h and not h.startswith("The ")}
    assert events == {cls.__qualname__ for cls in EVENT_CLASSES}


def test_every_value_type_a_field_names_is_described():
    parts = sections(CATALOGUE.read_text())
    named = {
        word
        for lines in parts.values()
        for type_text in listed_fields(lines).values()
        for word in re.findall(r"[A-Z]\w+", type_text)
    }
    # The types the domain defines (not Decimal, UUID or str, which it imports).
    described = {
        name
        for name in named
        for module in (values, concerns)
        if getattr(getattr(module, name, None), "__module__", None) == module.__name__
    }
    assert described, "the events name value types of domain.values"
    missing = {name for name in described if name not in parts}
    assert missing == set()
    assert "One of: `decides`, `advises`, `aligns`, `executes`, `steers`" in parts["BodyRole"]


def test_the_notes_are_about_listed_events():
    assert set(EVENT_NOTES) <= set(EVENT_CLASSES)
