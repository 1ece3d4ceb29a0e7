"""What the API's handlers share: the governance application, the SQL engine with the API's tables and
the read models (with the worker's cache of encoded maps), the token cache, and the one way a command is
run (authorised, idempotent, version-checked)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from uuid import UUID

from eventsourcing.persistence import OperationalError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from adapters.nats.read_model_signal import read_model_signal
from adapters.nats.recorders import AttemptedSave, JetStreamRecorder, PublishOutcomeUnknown
from api.idempotency import LEASE_SECONDS, IdempotencyStore, StoredResponse
from api.keyed_runs import KeyedRun, accepted
from api.maps import MapCache, PositionWatch
from api.security import TokenCache
from api.tokens import TokenStore
from domain.events import AGGREGATE_BY_KIND
from projections.log_source import SealChecks
from projections.queries import GovernanceMaps, PositionProbe
from projections.region_index import RegionEventIndex
from services import commands as c
from services.application import GovernanceApplication, Recorded
from services.authorisation import Principal, authorise_command

log = logging.getLogger("regiekaart.api")
EVENT_STORE_PATIENCE_SECONDS = 20.0
_RETRY_PAUSE_SECONDS = 0.25


def event_store_connected(app: GovernanceApplication) -> bool:
    client = getattr(app.factory, "client", None)  # None: an in-process store, always there
    return client is None or bool(client.nc.is_connected)


class ApiContext:
    def __init__(
        self, app: GovernanceApplication, engine: Engine, seals: SealChecks | None = None
    ) -> None:
        """``seals``: the check of seals for what region systems read of the log
        (``projections.region_index``)."""
        self.app = app
        self.engine = engine
        self.maps = GovernanceMaps(engine)
        self.position_watch = PositionWatch(
            PositionProbe(engine, self.maps.tables), read_model_signal(app.recorder)
        )
        self.map_cache = MapCache(self.position_watch)
        self.tokens = TokenStore(engine)
        self.token_cache = TokenCache(self.tokens)
        # A claim on a key lapses only where each write is announced before it is sent.
        announced = isinstance(app.recorder, JetStreamRecorder)
        self.idempotency = IdempotencyStore(
            engine, lease_seconds=LEASE_SECONDS if announced else None
        )
        self.region_index = RegionEventIndex(app, seals)
        # Subjects (kind, slug) found in the log by a map read that waits for a position. Nothing is
        # ever removed from the log, so one found stays found, and the next such read of its map does
        # not ask again: asking (a worker thread replaying the aggregate) came before the wait, on the
        # way from a command's answer to the map that shows it.
        self.recorded_subjects: set[tuple[str, str]] = set()

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
        if idempotency_key is None:
            recorded = self._record(principal, command, expected_version)
            return self._accepted(command, recorded), False
        keyed = KeyedRun(
            self.idempotency,
            self.app.recorder,
            principal.token_id,
            idempotency_key,
            type(command).__name__,
        )
        stored = keyed.claim(request_sha256)
        if stored is not None:
            return stored, True
        try:
            recorded = keyed.run(
                lambda **how: self._record(principal, command, expected_version, **how)
            )
        except PublishOutcomeUnknown as unknown:
            keyed.leave_unknown(unknown.attempted)
            raise
        except Exception:
            # The first attempt's write, not in the log when looked up, may have been stored
            # since (a replica committing it late): then this run was refused for it.
            late = keyed.late_answer()
            if late is not None:
                return late, True
            keyed.release()
            raise
        except BaseException:
            keyed.release()
            raise
        if isinstance(recorded, StoredResponse):
            return recorded, True
        response = self._accepted(command, recorded)
        self._keep_answer(principal.token_id, idempotency_key, response)
        return response, False

    @staticmethod
    def _accepted(command: c.Command, recorded: Recorded) -> StoredResponse:
        return accepted(
            type(command).__name__,
            recorded.aggregate_id,
            recorded.version,
            recorded.notification_ids,
        )

    def _keep_answer(self, token_id: str, key: str, response: StoredResponse) -> None:
        """Keeps a recorded command's answer for its key, trying a database that does not answer
        again for up to ``EVENT_STORE_PATIENCE_SECONDS``. The command is recorded whatever happens
        here, so the caller is answered 201 even then (logged): told otherwise, it would retry with
        a new key and record the command twice. A retry with the same key finds the write in the log
        once the claim's lease has run out."""
        deadline = time.monotonic() + EVENT_STORE_PATIENCE_SECONDS
        while True:
            try:
                self.idempotency.complete(token_id, key, response)
                return
            except SQLAlchemyError:
                if time.monotonic() > deadline:
                    log.exception(
                        "a recorded command's answer could not be kept for its Idempotency-Key "
                        "%r: a retry with that key finds it in the log once the key's lease has "
                        "run out",
                        key,
                    )
                    return
                time.sleep(_RETRY_PAUSE_SECONDS)

    def _record(
        self,
        principal: Principal,
        command: c.Command,
        expected_version: int | None,
        starting_at: tuple[UUID, int] | None = None,
        before_write: Callable[[tuple[AttemptedSave, ...]], None] | None = None,
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
                return self.app.handle(
                    command,
                    expected_version=expected_version,
                    starting_at=starting_at,
                    before_write=before_write,
                )
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(_RETRY_PAUSE_SECONDS)

    def _require_connection(self) -> None:
        if not event_store_connected(self.app):
            raise OperationalError("no connection to NATS (reconnecting); nothing was recorded")
