"""The log as an export file (``adapters.audit``), and verifying such a file offline, from its contents
and the service's public key(s) alone."""

from __future__ import annotations

import io
import mmap
from collections.abc import Iterable
from typing import BinaryIO

import msgspec

from adapters.audit import (
    CHECKPOINT_TYPE,
    ExportLine,
    checkpoint_line,
    event_line,
)
from adapters.event_log_format import EventRecord, UnreadableEntry
from projections.audit.export_halves import verified_in_halves
from projections.audit.export_reading import ExportReading
from projections.audit.log_claims import (
    GENESIS_LOG_HASH,
    Checkpoint,
    FaultKind,
    LogFault,
    decode_checkpoint,
    next_log_hash,
    trusted_up_to,
)
from projections.audit.verification import EventLog, Verified


class Exported(msgspec.Struct, frozen=True):
    events: int
    checkpoints: int
    position: int


def export_log(log: EventLog, out: BinaryIO) -> Exported:
    """Writes the log as CloudEvents JSON Lines (see ``adapters.audit``), checkpoints after the last event
    they cover. A message that is not an event ends the export with a LogFault; what came before it has
    been written."""
    stream = log.stream
    pending = sorted(
        ((decode_checkpoint(payload), payload) for payload in log.checkpoint_payloads()),
        key=lambda pair: pair[0].position,
    )
    written_checkpoints = 0
    log_hash = GENESIS_LOG_HASH
    previous = events = 0
    write = out.write

    def write_checkpoints(before: int | None) -> None:
        nonlocal written_checkpoints
        while pending and (before is None or pending[0][0].position < before):
            checkpoint, payload = pending.pop(0)
            write(
                checkpoint_line(
                    stream, checkpoint.position, checkpoint.signed_at, checkpoint.signature, payload
                )
            )
            written_checkpoints += 1

    def accept(_: int, entries: list[tuple[int, EventRecord]], seal: str | None) -> None:
        nonlocal log_hash, previous, events
        last = len(entries) - 1
        for index, (position, record) in enumerate(entries):
            if pending and pending[0][0].position < position:
                write_checkpoints(before=position)
            log_hash = next_log_hash(log_hash, position, record.hash)
            write(
                event_line(
                    stream,
                    position,
                    previous,
                    record.originator_id,
                    record.originator_version,
                    record.topic,
                    record.state,
                    record.prev_hash,
                    record.hash,
                    log_hash.hex(),
                    seal if index == last else None,
                )
            )
            previous = position
            events += 1

    try:
        log.scan(0, accept)
    except UnreadableEntry as error:
        raise LogFault(error.position, FaultKind.UNREADABLE, error.reason) from None
    write_checkpoints(before=None)
    return Exported(events=events, checkpoints=written_checkpoints, position=previous)


def verify_export(source: BinaryIO, trusted_keys: Iterable[str] | None = None) -> Verified:
    """Verifies an export file (see ``export_log``) from its contents alone. A file on disk is first
    searched for its checkpoints, so that the seals a trusted checkpoint covers need no check one by
    one (see ``projections.audit.verification``)."""
    skip = 0
    if trusted_keys is not None and source.seekable():
        trusted_keys = list(trusted_keys)
        start = source.tell()
        skip = _last_trusted_checkpoint(source, trusted_keys)
    try:
        return _verify_export(source, trusted_keys, skip)
    except LogFault:
        if not skip:
            raise
    # As in ``verification.verify_log``: check every seal, to name the first altered event.
    source.seek(start)
    return _verify_export(source, trusted_keys, 0)


def _last_trusted_checkpoint(source: BinaryIO, trusted_keys: list[str]) -> int:
    """The position that the file's last validly signed checkpoint by a trusted key covers (0: none,
    or the source is not a file), found by a byte search for the checkpoints' type backwards from the
    file's end, over the file mapped into memory. A checkpoint follows the events it covers, so the last
    one is near the end and the search reads only the file's tail. Any such checkpoint will do: which
    seals it spares is all that depends on it, and the verification itself checks it against the log
    (if it does not match, every seal is checked again)."""
    try:
        mapped = mmap.mmap(source.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError, io.UnsupportedOperation):
        return 0
    marker = f'"type":"{CHECKPOINT_TYPE}"'.encode()
    with mapped:
        hit = mapped.rfind(marker)
        while hit >= 0:
            start = mapped.rfind(b"\n", 0, hit) + 1
            stop = mapped.find(b"\n", hit)
            stop = len(mapped) if stop < 0 else stop
            position = trusted_up_to(_checkpoint_of(mapped[start:stop]), trusted_keys)
            if position:
                return position
            hit = mapped.rfind(marker, 0, start)
    return 0


def _checkpoint_of(raw: bytes) -> list[Checkpoint]:
    try:
        line = msgspec.json.decode(raw, type=ExportLine)
        if line.type == CHECKPOINT_TYPE:
            return [decode_checkpoint(bytes(line.data), line.position)]
    except (msgspec.DecodeError, msgspec.ValidationError, LogFault):
        pass  # the verification proper names what cannot be read
    return []


def _verify_export(source: BinaryIO, trusted_keys: Iterable[str] | None, skip: int) -> Verified:
    if (halves := verified_in_halves(source, trusted_keys, skip)) is not None:
        return halves
    reading = ExportReading(trusted_keys, skip)
    reading.read(source)
    return reading.end()
