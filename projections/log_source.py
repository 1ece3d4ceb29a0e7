"""What the read side needs of the event log: its recorder and its mapper, nothing of the write side.

The projections read the log the application records (``services.application.GovernanceApplication``
has these attributes, so it is a ``LogSource`` without naming this protocol). Depending on the protocol
instead of the class keeps the read side below the write side's use cases: ``projections`` never
imports ``services``, and the composition root (``entrypoints``) hands the application over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

from eventsourcing.persistence import ApplicationRecorder, Mapper


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
