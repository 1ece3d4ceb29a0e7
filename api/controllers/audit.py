"""What auditors read beside the event log (``/events``): the signed checkpoints over the log, the key
they are signed with, and the whole log as the export that ``regiekaart audit verify --file`` checks
offline (see ``adapters.audit`` for the format and ``projections.audit`` for the hashes)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, NotFoundException, ServiceUnavailableException
from litestar.params import QueryParameter
from litestar.response import Stream
from sqlalchemy import Engine

from adapters.nats.audit import NatsLog
from api.errors import problems
from api.guards import AUDITORS
from api.schemas import LOG_POSITION_MAX
from api.security import PublicOperation
from projections.audit import Checkpoint, LogFault, decode_checkpoint, export_log
from projections.work_status import SetAsideEvent, set_aside_events

NDJSON = "application/x-ndjson"
_CHUNK = 1 << 20


class PublicKey(msgspec.Struct, frozen=True, kw_only=True):
    algorithm: str
    public_key: str  # hex


def _nats(audit_log: NatsLog | None) -> NatsLog:
    if audit_log is None:
        raise ServiceUnavailableException("the audit trail needs the NATS event store")
    return audit_log


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(_CHUNK):
            yield chunk


def signed_checkpoints(audit_log: NatsLog | None, after: int = 0) -> list[Checkpoint]:
    """The checkpoints after position ``after``, in log order (blocking: run it on a thread)."""
    signed = map(decode_checkpoint, _nats(audit_log).checkpoint_payloads())
    return sorted((c for c in signed if c.position > after), key=lambda c: c.position)


def export_stream(audit_log: NatsLog | None, headers: dict[str, str] | None = None) -> Stream:
    """The whole log as the export (blocking: run it on a thread); 500 naming the fault when the
    log cannot be exported."""
    # Closed by _chunks once streamed, or here when the export fails.
    spool = tempfile.TemporaryFile()  # noqa: SIM115
    try:
        export_log(_nats(audit_log), spool)
    except LogFault as fault:
        spool.close()
        raise HTTPException(
            status_code=500, detail=f"the log cannot be exported: {fault}"
        ) from None
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return Stream(_chunks(spool), media_type=NDJSON, headers=headers)


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]

    @get(
        "/public-key",
        summary="The Ed25519 key that signs the checkpoints (public: compare it out of band)",
        responses=problems(404),
        operation_class=PublicOperation,
    )
    async def public_key(self, public_key_file: NamedDependency[Path]) -> PublicKey:
        try:
            key = public_key_file.read_text().strip()
        except FileNotFoundError:
            raise NotFoundException("the service has not signed a checkpoint yet") from None
        return PublicKey(algorithm="Ed25519", public_key=key)

    @get(
        "/checkpoints",
        guards=[AUDITORS],
        sync_to_thread=True,
        summary="The signed checkpoints over the event log, in log order",
        responses=problems(400, 401, 403, 503),
    )
    def checkpoints(
        self,
        audit_log: NamedDependency[NatsLog | None],
        after: Annotated[
            int, QueryParameter(ge=0, description="Checkpoints after this position")
        ] = 0,
    ) -> list[Checkpoint]:
        return signed_checkpoints(audit_log, after)

    @get(
        "/set-aside-events",
        guards=[AUDITORS],
        sync_to_thread=True,
        summary="Events a background worker could not process and set aside, in log order",
        description=(
            "The region-feed fan-out and the projection runner never stop on one event: one they "
            "cannot process however often they try (a region slug no feed can carry, an event that "
            "does not decode) is recorded here with the reason, and they go on with the next."
        ),
        responses=problems(400, 401, 403),
    )
    def set_aside(
        self,
        engine: NamedDependency[Engine],
        after: Annotated[
            int, QueryParameter(ge=0, le=LOG_POSITION_MAX, description="Events after this position")
        ] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 1000,
    ) -> list[SetAsideEvent]:
        return set_aside_events(engine, after=after, limit=limit)

    @get(
        "/export",
        guards=[AUDITORS],
        sync_to_thread=True,
        media_type=NDJSON,
        summary="The whole event log as CloudEvents JSON Lines, with hashes and checkpoints",
        responses=problems(401, 403, 500, 503),
    )
    def export(self, audit_log: NamedDependency[NatsLog | None]) -> Stream:
        return export_stream(audit_log)
