"""What the API's handlers share: the governance application, the SQL engine with the API's tables and
the read models (with the worker's cache of encoded maps), the token cache, and the one way a command is
run (authorised, idempotent, version-checked)."""

from __future__ import annotations

import time
from uuid import UUID

import msgspec
from eventsourcing.persistence import OperationalError
from sqlalchemy import Engine

from adapters.nats.read_model_signal import read_model_signal
from api.idempotency import IdempotencyStore, StoredResponse
from api.maps import MapCache, PositionWatch
from api.schemas import CommandAccepted
from api.security import TokenCache
from api.tokens import TokenStore
from domain.events import AGGREGATE_BY_KIND
from projections.queries import GovernanceMaps, PositionProbe
from projections.region_index import RegionEventIndex
from services import commands as c
from services.application import GovernanceApplication, Recorded
from services.authorisation import Principal, authorise_command

_encoder = msgspec.json.Encoder()
EVENT_STORE_PATIENCE_SECONDS = 20.0
_RETRY_PAUSE_SECONDS = 0.25


def event_store_connected(app: GovernanceApplication) -> bool:
    client = getattr(app.factory, "client", None)  # None: an in-process store, always there
    return client is None or bool(client.nc.is_connected)


class ApiContext:
    def __init__(self, app: GovernanceApplication, engine: Engine) -> None:
        self.app = app
        self.engine = engine
        self.maps = GovernanceMaps(engine)
        self.position_watch = PositionWatch(
            PositionProbe(engine, self.maps.tables), read_model_signal(app.recorder)
        )
        self.map_cache = MapCache(self.position_watch)
        self.tokens = TokenStore(engine)
        self.token_cache = TokenCache(self.tokens)
        self.idempotency = IdempotencyStore(engine)
        self.region_index = RegionEventIndex(app)

    def aggregates_named(self, name: str) -> dict[UUID, str]:
        """The aggregates ``name`` names, each with its kind: its id, or every recorded aggregate
        of that slug (each kind's id derived from the slug as the domain derives it)."""
        try:
            return {UUID(name): "aggregate"}
        except ValueError:
            pass
        return {
            cls.id_for(name): str(kind)
            for kind, cls in AGGREGATE_BY_KIND.items()
            if cls.id_for(name) in self.app.repository
        }

    def execute(
        self,
        principal: Principal,
        command: c.Command,
        *,
        idempotency_key: str | None,
        request_sha256: str,
        expected_version: int | None,
    ) -> tuple[StoredResponse, bool]:
        """Runs ``command`` for ``principal``; the response and whether it replays an earlier one.
        Blocking: call it from a worker thread."""
        if idempotency_key is not None:
            stored = self.idempotency.claim(principal.token_id, idempotency_key, request_sha256)
            if stored is not None:
                return stored, True
        try:
            recorded = self._record(principal, command, expected_version)
        except BaseException:
            if idempotency_key is not None:
                self.idempotency.release(principal.token_id, idempotency_key)
            raise
        accepted = CommandAccepted(
            command=type(command).__name__,
            aggregate_id=recorded.aggregate_id,
            version=recorded.version,
            event_ids=recorded.notification_ids,
        )
        response = StoredResponse(201, _encoder.encode(accepted))
        if idempotency_key is not None:
            self.idempotency.complete(principal.token_id, idempotency_key, response)
        return response, False

    def _record(
        self, principal: Principal, command: c.Command, expected_version: int | None
    ) -> Recorded:
        """Authorises and records ``command``. While the event store does not answer and nothing was
        written (a cluster electing a new stream leader after losing one takes 4 to 9 s), the command
        is tried again, for up to ``EVENT_STORE_PATIENCE_SECONDS``; then the error stands.

        While this process has no connection to NATS at all (the server restarting), the command is
        refused at once, before anything is sent: nats-py would buffer the write and send it after
        reconnecting, long after the caller was told it failed."""
        deadline = time.monotonic() + EVENT_STORE_PATIENCE_SECONDS
        while True:
            self._require_connection()
            try:
                authorise_command(principal, command, self.app)
                return self.app.handle(command, expected_version=expected_version)
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(_RETRY_PAUSE_SECONDS)

    def _require_connection(self) -> None:
        if not event_store_connected(self.app):
            raise OperationalError("no connection to NATS (reconnecting); nothing was recorded")
