"""Verifying a large export file in two processes: this one reads the file's first half, a second
one its second half, each on a core of its own.

Verifying a line costs about 4 µs of one core (decoding it, two SHA-256, the checks), and nothing
else competes for the machine while an auditor verifies a file: cut in two, the file takes about
half the time on two cores.

**What the second half starts from.** Verifying a line depends on what came before it. The file is
cut before an event line whose preceding line is an event line too (``Boundary``); that preceding line
says the log's position and log hash up to it. The second process verifies the second half from
that claimed state with a ``ClaimedStart``, which notes what it cannot know instead of checking it:

- the stream the seals and checkpoints name: the one the preceding line names;
- the position and log hash before the first line: those the preceding line records (the first
  line's ``previousposition`` and ``loghash`` are checked against them as any line's are);
- each aggregate whose events it meets first: the version and predecessor hash of that event (which
  would link to the aggregate's last event in the first half, or claim to be its first);
- sealing: how many unsealed messages came before the half's first sealed one (which is allowed
  only if the first half has no sealed message either);
- each checkpoint it settles: the position, events counted in the half and log hash there (the
  events of the first half still to be added);
- the message being read at the cut: the second half begins with a message of its own.

When this process has verified the first half, it checks each of those claims against its own
state (``_joined``). If all hold and the second half held, the file holds: the answer is the two
halves' state put together, the same ``Verified`` one process gives. Otherwise — a fault in the
second half, or a claim that does not hold — this process reads on into the second half itself and
names the first fault exactly as one process would (line numbers, order, kind), at the cost of the
second half read twice. The second process never reports a fault, only "this half holds from
that state" or not.

A second process that ends without an answer (killed, out of memory) is a ``VerifierLost``, never a
verified file; one that fails on a line (an error, not a fault) has its half read here, as for a
fault. Ctrl-C: it runs in a process group of its own, which the terminal's Ctrl-C does not reach,
and this process ends it on the way out; if this process is killed, the second one's standard input
closes and it ends at once.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import msgspec

from adapters.audit import CHECKPOINT_TYPE, EXPORT_READ_BUFFER, ExportLine, decode_line, stream_of
from adapters.event_log_format import EVENTS_PER_MESSAGE
from projections.audit.export_reading import ExportReading
from projections.audit.log_claims import Checkpoint, LogFault
from projections.audit.verification import LogVerifier, Verified

# A file smaller than this is verified in one process: starting the second one (~0.12 s of CPU for
# its imports) and handing over its claims cost more than half of it takes. Measured (CPU of the
# longer of the two processes against one process, load 9): 50,000 lines of the benchmark's export
# (54 MB) 0.21-0.29 s against 0.19-0.26, no gain; 100,000 (135 MB) 0.31-0.40 against 0.42-0.48.
# A process that may run on one core only (``taskset``, a container's cpuset) keeps to one.
SPLIT_FROM_BYTES = 128 << 20
_SECOND_CORE = len(os.sched_getaffinity(0)) > 1
# How many lines past the middle a cut is looked for (past checkpoint, blank or unreadable lines).
_CUT_TRIES = 64
_FRAME_LENGTH = struct.Struct("<Q")
# The project's root, for the second process to import this module however this one was started.
_ROOT = Path(__file__).resolve().parents[2]


class VerifierLost(Exception):
    """The second process ended without saying whether its half holds."""


class Boundary(msgspec.Struct, frozen=True):
    """Where the file is cut (the offset of the second half's first line), and what the line before
    the cut claims: the stream, the position and the log hash up to it."""

    offset: int
    stream: str
    position: int
    log_hash: bytes
    # The second half's first event: where its message begins.
    next_position: int


class SecondHalf(msgspec.Struct, frozen=True):
    """What the second process found its half to hold, from the boundary's state (see the module's
    docstring): its own ``Verified``, and what it assumed of the first half."""

    verified: Verified
    first_seen: dict[str, tuple[int, str]]
    checkpoints: list[tuple[Checkpoint, int, int, str]]


def verified_in_halves(
    source: BinaryIO, trusted_keys: Iterable[str] | None, skip: int, cut: int | None = None
) -> Verified | None:
    """Verifies `source` in two halves, cut at the line at or after the byte `cut` (the middle if
    None); None if it is not worth it or not possible (not a file, too small, no place to cut, one
    core): the caller then verifies it in one."""
    try:
        fd = source.fileno()
        size = os.fstat(fd).st_size
        at_start = source.tell() == 0
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None
    if not _SECOND_CORE or not at_start:
        return None
    if cut is None:
        if size < SPLIT_FROM_BYTES:
            return None
        cut = size // 2
    boundary = _boundary(fd, cut)
    if boundary is None:
        return None
    keys = None if trusted_keys is None else list(trusted_keys)
    with _SecondProcess(fd, size, boundary, keys, skip) as second:
        first_half = _FileRange(fd, 0, boundary.offset)
        lines = io.BufferedReader(first_half, EXPORT_READ_BUFFER)
        reading = ExportReading(keys, skip)
        reading.before_searching_on = first_half.lift
        reading.read(lines)
        half = second.answer()
        if half is not None and (verified := _joined(reading, boundary, half)) is not None:
            return verified
        # A fault in the second half, or at the cut: named as one process would.
        first_half.lift(size)
        reading.read(lines)
        return reading.end()


def _boundary(fd: int, cut: int) -> Boundary | None:
    """The first place at or after `cut` where an event line follows an event line that ends its
    message (it carries a seal, or the next is of another message): a message running across the cut
    would leave the second half's start unknown (see ``_joined``)."""
    try:
        mapped = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    with mapped:
        start = mapped.find(b"\n", max(cut - 1, 0)) + 1
        for _ in range(_CUT_TRIES):
            if start <= 0 or start >= len(mapped):
                return None
            stop = mapped.find(b"\n", start)
            before, after = (
                _event_of(mapped[mapped.rfind(b"\n", 0, start - 1) + 1 : start]),
                (_event_of(mapped[start : len(mapped) if stop < 0 else stop])),
            )
            if (
                before is not None
                and after is not None
                and (
                    before.seal is not None
                    or before.position // EVENTS_PER_MESSAGE != after.position // EVENTS_PER_MESSAGE
                )
            ):
                stream = stream_of(before)
                with contextlib.suppress(ValueError):
                    log_hash = bytes.fromhex(before.loghash)
                    if stream is not None and len(log_hash) == 32:
                        return Boundary(start, stream, before.position, log_hash, after.position)
            start = stop + 1
    return None


def _event_of(raw: bytes) -> ExportLine | None:
    try:
        line = decode_line(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return None if line.type == CHECKPOINT_TYPE else line


def _joined(reading: ExportReading, boundary: Boundary, half: SecondHalf) -> Verified | None:
    """The whole file's ``Verified`` if the first half, as `reading` ends it, is what the second
    half was verified from; None if it is not (the second half is then read here). Raises the
    fault one process would raise at the second half's first line, if any."""
    verifier = reading.verifier
    if (
        verifier is None
        or verifier.stream != boundary.stream
        or verifier.position != boundary.position
        or verifier.log_hash != boundary.log_hash.hex()
    ):
        return None
    if reading.count:  # the message being read at the cut: ends there, without a seal
        if boundary.next_position // EVENTS_PER_MESSAGE == reading.message:
            return None
        verifier.sealed(reading.first, reading.count, reading.last_hash, None)
        reading.count = 0
    # What one process does at the second half's first event: the first half's checkpoints below it.
    # (One past it is checked against the second half's events.)
    if not verifier.settle_checkpoints(before=boundary.next_position):
        return None
    first = verifier.finish()  # nothing left to settle: the first half's own result
    second = half.verified
    if second.unsealed and first.sealed_since is not None:
        return None
    if not all(
        verifier.links_on(aggregate, version, prev_hash)
        for aggregate, (version, prev_hash) in half.first_seen.items()
    ):
        return None
    try:
        for checkpoint, position, events, log_hash in half.checkpoints:
            verifier.check_against(checkpoint, position, first.events + events, log_hash)
    except LogFault:
        return None
    return Verified(
        position=second.position,
        events=first.events + second.events,
        log_hash=second.log_hash,
        checkpoint=second.checkpoint or first.checkpoint,
        uncovered=second.uncovered if second.checkpoint else first.uncovered + second.events,
        key_given=first.key_given,
        sealed_since=first.sealed_since if first.sealed_since is not None else second.sealed_since,
        unsealed=first.unsealed + second.unsealed,
    )


class ClaimedStart(LogVerifier):
    """Verifies a log's continuation from the position and log hash claimed at its start, noting
    what it assumes of the log before it (see the module's docstring)."""

    def __init__(
        self,
        stream: str,
        trusted_keys: Iterable[str] | None,
        seals_checked_after: int,
        position: int,
        log_hash: bytes,
    ) -> None:
        super().__init__(stream, trusted_keys, seals_checked_after)
        self.position = position
        self._log_hash = log_hash
        self.first_seen: dict[str, tuple[int, str]] = {}
        self.checkpoints_met: list[tuple[Checkpoint, int, int, str]] = []

    def _first_seen(self, position: int, originator_id: str, version: int, prev_hash: str) -> None:
        self.first_seen[originator_id] = (version, prev_hash)

    def _check(self, checkpoint: Checkpoint) -> None:
        self.checkpoints_met.append((checkpoint, self.position, self.events, self.log_hash))
        self.covered_by(checkpoint)


class _FileRange(io.RawIOBase):
    """The bytes of an open file from `start` to `stop`, read at their offsets (``pread``): the two
    processes share the file's offset, and neither moves it."""

    def __init__(self, fd: int, start: int, stop: int) -> None:
        self._fd, self._at, self._stop = fd, start, stop

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), self._stop - self._at)
        if size <= 0:
            return 0
        read = os.preadv(self._fd, [memoryview(buffer)[:size]], self._at)
        self._at += read
        return read

    def lift(self, stop: int | None = None) -> None:
        """Reads on past the end given, to `stop` (the file's end if None)."""
        self._stop = os.fstat(self._fd).st_size if stop is None else stop


class _SecondProcess:
    """Starts the second process on the file's second half; ``answer`` waits for what it found, and
    leaving the ``with`` ends it if it still runs."""

    def __init__(
        self, fd: int, size: int, boundary: Boundary, keys: list[str] | None, skip: int
    ) -> None:
        self._process = subprocess.Popen(
            # Not ``-m``: the package's __init__ would import this module before it ran as __main__.
            # ``-P``: ``-c`` would put the current directory first on the path, and a module left
            # there beside the export (``projections``, ``hashlib``) would vouch for the second half.
            [sys.executable, "-P", "-c", f"from {__name__} import main; main()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(fd,),
            # Ctrl-C goes to the terminal's foreground process group: in it, the second process,
            # still importing, printed a KeyboardInterrupt traceback beside this one's "Aborted!".
            process_group=0,
            env={**os.environ, "PYTHONPATH": os.pathsep.join([str(_ROOT), *sys.path])},
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        task = pickle.dumps((fd, size, boundary, keys, skip), protocol=pickle.HIGHEST_PROTOCOL)
        with contextlib.suppress(BrokenPipeError):
            self._process.stdin.write(_FRAME_LENGTH.pack(len(task)) + task)
            self._process.stdin.flush()

    def __enter__(self) -> _SecondProcess:
        return self

    def __exit__(self, *_: object) -> None:
        for pipe in (self._process.stdin, self._process.stdout):
            with contextlib.suppress(OSError):
                pipe.close()  # type: ignore[union-attr]
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    def answer(self) -> SecondHalf | None:
        """What the second half holds from the boundary's state; None if it does not hold."""
        try:
            kind, what = pickle.loads(_read_frame(self._process.stdout))  # type: ignore[arg-type]
        except (EOFError, pickle.UnpicklingError, ValueError) as error:
            code = self._process.wait()
            raise VerifierLost(
                f"the process verifying the file's second half ended without an answer "
                f"(exit code {code})"
            ) from error
        return what if kind == "holds" else None


def _read_frame(source: BinaryIO) -> bytes:
    header = source.read(_FRAME_LENGTH.size)
    if len(header) < _FRAME_LENGTH.size:
        raise EOFError("the pipe ended")
    (length,) = _FRAME_LENGTH.unpack(header)
    frame = source.read(length)
    if len(frame) < length:
        raise EOFError("the pipe ended within a frame")
    return frame


def _end_with_input() -> None:
    """Ends this process when its standard input ends: the process that started it is gone."""
    sys.stdin.buffer.read()
    os._exit(3)


def main() -> None:
    """The second process: verifies the second half from the boundary's state and answers once."""
    answer: tuple[str, object]
    try:
        fd, size, boundary, keys, skip = pickle.loads(_read_frame(sys.stdin.buffer))
    except EOFError:
        return
    threading.Thread(target=_end_with_input, daemon=True).start()
    try:
        verifier = ClaimedStart(boundary.stream, keys, skip, boundary.position, boundary.log_hash)
        reading = ExportReading(keys, skip, verifier)
        reading.read(io.BufferedReader(_FileRange(fd, boundary.offset, size), EXPORT_READ_BUFFER))
        verified = reading.end()
        answer = ("holds", SecondHalf(verified, verifier.first_seen, verifier.checkpoints_met))
    except Exception:  # noqa: BLE001 - a LogFault or not, the first process reads the half itself
        # An error here (a position past 8 bytes, say) may come after a fault that only the first
        # half tells (an unsealed message, a broken link): one process names that fault.
        answer = ("fault", None)
    frame = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(BrokenPipeError):
        sys.stdout.buffer.write(_FRAME_LENGTH.pack(len(frame)) + frame)
        sys.stdout.buffer.flush()
    # Ends here, not through the interpreter's shutdown: that would wait for standard input's lock,
    # which ``_end_with_input`` holds, and abort ("Fatal Python error: _enter_buffered_busy").
    os._exit(0)
