"""RESULTS.md: one section per benchmark, each replaced by its own benchmark's newest run."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(section: str, body: str) -> None:
    """Replaces ``section`` (its ``## `` heading line) of RESULTS.md with ``body``, leaving the others."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(section)
    if start >= 0:
        following = text.find("\n## ", start + len(section))
        end = len(text) if following < 0 else following + 1
        text = text[:start] + text[end:]
    RESULTS.write_text(text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n")
