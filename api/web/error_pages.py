"""A page that fails answers as a page: the Dutch error page in the site's layout, with the status code
and headers the API's problem details carry (``api.errors``, which still decides, logs and counts
every error). Only for a browser asking for a page (``Accept`` naming ``text/html``) on a page's path;
the API's routes, and every other client, keep their RFC 9457 problem details."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.response import Template

from api.web import WEB_PATHS
from api.web.pages import ROLE_NAMES

Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]

_PAGE_PATHS = re.compile("|".join(path for path in WEB_PATHS if path != "^/static/"))
# Per status: the page's heading and what it means to the reader.
EXPLANATIONS = {
    400: (
        "Deze vraag klopt niet",
        "Een waarde in het adres of in het formulier is niet geldig, bijvoorbeeld een peildatum "
        "die geen datum is.",
    ),
    401: ("Aanmelden nodig", "Meld u opnieuw aan met uw token."),
    403: (
        "Geen toegang",
        "Met uw token heeft u geen toegang tot deze pagina. Een regiosysteem ziet alleen de "
        "eigen regio; een coördinator legt alleen vast binnen de eigen samenwerkingsverbanden.",
    ),
    404: (
        "Niet gevonden",
        "Deze pagina bestaat niet, of wat u zoekt (een regio, samenwerkingsverband of "
        "organisatie) is niet vastgelegd.",
    ),
    405: ("Dit kan hier niet", "Deze pagina kan niet op deze manier worden gebruikt."),
    409: (
        "Intussen gewijzigd",
        "Iemand anders heeft dit intussen gewijzigd. Laad de pagina opnieuw en probeer het nog eens.",
    ),
    413: ("Te groot", "Wat u verstuurde is te groot."),
    422: (
        "Niet vastgelegd",
        "Dit is in strijd met een regel van de samenwerking; er is niets vastgelegd.",
    ),
    429: ("Te veel verzoeken", "Wacht even en probeer het dan opnieuw."),
    503: (
        "Even niet bereikbaar",
        "Een onderdeel van de dienst antwoordde niet op tijd. Probeer het over enkele seconden opnieuw.",
    ),
}
# A form sent without its CSRF token (or with a stale one): a 403 of its own kind.
STALE_FORM = (
    "Formulier verlopen",
    "Het formulier kon niet worden gecontroleerd (het was te lang open, of de pagina is in een ander "
    "venster opnieuw geladen). Laad de pagina opnieuw en verstuur het formulier nog eens.",
)
UNEXPECTED = (
    "Er ging iets mis",
    "Er ging aan onze kant iets mis. De fout is vastgelegd; noem het kenmerk hieronder als u hulp vraagt.",
)


def wants_page(request: Request[Any, Any, Any]) -> bool:
    return bool(_PAGE_PATHS.match(request.url.path)) and "text/html" in request.headers.get(
        "accept", ""
    )


def error_page(request: Request[Any, Any, Any], problem: Response[Any]) -> Template:
    """The problem details ``problem`` as the Dutch error page, same status and headers."""
    details = msgspec.json.decode(problem.content) if isinstance(problem.content, bytes) else {}
    status = problem.status_code
    heading, explanation = EXPLANATIONS.get(status, UNEXPECTED)
    if status == 403 and "CSRF" in str(details.get("detail")):
        heading, explanation = STALE_FORM
    fields = [
        error.get("parameter") or error["pointer"].removeprefix("#/")
        for error in details.get("errors") or ()
        if error.get("parameter") or error.get("pointer")
    ]
    principal = request.scope.get("user")  # None where the failure came before the sign-in check
    headers = {k: v for k, v in problem.headers.items() if k.lower() != "content-type"}
    return Template(
        "error.html",
        context={
            "principal": principal,
            "role_name": ROLE_NAMES.get(str(getattr(principal, "role", "")), ""),
            "status": status,
            "heading": heading,
            "explanation": explanation,
            "fields": fields,
            "request_id": details.get("request_id"),
        },
        status_code=status,
        headers=headers,
    )


def as_page_where_wanted(handler: Handler) -> Handler:
    def answer(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        problem = handler(request, exc)
        return error_page(request, problem) if wants_page(request) else problem

    return answer


def page_aware(handlers: dict[type[Exception] | int, Handler]) -> dict[type[Exception] | int, Any]:
    """The API's exception handlers, each answering a page's request with the error page."""
    return {kind: as_page_where_wanted(handler) for kind, handler in handlers.items()}
