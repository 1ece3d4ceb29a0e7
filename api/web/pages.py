"""The pages: sign-in and sign-out, and the overview of regions, cooperations, organisations and
municipalities with a search box (an htmx partial)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Redirect, Template

from api.controllers.reads import summaries
from api.security import TokenCache
from api.web.labels import value_label
from api.web.sessions import (
    SESSION_COOKIE,
    SESSION_SECONDS,
    SIGN_IN_PATH,
    WebSessions,
    session_cookie_secure,
)
from projections.queries import GovernanceMaps
from projections.views import Summary
from services.authorisation import Principal, may_read_everything, may_read_region

FormBody = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Search = Annotated[str, QueryParameter(max_length=200)]

ROLE_NAMES = {
    "admin": "beheerder",
    "coordinator": "coördinator",
    "region-system": "regiosysteem",
    "auditor": "auditor",
}
# The field each overview section's category (Summary.category) is the value of.
CATEGORY_FIELDS = {
    "regions": "region_kind",
    "cooperations": "cooperation_kind",
    "organisations": "organisation_kind",
}
# The overview's sections: the list query and its Dutch heading, in the order shown.
SECTIONS = (
    ("regions", "Regio's", GovernanceMaps.regions),
    ("cooperations", "Samenwerkingsverbanden", GovernanceMaps.cooperations),
    ("organisations", "Organisaties", GovernanceMaps.organisations),
    ("municipalities", "Gemeenten", GovernanceMaps.municipalities),
)


def _matches(summary: Summary, search: str) -> bool:
    needle = search.strip().casefold()
    return (
        not needle or needle in summary.slug.casefold() or needle in (summary.name or "").casefold()
    )


async def _overview(
    maps: GovernanceMaps, principal: Principal, search: str
) -> list[dict[str, Any]]:
    """Every list the principal may read, filtered by the search text; a region system sees only its
    own region (the rule of ``services.authorisation``, as on the JSON routes)."""
    sections = []
    for key, heading, query in SECTIONS:
        if key != "regions" and not may_read_everything(principal):
            continue
        entries = [
            entry
            for entry in await summaries(maps, query, None)
            if _matches(entry, search)
            and (key != "regions" or may_read_region(principal, entry.slug))
        ]
        sections.append(
            {"key": key, "heading": heading, "entries": entries, "kind": CATEGORY_FIELDS.get(key)}
        )
    return sections


def page_context(request: Request[Principal, Any, Any], **values: Any) -> dict[str, Any]:
    principal = request.user
    return {
        "principal": principal,
        "role_name": ROLE_NAMES.get(str(principal.role), ""),
        "word": value_label,  # a coded value's Dutch word (api.web.labels)
        **values,
    }


class WebPages(Controller):
    include_in_schema = False

    @get(SIGN_IN_PATH)
    async def sign_in_form(self) -> Template:
        return Template("sign_in.html", context={"error": None})

    @post(SIGN_IN_PATH, status_code=303)
    async def sign_in(
        self,
        request: Request[Any, Any, Any],
        data: FormBody,
        token_cache: NamedDependency[TokenCache],
        web_sessions: NamedDependency[WebSessions],
    ) -> Redirect | Template:
        token = data.get("token", "").strip()
        principal = await token_cache.principal(token) if token else None
        if principal is None:
            return Template(
                "sign_in.html",
                context={"error": "Dit token is onbekend of ingetrokken."},
                status_code=401,
            )
        session_id = await web_sessions.open(token)
        response = Redirect("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=SESSION_SECONDS,
            path="/",
            httponly=True,
            samesite="strict",
            secure=session_cookie_secure(request),
        )
        return response

    @post("/afmelden", status_code=303)
    async def sign_out(
        self, request: Request[Principal, str, Any], web_sessions: NamedDependency[WebSessions]
    ) -> Redirect:
        await web_sessions.close(request.auth)
        response = Redirect(SIGN_IN_PATH, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @get("/")
    async def overview(
        self,
        request: Request[Principal, Any, Any],
        maps: NamedDependency[GovernanceMaps],
        q: Search = "",
    ) -> Template:
        sections = await _overview(maps, request.user, q)
        return Template("overview.html", context=page_context(request, sections=sections, q=q))

    @get("/zoeken")
    async def search(
        self,
        request: Request[Principal, Any, Any],
        maps: NamedDependency[GovernanceMaps],
        q: Search = "",
    ) -> Template:
        sections = await _overview(maps, request.user, q)
        return Template(
            "_overview_results.html", context=page_context(request, sections=sections, q=q)
        )
