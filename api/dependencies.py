"""What the request handlers are given, by parameter name, through Litestar's dependency injection:
a handler that needs the read models declares ``maps: NamedDependency[GovernanceMaps]`` instead of
reaching into ``request.app.state``. ``create_app`` registers each provider under the parameter name it
serves; they read the application's state, where its lifespan puts the serving context.

The providers take no parameters and only look a value up (no I/O), so Litestar calls them on the event
loop without validating anything: a cached map is answered in tens of microseconds, and a provider that
took ``state`` as a parameter would add to that (as would a second dependency of a map's handler, see
``api.controllers.reads.cached_map``).
"""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import State
from nats.aio.client import Client as NatsClient
from sqlalchemy import Engine

from adapters.nats.audit import NatsLog
from api.context import ApiContext
from api.security import TokenCache
from api.tokens import TokenStore
from api.web.sessions import WebSessions
from projections.queries import GovernanceMaps


class Providers:
    """The values the handlers take, from the state of one application."""

    def __init__(self, state: State) -> None:
        self.state = state

    def context(self) -> ApiContext:
        """The service this worker serves (set by the lifespan of ``create_app``)."""
        return self.state.context  # type: ignore[no-any-return]

    def engine(self) -> Engine:
        return self.context().engine

    def maps(self) -> GovernanceMaps:
        return self.context().maps

    def tokens(self) -> TokenStore:
        return self.context().tokens

    def token_cache(self) -> TokenCache:
        return self.context().token_cache

    def audit_log(self) -> NatsLog | None:
        """The event log and its checkpoints as auditors read them; None on a store other than NATS
        (the handler refuses then, after Litestar has checked its parameters: a provider runs first)."""
        recorder = self.context().app.recorder
        client = getattr(recorder, "client", None)
        return None if client is None else NatsLog(client, recorder.stream)

    def feed_connection(self) -> NatsClient | None:
        """The NATS connection the region feeds stream from; None while the API runs without one."""
        return self.state.feed_connection  # type: ignore[no-any-return]

    def public_key_file(self) -> Path:
        return self.state.public_key_file  # type: ignore[no-any-return]

    def web_sessions(self) -> WebSessions:
        """The pages' sessions (``api.web.sessions``)."""
        return self.state.web_sessions  # type: ignore[no-any-return]

    def event_log_status_file(self) -> Path:
        return self.state.event_log_status_file  # type: ignore[no-any-return]
