"""Idempotent commands: the same ``Idempotency-Key`` and body, from the same token, record once.

Keys belong to a token (its id), never to a display name: two tokens never see each other's answers.
The key is claimed first (a unique row: token id + key, with the hash of the request), then the command
runs, then its response is stored in that row. A retry with the same key and request gets the stored
response; with another request it is refused. A retry that arrives while the first attempt still runs
waits for it, and is told "in progress" (409) if it takes too long. A command that fails records nothing,
so its claim is released and a retry runs it again.

A command whose write got no answer from the event store may or may not be recorded. Its row keeps what
the write attempted (``unknown_outcome``) and a retry gets that (``UnknownOutcome``) to find out: if the
write was stored, the retry is answered as the first attempt would have been; if not, the retry takes the
key over (``take_over``, one retry only) and runs the command.
"""

from __future__ import annotations

import hashlib
import time
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
)


class StoredResponse(msgspec.Struct, frozen=True):
    status_code: int
    body: bytes


class UnknownOutcome(msgspec.Struct, frozen=True):
    """The first attempt's write got no answer; ``attempt`` is what it attempted, as the runner of
    commands wrote it down."""

    attempt: bytes


class KeyReused(Exception):
    """The key was used before for a different request."""


class StillInProgress(Exception):
    """The first request with this key has not finished yet."""


def request_hash(path: str, canonical_body: bytes) -> str:
    return hashlib.sha256(path.encode() + b"\n" + canonical_body).hexdigest()


class IdempotencyStore:
    def __init__(self, engine: Engine, *, wait_seconds: float = 5.0) -> None:
        self.engine = engine
        self.wait_seconds = wait_seconds

    def claim(
        self, token_id: str, key: str, request_sha256: str
    ) -> StoredResponse | UnknownOutcome | None:
        """None if this request now owns the key and should run; the stored response of an earlier
        identical request, or what its write attempted if its outcome is unknown, otherwise. Raises
        KeyReused or StillInProgress."""
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    idempotency_table.insert().values(
                        token_id=token_id,
                        idempotency_key=key,
                        request_sha256=request_sha256,
                        created_at=datetime.now(UTC),
                    )
                )
            return None
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
            if row.unknown_outcome is not None:
                return UnknownOutcome(row.unknown_outcome)
            if time.monotonic() >= deadline:
                raise StillInProgress(
                    f"a request with Idempotency-Key {key!r} is still being processed; retry later"
                )
            time.sleep(0.02)

    def complete(self, token_id: str, key: str, response: StoredResponse) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                idempotency_table.update()
                .where(self._this(token_id, key))
                .values(status_code=response.status_code, response=response.body)
            )

    def leave_unknown(self, token_id: str, key: str, attempt: bytes) -> None:
        """The command's write got no answer: keep the key, with what the write attempted."""
        with self.engine.begin() as connection:
            connection.execute(
                idempotency_table.update()
                .where(self._this(token_id, key))
                .values(unknown_outcome=attempt)
            )

    def take_over(self, token_id: str, key: str) -> bool:
        """Claims a key whose first attempt was found not stored; False if another retry did first."""
        with self.engine.begin() as connection:
            taken = connection.execute(
                idempotency_table.update()
                .where(
                    self._this(token_id, key),
                    idempotency_table.c.status_code.is_(None),
                    idempotency_table.c.unknown_outcome.is_not(None),
                )
                .values(unknown_outcome=None)
            )
        return taken.rowcount == 1

    def release(self, token_id: str, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(idempotency_table.delete().where(self._this(token_id, key)))

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
