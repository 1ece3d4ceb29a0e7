"""Verifying an export file line by line (``ExportReading``), and what a line out of place means."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

import msgspec

from adapters.audit import (
    CHECKPOINT_TYPE,
    ExportLine,
    UnreadableLine,
    decode_line,
    read_lines,
    state_of,
    stream_of,
    topic_of,
    unreadable_line,
)
from adapters.event_log_format import EVENTS_PER_MESSAGE
from projections.audit.log_claims import FaultKind, LogFault, decode_checkpoint
from projections.audit.verification import LogVerifier, Verified


class ExportReading:
    """Verifying an export line by line: the verifier (made at the first line) and the message being
    read. ``read`` may be called again with the lines that follow (``export_halves`` reads a file's
    first half, and then its second half only if the second process could not vouch for it)."""

    def __init__(
        self,
        trusted_keys: Iterable[str] | None,
        skip: int,
        verifier: LogVerifier | None = None,
    ) -> None:
        self.trusted_keys, self.skip = trusted_keys, skip
        self.verifier = verifier
        # The message being read: the lines of one stored message share position // EVENTS_PER_MESSAGE,
        # and its seal is on its last line.
        self.message, self.first, self.count, self.last_hash = -1, 0, 0, ""
        self.lines = 0  # read so far, blank ones included: the next line's number is one more
        # Called before the lines after a misplaced one are searched (``export_halves``: those of the
        # second half too).
        self.before_searching_on: Callable[[], object] = lambda: None

    def read(self, source: BinaryIO) -> None:
        """Verifies the lines of `source`; raises LogFault at the first fault."""
        trusted_keys, skip, decode = self.trusted_keys, self.skip, decode_line
        verifier = self.verifier
        if verifier is not None:
            event, sealed = verifier.event, verifier.sealed
        message, first, count, last_hash = self.message, self.first, self.count, self.last_hash
        number = self.lines
        try:
            # Read here rather than through ``read_lines``: a generator's step per line is a tenth of
            # what verifying the line costs.
            for number, raw in enumerate(source, start=self.lines + 1):
                try:
                    line = decode(raw)
                except (msgspec.DecodeError, msgspec.ValidationError) as error:
                    if unreadable := unreadable_line(number, raw, error):
                        raise unreadable from None
                    continue
                if verifier is None:
                    verifier = self.verifier = LogVerifier(
                        _stream_of(line, number), trusted_keys, skip
                    )
                    event, sealed = verifier.event, verifier.sealed
                if line.type == CHECKPOINT_TYPE:
                    if count:
                        verifier.sealed(first, count, last_hash, None)
                        count = 0
                    verifier.checkpoint(decode_checkpoint(bytes(line.data), line.position))
                    continue
                if line.previousposition != verifier.position:
                    self.before_searching_on()
                    rest = read_lines(source, number + 1)
                    raise _order_fault(verifier.position, number, line, rest)
                position, seal = line.position, line.seal
                if count and position // EVENTS_PER_MESSAGE != message:
                    verifier.sealed(
                        first, count, last_hash, None
                    )  # a message whose seal is missing
                    count = 0
                try:
                    state = bytes(line.data) if line.data_base64 is None else state_of(line)
                except ValueError as error:
                    raise LogFault(
                        position, FaultKind.UNREADABLE, f"line {number}: {error}"
                    ) from None
                log_hash = event(
                    position,
                    line.subject,
                    line.aggregateversion,
                    line.topic or topic_of(line),  # spares the call for all but old files
                    state,
                    line.predecessorhash,
                    line.hash,
                )
                if seal is not None:  # a seal ends its message: a line after it is another message
                    start = first if count else position  # where its message begins
                    if start > skip or not seal.startswith(verifier.key_accepted):
                        sealed(
                            start, count + 1, line.hash, seal
                        )  # else passed over: see key_accepted
                    count = 0
                else:
                    if not count:
                        message, first = position // EVENTS_PER_MESSAGE, position
                    count, last_hash = count + 1, line.hash
                if line.loghash != log_hash.hex():
                    raise LogFault(
                        line.position,
                        FaultKind.CHANGED,
                        f"line {number}: the log hash up to this event differs from the one recorded "
                        "at export: the event's position or hash was altered",
                    )
        except UnreadableLine as error:
            raise LogFault(
                verifier.position + 1 if verifier else None, FaultKind.UNREADABLE, str(error)
            ) from None
        except (struct.error, OverflowError):
            # From ``verifier.event``: JSON numbers have no bound, but the log hash takes a position
            # in 8 bytes and an event's hash (msgpack) a version in at most 8. (A bound in
            # ``ExportLine`` would cost every line's decoding: msgspec checks int64 bounds, 2% more.)
            raise LogFault(
                verifier.position + 1 if verifier else None,
                FaultKind.UNREADABLE,
                f"line {number}: its position ({line.position}) or aggregate version "
                f"({line.aggregateversion}) does not fit in 8 bytes",
            ) from None
        self.message, self.first, self.count, self.last_hash = message, first, count, last_hash
        self.lines = number

    def end(self) -> Verified:
        """What the file verified to, once all of it has been read."""
        verifier = self.verifier
        if verifier is None:
            raise LogFault(None, FaultKind.UNREADABLE, "the file holds no events")
        if self.count:
            verifier.sealed(self.first, self.count, self.last_hash, None)
            self.count = 0
        return verifier.finish()


def _stream_of(line: ExportLine, number: int) -> str:
    stream = stream_of(line)
    if stream is None:
        raise LogFault(
            line.position,
            FaultKind.UNREADABLE,
            f"line {number}: not from a Regiekaart log ({line.source})",
        )
    return stream


def _order_fault(
    previous: int, number: int, line: ExportLine, rest: Iterator[tuple[int, ExportLine]]
) -> LogFault:
    """Why the line at `number` does not follow the file's previous event (at position `previous`).

    Its event followed `line.previousposition` in the exported log. Either events were moved (a later
    line has an earlier position), or an event is missing, or one was inserted."""
    here = f"line {number} (position {line.position})"
    if line.position <= previous:
        return LogFault(
            line.position, FaultKind.REORDERED, f"{here} comes after position {previous}"
        )
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
