"""One value per single-valued query parameter, on every route.

A query string may repeat a key (``?region=zuid-limburg&region=noord-limburg``). Were it allowed for
a parameter the route declares single-valued, the scope check and the handler could read different
values (one the first, the other the last), and a region system would read another region's events.
So a repeated single-valued parameter is refused before anything reads it: 400, naming the
parameter. Only parameters declared as lists (``/events?type=…&type=…``) take several values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import ValidationException
from litestar.handlers import BaseRouteHandler
from litestar.params import QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

_single_valued_by_handler: dict[Callable[..., Any], frozenset[str]] = {}


def single_valued(handler: BaseRouteHandler) -> frozenset[str]:
    """The query parameters ``handler`` declares with one value, by their names in the URL."""
    known = _single_valued_by_handler.get(handler.fn)
    if known is None:
        known = frozenset(
            definition.kwarg_definition.query or definition.kwarg_definition.name or name
            for name, definition in handler.parsed_fn_signature.parameters.items()
            if isinstance(definition.kwarg_definition, QueryParameter)
            and not definition.is_non_string_sequence
        )
        _single_valued_by_handler[handler.fn] = known
    return known


def repeated_single_values(handler: BaseRouteHandler, scope: Scope) -> list[str]:
    """The single-valued parameters of ``handler`` that the request's query gives more than once, as
    Litestar's own parser (the one the handler's parameters come from) reads the query string."""
    if not scope.get("query_string"):
        return []
    query = ASGIConnection[Any, Any, Any, Any](scope).query_params
    return sorted(key for key in single_valued(handler) if len(query.getall(key, [])) > 1)


class SingleValuedQueryMiddleware:
    """Refuses a request that repeats a single-valued query parameter of its route (400)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = scope.get("route_handler")
        if scope["type"] == "http" and handler is not None:
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
        await self.app(scope, receive, send)
