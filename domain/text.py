"""The rules for text: what a slug is, how long each kind of text may be, what a display name may hold.

One home for them: the API's schemas take their patterns and bounds from here (so the OpenAPI document
shows them and a request breaking them gets a 400 naming the field), and the application applies the
same functions to what it registers, whoever sends it.

- A **slug** names a registered thing in URLs, tokens and events: lowercase ASCII letters, digits and
  hyphens, starting with a letter or digit, 1 to 64 characters (``zuid-limburg``, ``g7-gelderland``).
- A **display name** is shown to people: NFC-normalised, without control characters, and written in
  one script. A name that mixes scripts (``g7-gеlderland`` with a Cyrillic ``е``) reads like another
  name and is refused.
- Every other text has a maximum length by its kind: a name or short label, a document reference, a
  note.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import msgspec

from domain.errors import InvalidValue

SLUG_MAX_LENGTH = 64
_SLUG_BODY = rf"[a-z0-9][a-z0-9-]{{0,{SLUG_MAX_LENGTH - 1}}}"
# "$(?!\n)": Python's "$" also matches before a final newline, and "zuid-limburg\n" is no slug.
SLUG_PATTERN = rf"^{_SLUG_BODY}$(?!\n)"
# A membership is named "<region>:<municipality>" (see services.commands.StartMembership).
MEMBERSHIP_ID_PATTERN = rf"^{_SLUG_BODY}:{_SLUG_BODY}$(?!\n)"

NAME_MAX_LENGTH = 200  # display names, labels, short values (a topic, a scope, a cadence)
DOCUMENT_MAX_LENGTH = 500  # a document reference or title, a file name
NOTE_MAX_LENGTH = 2000  # notes, reasons, descriptions, bases: free text
LIST_MAX_ITEMS = 200  # any list in a command (member municipalities, sources, principles, ...)

_SLUG = re.compile(SLUG_PATTERN)

Slug = Annotated[
    str,
    msgspec.Meta(
        pattern=SLUG_PATTERN,
        max_length=SLUG_MAX_LENGTH,
        description="a slug: lowercase ASCII letters, digits and hyphens, at most 64",
        examples=["zuid-limburg"],
    ),
]
MembershipId = Annotated[
    str,
    msgspec.Meta(
        pattern=MEMBERSHIP_ID_PATTERN,
        max_length=2 * SLUG_MAX_LENGTH + 1,
        description="a membership: <region slug>:<municipality slug>",
    ),
]
# A set of conflicting claims is named "<subject>--<topic>", longer than other slugs.
CLAIMS_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,199}$(?!\n)"
ClaimsId = Annotated[
    str,
    msgspec.Meta(pattern=CLAIMS_ID_PATTERN, max_length=200, description="<subject>--<topic>"),
]
SourceRef = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z0-9][a-z0-9-]*:L\d+(-L\d+)?$(?!\n)",
        max_length=NAME_MAX_LENGTH,
        description="a source reference: <source id>:L<n>[-L<m>]",
    ),
]
Name = Annotated[
    str, msgspec.Meta(min_length=1, max_length=NAME_MAX_LENGTH, description="at most 200")
]
Document = Annotated[
    str, msgspec.Meta(min_length=1, max_length=DOCUMENT_MAX_LENGTH, description="at most 500")
]
Note = Annotated[str, msgspec.Meta(max_length=NOTE_MAX_LENGTH, description="at most 2,000")]

# Which kind of text each field of a command (or of a value it holds) is, by the field's name.
SLUG_FIELDS = frozenset(
    {
        "action",
        "agreement",
        "answers",
        "body",
        "change",
        "commissioned_by_body",
        "contact_municipality",
        "cooperation",
        "cost_key",
        "duplicate_of",
        "executing_municipality",
        "expertise_centre",
        "from_municipalities",
        "goal",
        "holder_municipality",
        "holder_region",
        "host_municipality",
        "into_municipality",
        "lead_region",
        "member_municipalities",
        "member_organisations",
        "municipalities",
        "municipality",
        "norm",
        "organisation",
        "part_of",
        "plan_of_approach",
        "process_owner_body",
        "recommendation",
        "region",
        "related_cooperations",
        "relates_to",
        "slug",
        "source",
        "suppliers",
    }
)
_NAME_FIELDS = frozenset(
    {
        "aliases",
        "applies_to",
        "body_steps",
        "cadence",
        "contract_form",
        "final_step",
        "from_names",
        "funding",
        "holder_body",
        "item",
        "name",
        "organisation_kind",
        "other_parties",
        "province",
        "provider",
        "recipients",
        "segments",
        "source_spelling",
        "themes",
        "topic",
    }
)
_DOCUMENT_FIELDS = frozenset({"document", "external", "file", "title"})
_TEXT_BY_FIELD: dict[str, Any] = {
    **dict.fromkeys(SLUG_FIELDS, Slug),
    **dict.fromkeys(_NAME_FIELDS, Name),
    **dict.fromkeys(_DOCUMENT_FIELDS, Document),
    "claims": ClaimsId,
    "membership_id": MembershipId,
    "sources": SourceRef,
}


def text_type(field: str) -> Any:
    """The bounded text type of a field named ``field``: a slug, a name, a document, or a note
    (free text: notes, reasons, descriptions, bases, and any field not named here)."""
    return _TEXT_BY_FIELD.get(field, Note)


def is_slug(text: str) -> bool:
    return _SLUG.match(text) is not None


def require_slug(text: str, what: str) -> str:
    """``text`` if it is a slug, else InvalidValue naming ``what`` and the rule."""
    if not is_slug(text):
        raise InvalidValue(
            f"{what} {text!r} is not a slug: lowercase ASCII letters, digits and hyphens, "
            f"starting with a letter or digit, at most {SLUG_MAX_LENGTH} characters"
        )
    return text


def scripts(text: str) -> set[str]:
    """The scripts of the letters in ``text`` (``LATIN``, ``CYRILLIC``, ``GREEK``, ...)."""
    return {
        unicodedata.name(ch, "UNKNOWN").split(" ")[0]
        for ch in text
        if unicodedata.category(ch).startswith("L")
    }


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only spaces (a no-break or an ideographic one too), controls and
    invisible format characters (a zero-width space), which ``str.strip`` alone would not see through."""
    return all(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def display_name(text: str, what: str) -> str:
    """``text`` NFC-normalised and stripped; InvalidValue if it is empty, too long, holds control
    characters or mixes scripts."""
    name = unicodedata.normalize("NFC", text).strip()
    if not name:
        raise InvalidValue(f"{what} must not be empty")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidValue(f"{what} is longer than {NAME_MAX_LENGTH} characters")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise InvalidValue(f"{what} {name!r} holds control characters")
    found = scripts(name)
    if len(found) > 1:
        raise InvalidValue(
            f"{what} {name!r} mixes scripts ({', '.join(sorted(found))}); a name is written in one"
        )
    return name
