"""A wake-up for whoever serves the read model: the projection runner says on core NATS that it has
applied events, and each API worker's position watch then reads the position from the database at once
instead of asking it many times a second.

The signal carries no truth. What a worker serves is the position it reads from the database, never
the number in a signal, and a signal may be lost (core NATS keeps nothing: a worker reconnecting misses
it), so a watch still reads the position now and then without one (``api.maps``). The subject is outside
every stream (``<STREAM>.>``), so nothing of it is stored; it names the log's stream, so services on
different logs sharing one server do not wake each other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import ApplicationRecorder

from adapters.nats.client import NatsClient
from adapters.nats.recorders import JetStreamRecorder


def applied_subject(stream: str) -> str:
    return f"regiekaart.read-model.{stream}.applied"


class ReadModelSignal:
    def __init__(self, client: NatsClient, stream: str) -> None:
        self.client = client
        self.subject = applied_subject(stream)

    def announce(self, position: int) -> None:
        """Says that the read model is at `position` now. Returns at once: the runner does not wait for
        NATS, and a signal that cannot be sent (no connection) is dropped."""
        self.client.send_soon(self.subject, str(position).encode())

    def listen(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Calls `wake()` (on the client's thread) whenever the read model moved; returns what stops it."""

        async def woken(_: Any) -> None:
            wake()

        subscription = self.client.subscribe(self.subject, woken)

        def stop() -> None:
            with contextlib.suppress(Exception):  # the connection may already be gone
                self.client.run(subscription.unsubscribe(), timeout=self.client.timeout)

        return stop


def read_model_signal(recorder: ApplicationRecorder) -> ReadModelSignal | None:
    """The signal of the log `recorder` writes; None for a log that is not on NATS (tests' in-memory
    stores), where watches keep asking the database."""
    if isinstance(recorder, JetStreamRecorder):
        return ReadModelSignal(recorder.client, recorder.stream)
    return None
