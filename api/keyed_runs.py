"""One run of a command under an ``Idempotency-Key``: claiming the key, finding out what a run before it
did when that one stopped without an answer, announcing each write before it is sent, and leaving the key
as the run ends (``api.idempotency`` keeps the rows; this is what the runner of commands does with them).

A write that got no answer, or whose sender stopped, may be in the log or not. A retry looks for it (the
last event's version and hash, ``JetStreamRecorder.stored_ids``): found, it is answered as the first
attempt would have been; not found, it runs the command again, saving from the version that write
started at, so that at most one of them can ever be stored.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import msgspec
from eventsourcing.persistence import PersistenceError

from adapters.nats.recorders import AttemptedSave, JetStreamRecorder
from api.idempotency import Claim, IdempotencyStore, StoredResponse
from api.schemas import CommandAccepted
from services.application import AttemptOvertaken, Recorded

_encoder = msgspec.json.Encoder()


class UnknownWrite(msgspec.Struct, frozen=True):
    """A command's write whose outcome is not known (yet), kept with its idempotency key until a retry
    finds out; with the writes of its earlier attempts that got no answer either (a retry's own write
    may go unanswered too, and any of them may be committed late: at most one can, as each started from
    the same version, or from a later one once the others could no longer be stored)."""

    command: str
    attempted: tuple[AttemptedSave, ...]
    earlier: tuple[tuple[AttemptedSave, ...], ...] = ()

    def then(self, attempted: tuple[AttemptedSave, ...]) -> UnknownWrite:
        """This command's next write, with the ones before it."""
        return UnknownWrite(self.command, attempted, (*self.earlier, self.attempted))


unknown_write = msgspec.json.Decoder(UnknownWrite)


def accepted(
    command: str, aggregate_id: UUID, version: int, ids: tuple[int, ...]
) -> StoredResponse:
    """The answer to a recorded command."""
    answer = CommandAccepted(
        command=command, aggregate_id=aggregate_id, version=version, event_ids=ids
    )
    return StoredResponse(201, _encoder.encode(answer))


def stored_answer(recorder: object, write: UnknownWrite) -> StoredResponse | None:
    """The answer of ``write``, or of an earlier attempt's, if it is in the log (the first aggregate
    of the save is the command's, as ``handle`` answers); None if none is."""
    if not isinstance(recorder, JetStreamRecorder):  # only its writes can end unknown
        raise TypeError(f"a write of unknown outcome, but the log is {recorder!r}")
    for attempted in (write.attempted, *write.earlier):
        ids = recorder.stored_ids(attempted)
        if ids is not None:
            first = attempted[0]
            return accepted(write.command, UUID(first.originator_id), first.version, ids)
    return None


# Records the command: ``record(starting_at=…, before_write=…)``, as ``GovernanceApplication.handle``.
Record = Callable[..., Recorded]


class KeyedRun:
    """A command's run under its key, from claiming the key to leaving it."""

    def __init__(
        self, store: IdempotencyStore, recorder: object, token_id: str, key: str, command: str
    ) -> None:
        self.store, self.recorder = store, recorder
        self.token_id, self.key, self.command = token_id, key, command
        self.claim_held: Claim | None = None
        # The write of the run this one took the key over from, not in the log when looked for.
        self.taken_over: UnknownWrite | None = None

    def claim(self, request_sha256: str) -> StoredResponse | None:
        """The answer this request gets, or None if it now runs the command. A run before it that
        stopped without an answer is looked for in the log: found, its answer; not found, this
        request takes the key over."""
        while True:
            claimed = self.store.claim(self.token_id, self.key, request_sha256)
            if isinstance(claimed, Claim):
                self.claim_held = claimed
                return None
            if isinstance(claimed, StoredResponse):
                return claimed
            # No attempt announced: the run stopped before it sent a write, so nothing was stored.
            write = None if claimed.attempt is None else unknown_write.decode(claimed.attempt)
            if write is not None:
                found = stored_answer(self.recorder, write)
                if found is not None:
                    self.store.complete(self.token_id, self.key, found)
                    return found
            taken = self.store.take_over(self.token_id, self.key, claimed)
            if taken is not None:
                self.claim_held, self.taken_over = taken, write
                return None
            # Another retry took it over first and runs the command: wait for its answer, as for any.

    def run(self, record: Record) -> Recorded | StoredResponse:
        """Runs the command, or, taken over from a run whose write was not in the log, runs it again
        from the version that write started at. If the aggregate moved on since, the write is looked
        for once more: found (a replica committed it late), its answer; not found, another write took
        its version, so it can never be stored, and the command runs as any other."""
        if self.taken_over is None:
            return record(before_write=self._announce)
        first = self.taken_over.attempted[0]
        started_at = (UUID(first.originator_id), first.version - first.events)
        try:
            return record(starting_at=started_at, before_write=self._announce)
        except AttemptOvertaken:
            late = self.late_answer()
            if late is not None:
                return late
        return record(before_write=self._announce)

    def leave_unknown(self, attempted: tuple[AttemptedSave, ...]) -> None:
        """The write got no answer: the next retry finds out."""
        self.store.leave_unknown(
            self.token_id, self.key, self._held(), _encoder.encode(self._write(attempted))
        )

    def late_answer(self) -> StoredResponse | None:
        """The answer of the run taken over, if its write is in the log after all (then kept for the
        key); None if there was no such run or it is not. If the log cannot say, the key is left
        with that write's outcome unknown again, for the next retry, and the error stands."""
        if self.taken_over is None:
            return None
        try:
            late = stored_answer(self.recorder, self.taken_over)
        except PersistenceError:
            self.store.leave_unknown(
                self.token_id, self.key, self._held(), _encoder.encode(self.taken_over)
            )
            raise
        if late is not None:
            self.store.complete(self.token_id, self.key, late)
        return late

    def release(self) -> None:
        """The command recorded nothing: a retry may run it again."""
        self.store.release(self.token_id, self.key, self._held())

    def _announce(self, attempted: tuple[AttemptedSave, ...]) -> None:
        self.store.announce(
            self.token_id, self.key, self._held(), _encoder.encode(self._write(attempted))
        )

    def _write(self, attempted: tuple[AttemptedSave, ...]) -> UnknownWrite:
        if self.taken_over is None:
            return UnknownWrite(self.command, attempted)
        return self.taken_over.then(attempted)

    def _held(self) -> Claim:
        assert self.claim_held is not None, "the key was not claimed"
        return self.claim_held
