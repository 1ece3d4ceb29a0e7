"""Every invalid field of a request body at once, each with where it is and why, in plain words.

msgspec stops at the first field it cannot take. When it does, the body is checked again field by
field against its type (``problems``): each field of an object on its own, each item of a list on
its own, down to the values that are wrong. A value that fails as a whole though each of its parts
is right (an authority of kind municipality without its organ) is reported where it is.
"""

from __future__ import annotations

import re
import types
import typing
from enum import Enum
from typing import Any

import msgspec

# The words of msgspec's JSON types, as a reader of the API writes them.
_JSON_TYPES = {
    "str": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "null": "null",
    "object": "an object",
    "array": "a list",
}
_GOT_NUMBER = {"int": "a number", "float": "a number"}
_EXPECTED = re.compile(r"^Expected `([^`]+)`, got `(\w+)`")
_TOO_LONG = re.compile(r"^Expected `(str|array)` of length <= (\d+)")
_TOO_SHORT = re.compile(r"^Expected `(str|array)` of length >= (\d+)")
_UNITS = {"str": "characters", "array": "items"}
_PATTERN = re.compile(r"^Expected `str` matching regex")
_MISSING = re.compile(r"^Object missing required field `([^`]+)`")
_UNKNOWN = re.compile(r"^Object contains unknown field `([^`]+)`")
_AT = re.compile(r" - at `\$(.*)`$")

_UNIONS = (typing.Union, types.UnionType)

Problem = tuple[str, str]  # (JSON pointer, what is wrong)


# No field of a body has a longer name: an unknown one is named by its beginning, not echoed whole.
NAME_SHOWN = 100


def pointer(path: tuple[str | int, ...]) -> str:
    """A JSON pointer as a URI fragment (``#/authority/decision_date``), as RFC 9457 writes them;
    a name longer than ``NAME_SHOWN`` ends in an ellipsis after its beginning."""
    return "#" + "".join(f"/{_escaped(str(part))}" for part in path)


def _escaped(name: str) -> str:
    if len(name) > NAME_SHOWN:
        name = name[:NAME_SHOWN] + "…"
    return name.replace("~", "~0").replace("/", "~1")


def problems(annotation: Any, value: Any, path: tuple[str | int, ...] = ()) -> list[Problem]:
    """What is wrong with ``value`` as an ``annotation`` (a body type), field by field; [] if nothing."""
    try:
        msgspec.convert(value, annotation)
    except msgspec.ValidationError as error:
        found = _parts(annotation, value, path)
        return found or [_readable(str(error), annotation, path)]
    return []


def _parts(annotation: Any, value: Any, path: tuple[str | int, ...]) -> list[Problem]:
    """The problems of ``value``'s fields or items, each checked on its own."""
    inner = _without_null(_unannotated(annotation), value)
    if isinstance(inner, type) and issubclass(inner, msgspec.Struct) and isinstance(value, dict):
        fields = {field.encode_name: field for field in msgspec.structs.fields(inner)}
        found: list[Problem] = []
        if inner.__struct_config__.forbid_unknown_fields:
            where = "the command" if not path else str(path[-1])
            found += [
                (pointer((*path, name)), f"unknown field; {where} takes {', '.join(fields)}")
                for name in value
                if name not in fields
            ]
        for name, field in fields.items():
            if name in value:
                found += problems(field.type, value[name], (*path, name))
            elif field.required:
                found.append((pointer((*path, name)), "required, but missing"))
        return found
    if typing.get_origin(inner) is tuple and isinstance(value, list):
        item_type = typing.get_args(inner)[0]
        return [p for i, item in enumerate(value) for p in problems(item_type, item, (*path, i))]
    return []


def _unannotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _without_null(annotation: Any, value: Any) -> Any:
    """An optional type's other type, when a value is given."""
    if typing.get_origin(annotation) in _UNIONS and value is not None:
        others = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(others) == 1:
            return _unannotated(others[0])
    return annotation


def _member(annotation: Any, part: str) -> Any:
    """The type of field or item ``part`` of a value of ``annotation`` (of a union, its object)."""
    inner = _unannotated(annotation)
    if typing.get_origin(inner) in _UNIONS:
        found = [_member(option, part) for option in typing.get_args(inner)]
        return next((member for member in found if member is not None), None)
    if isinstance(inner, type) and issubclass(inner, msgspec.Struct):
        fields = {field.encode_name: field.type for field in msgspec.structs.fields(inner)}
        return fields.get(part)
    if typing.get_origin(inner) is tuple and part.isdigit():
        return typing.get_args(inner)[0]
    return None


def _description(annotation: Any) -> str | None:
    """The description an ``Annotated`` type gives its values (``domain.text``: what a slug is)."""
    for arg in typing.get_args(annotation)[1:] if typing.get_origin(annotation) else ():
        if isinstance(arg, msgspec.Meta) and arg.description:
            return arg.description
    for arg in typing.get_args(_unannotated(annotation)):
        if (described := _description(arg)) is not None:
            return described
    return None


def _choices(annotation: Any) -> list[str]:
    inner = _without_null(_unannotated(annotation), "given")
    if isinstance(inner, type) and issubclass(inner, Enum):
        return [str(member.value) for member in inner]
    if typing.get_origin(inner) is typing.Literal:
        return [str(choice) for choice in typing.get_args(inner)]
    return []


def _readable(message: str, annotation: Any, path: tuple[str | int, ...]) -> Problem:
    """msgspec's complaint about the value at ``path`` in a reader's words, with its pointer."""
    at = _AT.search(message)
    if at:  # deeper than ``path``: a value msgspec checks as a whole (a date in its union)
        message = message[: at.start()]
        deeper = [p for p in re.split(r"[.\[\]]+", at.group(1)) if p]
        path = (*path, *deeper)
        for part in deeper:
            annotation = _member(annotation, part)
    if found := _MISSING.match(message):
        return pointer((*path, found.group(1))), "required, but missing"
    if found := _UNKNOWN.match(message):
        return pointer((*path, found.group(1))), "unknown field"
    return pointer(path), words(message, annotation)


def words(message: str, annotation: Any = None) -> str:
    """A complaint of msgspec (or of Litestar about a parameter) as a reader of the API says it."""
    if found := _EXPECTED.match(message):
        expected, got = found.groups()
        got_words = _GOT_NUMBER.get(got) or _JSON_TYPES.get(got, got)
        expected_words = " or ".join(_JSON_TYPES.get(e, e) for e in expected.split(" | "))
        return f"expected {expected_words}, got {got_words}"
    if found := _TOO_LONG.match(message):
        return f"too long: at most {found.group(2)} {_UNITS[found.group(1)]}"
    if found := _TOO_SHORT.match(message):
        return f"too short: at least {found.group(2)} {_UNITS[found.group(1)]}"
    if _PATTERN.match(message):
        described = _description(annotation)
        return f"expected {described}" if described else "not in the expected form"
    if message.startswith("Invalid enum value") and (choices := _choices(annotation)):
        return f"expected one of {', '.join(choices)} ({message[19:]} is none)"
    for litestar_words, ours in _PARAMETER_WORDS.items():
        if message.startswith(litestar_words):
            return ours
    return message[:1].lower() + message[1:]


NOT_A_MOMENT = "not a time: give a date and time with its zone, e.g. 2027-01-01T09:00:00Z"
NOT_A_DAY = "not a date: give a day as YYYY-MM-DD, e.g. 2027-01-01"
_PARAMETER_WORDS = {
    "Invalid RFC3339 encoded datetime": NOT_A_MOMENT,
    "Invalid RFC3339 encoded date": NOT_A_DAY,
    "Invalid UUID": "not an id: give a UUID",
}
