"""The service's side of the audit: signing checkpoints over the log it verified."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

import msgspec
from nacl.signing import SigningKey

from adapters.seal import SealCheck
from projections.audit.log_claims import (
    Checkpoint,
    FaultKind,
    LogFault,
    decode_checkpoint,
    trusted_up_to,
)
from projections.audit.verification import EventLog, LogVerifier, feed

logger = logging.getLogger(__name__)


class LogStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What the checkpoint writer last found: the log verified up to `position`, or a fault there."""

    verified: bool
    position: int
    fault: str | None = None


class CheckpointWriter:
    """Signs a checkpoint over the whole log every `interval` seconds while the log grows.

    It verifies the log as it reads it (seals, gaps and its own earlier checkpoints included) and never
    signs past a fault: a log that an outside writer has altered or added to gets no signature over it,
    and ``report`` says so, every round, until the log is mended by hand. So it is, too, once the
    log's stream is set to lose events (``stream_settings`` names such settings; the service refuses
    to start on such a stream, and this finds a change made while it runs).
    """

    def __init__(
        self,
        log: EventLog,
        append: Callable[[bytes], None],
        key: SigningKey,
        interval: float,
        trusted_keys: Iterable[str] | None = None,
        report: Callable[[LogStatus], None] | None = None,
        stream_settings: Callable[[], list[str]] | None = None,
    ) -> None:
        self.log = log
        self._stream_settings = stream_settings or (lambda: [])
        self._append = append
        self.key = key
        self.interval = interval
        # The keys whose seals and checkpoints are the service's own: this key and those it replaced.
        own = key.verify_key.encode().hex()
        self.trusted_keys = sorted({own, *(trusted_keys or ())})
        # Told after every round whether the log verified (the API shows it on /ready and /metrics).
        self._report = report or (lambda status: None)
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
        except Exception:
            logger.exception("writing a checkpoint failed; retrying at the next interval")
            return None

    def write_checkpoint(self) -> Checkpoint | None:
        """Reads and verifies what was added to the log, then signs it; None if nothing was added."""
        with self._lock:
            if self.fault is not None:
                return None
            verifier = self._verifier
            if verifier is None:
                checkpoints = list(map(decode_checkpoint, self.log.checkpoint_payloads()))
                verifier = LogVerifier(
                    self.log.stream,
                    self.trusted_keys,
                    seals_checked_after=trusted_up_to(checkpoints, self.trusted_keys),
                )
                verifier.expect(checkpoints)
            try:
                if losing := self._stream_settings():
                    raise LogFault(
                        None,
                        FaultKind.MUTABLE_STREAM,
                        f"the stream {self.log.stream} is set so that it loses events or takes "
                        f"messages of others: {'; '.join(losing)}",
                    )
                feed(verifier, self.log, after=verifier.position)
                verified = verifier.finish()
            except LogFault as fault:
                self.fault = fault
                logger.error("not signing the log: %s", fault)
                self._report(
                    LogStatus(verified=False, position=verifier.position, fault=str(fault))
                )
                return None
            self._verifier = verifier
            self._report(LogStatus(verified=True, position=verified.position))
            if not verified.uncovered:
                return None
            checkpoint = Checkpoint.sign(
                self.key, self.log.stream, verified.position, verified.events, verified.log_hash
            )
            self._append(msgspec.json.encode(checkpoint))
            verifier.covered_by(checkpoint)
            return checkpoint


class SealedLog(EventLog, Protocol):
    def first_sealed(self, after: int) -> int | None:
        """The position of the first event message from the one holding `after` on that carries
        a seal (None: none does)."""
        ...


def seal_check(log: SealedLog, trusted_keys: Iterable[str]) -> SealCheck:
    """The check of seals for the service's readers that hand events on (the region feeds, the maps):
    every message must be sealed by one of `trusted_keys` (the service's key and those it replaced),
    but for those the last checkpoint signed by one of them covers, and those written before sealing
    began. The writer checked the seals of what it signed (``CheckpointWriter`` verifies the log,
    seals included, and signs nothing past a fault). Where sealing began is looked for from the
    last covered message on: one read, on a log whose covered part ends sealed."""
    keys = list(trusted_keys)
    checkpoints = map(decode_checkpoint, log.checkpoint_payloads())
    checked = trusted_up_to(checkpoints, keys)
    return SealCheck(log.stream, keys, checked, log.first_sealed(checked))
