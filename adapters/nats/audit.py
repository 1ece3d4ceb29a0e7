"""The event log and its signed checkpoints on JetStream, as auditors read them.

Reading needs nothing but direct gets (``$JS.API.DIRECT.GET.<stream>``) and stream info: no consumer is
created and nothing is written, so an auditor's NATS user needs read permissions only.

Checkpoints live in a stream of their own, ``<stream>_CHECKPOINTS``, with the same immutable configuration
as the log (nothing can be deleted, purged, rolled up or expired); one JSON message per checkpoint.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Iterator

import msgspec
from nats.aio.msg import Msg

from adapters.nats.client import JetStreamApiError, NatsClient, raise_for_error
from adapters.nats.recorders import EventRecord, JetStreamRecorder, subject_token

_PAGE = 10_000
_decode_event = msgspec.msgpack.Decoder(EventRecord).decode


class UnreadableEntry(Exception):
    """A message in the log that is not an event of it."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"position {position}: {reason}")
        self.position = position
        self.reason = reason


def checkpoint_stream(stream: str) -> str:
    return f"{stream}_CHECKPOINTS"


def log_entries(stream: str, sequence: int, subject: str, data: bytes) -> list[tuple[int, EventRecord]]:
    """The events one stored message holds, with their positions (notification ids).

    The one place that knows how events sit in the stream's messages. Tracking records hold no events.
    """
    prefix = len(stream) + 1
    kind = subject[prefix : prefix + 2]
    if subject[:prefix] != f"{stream}." or kind not in ("e.", "t."):
        raise UnreadableEntry(sequence, f"a message on {subject!r}, which holds neither events nor tracking")
    if kind == "t.":
        return []
    try:
        record = _decode_event(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise UnreadableEntry(sequence, f"the message on {subject!r} is not an event record ({error})")
    token = record.originator_id.replace("-", "") if record.id_is_uuid else subject_token(record.originator_id)
    if subject[prefix + 2 :] != token:
        raise UnreadableEntry(
            sequence,
            f"an event of aggregate {record.originator_id} stored under another aggregate's subject "
            f"{subject!r}, outside the optimistic lock that guards its chain",
        )
    return [(sequence, record)]


class _Pages:
    """Batched direct gets over one inbox subscription; each page is a list of (sequence, subject, data)."""

    def __init__(self, client: NatsClient, stream: str) -> None:
        self.client = client
        self.stream = stream
        self._inbox = ""
        self._subscription = None
        self._open: dict[str, tuple[list[tuple[int, str, bytes]], asyncio.Future[str]]] = {}
        self._count = 0

    async def _receive(self, message: Msg) -> None:
        page = self._open.get(message.subject)
        if page is None:
            return
        headers = message.headers
        status = headers.get("Status")
        if status is None:
            page[0].append((int(headers["Nats-Sequence"]), headers["Nats-Subject"], message.data))
        elif not page[1].done():
            page[1].set_result(status)

    async def fetch(self, first: int, batch: int) -> list[tuple[int, str, bytes]]:
        if self._subscription is None:
            self._inbox = self.client.nc.new_inbox()
            self._subscription = await self.client.nc.subscribe(f"{self._inbox}.*", cb=self._receive)
        self._count += 1
        reply = f"{self._inbox}.{self._count}"
        done: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        messages: list[tuple[int, str, bytes]] = []
        self._open[reply] = (messages, done)
        try:
            await self.client.nc.publish(
                f"$JS.API.DIRECT.GET.{self.stream}",
                msgspec.json.encode({"seq": first, "batch": batch}),
                reply=reply,
            )
            status = await asyncio.wait_for(done, self.client.timeout)
        finally:
            del self._open[reply]
        if status not in ("204", "404"):
            raise JetStreamApiError(int(status), 0, f"direct get from {self.stream} failed")
        return messages

    async def close(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    def read(self, first: int, last: int) -> Iterator[list[tuple[int, str, bytes]]]:
        """Pages from `first` to `last` (inclusive); the next page is fetched while one is processed."""
        pending = self._submit(first, min(_PAGE, last - first + 1)) if first <= last else None
        try:
            while pending is not None:
                page = pending.result(self.client.timeout * 2)
                if page and page[-1][0] > last:
                    page = [entry for entry in page if entry[0] <= last]
                first = page[-1][0] + 1 if page else last + 1
                pending = self._submit(first, min(_PAGE, last - first + 1)) if first <= last else None
                if page:
                    yield page
        finally:
            if pending is not None:
                pending.cancel()
            self.client.run(self.close())

    def _submit(self, first: int, batch: int) -> concurrent.futures.Future[list[tuple[int, str, bytes]]]:
        return self.client.submit(self.fetch(first, batch))


class NatsLog:
    """The event log of `stream` and its checkpoints, read-only."""

    def __init__(self, client: NatsClient, stream: str) -> None:
        self.client = client
        self.stream = stream

    def _last_sequence(self, stream: str) -> int:
        try:
            info = self.client.run(self.client.api(f"$JS.API.STREAM.INFO.{stream}"))
        except JetStreamApiError as error:
            if error.code == 404:
                return 0
            raise
        return int(info["state"]["last_seq"])

    def last_position(self) -> int:
        return self._last_sequence(self.stream)

    def entries(self, after: int = 0) -> Iterator[tuple[int, EventRecord]]:
        """Every event after position `after` up to the log's end as it was when reading began."""
        stream = self.stream
        for page in _Pages(self.client, stream).read(after + 1, self.last_position()):
            for sequence, subject, data in page:
                yield from log_entries(stream, sequence, subject, data)

    def checkpoint_payloads(self) -> list[bytes]:
        stream = checkpoint_stream(self.stream)
        last = self._last_sequence(stream)
        return [data for page in _Pages(self.client, stream).read(1, last) for _, _, data in page]


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
