"""Verifying the event log without trusting the people who run it.

Three things make the log tamper-evident:

- **The event hash** (``adapters.nats.recorders.event_hash``): every stored event carries a hash over its
  content and over the hash of its aggregate's previous event (``prev_hash``). A changed event no longer
  matches its hash; a removed or inserted event breaks the link of the aggregate's next event.
- **The log hash**: a running hash over every event of the log in order, ``L_0`` = 32 zero bytes and
  ``L_i = sha256(L_(i-1) || position_i as 8 bytes big-endian || hash_i as 32 bytes)``. It commits to which
  events the log holds and in which order, across aggregates. Only events count: tracking records of
  process applications are bookkeeping, not facts, and are left out.
- **Signed checkpoints**: the service periodically signs (Ed25519) the claim "the log up to position N
  holds E events and has log hash L", and stores it immutably. Whoever holds the published public key can
  check that nothing up to N was changed, removed, inserted or reordered since, even by the operators, who
  cannot sign without the private key.

``LogVerifier`` checks a log fed to it in order and raises ``LogFault`` at the first position where a
hash, link or signature does not hold, saying what is wrong there. It knows nothing of the governance
domain or of where the log comes from (NATS or an export file).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import BinaryIO, Protocol

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from adapters.audit import (
    CHECKPOINT_TYPE,
    ExportLine,
    UnreadableLine,
    checkpoint_line,
    event_line,
    read_lines,
    source_of,
    state_of,
)
from adapters.nats.audit import UnreadableEntry
from adapters.nats.recorders import EventRecord, event_hash

GENESIS_LOG_HASH = bytes(32)

logger = logging.getLogger(__name__)


def next_log_hash(log_hash: bytes, position: int, hash_hex: str) -> bytes:
    """The log hash after one more event (see the module's docstring)."""
    return hashlib.sha256(log_hash + position.to_bytes(8, "big") + bytes.fromhex(hash_hex)).digest()


class FaultKind(StrEnum):
    UNREADABLE = "unreadable entry"
    CHANGED = "changed content"
    BROKEN_LINK = "broken link"
    REORDERED = "reordered events"
    MISSING = "missing event"
    INSERTED = "inserted event"
    BAD_SIGNATURE = "bad checkpoint signature"
    CHECKPOINT_MISMATCH = "checkpoint does not match the log"


class LogFault(Exception):
    """The first place where the log does not hold: its position, the kind of fault and what is wrong."""

    def __init__(self, position: int | None, kind: FaultKind, detail: str) -> None:
        where = f"position {position}" if position is not None else "the log"
        super().__init__(f"{where}: {kind} — {detail}")
        self.position = position
        self.kind = kind
        self.detail = detail


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A signed claim: the log ``stream`` up to ``position`` holds ``events`` events with ``log_hash``."""

    stream: str
    position: int
    events: int
    log_hash: str
    signed_at: str
    public_key: str
    signature: str = ""

    def claim(self) -> bytes:
        """The bytes that are signed: every field but the signature, in this fixed order."""
        return msgspec.json.encode(
            [self.stream, self.position, self.events, self.log_hash, self.signed_at, self.public_key]
        )

    @classmethod
    def sign(cls, key: SigningKey, stream: str, position: int, events: int, log_hash: str) -> Checkpoint:
        unsigned = cls(
            stream=stream,
            position=position,
            events=events,
            log_hash=log_hash,
            signed_at=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            public_key=key.verify_key.encode().hex(),
        )
        signature = key.sign(unsigned.claim()).signature.hex()
        return msgspec.structs.replace(unsigned, signature=signature)

    def signature_holds(self) -> bool:
        try:
            VerifyKey(bytes.fromhex(self.public_key)).verify(
                self.claim(), bytes.fromhex(self.signature)
            )
        except (BadSignatureError, ValueError, TypeError):
            return False
        return True


class Verified(msgspec.Struct, frozen=True, kw_only=True):
    """What a verification established."""

    position: int
    events: int
    log_hash: str
    checkpoint: Checkpoint | None
    # Events after the last checkpoint: their hashes and links hold, but no signature covers them yet.
    uncovered: int
    # Whether the checkpoints were checked against a key given by the auditor, not one the log names.
    key_given: bool

    def summary(self) -> str:
        if self.events == 0:
            return "verified: the log is empty"
        text = f"verified up to position {self.position} ({self.events} events)"
        if self.checkpoint is None:
            return f"{text}; no signed checkpoint covers it yet"
        text += (
            f", checkpoint signed at {self.checkpoint.signed_at} by key "
            f"{self.checkpoint.public_key[:16]}… covers position {self.checkpoint.position}"
        )
        if not self.key_given:
            text += " (key as named in the log: compare it with the key the service publishes)"
        if self.uncovered:
            text += f"; the {self.uncovered} events after it are linked but not yet signed"
        return text


class LogVerifier:
    """Checks a log fed to it in order: events with ``event``, checkpoints with ``checkpoint``."""

    def __init__(self, stream: str, trusted_keys: Iterable[str] | None = None) -> None:
        self.stream = stream
        self.trusted_keys = None if trusted_keys is None else set(trusted_keys)
        self.position = 0
        self.events = 0
        self._log_hash = GENESIS_LOG_HASH
        # Per aggregate: the version, hash and position of its last event so far.
        self._heads: dict[str, tuple[int, str, int]] = {}
        self._pending: list[Checkpoint] = []
        self.last_checkpoint: Checkpoint | None = None
        self._covered_events = 0

    @property
    def log_hash(self) -> str:
        return self._log_hash.hex()

    def event(
        self,
        position: int,
        originator_id: str,
        version: int,
        topic: str,
        state: bytes,
        prev_hash: str,
        hash_hex: str,
    ) -> None:
        if self._pending and self._pending[0].position < position:
            self._settle_checkpoints(before=position)
        if position <= self.position:
            raise LogFault(
                position,
                FaultKind.REORDERED,
                f"it comes after position {self.position}; positions must increase",
            )
        if event_hash(prev_hash, originator_id, version, topic, state) != hash_hex:
            raise LogFault(
                position,
                FaultKind.CHANGED,
                f"the content of event {version} of aggregate {originator_id} ({topic}) does not "
                "match its hash",
            )
        head = self._heads.get(originator_id)
        if head is None:
            if prev_hash:
                raise LogFault(
                    position,
                    FaultKind.BROKEN_LINK,
                    f"event {version} of aggregate {originator_id} links to a predecessor "
                    f"({prev_hash[:12]}…), but it is the aggregate's first event in the log: "
                    "an earlier event of this aggregate is missing",
                )
        elif prev_hash != head[1] or version <= head[0]:
            detail = self._link_detail(originator_id, version, prev_hash, head)
            raise LogFault(position, FaultKind.BROKEN_LINK, detail)
        self._heads[originator_id] = (version, hash_hex, position)
        self._log_hash = next_log_hash(self._log_hash, position, hash_hex)
        self.position = position
        self.events += 1

    @staticmethod
    def _link_detail(
        originator_id: str, version: int, prev_hash: str, head: tuple[int, str, int]
    ) -> str:
        head_version, _, head_position = head
        previous = f"the aggregate's previous event (version {head_version} at position {head_position})"
        if not prev_hash:
            return (
                f"event {version} of aggregate {originator_id} claims to be its first, but {previous} "
                "precedes it: it was written past the service's optimistic lock"
            )
        if version <= head_version:
            return f"event version {version} of aggregate {originator_id} does not follow {previous}"
        return (
            f"event {version} of aggregate {originator_id} does not link to {previous}: an event was "
            "removed or inserted between them"
        )

    def expect(self, checkpoints: Iterable[Checkpoint]) -> None:
        """Checkpoints to check when the log has been fed up to their positions."""
        self._pending = sorted([*self._pending, *checkpoints], key=lambda c: c.position)

    def checkpoint(self, checkpoint: Checkpoint) -> None:
        """A checkpoint met in the log after the last event it covers (as in an export file)."""
        if checkpoint.position < self.position:
            raise LogFault(
                checkpoint.position,
                FaultKind.CHECKPOINT_MISMATCH,
                f"the checkpoint signed at {checkpoint.signed_at} appears after position "
                f"{self.position}, past the events it covers",
            )
        self.expect([checkpoint])

    def finish(self) -> Verified:
        self._settle_checkpoints(before=None)
        return Verified(
            position=self.position,
            events=self.events,
            log_hash=self.log_hash,
            checkpoint=self.last_checkpoint,
            uncovered=self.events - self._covered_events,
            key_given=self.trusted_keys is not None,
        )

    def _settle_checkpoints(self, before: int | None) -> None:
        """Checks every pending checkpoint below `before` (all of them if None) against the log so far."""
        while self._pending and (before is None or self._pending[0].position < before):
            self._check(self._pending.pop(0))

    def _check(self, checkpoint: Checkpoint) -> None:
        at = checkpoint.position
        if not checkpoint.signature_holds():
            raise LogFault(
                at,
                FaultKind.BAD_SIGNATURE,
                f"the signature of the checkpoint said to be signed at {checkpoint.signed_at} does not "
                "hold: the checkpoint was altered or not made with its key",
            )
        if self.trusted_keys is not None and checkpoint.public_key not in self.trusted_keys:
            raise LogFault(
                at,
                FaultKind.BAD_SIGNATURE,
                f"the checkpoint signed at {checkpoint.signed_at} was signed by key "
                f"{checkpoint.public_key[:16]}…, which is not the service's published key",
            )
        if checkpoint.stream != self.stream:
            raise LogFault(
                at,
                FaultKind.CHECKPOINT_MISMATCH,
                f"the checkpoint signed at {checkpoint.signed_at} is for log {checkpoint.stream!r}, "
                f"not {self.stream!r}",
            )
        if checkpoint.events != self.events or checkpoint.position != self.position:
            missing = checkpoint.events - self.events
            if missing > 0 or checkpoint.position > self.position:
                kind = FaultKind.MISSING
                what = (
                    f"{missing} event(s) up to position {at} are missing"
                    if missing > 0
                    else f"the event at position {at} is missing"
                )
            else:
                kind, what = FaultKind.INSERTED, f"{-missing} event(s) up to position {at} were added"
            raise LogFault(
                at,
                kind,
                f"the checkpoint signed at {checkpoint.signed_at} counts {checkpoint.events} events up "
                f"to position {at}, the log has {self.events} up to position {self.position}: {what}",
            )
        if checkpoint.log_hash != self.log_hash:
            raise LogFault(
                at,
                FaultKind.CHECKPOINT_MISMATCH,
                f"the log hash up to position {at} is {self.log_hash[:16]}…, the checkpoint signed at "
                f"{checkpoint.signed_at} says {checkpoint.log_hash[:16]}…: an event at or before it "
                "was changed, replaced or reordered",
            )
        self.covered_by(checkpoint)

    def covered_by(self, checkpoint: Checkpoint) -> None:
        """Notes that `checkpoint` was checked against (or made from) the log fed so far."""
        self.last_checkpoint = checkpoint
        self._covered_events = self.events


class EventLog(Protocol):
    """The read side of a stored log: its events in order and its checkpoints as stored."""

    stream: str

    def scan(self, after: int, accept: Callable[[int, EventRecord], None]) -> None:
        """Hands every event after position `after` to `accept(position, record)`, in log order."""
        ...

    def checkpoint_payloads(self) -> list[bytes]: ...


_decode_checkpoint = msgspec.json.Decoder(Checkpoint).decode


def decode_checkpoint(payload: bytes, position: int | None = None) -> Checkpoint:
    try:
        return _decode_checkpoint(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        reason = f"a checkpoint that cannot be read ({error})"
        raise LogFault(position, FaultKind.UNREADABLE, reason) from None


def verify_log(log: EventLog, trusted_keys: Iterable[str] | None = None) -> Verified:
    """Verifies a stored log and all its checkpoints; raises LogFault at the first fault."""
    verifier = LogVerifier(log.stream, trusted_keys)
    verifier.expect(decode_checkpoint(payload) for payload in log.checkpoint_payloads())
    feed(verifier, log)
    return verifier.finish()


def feed(verifier: LogVerifier, log: EventLog, after: int = 0) -> None:
    """Feeds the log's events after position `after` to the verifier."""
    event = verifier.event

    def accept(position: int, record: EventRecord) -> None:
        event(
            position,
            record.originator_id,
            record.originator_version,
            record.topic,
            record.state,
            record.prev_hash,
            record.hash,
        )

    try:
        log.scan(after, accept)
    except UnreadableEntry as error:
        raise LogFault(error.position, FaultKind.UNREADABLE, error.reason) from None


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

    def accept(position: int, record: EventRecord) -> None:
        nonlocal log_hash, previous, events
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
    """Verifies an export file (see ``export_log``) from its contents alone."""
    lines = read_lines(source)
    verifier: LogVerifier | None = None
    try:
        for number, line in lines:
            if verifier is None:
                verifier = LogVerifier(_stream_of(line, number), trusted_keys)
                event = verifier.event
            if line.type == CHECKPOINT_TYPE:
                verifier.checkpoint(decode_checkpoint(bytes(line.data), line.position))
                continue
            if line.previousposition != verifier.position:
                raise _order_fault(verifier.position, number, line, lines)
            try:
                state = bytes(line.data) if line.data_base64 is None else state_of(line)
            except ValueError as error:
                raise LogFault(line.position, FaultKind.UNREADABLE, f"line {number}: {error}") from None
            event(
                line.position,
                line.subject,
                line.aggregateversion,
                line.type,
                state,
                line.predecessorhash,
                line.hash,
            )
            if line.loghash != verifier.log_hash:
                raise LogFault(
                    line.position,
                    FaultKind.CHANGED,
                    f"line {number}: the log hash up to this event differs from the one recorded at "
                    "export: the event's position or hash was altered",
                )
    except UnreadableLine as error:
        raise LogFault(
            verifier.position + 1 if verifier else None, FaultKind.UNREADABLE, str(error)
        ) from None
    if verifier is None:
        raise LogFault(None, FaultKind.UNREADABLE, "the file holds no events")
    return verifier.finish()


def _stream_of(line: ExportLine, number: int) -> str:
    prefix = source_of("")
    if not line.source.startswith(prefix):
        raise LogFault(
            line.position, FaultKind.UNREADABLE, f"line {number}: not from a Regiekaart log ({line.source})"
        )
    return line.source[len(prefix) :]


def _order_fault(
    previous: int, number: int, line: ExportLine, rest: Iterator[tuple[int, ExportLine]]
) -> LogFault:
    """Why the line at `number` does not follow the file's previous event (at position `previous`).

    Its event followed `line.previousposition` in the exported log. Either events were moved (a later
    line has an earlier position), or an event is missing, or one was inserted."""
    here = f"line {number} (position {line.position})"
    if line.position <= previous:
        return LogFault(line.position, FaultKind.REORDERED, f"{here} comes after position {previous}")
    for later_number, later in rest:
        if later.type != CHECKPOINT_TYPE and later.previousposition == previous:
            return LogFault(
                later.position,
                FaultKind.REORDERED,
                f"the event at position {later.position} belongs after position {previous} but "
                f"stands at line {later_number}; {here} stands in its place: events were moved",
            )
    if line.previousposition > previous:
        return LogFault(
            line.previousposition,
            FaultKind.MISSING,
            f"the event at position {line.previousposition} is missing: in the exported log it came "
            f"before {here}, but the file goes from position {previous} to {line.position}",
        )
    return LogFault(
        previous,
        FaultKind.INSERTED,
        f"the event at position {previous} was not in the exported log: there, {here} followed "
        f"position {line.previousposition}",
    )


class CheckpointWriter:
    """Signs a checkpoint over the whole log every `interval` seconds while the log grows.

    It verifies the log as it reads it (its own earlier checkpoints included) and never signs past a
    fault: a log that an outside writer has altered gets no signature over the alteration.
    """

    def __init__(
        self,
        log: EventLog,
        append: Callable[[bytes], None],
        key: SigningKey,
        interval: float,
    ) -> None:
        self.log = log
        self._append = append
        self.key = key
        self.interval = interval
        self.fault: LogFault | None = None
        self._verifier: LogVerifier | None = None
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> CheckpointWriter:
        self._thread = threading.Thread(target=self._run, name="checkpoint-writer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> Checkpoint | None:
        """Stops the periodic writing and signs a last checkpoint over what the log holds now (that
        checkpoint; None if the log did not grow or signing failed)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        return self._write_logging_errors()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._write_logging_errors()
            self._stopped.wait(self.interval)

    def _write_logging_errors(self) -> Checkpoint | None:
        try:
            return self.write_checkpoint()
        except Exception:  # noqa: BLE001 - a failed round (e.g. NATS away) is retried on the next
            logger.exception("writing a checkpoint failed; retrying at the next interval")
            return None

    def write_checkpoint(self) -> Checkpoint | None:
        """Reads and verifies what was added to the log, then signs it; None if nothing was added."""
        with self._lock:
            if self.fault is not None:
                return None
            verifier = self._verifier
            if verifier is None:
                verifier = LogVerifier(self.log.stream, [self.key.verify_key.encode().hex()])
                verifier.expect(map(decode_checkpoint, self.log.checkpoint_payloads()))
            try:
                feed(verifier, self.log, after=verifier.position)
                verified = verifier.finish()
            except LogFault as fault:
                self.fault = fault
                logger.error("not signing the log: %s", fault)
                return None
            self._verifier = verifier
            if not verified.uncovered:
                return None
            checkpoint = Checkpoint.sign(
                self.key, self.log.stream, verified.position, verified.events, verified.log_hash
            )
            self._append(msgspec.json.encode(checkpoint))
            verifier.covered_by(checkpoint)
            return checkpoint
