"""The map pages of a region, cooperation and organisation: the map on a day (peildatum, ``as_of``)
as it was known at a moment (bekend op, ``known_at``), chosen with a date slider, a date field and a
list of the moments the subject's history was recorded; updated in place with htmx. Below it the
subject's history as a timeline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from litestar.response import Template

from api.controllers.reads import history, view
from api.guards import reads_everything, require_region
from api.maps import utc
from api.schemas import SlugPath
from api.web.map_tables import differences, particulars, sections, text
from api.web.pages import page_context
from api.web.pictures import timeline as timeline_picture
from domain.values import SubjectKind
from projections.queries import GovernanceMaps
from services.authorisation import Principal

# The slider runs over days from the Jeugdwet's start (2015) to some years ahead; the date field
# beside it takes any day.
SLIDER_START = date(2015, 1, 1)
SLIDER_YEARS_AHEAD = 5
# The days a map page can show: its slider runs SLIDER_YEARS_AHEAD past the peildatum and its
# difference form starts a year before it, each within Python's years 1 to 9999.
FIRST_PEILDATUM = date(2, 1, 1)
LAST_PEILDATUM = date(9999 - SLIDER_YEARS_AHEAD, 12, 31)

Peildatum = Annotated[date | None, QueryParameter(description="peildatum (as_of)")]
Dag = Annotated[int | None, QueryParameter(ge=0, le=40_000, description="days since the start")]
# Text, not a datetime: the form sends an empty value for "now".
BekendOp = Annotated[str | None, QueryParameter(max_length=40, description="bekend op (known_at)")]


def _known_at(bekend_op: str | None) -> datetime | None:
    """The chosen moment of 'bekend op'; None (now) when the form left it empty."""
    if not bekend_op:
        return None
    try:
        moment = datetime.fromisoformat(bekend_op)
    except ValueError:
        raise ValidationException(
            f"bekend_op is no moment: {bekend_op!r}",
            extra=[{"message": "not an ISO 8601 moment", "key": "bekend_op", "source": "query"}],
        ) from None
    utc(moment, "bekend_op")  # a 400 for a moment outside the years in UTC
    return moment


class Subject:
    """One kind of map page: its path word, Dutch name, subject kind and map query."""

    def __init__(self, word: str, name: str, kind: SubjectKind, query: Callable[..., Any]) -> None:
        self.word, self.name, self.kind, self.query = word, name, kind, query


REGION = Subject("regio", "Regio", SubjectKind.REGION, GovernanceMaps.region_map)
COOPERATION = Subject(
    "samenwerkingsverband",
    "Samenwerkingsverband",
    SubjectKind.COOPERATION,
    GovernanceMaps.cooperation_map,
)
ORGANISATION = Subject(
    "organisatie", "Organisatie", SubjectKind.ORGANISATION, GovernanceMaps.organisation_view
)
SUBJECT_PAGES = {s.kind: s.word for s in (REGION, COOPERATION, ORGANISATION)}


def _as_of(request: Request[Any, Any, Any], peildatum: date | None, dag: int | None) -> date:
    """The day chosen: by the slider when it moved (htmx names the control that changed), else by
    the date field; today without either."""
    if dag is not None and request.headers.get("hx-trigger") == "dag":
        return SLIDER_START + timedelta(days=dag)
    if peildatum is not None and not FIRST_PEILDATUM <= peildatum <= LAST_PEILDATUM:
        raise ValidationException(
            f"peildatum {peildatum.isoformat()} lies outside the days this page can show",
            extra=[
                {
                    "message": f"a day from {FIRST_PEILDATUM} to {LAST_PEILDATUM}",
                    "key": "peildatum",
                    "source": "query",
                }
            ],
        )
    return peildatum or datetime.now(UTC).date()


async def _map_page(
    request: Request[Principal, Any, Any],
    maps: GovernanceMaps,
    subject: Subject,
    slug: str,
    peildatum: date | None,
    dag: int | None,
    bekend_op: str | None,
) -> Template:
    as_of = _as_of(request, peildatum, dag)
    known_at = _known_at(bekend_op)
    shown = await view(maps, subject.query, slug, as_of, known_at)
    timeline = await history(maps, subject.kind, slug, None)
    context = page_context(
        request,
        subject=subject,
        slug=slug,
        view=shown,
        name=text(getattr(shown, subject.kind.value, None)) or slug,
        particulars=particulars(shown),
        sections=sections(shown),
        as_of=as_of,
        day=(as_of - SLIDER_START).days,
        last_day=(date(as_of.year + SLIDER_YEARS_AHEAD, 12, 31) - SLIDER_START).days,
        known_at=known_at,
        timeline=sorted(timeline, key=lambda entry: entry.position, reverse=True),
        picture=timeline_picture(
            sorted(timeline, key=lambda entry: entry.position), datetime.now(UTC).date()
        ),
        trigger=request.headers.get("hx-trigger"),
        recorded=request.query_params.get("vastgelegd") == "overdracht",
        subject_pages=SUBJECT_PAGES,
        text=text,
    )
    if request.headers.get("hx-request"):
        return Template("_map_update.html", context=context)
    return Template("map.html", context=context)


SUBJECTS_BY_WORD = {s.word: s for s in (REGION, COOPERATION, ORGANISATION)}


def _subject_of(request: Request[Principal, Any, Any]) -> Subject:
    """The subject of a map page, by the word of its path: /kaart/<word>/<slug>[/verschil]."""
    return SUBJECTS_BY_WORD[request.url.path.split("/")[2]]


async def _may_read(request: Request[Principal, Any, Any], subject: Subject, slug: str) -> None:
    """The read rule of the subject's map page (``api.guards``, as on the JSON map routes)."""
    if subject is REGION:
        require_region(request, slug)
    else:
        await reads_everything(request, None)  # type: ignore[arg-type]


class MapPages(Controller):
    path = "/kaart"
    include_in_schema = False

    @get([f"/{word}/{{slug:str}}" for word in SUBJECTS_BY_WORD])
    async def map_page(
        self,
        request: Request[Principal, Any, Any],
        maps: NamedDependency[GovernanceMaps],
        slug: SlugPath,
        peildatum: Peildatum = None,
        dag: Dag = None,
        bekend_op: BekendOp = None,
    ) -> Template:
        subject = _subject_of(request)
        await _may_read(request, subject, slug)
        return await _map_page(request, maps, subject, slug, peildatum, dag, bekend_op)

    @get([f"/{word}/{{slug:str}}/verschil" for word in SUBJECTS_BY_WORD])
    async def difference(
        self,
        request: Request[Principal, Any, Any],
        maps: NamedDependency[GovernanceMaps],
        slug: SlugPath,
        van: Annotated[date, QueryParameter(description="de eerste peildatum")],
        tot: Annotated[date, QueryParameter(description="de tweede peildatum")],
        bekend_op: BekendOp = None,
    ) -> Template:
        """What changed between two peildata, as known now (or at ``bekend_op``)."""
        subject = _subject_of(request)
        await _may_read(request, subject, slug)
        known_at = _known_at(bekend_op)
        before = await view(maps, subject.query, slug, van, known_at)
        after = await view(maps, subject.query, slug, tot, known_at)
        context = page_context(
            request,
            subject=subject,
            slug=slug,
            name=text(getattr(after, subject.kind.value, None)) or slug,
            first=van,
            second=tot,
            changes=differences(before, after),
            text=text,
        )
        template = "_difference.html" if request.headers.get("hx-request") else "difference.html"
        return Template(template, context=context)
