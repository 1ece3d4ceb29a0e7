"""Which norms a region meets, and how each region's verdict on a norm changed: read from the fact
rows of ``projections.handlers.compliance`` with the maps' ``as_of`` and ``known_at``.

- ``as_of`` a day, a region's verdict on a norm is the latest it had assessed on or before that day (of
  two assessed on the same day, the later recorded): a verdict holds until the next one.
- ``known_at`` a moment, only the verdicts recorded by then count; a verdict recorded later, even if it
  was assessed earlier, is not yet known.
- A norm's history lists every verdict known at ``known_at`` per region in the order of its assessment
  date and then of its recording: a revision is added to it, it never rewrites an earlier verdict.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import msgspec
from sqlalchemy import select

from domain.accountability import Deadline, Owner
from domain.compliance import RequiredAction, Standing, Verdict
from domain.errors import UnknownReference
from domain.values import PartialDate, SubjectKind, SubjectRef
from projections.facts import FactKind
from projections.map_rows import MapQuery
from projections.queries import GovernanceMaps
from projections.row_values import details_of, partial_date, utc
from projections.views import Named


class NormSummary(msgspec.Struct, frozen=True, kw_only=True):
    norm: str
    framework: str
    code: str
    title: str
    theme: str


class RegionVerdict(msgspec.Struct, frozen=True, kw_only=True):
    """One region's verdict on one norm, as recorded."""

    region: Named
    verdict: Verdict
    standing: Standing
    verdict_as_written: str
    explanation: str
    assessed_by: SubjectRef
    assessed_on: PartialDate
    action: RequiredAction
    version: int
    recorded_at: datetime


class Remark(msgspec.Struct, frozen=True, kw_only=True):
    region: str
    reviewer: str
    remark: str
    on_version: int | None
    recorded_at: datetime


class NormView(msgspec.Struct, frozen=True, kw_only=True):
    """A norm, its links both ways, each region's verdict ``as_of`` side by side, every region's
    verdict history and the reviewers' remarks."""

    as_of: date
    known_at: datetime | None
    norm: NormSummary
    text: str
    sub_items: tuple[str, ...]
    duplicate_of: tuple[str, ...]
    duplicated_by: tuple[str, ...]
    relates_to: tuple[str, ...]
    related_from: tuple[str, ...]
    verdicts: tuple[RegionVerdict, ...]
    history: tuple[RegionVerdict, ...]
    remarks: tuple[Remark, ...]


class NormGap(msgspec.Struct, frozen=True, kw_only=True):
    """A norm a region does not (fully, or not known to) meet: its verdict, who acts and by when."""

    norm: NormSummary
    verdict: Verdict
    standing: Standing
    verdict_as_written: str
    assessed_on: PartialDate
    action: str
    owner: Owner | None
    target: Deadline
    statutory_deadline: Deadline


class RegionCompliance(msgspec.Struct, frozen=True, kw_only=True):
    as_of: date
    known_at: datetime | None
    region: Named
    assessed: int  # norms with a verdict as of the day
    gaps: tuple[NormGap, ...]


class ComplianceMaps(GovernanceMaps):
    """The compliance queries, on the read model of the governance maps."""

    def norms(self, *, known_at: datetime | None = None) -> list[NormSummary]:
        with self._reading(None, known_at) as q:
            return sorted(self._norms(q).values(), key=lambda n: _code_order(n.code))

    def norm(
        self, norm: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> NormView:
        with self._reading(as_of, known_at) as q:
            norms = self._norms(q)
            if norm not in norms:
                raise UnknownReference(f"norm {norm!r} is not registered — {UnknownReference.rule}")
            details = {r["subject_slug"]: details_of(r) for r in self._norm_rows(q)}
            own = details[norm]
            history = self._verdicts(q, q.facts.c.subject_slug == norm)
            remarks = [
                Remark(
                    region=r["region"],
                    **{k: details_of(r)[k] for k in ("reviewer", "remark", "on_version")},
                    recorded_at=utc(r["recorded_at"]),
                )
                for r in self._known_rows(q, FactKind.REMARK, q.facts.c.subject_slug == norm)
            ]
            return NormView(
                **_header(q),
                norm=norms[norm],
                text=own["text"],
                sub_items=tuple(own["sub_items"]),
                duplicate_of=tuple(own["duplicate_of"]),
                duplicated_by=tuple(s for s, d in details.items() if norm in d["duplicate_of"]),
                relates_to=tuple(own["relates_to"]),
                related_from=tuple(s for s, d in details.items() if norm in d["relates_to"]),
                verdicts=tuple(_as_of(history, q.as_of).values()),
                history=tuple(v for _, v in history),
                remarks=tuple(sorted(remarks, key=lambda r: (r.region, r.recorded_at))),
            )

    def region_compliance(
        self, region: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> RegionCompliance:
        """The norms ``region`` does not meet, or is not known to meet, ``as_of`` the day."""
        with self._reading(as_of, known_at) as q:
            q.registration(SubjectKind.REGION, region)
            norms = self._norms(q)
            current = _as_of(self._verdicts(q, q.facts.c.region == region), q.as_of)
            gaps = [
                NormGap(
                    norm=norms[slug],
                    verdict=v.verdict,
                    standing=v.standing,
                    verdict_as_written=v.verdict_as_written,
                    assessed_on=v.assessed_on,
                    action=v.action.what,
                    owner=v.action.owner,
                    target=v.action.target,
                    statutory_deadline=v.action.statutory_deadline,
                )
                for (slug, _), v in current.items()
                if v.standing is not Standing.VOLDOET and slug in norms
            ]
            return RegionCompliance(
                **_header(q),
                region=q.named(SubjectKind.REGION, region),
                assessed=len(current),
                gaps=tuple(sorted(gaps, key=lambda g: _code_order(g.norm.code))),
            )

    # -- reading -------------------------------------------------------------------------------------
    def _known_rows(self, q: MapQuery, kind: FactKind, *conditions: Any) -> list[Any]:
        facts = q.facts
        statement = select(facts).where(q.known(), facts.c.fact_kind == str(kind), *conditions)
        return list(q.connection.execute(statement).mappings())

    def _norm_rows(self, q: MapQuery) -> list[Any]:
        return self._known_rows(q, FactKind.NORM)

    def _norms(self, q: MapQuery) -> dict[str, NormSummary]:
        return {
            r["subject_slug"]: NormSummary(
                norm=r["subject_slug"],
                **{k: details_of(r)[k] for k in ("framework", "code", "title", "theme")},
            )
            for r in self._norm_rows(q)
        }

    def _verdicts(self, q: MapQuery, *conditions: Any) -> list[tuple[str, RegionVerdict]]:
        """Every verdict known at ``known_at`` (norm, verdict), in the order they were assessed and
        then recorded."""
        rows = sorted(
            self._known_rows(q, FactKind.VERDICT, *conditions),
            key=lambda r: (r["valid_from_earliest"], r["recorded_position"]),
        )
        q.want(*(r["region"] for r in rows))
        q.load_names()
        return [(r["subject_slug"], _verdict(q, r)) for r in rows]


def _verdict(q: MapQuery, row: Any) -> RegionVerdict:
    details = details_of(row)
    verdict = Verdict(row["status"])
    return RegionVerdict(
        region=q.named(SubjectKind.REGION, row["region"]),  # type: ignore[arg-type]
        verdict=verdict,
        standing=verdict.standing,
        verdict_as_written=details["verdict_as_written"],
        explanation=details["explanation"],
        assessed_by=msgspec.convert(details["assessed_by"], SubjectRef),
        assessed_on=partial_date(row["valid_from_earliest"], row["valid_from_precision"]),
        action=msgspec.convert(details["action"], RequiredAction),
        version=details["version"],
        recorded_at=utc(row["recorded_at"]),
    )


def _as_of(
    verdicts: Iterable[tuple[str, RegionVerdict]], day: date
) -> dict[tuple[str, str], RegionVerdict]:
    """Per norm and region the latest verdict assessed by ``day`` (``verdicts`` come in order)."""
    latest: dict[tuple[str, str], RegionVerdict] = {}
    for norm, verdict in verdicts:
        if verdict.assessed_on.earliest <= day:
            latest[(norm, verdict.region.slug)] = verdict
    return latest


def _header(q: MapQuery) -> dict[str, Any]:
    return {"as_of": q.as_of, "known_at": q.known_at}


_CODE_PARTS = re.compile(r"[0-9]+|[^0-9]+")


def _code_order(code: str) -> tuple[tuple[int, int, str], ...]:
    """R1.2g before R1.10: numbers compare as numbers, and before text where one code has a number
    and another text (each part is (kind, number, text), so any two codes compare: a bare int beside
    a str made the whole list a 500). ASCII digits only: str.isdigit takes "²", int() does not."""
    return tuple(
        (0, int(part), "") if part.isascii() and part.isdigit() else (1, 0, part)
        for part in _CODE_PARTS.findall(code)
    )
