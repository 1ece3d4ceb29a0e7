"""What of a recorded note reaches a reader: the text without the curators' working marks.

The governance facts were transcribed from source documents with line citations ("(L230)",
"(L263, L494)", "noord-limburg-beleidsplan-2022:L3066-L3075") and remarks for the curators ("see
claims_in_conflict") inside their notes. A map or history shows the text without them; the line
citations are kept as what they are, references into the fact's sources (``Provenance.sources``).
Applied when a map or history is read, so facts recorded before this rule read cleanly too.
"""

from __future__ import annotations

import re
from functools import lru_cache

import msgspec

from domain.values import Provenance

_LINE = r"L\d+(?:-L\d+)?"
_SOURCE = r"[a-z0-9][a-z0-9-]*"
_CITATION = rf"(?:{_SOURCE}:)?{_LINE}"
# "(L230)", "(L263, L494)", "(L306, L317-L320)", "(see noord-limburg-beleidsplan-2022:L3066-L3075)"
_PARENTHESISED = re.compile(rf"\s*\((?:see\s+)?{_CITATION}(?:\s*(?:,|and)\s*{_CITATION})*\)")
_BARE = re.compile(rf"\b{_SOURCE}:{_LINE}\b")
_CITED = re.compile(_CITATION)
# "; see claims_in_conflict", "(see claims_in_conflict)", "See claims_in_conflict for the grantor."
# (a remark that is a sentence of its own goes with its full stop; one inside a sentence leaves it)
_CURATION_SENTENCE = re.compile(r"\s*\bSee\s+claims_in_conflict\b[^.]*\.?")
_CURATION = re.compile(r"\s*[;,]?\s*\(?\bsee\s+claims_in_conflict\b(?:\s+for\s+[^.;)]*)?\)?")
_SPACE = re.compile(r"\s{2,}")


@lru_cache(maxsize=4096)
def reader_text(text: str | None) -> str | None:
    """``text`` without line citations and curation remarks (None stays None)."""
    if text is None:
        return None
    cleaned = _CURATION.sub("", _CURATION_SENTENCE.sub("", text))
    cleaned = _PARENTHESISED.sub("", cleaned)
    cleaned = _BARE.sub(lambda cited: cited.group(0).split(":")[0], cleaned)  # the document's name
    cleaned = _SPACE.sub(" ", cleaned).strip()
    cleaned = re.sub(r"\s+([.,;:])", r"\1", cleaned)
    return cleaned or None


def cited_lines(text: str | None, source: str | None) -> tuple[str, ...]:
    """The source references a note cites: ``source:L<n>`` for a bare line number (the fact's own
    source), as written for one naming its source."""
    if not text:
        return ()
    refs = []
    for match in _CITED.finditer(text):
        ref = match.group(0)
        if ":" not in ref:
            if source is None:
                continue
            ref = f"{source}:{ref}"
        refs.append(ref)
    return tuple(refs)


def reader_provenance(provenance: Provenance, *notes: str | None) -> Provenance:
    """``provenance`` with its inference note cleaned, and the lines it and ``notes`` cite added to
    its sources (once each, after the sources it names)."""
    if provenance.inferred_note is None and not any(notes):
        return provenance
    source = provenance.sources[0].split(":")[0] if provenance.sources else None
    cited = [
        ref for note in (provenance.inferred_note, *notes) for ref in cited_lines(note, source)
    ]
    sources = tuple(dict.fromkeys((*provenance.sources, *cited)))
    note = reader_text(provenance.inferred_note)
    if sources == provenance.sources and note == provenance.inferred_note:
        return provenance
    return msgspec.structs.replace(provenance, sources=sources, inferred_note=note)
