"""Verifying the event log without trusting the people who run it.

Three things make the log tamper-evident:

- **The event hash** (``adapters.event_log_format.event_hash``): every stored event carries a hash over its
  content and over the hash of its aggregate's previous event (``prev_hash``). A changed event no longer
  matches its hash; a removed or inserted event breaks the link of the aggregate's next event.
- **The log hash**: a running hash over every event of the log in order, ``L_0`` = 32 zero bytes and
  ``L_i = sha256(L_(i-1) || position_i as 8 bytes big-endian || hash_i as 32 bytes)``. It commits to which
  events the log holds and in which order, across aggregates. Only events count: tracking records of
  process applications are bookkeeping, not facts, and are left out.
- **Event seals** (``adapters.seal``): every event message the service writes carries an Ed25519
  signature over the hash of its last event, by a key that the NATS credentials do not give. An event
  published past the service, with its hashes recomputed or not, has no valid seal by a trusted key and is
  named at its position. Events written before sealing began (by versions without seals) are accepted up
  to the first sealed message; after it, every event message must be sealed.
- **Contiguous messages**: the log's stream never deletes a message, so its sequences run 1, 2, 3, …; a
  message gone from the store (a deleted or corrupted one) is named where it was.
- **Signed checkpoints**: the service periodically signs (Ed25519) the claim "the log up to position N
  holds E events and has log hash L", and stores it immutably. Whoever holds the published public key can
  check that nothing up to N was changed, removed, inserted or reordered since, even by the operators, who
  cannot sign without the private key. The writer signs only what it verified, seals included, so the
  seals of the events a trusted checkpoint covers need not be checked one by one (which is what keeps
  verification fast); when such a checkpoint does not match the log, they are, to name the exact event.

``LogVerifier`` checks a log fed to it in order and raises ``LogFault`` at the first position where a
hash, link, seal or signature does not hold, saying what is wrong there. It knows nothing of the
governance domain or of where the log comes from (NATS or an export file).
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from collections.abc import Callable, Iterable, Sequence
from itertools import chain, count
from typing import Protocol

import msgspec

from adapters.event_log_format import (
    EVENTS_PER_MESSAGE,
    EventRecord,
    EventRun,
    UnreadableEntry,
    encode_record,
)
from adapters.seal import all_sealed_by, seal_holds, seal_key
from projections.audit.log_claims import (
    GENESIS_LOG_HASH,
    Checkpoint,
    FaultKind,
    LogFault,
    decode_checkpoint,
    trusted_up_to,
)

# Bound once: ``LogVerifier.event`` hashes every event twice.
_sha256 = hashlib.sha256
_digest = type(hashlib.sha256()).digest
_hex = bytes.hex
# What the log hash takes in for one more event (see ``log_claims.next_log_hash``): the log hash so far,
# the position as 8 bytes big-endian and the event's hash, in one call rather than three and two joins.
_log_link = struct.Struct(">32sQ32s").pack
# Past any position: no checkpoint pending.
_NO_POSITION = 1 << 64


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
    # Where sealing began (None: no event is sealed) and how many events came before it.
    sealed_since: int | None = None
    unsealed: int = 0

    def summary(self) -> str:
        if self.events == 0:
            return "verified: the log is empty"
        text = f"verified up to position {self.position} ({self.events} events)"
        if self.checkpoint is None:
            return f"{text}; no signed checkpoint covers it yet" + self._sealing()
        text += (
            f", checkpoint signed at {self.checkpoint.signed_at} by key "
            f"{self.checkpoint.public_key[:16]}… covers position {self.checkpoint.position}"
        )
        if not self.key_given:
            text += " (key as named in the log: compare it with the key the service publishes)"
        if self.uncovered:
            text += f"; the {self.uncovered} events after it are linked but not yet signed"
        return text + self._sealing()

    def _sealing(self) -> str:
        if self.sealed_since is None:
            return "; no event is sealed (all were written before sealing began)"
        if self.unsealed:
            return (
                f"; every event is sealed from position {self.sealed_since} on, the {self.unsealed} "
                "before it were written before sealing began"
            )
        return "; every event is sealed"


class LogVerifier:
    """Checks a log fed to it in order: events with ``event``, checkpoints with ``checkpoint``."""

    def __init__(
        self, stream: str, trusted_keys: Iterable[str] | None = None, seals_checked_after: int = 0
    ) -> None:
        self.stream = stream
        self.trusted_keys = None if trusted_keys is None else set(trusted_keys)
        # Seals of events up to here are covered by a checkpoint signed with a trusted key: the
        # signature is not checked again (its key and presence are).
        self.seals_checked_after = seals_checked_after
        self.position = 0
        self.events = 0
        self.sequence = 0
        self.sealed_since: int | None = None
        self._unsealed = 0
        # The "<key>:" start of the last seal whose key was accepted. A seal that starts with it, of a
        # message from a position up to seals_checked_after on, needs nothing more: ``sealed`` returns
        # at once, and readers spare themselves the call (``message``, ``export._verify_export``).
        # Until a seal's key is accepted it is drawn afresh for each verification: a fixed start (it
        # was a NUL) could be written into a forged seal to spare it every check.
        self.key_accepted = f"\0{secrets.token_hex(16)}"
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
    ) -> bytes:
        """Checks the next event of the log; returns the log hash up to and including it."""
        if self._pending and self._pending[0].position < position:
            self.settle_checkpoints(before=position)
        if position <= self.position:
            raise LogFault(
                position,
                FaultKind.REORDERED,
                f"it comes after position {self.position}; positions must increase",
            )
        # ``event_hash`` and ``next_log_hash`` written out: their two calls were a twentieth of what
        # verifying an event costs. tests/unit/test_audit.py holds the three to the same results.
        digest = _digest(_sha256(encode_record((prev_hash, originator_id, version, topic, state))))
        if _hex(digest) != hash_hex:
            raise LogFault(
                position,
                FaultKind.CHANGED,
                f"the content of event {version} of aggregate {originator_id} ({topic}) does not "
                "match its hash",
            )
        heads = self._heads
        head = heads.get(originator_id)
        if head is None:
            self._first_seen(position, originator_id, version, prev_hash)
        elif prev_hash != head[1] or version <= head[0]:
            detail = self._link_detail(originator_id, version, prev_hash, head)
            raise LogFault(position, FaultKind.BROKEN_LINK, detail)
        heads[originator_id] = (version, hash_hex, position)
        self._log_hash = log_hash = _digest(_sha256(_log_link(self._log_hash, position, digest)))
        self.position = position
        self.events += 1
        return log_hash

    def _first_seen(self, position: int, originator_id: str, version: int, prev_hash: str) -> None:
        """An event of an aggregate none of whose events came before it in the log."""
        if prev_hash:
            raise LogFault(
                position,
                FaultKind.BROKEN_LINK,
                f"event {version} of aggregate {originator_id} links to a predecessor "
                f"({prev_hash[:12]}…), but it is the aggregate's first event in the log: "
                "an earlier event of this aggregate is missing",
            )

    def links_on(self, originator_id: str, version: int, prev_hash: str) -> bool:
        """Whether an event of `originator_id` with `version`, linked to `prev_hash`, follows the log
        fed so far without breaking a link: the rule ``event`` applies (written out there, as it is
        checked for every event)."""
        head = self._heads.get(originator_id)
        if head is None:
            return not prev_hash
        return prev_hash == head[1] and version > head[0]

    @staticmethod
    def _link_detail(
        originator_id: str, version: int, prev_hash: str, head: tuple[int, str, int]
    ) -> str:
        head_version, _, head_position = head
        previous = (
            f"the aggregate's previous event (version {head_version} at position {head_position})"
        )
        if not prev_hash:
            return (
                f"event {version} of aggregate {originator_id} claims to be its first, but {previous} "
                "precedes it: it was written past the service's optimistic lock"
            )
        if version <= head_version:
            return (
                f"event version {version} of aggregate {originator_id} does not follow {previous}"
            )
        return (
            f"event {version} of aggregate {originator_id} does not link to {previous}: an event was "
            "removed or inserted between them"
        )

    def message(
        self, sequence: int, entries: list[tuple[int, EventRecord]], seal: str | None
    ) -> None:
        """One stored message of the log, in stream order: its events (none for a tracking record)
        and its seal. Messages seen before (a scan resuming at the last one) are passed over."""
        if sequence != self.sequence + 1:
            if sequence <= self.sequence:
                return
            first_missing = self.sequence + 1
            raise LogFault(
                first_missing * EVENTS_PER_MESSAGE,
                FaultKind.MISSING,
                f"stream message {first_missing} is missing: the log goes from message "
                f"{self.sequence} to message {sequence}, and nothing is ever deleted from it "
                f"({sequence - first_missing} message(s) removed or lost)",
            )
        self.sequence = sequence
        if not entries:
            return
        self._events((entries,))
        first_position = entries[0][0]
        if (
            seal is None
            or first_position > self.seals_checked_after
            or not seal.startswith(self.key_accepted)
        ):  # not the common case (see key_accepted): spares a call per message
            self.sealed(first_position, len(entries), entries[-1][1].hash, seal)

    def messages(
        self,
        first_sequence: int,
        messages: Sequence[list[tuple[int, EventRecord]]],
        seals: Sequence[str | None],
    ) -> None:
        """Stored messages with consecutive stream sequences from `first_sequence` on, with their
        seals, as ``message`` takes them one by one. A run that follows the last message fed and
        whose seals are all of the common case (by the accepted key, under a trusted checkpoint: see
        ``key_accepted``) needs no step per message, only its events checked; any other run is taken
        message by message, so that a fault is named where it is."""
        last = messages[-1]
        if (
            first_sequence != self.sequence + 1
            or not last
            or last[0][0] > self.seals_checked_after
            or not all_sealed_by(seals, self.key_accepted)
        ):
            for sequence, entries, seal in zip(count(first_sequence), messages, seals):
                self.message(sequence, entries, seal)
            return
        self.sequence = first_sequence + len(messages) - 1
        self._events(messages)

    def _events(self, messages: Iterable[list[tuple[int, EventRecord]]]) -> None:
        """``event`` for each event of the messages, with the event that follows its aggregate's
        previous one in the log, matches its hash and comes before any pending checkpoint's position
        checked here without a call, in local variables (that call was a fifth of what verifying an
        event from NATS cost). Any other event (an aggregate's first in the log, one due to settle a
        checkpoint, one that does not hold) is handed to ``event``, the one home of what the rules
        say of it and of what is wrong with it."""
        heads = self._heads
        get_head = heads.get
        log_hash, last, checked = self._log_hash, self.position, 0
        settle_from = self._pending[0].position if self._pending else _NO_POSITION
        # A run as ``checked_run_entries`` reads it holds its events' positions and records apart.
        events = (
            zip(messages.positions, messages.records, strict=True)
            if isinstance(messages, EventRun)
            else chain.from_iterable(messages)
        )
        for position, record in events:
            originator_id, version, prev_hash = (
                record.originator_id,
                record.originator_version,
                record.prev_hash,
            )
            head = get_head(originator_id)
            if (
                head is not None
                and last < position <= settle_from
                and prev_hash == head[1]
                and version > head[0]
            ):
                digest = _digest(
                    _sha256(
                        encode_record(
                            (prev_hash, originator_id, version, record.topic, record.state)
                        )
                    )
                )
                if _hex(digest) == record.hash:
                    heads[originator_id] = (version, record.hash, position)
                    log_hash = _digest(_sha256(_log_link(log_hash, position, digest)))
                    last = position
                    checked += 1
                    continue
            self._log_hash, self.position, self.events = log_hash, last, self.events + checked
            log_hash = self.event(
                position,
                originator_id,
                version,
                record.topic,
                record.state,
                prev_hash,
                record.hash,
            )
            last, checked = position, 0
            settle_from = self._pending[0].position if self._pending else _NO_POSITION
        self._log_hash, self.position, self.events = log_hash, last, self.events + checked

    def sealed(self, first_position: int, count: int, last_hash: str, seal: str | None) -> None:
        """Checks the seal of the message whose `count` events, from `first_position` on, were just fed."""
        if (
            first_position <= self.seals_checked_after
            and seal is not None
            and seal.startswith(self.key_accepted)
        ):
            return  # by an accepted key, under a trusted checkpoint: the common case, kept short
        if seal is None:
            if self.sealed_since is not None:
                raise LogFault(
                    first_position,
                    FaultKind.UNSEALED,
                    f"the event message at position {first_position} carries no seal, although every "
                    f"message since position {self.sealed_since} is sealed: the service did not "
                    "write it",
                )
            self._unsealed += count
            return
        if self.sealed_since is None:
            self.sealed_since = first_position
        if not seal.startswith(self.key_accepted):  # most seals name the key the previous one did
            key = seal_key(seal)
            if self.trusted_keys is not None and key not in self.trusted_keys:
                raise LogFault(
                    first_position,
                    FaultKind.OTHER_KEY,
                    f"the event message at position {first_position} is sealed by key {key[:16]}…, "
                    "which is not one of the service's keys",
                )
            self.key_accepted = seal.partition(":")[0] + ":"
        if first_position > self.seals_checked_after and not seal_holds(
            self.stream, last_hash, seal
        ):
            raise LogFault(
                first_position,
                FaultKind.BAD_SEAL,
                f"the seal of the event message at position {first_position} does not hold: its "
                "events were altered, or it was not sealed with the key it names",
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
        self.settle_checkpoints(before=None)
        return Verified(
            position=self.position,
            events=self.events,
            log_hash=self.log_hash,
            checkpoint=self.last_checkpoint,
            uncovered=self.events - self._covered_events,
            key_given=self.trusted_keys is not None,
            sealed_since=self.sealed_since,
            unsealed=self._unsealed,
        )

    def settle_checkpoints(self, before: int | None) -> bool:
        """Checks every pending checkpoint below `before` (all of them if None) against the log so
        far; whether none is left pending."""
        while self._pending and (before is None or self._pending[0].position < before):
            self._check(self._pending.pop(0))
        return not self._pending

    def _check(self, checkpoint: Checkpoint) -> None:
        self.check_against(checkpoint, self.position, self.events, self.log_hash)
        self.covered_by(checkpoint)

    def check_against(
        self, checkpoint: Checkpoint, position: int, events: int, log_hash: str
    ) -> None:
        """Checks `checkpoint` against a log that holds `events` events up to `position` with
        `log_hash` (the log fed so far, or one of which this verifier was fed the end only)."""
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
        if checkpoint.events != events or checkpoint.position != position:
            missing = checkpoint.events - events
            if missing > 0 or checkpoint.position > position:
                kind = FaultKind.MISSING
                what = (
                    f"{missing} event(s) up to position {at} are missing"
                    if missing > 0
                    else f"the event at position {at} is missing"
                )
            else:
                kind, what = (
                    FaultKind.INSERTED,
                    f"{-missing} event(s) up to position {at} were added",
                )
            raise LogFault(
                at,
                kind,
                f"the checkpoint signed at {checkpoint.signed_at} counts {checkpoint.events} events up "
                f"to position {at}, the log has {events} up to position {position}: {what}",
            )
        if checkpoint.log_hash != log_hash:
            raise LogFault(
                at,
                FaultKind.CHECKPOINT_MISMATCH,
                f"the log hash up to position {at} is {log_hash[:16]}…, the checkpoint signed at "
                f"{checkpoint.signed_at} says {checkpoint.log_hash[:16]}…: an event at or before it "
                "was changed, replaced or reordered",
            )

    def covered_by(self, checkpoint: Checkpoint) -> None:
        """Notes that `checkpoint` was checked against (or made from) the log fed so far."""
        self.last_checkpoint = checkpoint
        self._covered_events = self.events


class EventLog(Protocol):
    """The read side of a stored log: its messages in order and its checkpoints as stored."""

    stream: str

    def scan(
        self, after: int, accept: Callable[[int, list[tuple[int, EventRecord]], str | None], None]
    ) -> None:
        """Hands every message from the one holding position `after` on (from the first if 0) to
        `accept(sequence, events with their positions, seal)`, in log order."""
        ...

    def checkpoint_payloads(self) -> list[bytes]: ...


def verify_log(log: EventLog, trusted_keys: Iterable[str] | None = None) -> Verified:
    """Verifies a stored log and all its checkpoints; raises LogFault at the first fault."""
    checkpoints = [decode_checkpoint(payload) for payload in log.checkpoint_payloads()]
    skip = trusted_up_to(checkpoints, trusted_keys)
    try:
        return _verify(log, checkpoints, trusted_keys, skip)
    except LogFault:
        if not skip:
            raise
    # The log does not hold where a trusted checkpoint said it did: an event was altered after that
    # checkpoint was signed. Every seal is checked now, so the fault named is the first altered event
    # (an altered event's seal fails before a later link or the checkpoint does).
    return _verify(log, checkpoints, trusted_keys, 0)


def _verify(
    log: EventLog, checkpoints: list[Checkpoint], trusted_keys: Iterable[str] | None, skip: int
) -> Verified:
    verifier = LogVerifier(log.stream, trusted_keys, seals_checked_after=skip)
    verifier.expect(checkpoints)
    feed(verifier, log)
    return verifier.finish()


def feed(verifier: LogVerifier, log: EventLog, after: int = 0) -> None:
    """Feeds the log's messages from the one holding position `after` on to the verifier: in runs, if
    the log can hand them on so (``scan_runs(after, accept)``, `accept` taking a run's first stream
    sequence, the events of each of its messages and their seals), else one by one."""
    scan_runs = getattr(log, "scan_runs", None)
    try:
        if scan_runs is not None:
            scan_runs(after, verifier.messages)
        else:
            log.scan(after, verifier.message)
    except UnreadableEntry as error:
        raise LogFault(error.position, FaultKind.UNREADABLE, error.reason) from None
