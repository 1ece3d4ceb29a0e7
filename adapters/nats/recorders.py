"""eventsourcing recorders on NATS JetStream.

Layout of a stream (one stream per purpose; the events stream is the log):

- ``<STREAM>.e.<aggregate>``: one subject per aggregate, one message per stored event. The stream sequence
  of an event's message is its notification id, so notification ids follow commit order.
- ``<STREAM>.t.<application>``: tracking records of a process application, in the same stream so that
  a save and its tracking position are written atomically.

Writes use JetStream's optimistic concurrency: the first message of a save for an aggregate carries
``Nats-Expected-Last-Subject-Sequence``; a save of several messages is one atomic batch (all or none).
The recorder keeps the last sequence, version and hash per aggregate it has seen, so a save does not
need a round trip first.

Every message carries ``prev_hash`` (the hash of the aggregate's previous event) and its own ``hash``
(see ``event_hash``). The link is checked under the same optimistic lock as the version, so a chain can
only grow at its end; an auditor recomputes it from the log alone.

Metadata lives in the msgspec payload, not in headers, which keeps reads cheap.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    PersistenceError,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)
from nats.aio.msg import Msg

from adapters.nats.client import JetStreamApiError, NatsClient, NoAnswer

WRONG_LAST_SEQUENCE = 10071
NO_MESSAGE_FOUND = 10037
_CACHE_SIZE = 100_000
# A wake-up for live subscriptions in case a notification was missed during a reconnect.
_SUBSCRIPTION_POLL_SECONDS = 1.0
_READ_PAGE = 10_000
_ENSURE_STREAM_ATTEMPTS = 3
# How long a read waits for the replica answering it to catch up with the leader (replicated streams).
_CATCH_UP_ATTEMPTS = 400
_CATCH_UP_PAUSE_SECONDS = 0.005


class PublishOutcomeUnknown(PersistenceError):
    """The server did not answer a write: the events may or may not have been stored."""


class _WrongLastSequence(Exception):
    """The server refused a write because an aggregate's last sequence was not the one expected."""


class EventRecord(msgspec.Struct, array_like=True, frozen=True):
    originator_id: str
    id_is_uuid: bool
    originator_version: int
    topic: str
    state: bytes
    prev_hash: str
    hash: str


class TrackingRecord(msgspec.Struct, array_like=True, frozen=True):
    application_name: str
    notification_id: int


_encode = msgspec.msgpack.Encoder().encode
_decode_event = msgspec.msgpack.Decoder(EventRecord).decode
_decode_tracking = msgspec.msgpack.Decoder(TrackingRecord).decode


def event_hash(prev_hash: str, originator_id: str, version: int, topic: str, state: bytes) -> str:
    """The hash of one stored event, chained to its predecessor in the same aggregate."""
    content = _encode((prev_hash, originator_id, version, topic, state))
    return hashlib.sha256(content).hexdigest()


def subject_token(originator_id: UUID | str) -> str:
    """A subject-safe token for an aggregate id (subjects may not contain dots, wildcards or spaces)."""
    if isinstance(originator_id, UUID):
        return originator_id.hex
    encoded = base64.urlsafe_b64encode(originator_id.encode()).decode().rstrip("=")
    return f"s-{encoded}"


def stream_config(name: str, replicas: int = 1) -> dict[str, Any]:
    """An immutable log: nothing can be deleted, purged, rolled up or expired."""
    return {
        "name": name,
        "subjects": [f"{name}.>"],
        "storage": "file",
        "retention": "limits",
        "num_replicas": replicas,
        "max_msgs": -1,
        "max_bytes": -1,
        "max_age": 0,
        "max_msgs_per_subject": -1,
        "max_msg_size": -1,
        "discard": "old",
        "deny_delete": True,
        "deny_purge": True,
        "allow_rollup_hdrs": False,
        "allow_direct": True,
        "allow_atomic": True,
        "duplicate_window": 120_000_000_000,
    }


class _Head(msgspec.Struct):
    """What the recorder knows of an aggregate's last stored event."""

    sequence: int
    version: int
    hash: str


class JetStreamRecorder:
    def __init__(self, client: NatsClient, stream: str, replicas: int = 1) -> None:
        self.client = client
        self.stream = stream
        self.replicas = replicas
        self._heads: OrderedDict[str, _Head] = OrderedDict()
        self._heads_lock = threading.Lock()
        self._run(self._ensure_stream())

    async def _ensure_stream(self) -> None:
        config = stream_config(self.stream, self.replicas)
        for attempt in range(1, _ENSURE_STREAM_ATTEMPTS + 1):
            try:
                await self.client.api(f"$JS.API.STREAM.INFO.{self.stream}")
                return
            except JetStreamApiError as error:
                if error.code != 404:
                    raise
                await self.client.api(f"$JS.API.STREAM.CREATE.{self.stream}", config)
                return
            except NoAnswer:
                # On a cluster, a stream that another process has just created answers only once its
                # replicas have elected a leader; ask again.
                if attempt == _ENSURE_STREAM_ATTEMPTS:
                    raise

    def _run(self, coro: Any) -> Any:
        """Runs a coroutine on the client's loop; a read nobody answered becomes an OperationalError."""
        try:
            return self.client.run(coro)
        except NoAnswer as error:
            raise OperationalError(f"NATS did not answer in time ({type(error).__name__})") from error

    def event_subject(self, originator_id: UUID | str) -> str:
        return f"{self.stream}.e.{subject_token(originator_id)}"

    def tracking_subject(self, application_name: str) -> str:
        return f"{self.stream}.t.{subject_token(application_name)}"

    # --- reading -----------------------------------------------------------------------------------

    async def _last_on_subject(self, subject: str) -> tuple[int, bytes] | None:
        """The sequence and payload of the subject's last message, or None.

        Direct gets are answered by any replica, and a follower may not yet hold what the leader has
        acknowledged. On a replicated stream the last message is therefore asked of the leader, so a
        process reads what another one has just written: an aggregate's head before a write, or its
        events before a command (see ``_select_events``)."""
        if self.replicas > 1:
            try:
                answer = await self.client.api(
                    f"$JS.API.STREAM.MSG.GET.{self.stream}", {"last_by_subj": subject}
                )
            except JetStreamApiError as error:
                if error.err_code == NO_MESSAGE_FOUND:
                    return None
                raise
            message = answer["message"]
            return int(message["seq"]), base64.b64decode(message.get("data", ""))
        reply = await self.client.request(
            f"$JS.API.DIRECT.GET.{self.stream}", msgspec.json.encode({"last_by_subj": subject})
        )
        if reply.headers and reply.headers.get("Status") == "404":
            return None
        _raise_for_status(reply)
        return int(reply.headers["Nats-Sequence"]), reply.data

    async def _head(self, originator_id: UUID | str, *, look_up: bool) -> _Head:
        """The aggregate's last event as far as known. Without `look_up`, an aggregate missing from the
        cache is taken to be new: most saves of an unknown aggregate create it, and if it is not new
        the server refuses the write and the save is prepared again with a look-up."""
        key = str(originator_id)
        with self._heads_lock:
            head = self._heads.get(key)
        if head is not None:
            return head
        if not look_up:
            return _Head(sequence=0, version=-(2**62), hash="")
        last = await self._last_on_subject(self.event_subject(originator_id))
        if last is None:
            return _Head(sequence=0, version=-(2**62), hash="")
        sequence, data = last
        record = _decode_event(data)
        return _Head(sequence, record.originator_version, record.hash)

    def _remember(self, key: str, head: _Head) -> None:
        with self._heads_lock:
            self._heads[key] = head
            self._heads.move_to_end(key)
            if len(self._heads) > _CACHE_SIZE:
                self._heads.popitem(last=False)

    def _forget(self, keys: Sequence[str]) -> None:
        with self._heads_lock:
            for key in keys:
                self._heads.pop(key, None)

    async def _read(
        self, first_sequence: int, last_sequence: int, limit: int
    ) -> list[tuple[int, Msg]]:
        """Messages from first to last sequence (inclusive), at most `limit`, by batched direct get."""
        collected: list[tuple[int, Msg]] = []
        sequence = first_sequence
        while sequence <= last_sequence and len(collected) < limit:
            batch = min(_READ_PAGE, limit - len(collected), last_sequence - sequence + 1)
            messages = await self._direct_get_batch(sequence, batch)
            if not messages:
                break
            for message in messages:
                message_sequence = int(message.headers["Nats-Sequence"])
                if message_sequence > last_sequence:
                    return collected
                collected.append((message_sequence, message))
            sequence = collected[-1][0] + 1 if collected else last_sequence + 1
        return collected

    async def _direct_get_batch(self, sequence: int, batch: int) -> list[Msg]:
        done = asyncio.get_running_loop().create_future()
        messages: list[Msg] = []

        async def collect(message: Msg) -> None:
            status = message.headers.get("Status") if message.headers else None
            if status is None:
                messages.append(message)
            elif not done.done():
                done.set_result(status)

        inbox = self.client.nc.new_inbox()
        subscription = await self.client.nc.subscribe(inbox, cb=collect)
        try:
            await self.client.nc.publish(
                f"$JS.API.DIRECT.GET.{self.stream}",
                msgspec.json.encode({"seq": sequence, "batch": batch}),
                reply=inbox,
            )
            await asyncio.wait_for(done, self.client.timeout)
        finally:
            await subscription.unsubscribe()
        return messages

    async def _last_sequence(self) -> int:
        info = await self.client.api(f"$JS.API.STREAM.INFO.{self.stream}")
        return int(info["state"]["last_seq"])

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return self._run(self._select_events(originator_id, gt, lte, desc, limit))

    async def _select_events(
        self,
        originator_id: UUID | str,
        gt: int | None,
        lte: int | None,
        desc: bool,
        limit: int | None,
    ) -> list[StoredEvent]:
        subject = self.event_subject(originator_id)
        records = await self._subject_records(subject)
        events: list[StoredEvent] = []
        for record in records:
            if gt is not None and record.originator_version <= gt:
                continue
            if lte is not None and record.originator_version > lte:
                continue
            events.append(_stored_event(record))
        if desc:
            events.reverse()
        return events[:limit] if limit is not None else events

    async def _subject_records(self, subject: str) -> list[EventRecord]:
        """Every event of one aggregate, in order. On a replicated stream, until the replica that
        answers holds the leader's last message of the aggregate (see ``_last_on_subject``)."""
        if self.replicas == 1:
            return [record for _, record in await self._read_subject(subject)]
        last = await self._last_on_subject(subject)
        if last is None:
            return []
        for _ in range(_CATCH_UP_ATTEMPTS):
            records = await self._read_subject(subject)
            if records and records[-1][0] >= last[0]:
                return [record for _, record in records]
            await asyncio.sleep(_CATCH_UP_PAUSE_SECONDS)
        raise OperationalError(f"no replica of {self.stream} caught up with {subject} in time")

    async def _read_subject(self, subject: str) -> list[tuple[int, EventRecord]]:
        """Batched direct gets filtered by the aggregate's literal subject."""
        records: list[tuple[int, EventRecord]] = []
        sequence = 1
        while True:
            done = asyncio.get_running_loop().create_future()
            messages: list[Msg] = []

            async def collect(message: Msg) -> None:
                status = message.headers.get("Status") if message.headers else None
                if status is None:
                    messages.append(message)
                elif not done.done():
                    done.set_result(status)

            inbox = self.client.nc.new_inbox()
            subscription = await self.client.nc.subscribe(inbox, cb=collect)
            try:
                await self.client.nc.publish(
                    f"$JS.API.DIRECT.GET.{self.stream}",
                    msgspec.json.encode(
                        {"seq": sequence, "next_by_subj": subject, "batch": _READ_PAGE}
                    ),
                    reply=inbox,
                )
                await asyncio.wait_for(done, self.client.timeout)
            finally:
                await subscription.unsubscribe()
            for message in messages:
                records.append((int(message.headers["Nats-Sequence"]), _decode_event(message.data)))
            if len(messages) < _READ_PAGE:
                return records
            sequence = records[-1][0] + 1

    # --- writing -----------------------------------------------------------------------------------

    async def _prepare(
        self, stored_events: Sequence[StoredEvent], *, look_up: bool
    ) -> list[tuple[str, bytes, dict[str, str], str, _Head]]:
        """Messages to publish, with the optimistic-lock headers and each aggregate's new head."""
        messages: list[tuple[str, bytes, dict[str, str], str, _Head]] = []
        heads: dict[str, _Head] = {}
        for event in stored_events:
            key = str(event.originator_id)
            headers: dict[str, str] = {}
            head = heads.get(key)
            if head is None:
                head = await self._head(event.originator_id, look_up=look_up)
                headers["Nats-Expected-Last-Subject-Sequence"] = str(head.sequence)
            if event.originator_version <= head.version:
                raise IntegrityError(
                    f"aggregate {key} already has version {head.version}, so version "
                    f"{event.originator_version} is taken; nothing of this save was stored"
                )
            record_hash = event_hash(
                head.hash, key, event.originator_version, event.topic, event.state
            )
            record = EventRecord(
                originator_id=key,
                id_is_uuid=isinstance(event.originator_id, UUID),
                originator_version=event.originator_version,
                topic=event.topic,
                state=event.state,
                prev_hash=head.hash,
                hash=record_hash,
            )
            new_head = _Head(sequence=0, version=event.originator_version, hash=record_hash)
            heads[key] = new_head
            messages.append(
                (self.event_subject(event.originator_id), _encode(record), headers, key, new_head)
            )
        return messages

    async def _publish(
        self, messages: list[tuple[str, bytes, dict[str, str], str, _Head]]
    ) -> list[int]:
        """Publishes the messages atomically and returns their stream sequences."""
        keys = [key for _, _, _, key, _ in messages]
        try:
            if len(messages) == 1:
                subject, payload, headers, _, _ = messages[0]
                reply = await self.client.request(subject, payload, headers=headers)
                answer = msgspec.json.decode(reply.data)
                _raise_for_write_error(answer)
                sequences = [int(answer["seq"])]
            else:
                sequences = await self._publish_batch(messages)
        except NoAnswer as error:
            self._forget(keys)
            raise PublishOutcomeUnknown(
                "NATS did not acknowledge the write in time; the events may or may not have been "
                f"stored ({type(error).__name__}). Read the aggregate back before retrying."
            ) from error
        except _WrongLastSequence:
            self._forget(keys)
            raise
        except JetStreamApiError as error:
            self._forget(keys)
            raise PersistenceError(f"JetStream refused the write: {error}") from error
        for sequence, (_, _, _, key, head) in zip(sequences, messages, strict=True):
            head.sequence = sequence
            self._remember(key, head)
        return sequences

    async def _publish_batch(
        self, messages: list[tuple[str, bytes, dict[str, str], str, _Head]]
    ) -> list[int]:
        batch_id = uuid.uuid4().hex
        last = len(messages)
        for number, (subject, payload, headers, _, _) in enumerate(messages[:-1], start=1):
            batch_headers = {**headers, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(number)}
            await self.client.nc.publish(subject, payload, headers=batch_headers)
        subject, payload, headers, _, _ = messages[-1]
        commit_headers = {
            **headers,
            "Nats-Batch-Id": batch_id,
            "Nats-Batch-Sequence": str(last),
            "Nats-Batch-Commit": "1",
        }
        reply = await self.client.request(subject, payload, headers=commit_headers)
        answer = msgspec.json.decode(reply.data)
        _raise_for_write_error(answer)
        last_sequence = int(answer["seq"])
        return list(range(last_sequence - last + 1, last_sequence + 1))

    # --- tracking ----------------------------------------------------------------------------------

    async def _tracking_message(
        self, tracking: Tracking
    ) -> tuple[str, bytes, dict[str, str], str, _Head]:
        subject = self.tracking_subject(tracking.application_name)
        last = await self._last_on_subject(subject)
        sequence, current = 0, None
        if last is not None:
            sequence = last[0]
            current = _decode_tracking(last[1]).notification_id
        if current is not None and tracking.notification_id <= current:
            raise IntegrityError(
                f"application {tracking.application_name!r} is already tracked at notification "
                f"{current}; {tracking.notification_id} is not after it"
            )
        payload = _encode(TrackingRecord(tracking.application_name, tracking.notification_id))
        headers = {"Nats-Expected-Last-Subject-Sequence": str(sequence)}
        return subject, payload, headers, f"tracking:{tracking.application_name}", _Head(0, 0, "")

    async def _max_tracking_id(self, application_name: str) -> int | None:
        last = await self._last_on_subject(self.tracking_subject(application_name))
        return None if last is None else _decode_tracking(last[1]).notification_id


class NatsAggregateRecorder(JetStreamRecorder, AggregateRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._insert(stored_events, **kwargs)
        return None

    def _insert(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> list[int]:
        if not stored_events and kwargs.get("tracking") is None:
            return []

        tracking: Tracking | None = kwargs.get("tracking")

        async def attempt(look_up: bool) -> list[int]:
            messages = await self._prepare(stored_events, look_up=look_up)
            if tracking is not None:
                messages.append(await self._tracking_message(tracking))
            return (await self._publish(messages))[: len(stored_events)]

        async def insert() -> list[int]:
            try:
                return await attempt(look_up=False)
            except _WrongLastSequence:
                pass
            # Our idea of an aggregate's last event was missing or stale: look it up and try once more.
            # If the versions really were taken in the meantime, this is a genuine conflict.
            try:
                return await attempt(look_up=True)
            except _WrongLastSequence as error:
                aggregates = ", ".join(sorted({str(e.originator_id) for e in stored_events}))
                raise IntegrityError(
                    f"concurrent write to aggregate(s) {aggregates}: another save stored events "
                    f"first ({error}); nothing of this save was stored"
                ) from None

        return self._run(insert())


class NatsApplicationRecorder(NatsAggregateRecorder, ApplicationRecorder):
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self._insert(stored_events, **kwargs) or None

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        first = 1 if start is None else (start if inclusive_of_start else start + 1)
        return self._run(self._select_notifications(max(first, 1), limit, stop, topics))

    async def _select_notifications(
        self, first: int, limit: int, stop: int | None, topics: Sequence[str]
    ) -> list[Notification]:
        last = await self._last_sequence()
        if stop is not None:
            last = min(last, stop)
        event_prefix = f"{self.stream}.e."
        wanted = set(topics)
        notifications: list[Notification] = []
        while first <= last and len(notifications) < limit:
            messages = await self._read(first, last, limit - len(notifications))
            if not messages:
                break
            for sequence, message in messages:
                if not message.headers["Nats-Subject"].startswith(event_prefix):
                    continue
                record = _decode_event(message.data)
                if wanted and record.topic not in wanted:
                    continue
                notifications.append(_notification(sequence, record))
            first = messages[-1][0] + 1
        return notifications[:limit]

    def max_notification_id(self) -> int | None:
        async def last_event() -> int | None:
            last = await self._last_on_subject(f"{self.stream}.e.>")
            return None if last is None else last[0]

        return self._run(last_event())

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return NatsSubscription(self, gt=gt, topics=topics)


class NatsSubscription(ListenNotifySubscription[NatsApplicationRecorder]):
    """Reads pages with select_notifications; a core NATS subscription on the event subjects wakes it."""

    def __init__(
        self, recorder: NatsApplicationRecorder, gt: int | None = None, topics: Sequence[str] = ()
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._select_limit = _READ_PAGE

        async def wake(_: Msg) -> None:
            self._has_been_notified.set()

        self._wake_subscription = recorder.client.subscribe(f"{recorder.stream}.e.>", wake)
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._has_been_stopped:
            self._has_been_notified.set()
            threading.Event().wait(_SUBSCRIPTION_POLL_SECONDS)

    def stop(self) -> None:
        if not self._has_been_stopped:
            try:
                self._recorder.client.run(self._wake_subscription.unsubscribe(), timeout=5)
            except Exception:  # noqa: BLE001 - the connection may already be gone
                pass
        super().stop()


class NatsTrackingRecorder(JetStreamRecorder, TrackingRecorder):
    def insert_tracking(self, tracking: Tracking) -> None:
        async def insert() -> None:
            try:
                await self._publish([await self._tracking_message(tracking)])
            except _WrongLastSequence as error:
                raise IntegrityError(
                    f"concurrent tracking of {tracking.application_name!r} ({error})"
                ) from None

        self._run(insert())

    def max_tracking_id(self, application_name: str) -> int | None:
        return self._run(self._max_tracking_id(application_name))


class NatsProcessRecorder(NatsTrackingRecorder, NatsApplicationRecorder, ProcessRecorder):
    pass


def _stored_event(record: EventRecord) -> StoredEvent:
    return StoredEvent(
        originator_id=UUID(record.originator_id) if record.id_is_uuid else record.originator_id,
        originator_version=record.originator_version,
        topic=record.topic,
        state=record.state,
    )


def _notification(sequence: int, record: EventRecord) -> Notification:
    return Notification(
        id=sequence,
        originator_id=UUID(record.originator_id) if record.id_is_uuid else record.originator_id,
        originator_version=record.originator_version,
        topic=record.topic,
        state=record.state,
    )


def _raise_for_status(reply: Msg) -> None:
    status = reply.headers.get("Status") if reply.headers else None
    if status is not None:
        raise JetStreamApiError(int(status), 0, reply.headers.get("Description", ""))


def _raise_for_write_error(answer: dict[str, Any]) -> None:
    error = answer.get("error")
    if not error:
        return
    if error.get("err_code") == WRONG_LAST_SEQUENCE or "wrong last sequence" in str(
        error.get("description", "")
    ):
        raise _WrongLastSequence(error.get("description"))
    raise JetStreamApiError(error.get("code", 0), error.get("err_code", 0), error.get("description", ""))
