"""The event log and its signed checkpoints on JetStream, as auditors read them.

Reading changes nothing in the log: it goes through short-lived ephemeral consumers without acks (see
``adapters.nats.recorders.scan_log``), so an auditor's NATS user needs no permission to publish to the
log, only ``$JS.API.CONSUMER.CREATE``, ``.MSG.NEXT`` and ``.DELETE`` on the event and checkpoint streams.

Checkpoints live in a stream of their own, ``<stream>_CHECKPOINTS``, with the same immutable configuration
as the log (nothing can be deleted, purged, rolled up or expired); one JSON message per checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from adapters.nats import recorders
from adapters.nats.client import JetStreamApiError, NatsClient, raise_for_error
from adapters.nats.recorders import EVENTS_PER_MESSAGE, EventRecord, JetStreamRecorder, scan_log
from adapters.seal import seal_in_headers


class UnreadableEntry(Exception):
    """A message in the log that is not an event of it."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"position {position}: {reason}")
        self.position = position
        self.reason = reason


def checkpoint_stream(stream: str) -> str:
    return f"{stream}_CHECKPOINTS"


def log_entries(
    stream: str, sequence: int, subject: str, data: bytes
) -> list[tuple[int, EventRecord]]:
    """The events one stored message holds, with their positions (notification ids), as the recorder
    decodes them; a message the recorder could not have written raises UnreadableEntry."""
    prefix = len(stream) + 1
    kind = subject[prefix : prefix + 2]
    position = sequence * EVENTS_PER_MESSAGE
    if subject[:prefix] != f"{stream}." or kind not in ("e.", "t."):
        raise UnreadableEntry(
            position, f"a message on {subject!r}, which holds neither events nor tracking"
        )
    try:
        entries = recorders.log_entries(sequence, subject, data)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise UnreadableEntry(
            position, f"the message on {subject!r} does not hold event records ({error})"
        ) from None
    token = subject[prefix + 2 :]
    for notification_id, record in entries:
        if token != _token(record):
            raise UnreadableEntry(
                notification_id,
                f"an event of aggregate {record.originator_id} stored under another aggregate's "
                f"subject {subject!r}, outside the optimistic lock that guards its chain",
            )
    return entries


def _token(record: EventRecord) -> str:
    if record.id_is_uuid:
        return record.originator_id.replace("-", "")
    return recorders.subject_token(record.originator_id)


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
        stream = self.stream

        def accept_message(sequence: int, subject: str, data: bytes, headers: bytes | None) -> bool:
            accept(sequence, log_entries(stream, sequence, subject, data), seal_in_headers(headers))
            return True

        first = max(after // EVENTS_PER_MESSAGE, 1)
        self.client.run(scan_log(self.client, stream, first, accept_message, with_headers=True))

    def checkpoint_payloads(self) -> list[bytes]:
        payloads: list[bytes] = []

        def accept(_: int, __: str, data: bytes) -> bool:
            payloads.append(data)
            return True

        try:
            self.client.run(scan_log(self.client, checkpoint_stream(self.stream), 1, accept))
        except JetStreamApiError as error:
            if error.code != 404:  # no checkpoint stream yet: no checkpoints
                raise
        return payloads


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
