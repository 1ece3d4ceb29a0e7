"""What the API's handlers share: the governance application, the SQL engine with the API's tables and
the read models (with the worker's cache of encoded maps), the token cache, and the one way a command is
run (authorised, idempotent, version-checked)."""

from __future__ import annotations

import logging
import time
from uuid import UUID

import msgspec
from eventsourcing.persistence import OperationalError, PersistenceError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from adapters.nats.read_model_signal import read_model_signal
from adapters.nats.recorders import AttemptedSave, JetStreamRecorder, PublishOutcomeUnknown
from api.idempotency import IdempotencyStore, StoredResponse, UnknownOutcome
from api.maps import MapCache, PositionWatch
from api.schemas import CommandAccepted
from api.security import TokenCache
from api.tokens import TokenStore
from domain.events import AGGREGATE_BY_KIND
from projections.queries import GovernanceMaps, PositionProbe
from projections.region_index import RegionEventIndex
from services import commands as c
from services.application import AttemptOvertaken, GovernanceApplication, Recorded
from services.authorisation import Principal, authorise_command

log = logging.getLogger("regiekaart.api")
_encoder = msgspec.json.Encoder()
EVENT_STORE_PATIENCE_SECONDS = 20.0
_RETRY_PAUSE_SECONDS = 0.25


class _UnknownWrite(msgspec.Struct, frozen=True):
    """A command whose write got no answer, kept with its idempotency key until a retry finds out;
    with the writes of its earlier attempts that got none either (a retry's own write may go
    unanswered too, and any of them may be committed late: at most one can, as each started from
    the same version, or from a later one once the others could no longer be stored)."""

    command: str
    attempted: tuple[AttemptedSave, ...]
    earlier: tuple[tuple[AttemptedSave, ...], ...] = ()

    def then(self, attempted: tuple[AttemptedSave, ...]) -> _UnknownWrite:
        """This command's next write, of unknown outcome too, with the ones before it."""
        return _UnknownWrite(self.command, attempted, (*self.earlier, self.attempted))


_unknown_write = msgspec.json.Decoder(_UnknownWrite)


def _accepted(
    command: str, aggregate_id: UUID, version: int, ids: tuple[int, ...]
) -> StoredResponse:
    accepted = CommandAccepted(
        command=command, aggregate_id=aggregate_id, version=version, event_ids=ids
    )
    return StoredResponse(201, _encoder.encode(accepted))


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
        taken_over: _UnknownWrite | None = None
        if idempotency_key is not None:
            stored, taken_over = self._claim(principal.token_id, idempotency_key, request_sha256)
            if stored is not None:
                return stored, True
        try:
            if taken_over is None:
                recorded = self._record(principal, command, expected_version)
            else:
                rerun = self._rerun(
                    principal, command, expected_version, idempotency_key, taken_over
                )
                if isinstance(rerun, StoredResponse):
                    return rerun, True
                recorded = rerun
        except PublishOutcomeUnknown as unknown:
            if idempotency_key is not None:
                attempt = (
                    _UnknownWrite(type(command).__name__, unknown.attempted)
                    if taken_over is None
                    else taken_over.then(unknown.attempted)
                )
                self.idempotency.leave_unknown(
                    principal.token_id, idempotency_key, _encoder.encode(attempt)
                )
            raise
        except Exception:
            if idempotency_key is not None:
                # The first attempt's write, not in the log when looked up, may have been stored
                # since (a replica committing it late): then this run was refused for it.
                late = self._late_answer(principal.token_id, idempotency_key, taken_over)
                if late is not None:
                    return late, True
                self.idempotency.release(principal.token_id, idempotency_key)
            raise
        except BaseException:
            if idempotency_key is not None:
                self.idempotency.release(principal.token_id, idempotency_key)
            raise
        response = _accepted(
            type(command).__name__,
            recorded.aggregate_id,
            recorded.version,
            recorded.notification_ids,
        )
        if idempotency_key is not None:
            self._keep_answer(principal.token_id, idempotency_key, response)
        return response, False

    def _keep_answer(self, token_id: str, key: str, response: StoredResponse) -> None:
        """Keeps a recorded command's answer for its key, trying a database that does not answer
        again for up to ``EVENT_STORE_PATIENCE_SECONDS``. The command is recorded whatever happens
        here, so the caller is answered 201 even then (logged): told otherwise, it would retry with
        the key, still in progress for good, or with a new one and record the command twice."""
        deadline = time.monotonic() + EVENT_STORE_PATIENCE_SECONDS
        while True:
            try:
                self.idempotency.complete(token_id, key, response)
                return
            except SQLAlchemyError:
                if time.monotonic() > deadline:
                    log.exception(
                        "a recorded command's answer could not be kept for its Idempotency-Key "
                        "%r: a retry with that key is answered 409 (in progress)",
                        key,
                    )
                    return
                time.sleep(_RETRY_PAUSE_SECONDS)

    def _claim(
        self, token_id: str, key: str, request_sha256: str
    ) -> tuple[StoredResponse | None, _UnknownWrite | None]:
        """The answer this request gets, or None if it owns the key and runs the command; then also
        the first attempt's write if that got no answer and was not in the log. Such a write is
        looked up in the log: if stored, the answer is the one it would have had."""
        while True:
            claimed = self.idempotency.claim(token_id, key, request_sha256)
            if not isinstance(claimed, UnknownOutcome):
                return claimed, None
            write = _unknown_write.decode(claimed.attempt)
            stored = self._stored_answer(write)
            if stored is not None:
                self.idempotency.complete(token_id, key, stored)
                return stored, None
            if self.idempotency.take_over(token_id, key):
                return None, write
            # Another retry found the same and runs the command: wait for its answer, as for any.

    def _rerun(
        self,
        principal: Principal,
        command: c.Command,
        expected_version: int | None,
        key: str,
        taken_over: _UnknownWrite,
    ) -> Recorded | StoredResponse:
        """Runs again a command whose first write's outcome was unknown and which was not in the log
        when looked for, saving from the version that write started at. If the aggregate moved on
        since, the write is looked for once more: found (a replica committed it late), its answer;
        not found, another write took its version, so it can never be stored, and the command runs
        as any other."""
        first = taken_over.attempted[0]
        started_at = (UUID(first.originator_id), first.version - first.events)
        try:
            return self._record(principal, command, expected_version, started_at)
        except AttemptOvertaken:
            late = self._late_answer(principal.token_id, key, taken_over)
            if late is not None:
                return late
        return self._record(principal, command, expected_version)

    def _late_answer(
        self, token_id: str, key: str, taken_over: _UnknownWrite | None
    ) -> StoredResponse | None:
        """The first attempt's answer if its write is in the log after all (then kept for the key);
        None if there was no such attempt or it is not. If the log cannot say, the key is left with
        the write's outcome unknown again, for the next retry, and the error stands."""
        if taken_over is None:
            return None
        try:
            late = self._stored_answer(taken_over)
        except PersistenceError:
            self.idempotency.leave_unknown(token_id, key, _encoder.encode(taken_over))
            raise
        if late is not None:
            self.idempotency.complete(token_id, key, late)
        return late

    def _stored_answer(self, write: _UnknownWrite) -> StoredResponse | None:
        """The answer of a write that got no answer, or of an earlier attempt's, if it is in the log
        (the first aggregate of the save is the command's, as ``handle`` answers); None if none is."""
        recorder = self.app.recorder
        if not isinstance(recorder, JetStreamRecorder):  # only its writes can end unknown
            raise TypeError(f"a write of unknown outcome, but the log is {recorder!r}")
        for attempted in (write.attempted, *write.earlier):
            ids = recorder.stored_ids(attempted)
            if ids is not None:
                first = attempted[0]
                return _accepted(write.command, UUID(first.originator_id), first.version, ids)
        return None

    def _record(
        self,
        principal: Principal,
        command: c.Command,
        expected_version: int | None,
        starting_at: tuple[UUID, int] | None = None,
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
                    command, expected_version=expected_version, starting_at=starting_at
                )
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(_RETRY_PAUSE_SECONDS)

    def _require_connection(self) -> None:
        if not event_store_connected(self.app):
            raise OperationalError("no connection to NATS (reconnecting); nothing was recorded")
