"""The event log and its signed checkpoints on JetStream, as auditors read them.

Reading changes nothing in the log: it goes through short-lived ephemeral consumers without acks (see
``adapters.nats.log_reading.scan_log``), so an auditor's NATS user needs no permission to publish to the
log, only ``$JS.API.CONSUMER.CREATE``, ``.MSG.NEXT`` and ``.DELETE`` on the event and checkpoint streams.

Checkpoints live in a stream of their own, ``<stream>_CHECKPOINTS``, with the same immutable configuration
as the log (nothing can be deleted, purged, rolled up or expired); one JSON message per checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count

import msgspec

from adapters.event_log_format import (
    EVENTS_PER_MESSAGE,
    EventRecord,
    checked_log_entries,
    checked_run_entries,
    settings_losing_events,
)
from adapters.nats.client import JetStreamApiError, NatsClient, raise_for_error
from adapters.nats.log_reading import scan_log
from adapters.nats.recorders import JetStreamRecorder
from adapters.seal import HeaderSeals


def checkpoint_stream(stream: str) -> str:
    return f"{stream}_CHECKPOINTS"


class NatsLog:
    """The event log of `stream` and its checkpoints, read-only."""

    def __init__(self, client: NatsClient, stream: str) -> None:
        self.client = client
        self.stream = stream

    def scan(
        self, after: int, accept: Callable[[int, list[tuple[int, EventRecord]], str | None], None]
    ) -> None:
        """Hands every message from the one holding position `after` on (from the first if 0), up to
        the log's end as it was when the scan began, to `accept(sequence, events with their positions,
        seal)` in log order (on the client's loop). Tracking records come as messages without events,
        so that the reader sees every sequence."""

        def accept_run(
            first_sequence: int,
            messages: Sequence[list[tuple[int, EventRecord]]],
            seals: Sequence[str | None],
        ) -> None:
            for sequence, entries, seal in zip(count(first_sequence), messages, seals):
                accept(sequence, entries, seal)

        self.scan_runs(after, accept_run)

    def scan_runs(
        self,
        after: int,
        accept: Callable[
            [int, Sequence[list[tuple[int, EventRecord]]], Sequence[str | None]], None
        ],
    ) -> None:
        """As ``scan``, the messages of a run of consecutive stream sequences in one call:
        `accept(first sequence, the events of each message with their positions, each one's seal)`.
        A run as the service writes it is decoded and checked at once (``checked_run_entries``); any
        other, message by message, so that the first that cannot be read is named after the messages
        before it were handed on."""
        stream = self.stream

        def accept_messages(
            first_sequence: int,
            subjects: Sequence[bytes],
            payloads: Sequence[bytes],
            headers: Sequence[bytes | None],
        ) -> bool:
            seals = HeaderSeals(headers)
            run = checked_run_entries(stream, first_sequence, subjects, payloads)
            if run is not None:
                accept(first_sequence, run, seals)
                return True
            for sequence, subject, data, seal in zip(
                count(first_sequence), subjects, payloads, seals
            ):
                accept(
                    sequence,
                    [checked_log_entries(stream, sequence, subject.decode(), data)],
                    [seal],
                )
            return True

        first = max(after // EVENTS_PER_MESSAGE, 1)
        self.client.run(scan_log(self.client, stream, first, accept_messages))

    def first_sealed(self, after: int) -> int | None:
        """The position of the first event message from the one holding position `after` on (from
        the first if 0) that carries a seal; None if none does. Read a hundred messages at a time:
        on a log the service wrote, the first is sealed."""
        found: list[int] = []
        events = f"{self.stream}.e.".encode()

        def accept(
            first_sequence: int,
            subjects: Sequence[bytes],
            _: Sequence[bytes],
            headers: Sequence[bytes | None],
        ) -> bool:
            for sequence, subject, seal in zip(
                count(first_sequence), subjects, HeaderSeals(headers)
            ):
                if seal is not None and subject.startswith(events):
                    found.append(sequence * EVENTS_PER_MESSAGE)
                    return False
            return True

        first = max(after // EVENTS_PER_MESSAGE, 1)
        self.client.run(scan_log(self.client, self.stream, first, accept, at_most=lambda: 1))
        return found[0] if found else None

    def checkpoint_payloads(self) -> list[bytes]:
        payloads: list[bytes] = []

        def accept(_: int, __: Sequence[bytes], read: Sequence[bytes], ___: object) -> bool:
            payloads.extend(read)
            return True

        try:
            self.client.run(scan_log(self.client, checkpoint_stream(self.stream), 1, accept))
        except JetStreamApiError as error:
            if error.code != 404:  # no checkpoint stream yet: no checkpoints
                raise
        return payloads

    def settings_losing_events(self) -> list[str]:
        """The settings of the log's stream, as the server has them now, that let it lose events or
        take messages of others (see ``settings_losing_events``); none for an immutable log."""
        info = self.client.run(self.client.api(f"$JS.API.STREAM.INFO.{self.stream}"))
        return settings_losing_events(info["config"], self.stream)


class NatsCheckpointStore:
    """Appends checkpoints to their immutable stream (the service's side; auditors only read)."""

    def __init__(self, client: NatsClient, stream: str, replicas: int = 1) -> None:
        self.client = client
        self.stream = checkpoint_stream(stream)
        self.subject = f"{self.stream}.checkpoint"
        # The recorder creates its stream, if missing, with the log's immutable configuration.
        JetStreamRecorder(client, self.stream, replicas)

    def append(self, payload: bytes) -> None:
        async def publish() -> None:
            reply = await self.client.request(self.subject, payload)
            raise_for_error(msgspec.json.decode(reply.data))

        self.client.run(publish())
