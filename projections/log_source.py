"""What the read side needs of the event log: its recorder and its mapper, nothing of the write side.

The projections read the log the application records (``services.application.GovernanceApplication``
has these attributes, so it is a ``LogSource`` without naming this protocol). Depending on the protocol
instead of the class keeps the read side below the write side's use cases: ``projections`` never
imports ``services``, and the composition root (``entrypoints``) hands the application over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper, Notification, Subscription

from adapters.seal import SealCheck


class LogSource(Protocol):
    """The event log as the projections read it."""

    @property
    def recorder(self) -> ApplicationRecorder:
        """Reads notifications by position, reports the head and subscribes to new ones."""
        ...

    @property
    def mapper(self) -> Mapper:
        """Turns a notification back into its domain event."""
        ...

    @property
    def env(self) -> Mapping[str, str]:
        """The settings the log was opened with (persistence, cipher, compressor): a second process
        opens the same log from them."""
        ...


# Builds a log source from its settings in another process; it must pickle (a class does).
LogSourceFactory = Callable[..., LogSource]


# Makes the check of seals for a reader that hands events on (the region feeds, the maps), afresh for
# each read of the log: from the latest checkpoint a trusted key signed on (``adapters.seal.SealCheck``).
SealChecks = Callable[[], SealCheck]


def subscribe(source: LogSource, gt: int | None, seals: SealChecks | None) -> Subscription[Any]:
    """The recorder's subscription after position `gt`; with `seals` (a log on NATS), each event of a
    message they refuse comes as a ``RefusedNotification``."""
    if seals is None:
        return source.recorder.subscribe(gt=gt)
    return source.recorder.subscribe(gt=gt, seals=seals())  # type: ignore[call-arg]


def select_notifications(
    source: LogSource, seals: SealCheck | None, **selection: Any
) -> list[Notification]:
    """The recorder's ``select_notifications(**selection)``; with `seals` (a log on NATS), each event
    of a message they refuse comes as a ``RefusedNotification``."""
    if seals is None:
        return source.recorder.select_notifications(**selection)
    return source.recorder.select_notifications(**selection, seals=seals)  # type: ignore[call-arg]
