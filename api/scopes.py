"""A token or a feed credential names only scopes that exist: registered regions and cooperations.

A typo (``zuid-limburgg``) would otherwise issue a credential for nothing, which reads as working and
grants nothing; or, once someone registers that slug, grants something no one meant to grant. The
registry is read from the read models, which the API and the command line both reach.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from projections.queries import GovernanceMaps


class UnknownScope(ValueError):
    """A token or credential names a region or cooperation that is not registered."""


def require_known_scopes(
    maps: GovernanceMaps, *, regions: Iterable[str] = (), cooperations: Iterable[str] = ()
) -> None:
    """Raises UnknownScope naming every unregistered region or cooperation (with a suggestion)."""
    problems = [
        *_unknown("region", regions, {s.slug for s in maps.regions()} if regions else set()),
        *_unknown(
            "cooperation",
            cooperations,
            {s.slug for s in maps.cooperations()} if cooperations else set(),
        ),
    ]
    if problems:
        raise UnknownScope("; ".join(problems))


def _unknown(kind: str, slugs: Iterable[str], known: set[str]) -> list[str]:
    problems = []
    for slug in slugs:
        if slug in known:
            continue
        close = difflib.get_close_matches(slug, sorted(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        problems.append(f"{kind} {slug!r} is not registered{hint}")
    return problems
