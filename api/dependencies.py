"""What the request handlers are given, by parameter name, through Litestar's dependency injection:
a handler that needs the read models declares ``maps: NamedDependency[GovernanceMaps]`` instead of reaching into
``request.app.state``. ``create_app`` registers these providers, each under the parameter name it
serves; they read the serving context its lifespan sets up and the paths it is made with.

Every provider only looks a value up (no I/O), so it runs on the event loop (``sync_to_thread=False``).
"""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import State
from litestar.di import NamedDependency
from nats.aio.client import Client as NatsClient
from sqlalchemy import Engine

from adapters.nats.audit import NatsLog
from api.context import ApiContext
from api.maps import MapCache
from api.security import TokenCache
from api.tokens import TokenStore
from projections.queries import GovernanceMaps


def provide_context(state: State) -> ApiContext:
    """The service this worker serves (set by the lifespan of ``create_app``)."""
    return state.context  # type: ignore[no-any-return]


def provide_engine(context: NamedDependency[ApiContext]) -> Engine:
    return context.engine


def provide_maps(context: NamedDependency[ApiContext]) -> GovernanceMaps:
    return context.maps


def provide_map_cache(context: NamedDependency[ApiContext]) -> MapCache:
    return context.map_cache


def provide_tokens(context: NamedDependency[ApiContext]) -> TokenStore:
    return context.tokens


def provide_token_cache(context: NamedDependency[ApiContext]) -> TokenCache:
    return context.token_cache


def provide_audit_log(context: NamedDependency[ApiContext]) -> NatsLog | None:
    """The event log and its checkpoints as auditors read them; None on a store other than NATS (the
    handler refuses then, after Litestar has checked its parameters: a provider runs before that)."""
    recorder = context.app.recorder
    client = getattr(recorder, "client", None)
    return None if client is None else NatsLog(client, recorder.stream)


def provide_feed_connection(state: State) -> NatsClient | None:
    """The NATS connection the region feeds stream from; None while the API runs without one."""
    return state.feed_connection  # type: ignore[no-any-return]


def provide_public_key_file(state: State) -> Path:
    return state.public_key_file  # type: ignore[no-any-return]


def provide_event_log_status_file(state: State) -> Path:
    return state.event_log_status_file  # type: ignore[no-any-return]
