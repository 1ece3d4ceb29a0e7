"""Idempotent commands: the same ``Idempotency-Key`` and body, from the same token, record once.

Keys belong to a token (its id), never to a display name: two tokens never see each other's answers.
The key is claimed first (a unique row: token id + key, with the hash of the request), then the command
runs, then its response is stored in that row. A retry with the same key and request gets the stored
response; with another request it is refused. A retry that arrives while the first attempt still runs
waits for it, and is told "in progress" (409) if it takes too long. A command that fails records nothing,
so its claim is released and a retry runs it again.

A command whose write got no answer from the event store may or may not be recorded. Its row keeps what
the write attempted (``unknown_outcome``) and a retry gets that (``Lapsed``) to find out: if the write
was stored, the retry is answered as the first attempt would have been; if not, the retry takes the key
over (``take_over``) and runs the command.

The one that runs a command holds a lease on its key (``Claim``: an id of its own, and a time), and
writes down each write before it sends it (``announce``, which renews the lease). A worker that dies
while it runs a command (killed between the event store's acknowledgement and keeping the answer, say)
leaves its lease to run out: a retry after that finds out from the announced write, as from one that
got no answer, or, if nothing was announced, nothing was written, and it runs the command. A worker
slower than its lease is overtaken the same way; from then on its own writes to the row change nothing
(each names its claim), and its next announcement is refused (``ClaimLost``) before it can send a write.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime

import msgspec
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

_metadata = sa.MetaData()
idempotency_table = sa.Table(
    "api_idempotency",
    _metadata,
    sa.Column("token_id", sa.String(240), primary_key=True),
    sa.Column("idempotency_key", sa.String(200), primary_key=True),
    sa.Column("request_sha256", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("response", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("unknown_outcome", sa.LargeBinary, nullable=True),
    # Who runs the command (a claim's id) and until when (``time.time()``) it is taken to be running;
    # NULL for keys claimed before leases were kept: in progress for good, as they always were.
    sa.Column("claim_id", sa.String(32), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
)


class StoredResponse(msgspec.Struct, frozen=True):
    status_code: int
    body: bytes


class Claim(msgspec.Struct, frozen=True):
    """This request runs the command: the key is its own while ``id`` is the row's."""

    id: str


class Lapsed(msgspec.Struct, frozen=True):
    """The one that ran the command stopped without an answer: its write got none, or its lease ran
    out. ``attempt`` is what its last write attempted, as the runner of commands announced it (None:
    it sent none); ``claim`` is the claim to take over."""

    claim: str
    attempt: bytes | None


class KeyReused(Exception):
    """The key was used before for a different request."""


class StillInProgress(Exception):
    """The first request with this key has not finished yet."""


class ClaimLost(StillInProgress):
    """A retry took this request's key over (its lease ran out): it must not send a write."""


def request_hash(path: str, canonical_body: bytes) -> str:
    return hashlib.sha256(path.encode() + b"\n" + canonical_body).hexdigest()


# How long a claim on a key lasts without an announcement (see ``IdempotencyStore.lease_seconds``).
LEASE_SECONDS = 30.0


class IdempotencyStore:
    def __init__(
        self,
        engine: Engine,
        *,
        wait_seconds: float = 5.0,
        lease_seconds: float | None = LEASE_SECONDS,
    ) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds
        # How long a command runs at most before its next announcement, with room to spare: the
        # runner of commands waits up to 20 s for a connection before it sends a write, and a write
        # waits seconds for its answer. None: claims never lapse, for an event store whose writes
        # are not announced (nothing would tell a retry what a lost worker wrote).
        self.lease_seconds = lease_seconds

    def _lease_from_now(self) -> float | None:
        return None if self.lease_seconds is None else time.time() + self.lease_seconds

    def claim(
        self, token_id: str, key: str, request_sha256: str
    ) -> Claim | StoredResponse | Lapsed:
        """A Claim if this request now owns the key and should run; the stored response of an
        earlier identical request; or Lapsed if that one stopped without an answer. Raises KeyReused
        or StillInProgress."""
        claim = Claim(uuid.uuid4().hex)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    idempotency_table.insert().values(
                        token_id=token_id,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        created_at=datetime.now(UTC),
                        claim_id=claim.id,
                        lease_until=self._lease_from_now(),
                    )
                )
            return claim
        except IntegrityError:
            pass
        deadline = time.monotonic() + self.wait_seconds
        while True:
            row = self._row(token_id, key)
            if row is None:  # the first attempt failed and released the key meanwhile
                return self.claim(token_id, key, request_sha256)
            if row.request_sha256 != request_sha256:
                raise KeyReused(
                    f"Idempotency-Key {key!r} was already used for a different request; "
                    "use a new key for a new command"
                )
            if row.status_code is not None:
                return StoredResponse(row.status_code, row.response)
            if row.lease_until is not None and row.lease_until <= time.time():
                return Lapsed(row.claim_id, row.unknown_outcome)
            if time.monotonic() >= deadline:
                raise StillInProgress(
                    f"a request with Idempotency-Key {key!r} is still being processed; retry later"
                )
            time.sleep(0.02)

    def announce(self, token_id: str, key: str, claim: Claim, attempt: bytes) -> None:
        """Writes down the write ``claim`` is about to send, and renews its lease. Raises ClaimLost if
        the key was taken over: then the write must not be sent."""
        if not self._update(
            token_id, key, claim, unknown_outcome=attempt, lease_until=self._lease_from_now()
        ):
            raise ClaimLost(
                f"a retry took Idempotency-Key {key!r} over while this request ran (it ran too long); "
                "this request recorded nothing, the retry answers"
            )

    def complete(self, token_id: str, key: str, response: StoredResponse) -> None:
        """Keeps the answer of a command found recorded, whoever found it (there is one such answer
        per key: every write of a key's command starts where the one before it did)."""
        with self.engine.begin() as connection:
            connection.execute(
                idempotency_table.update()
                .where(self._this(token_id, key), idempotency_table.c.status_code.is_(None))
                .values(status_code=response.status_code, response=response.body)
            )

    def leave_unknown(self, token_id: str, key: str, claim: Claim, attempt: bytes) -> None:
        """The command's write got no answer: keep the key, with what the write attempted, for the
        next retry to find out at once."""
        self._update(token_id, key, claim, unknown_outcome=attempt, lease_until=0.0)

    def take_over(self, token_id: str, key: str, lapsed: Lapsed) -> Claim | None:
        """Claims a key whose runner stopped (``lapsed``), found not to have recorded the command;
        None if another retry took it first."""
        claim = Claim(uuid.uuid4().hex)
        taken = self._change(
            token_id,
            key,
            (
                idempotency_table.c.claim_id == lapsed.claim,
                idempotency_table.c.lease_until <= time.time(),
            ),
            claim_id=claim.id,
            lease_until=self._lease_from_now(),
            unknown_outcome=None,
        )
        return claim if taken else None

    def release(self, token_id: str, key: str, claim: Claim) -> None:
        """The command failed and recorded nothing: a retry may run it again."""
        with self.engine.begin() as connection:
            connection.execute(
                idempotency_table.delete().where(
                    self._this(token_id, key),
                    idempotency_table.c.status_code.is_(None),
                    idempotency_table.c.claim_id == claim.id,
                )
            )

    def _update(self, token_id: str, key: str, claim: Claim, **values: object) -> bool:
        """Changes the row while ``claim`` holds it and it has no answer; whether it did."""
        return self._change(token_id, key, (idempotency_table.c.claim_id == claim.id,), **values)

    def _change(
        self,
        token_id: str,
        key: str,
        conditions: tuple[sa.ColumnElement[bool], ...],
        **values: object,
    ) -> bool:
        """Changes the row if it has no answer and meets ``conditions``; whether it did."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                idempotency_table.update()
                .where(
                    self._this(token_id, key),
                    idempotency_table.c.status_code.is_(None),
                    *conditions,
                )
                .values(**values)
            )
        return changed.rowcount == 1

    def _row(self, token_id: str, key: str) -> sa.Row | None:
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(idempotency_table).where(self._this(token_id, key))
            ).first()

    @staticmethod
    def _this(token_id: str, key: str) -> sa.ColumnElement[bool]:
        return sa.and_(
            idempotency_table.c.token_id == token_id, idempotency_table.c.idempotency_key == key
        )
