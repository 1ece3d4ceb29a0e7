"""One value per single-valued query parameter, on every route.

A query string may repeat a key (``?region=zuid-limburg&region=noord-limburg``). Were it allowed for
a parameter the route declares single-valued, the scope check and the handler could read different
values (one the first, the other the last), and a region system would read another region's events.
So a repeated single-valued parameter is refused before anything reads it: 400, naming the
parameter. Only parameters declared as lists (``/events?type=…&type=…``) take several values.

A day or a moment in a query (``as_of``, ``known_at``, ``since``) is read by Litestar leniently: a
number would be taken for seconds since 1970 (``since=-1597607`` read as a moment in 1969). So a
parameter the route declares as a date or datetime must start with a day in its ISO notation
(``2027-01-01``), in ASCII digits; anything else is refused (400, naming the parameter).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, get_args

from litestar.connection import ASGIConnection
from litestar.exceptions import ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.params import QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from api.field_problems import NOT_A_DAY, NOT_A_MOMENT

# Keyed by the function the handler wraps: a controller's handler calls a bound method, whose
# controller holds its app, and a cache keyed by that would keep every app ever built alive (the
# tests build hundreds in one process). What is cached depends on the function's signature alone.
_single_valued_by_handler: dict[Callable[..., Any], frozenset[str]] = {}
_dated_by_handler: dict[Callable[..., Any], dict[str, str]] = {}


def _function_of(handler: BaseRouteHandler) -> Callable[..., Any]:
    # A synchronous handler's function comes wrapped (to run on a thread), a controller's bound.
    function = getattr(handler.fn, "func", handler.fn)
    return getattr(function, "__func__", function)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")


def single_valued(handler: BaseRouteHandler) -> frozenset[str]:
    """The query parameters ``handler`` declares with one value, by their names in the URL."""
    known = _single_valued_by_handler.get(_function_of(handler))
    if known is None:
        known = frozenset(
            definition.kwarg_definition.query or definition.kwarg_definition.name or name
            for name, definition in handler.parsed_fn_signature.parameters.items()
            if isinstance(definition.kwarg_definition, QueryParameter)
            and not definition.is_non_string_sequence
        )
        _single_valued_by_handler[_function_of(handler)] = known
    return known


def dated(handler: BaseRouteHandler) -> dict[str, str]:
    """The query parameters ``handler`` declares as a day or a moment, by their names in the URL, each
    with what to say of a value in another notation."""
    known = _dated_by_handler.get(_function_of(handler))
    if known is None:
        known = {}
        for name, definition in handler.parsed_fn_signature.parameters.items():
            if not isinstance(definition.kwarg_definition, QueryParameter):
                continue
            kinds = (definition.annotation, *get_args(definition.annotation))
            days = [kind for kind in kinds if isinstance(kind, type) and issubclass(kind, date)]
            if days:
                key = definition.kwarg_definition.query or definition.kwarg_definition.name or name
                known[key] = NOT_A_MOMENT if issubclass(days[0], datetime) else NOT_A_DAY
        _dated_by_handler[_function_of(handler)] = known
    return known


def repeated_single_values(handler: BaseRouteHandler, scope: Scope) -> list[str]:
    """The single-valued parameters of ``handler`` that the request's query gives more than once, as
    Litestar's own parser (the one the handler's parameters come from) reads the query string."""
    if not scope.get("query_string"):
        return []
    query = ASGIConnection[Any, Any, Any, Any](scope).query_params
    return sorted(key for key in single_valued(handler) if len(query.getall(key, [])) > 1)


def undated_values(handler: BaseRouteHandler, scope: Scope) -> list[str]:
    """The day or moment parameters of ``handler`` whose value does not start with an ISO day."""
    names = dated(handler)
    if not names or not scope.get("query_string"):
        return []
    query = ASGIConnection[Any, Any, Any, Any](scope).query_params
    return sorted(
        key
        for key in names
        if any(_ISO_DAY.match(value) is None for value in query.getall(key, []))
    )


class SingleValuedQueryMiddleware:
    """Refuses a request that repeats a single-valued query parameter of its route, or gives a day or
    moment in another notation than ISO's (400)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        # Most requests have no query at all: nothing to look up for them.
        if scope["type"] == "http" and handler is not None and scope.get("query_string"):
            repeated = repeated_single_values(handler, scope)
            if repeated:
                names = ", ".join(repeated)
                raise ValidationException(
                    f"query parameter {names} given more than once: it takes one value",
                    extra=[
                        {"message": "give this parameter once", "key": key, "source": "query"}
                        for key in repeated
                    ],
                )
            undated = undated_values(handler, scope)
            if undated:
                words = dated(handler)
                raise ValidationException(
                    f"query parameter {', '.join(undated)}: not a day or moment",
                    extra=[
                        {"message": words[key], "key": key, "source": "query"} for key in undated
                    ],
                )
        await self.app(scope, receive, send)
