"""eventsourcing recorders on NATS JetStream.

Layout of a stream (one stream per purpose; the events stream is the log):

- ``<STREAM>.e.<aggregate>``: one subject per aggregate (see ``subject_token``). Each save writes ONE
  message per aggregate it changes, carrying all of that aggregate's new events: a msgpack array of
  ``EventRecord`` arrays, in version order. A save of more than ``EVENTS_PER_MESSAGE`` events of one
  aggregate (or of more bytes than the server takes in one message) continues in further messages on
  the same subject.
- ``<STREAM>.t.<application>``: tracking records (``TrackingRecord``) of a process application, in the
  same stream so that a save and its tracking position are written atomically.

Notification ids are synthesised from the stream: the event at ``index`` (0-based) in the message with
stream sequence ``sequence`` has notification id ``sequence * EVENTS_PER_MESSAGE + index``. Ids therefore
follow commit order, and leave gaps, which the library allows. ``EVENTS_PER_MESSAGE`` is 1000: far more
events than a save of one aggregate makes, while ids stay below 2**63 for 9 * 10**15 messages.
``log_entries`` turns one stream message into its notification ids and event records; every reader of
the log (this module, auditors, region feeds) decodes through it.

Writes use JetStream's optimistic concurrency: the first message of a save for an aggregate carries
``Nats-Expected-Last-Subject-Sequence`` (the server keeps this header with the message). A save of one
message is one publish; a save of several messages (several aggregates, or events plus a tracking
record) is one atomic batch (all or none). The recorder keeps the last sequence, version and hash per
aggregate it has seen, so a save does not need a round trip first.

Every event carries ``prev_hash`` (the hash of the aggregate's previous event, also inside one message)
and its own ``hash`` (see ``event_hash``). The link is checked under the same optimistic lock as the
version, so a chain can only grow at its end; an auditor recomputes it from the log alone.

Reading the log (``select_notifications`` and ``subscribe``) goes through a short-lived ephemeral pull
consumer (no acks, in memory) per call, read through a raw subscription of ``NatsClient``: stream
sequence and delivery count come from the reply subject, headers are never parsed. A gap in the
delivery count or a stalled read resumes from the last message received with a new consumer. A reader
therefore needs permission for ``$JS.API.CONSUMER.CREATE.<STREAM>``, ``$JS.API.CONSUMER.MSG.NEXT.<STREAM>.*``
and ``$JS.API.CONSUMER.DELETE.<STREAM>.*``. Reading one aggregate, looking up heads and the last
notification id use ``$JS.API.DIRECT.GET.<STREAM>``: literal subjects, or ``>`` for the stream's last
message (a wildcard costs the server a scan over all subjects, so ``<STREAM>.e.>`` is asked only when
the log ends with a tracking record).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
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
from nats.errors import NoRespondersError

from adapters.nats.client import JetStreamApiError, NatsClient, NoAnswer
from adapters.seal import SEAL_HEADER, Sealer

EVENTS_PER_MESSAGE = 1000
WRONG_LAST_SEQUENCE = 10071
NO_MESSAGE_FOUND = 10037
_CACHE_SIZE = 100_000
# A wake-up for live subscriptions in case a notification was missed during a reconnect.
_SUBSCRIPTION_POLL_SECONDS = 1.0
_READ_PAGE = 10_000
# Room left in a message for the headers of an atomic batch.
_HEADER_ROOM = 1024
# Consecutive attempts of a log read that received nothing before it gives up.
_READ_ATTEMPTS = 3
_ENSURE_STREAM_ATTEMPTS = 3
# The status JetStream answers with while it cannot serve a request (no leader, no quorum).
_UNAVAILABLE = 503
# How long a read waits for the replica answering it to catch up with the leader (replicated streams).
_CATCH_UP_ATTEMPTS = 400
_CATCH_UP_PAUSE_SECONDS = 0.005


class PublishOutcomeUnknown(PersistenceError):
    """The server did not answer a write: the events may or may not have been stored."""


class _WrongLastSequence(Exception):
    """The server refused a write because an aggregate's last sequence was not the one expected."""


# gc=False: records hold only strings, bytes and numbers, so the garbage collector need not track the
# hundreds of thousands a replay creates.
class EventRecord(msgspec.Struct, array_like=True, frozen=True, gc=False):
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
_decode_events = msgspec.msgpack.Decoder(list[EventRecord]).decode
_decode_tracking = msgspec.msgpack.Decoder(TrackingRecord).decode


def log_entries(sequence: int, subject: str, data: bytes) -> list[tuple[int, EventRecord]]:
    """The events one stream message carries, each with its notification id; none for a message that
    is not an event message (a tracking record)."""
    # "<stream>.e.<aggregate>": stream names hold no dots, so the kind is the token after the first.
    kind = subject.find(".") + 1
    if subject[kind : kind + 2] != "e.":
        return []
    first_id = sequence * EVENTS_PER_MESSAGE
    return [(first_id + index, record) for index, record in enumerate(_decode_events(data))]


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


_NEW_AGGREGATE = _Head(sequence=0, version=-(2**62), hash="")


class _Message(msgspec.Struct):
    """One message of a save: where it goes, the lock it takes, and what it makes known once stored."""

    subject: str
    payload: bytes
    headers: dict[str, str]
    key: str
    head: _Head
    # Positions in the save's list of stored events, in the order the message carries them.
    positions: list[int]


class JetStreamRecorder:
    def __init__(
        self, client: NatsClient, stream: str, replicas: int = 1, sealer: Sealer | None = None
    ) -> None:
        self.client = client
        self.stream = stream
        self.replicas = replicas
        # Signs every event message (adapters.seal); without one, messages go unsealed (tests, tools).
        self.sealer = sealer
        self._heads: OrderedDict[str, _Head] = OrderedDict()
        self._heads_lock = threading.Lock()
        self._run(self._ensure_stream())

    async def _ensure_stream(self) -> None:
        config = stream_config(self.stream, self.replicas)
        for attempt in range(1, _ENSURE_STREAM_ATTEMPTS + 1):
            try:
                await self.client.api(f"$JS.API.STREAM.INFO.{self.stream}", repeatable=True)
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
            raise OperationalError(
                f"NATS did not answer in time ({type(error).__name__})"
            ) from error
        except JetStreamApiError as error:
            if error.code == _UNAVAILABLE:  # e.g. a cluster electing a stream leader
                raise OperationalError(
                    f"JetStream is not available at the moment: {error}"
                ) from error
            raise

    def event_subject(self, originator_id: UUID | str) -> str:
        return f"{self.stream}.e.{subject_token(originator_id)}"

    def tracking_subject(self, application_name: str) -> str:
        return f"{self.stream}.t.{subject_token(application_name)}"

    # --- reading -----------------------------------------------------------------------------------

    async def _last_on_subject(self, subject: str) -> tuple[int, str, bytes] | None:
        """The sequence, subject and payload of the last message on `subject`, or None.

        Direct gets are answered by any replica, and a follower may not yet hold what the leader has
        acknowledged. On a replicated stream the last message is therefore asked of the leader, so a
        process reads what another one has just written: an aggregate's head before a write, or its
        events before a command (see ``_subject_entries``)."""
        if self.replicas > 1:
            try:
                answer = await self.client.api(
                    f"$JS.API.STREAM.MSG.GET.{self.stream}",
                    {"last_by_subj": subject},
                    repeatable=True,
                )
            except JetStreamApiError as error:
                if error.err_code == NO_MESSAGE_FOUND:
                    return None
                raise
            message = answer["message"]
            return (
                int(message["seq"]),
                message["subject"],
                base64.b64decode(message.get("data", "")),
            )
        reply = await self.client.request(
            f"$JS.API.DIRECT.GET.{self.stream}",
            msgspec.json.encode({"last_by_subj": subject}),
            repeatable=True,
        )
        if reply.headers and reply.headers.get("Status") == "404":
            return None
        _raise_for_status(reply)
        return int(reply.headers["Nats-Sequence"]), reply.headers["Nats-Subject"], reply.data

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
            return _NEW_AGGREGATE
        last = await self._last_on_subject(self.event_subject(originator_id))
        if last is None:
            return _NEW_AGGREGATE
        _, record = log_entries(*last)[-1]
        return _Head(last[0], record.originator_version, record.hash)

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

    async def _scan(self, first_sequence: int, accept: Callable[[int, str, bytes], bool]) -> None:
        await scan_log(self.client, self.stream, first_sequence, accept)

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
        events: list[StoredEvent] = []
        for _, record in await self._subject_entries(subject):
            if gt is not None and record.originator_version <= gt:
                continue
            if lte is not None and record.originator_version > lte:
                continue
            events.append(_stored_event(record))
        if desc:
            events.reverse()
        return events[:limit] if limit is not None else events

    async def _subject_entries(self, subject: str) -> list[tuple[int, EventRecord]]:
        """Every event of one aggregate, in order. On a replicated stream, once the replica answering
        holds the leader's last message of the aggregate (see ``_last_on_subject``)."""
        if self.replicas == 1:
            return [entry for _, entries in await self._read_subject(subject) for entry in entries]
        last = await self._last_on_subject(subject)
        if last is None:
            return []
        for _ in range(_CATCH_UP_ATTEMPTS):
            messages = await self._read_subject(subject)
            if messages and messages[-1][0] >= last[0]:
                return [entry for _, entries in messages for entry in entries]
            await asyncio.sleep(_CATCH_UP_PAUSE_SECONDS)
        raise OperationalError(f"no replica of {self.stream} caught up with {subject} in time")

    async def _read_subject(self, subject: str) -> list[tuple[int, list[tuple[int, EventRecord]]]]:
        """The aggregate's messages (sequence, events), by batched direct gets filtered by its
        literal subject."""
        read: list[tuple[int, list[tuple[int, EventRecord]]]] = []
        sequence = 1
        while True:
            done = asyncio.get_running_loop().create_future()
            messages: list[Msg] = []

            async def collect(message: Msg, messages=messages, done=done) -> None:
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
                read.append((int(message.headers["Nats-Sequence"]), _direct_get_entries(message)))
            if len(messages) < _READ_PAGE:
                return read
            sequence = read[-1][0] + 1

    # --- writing -----------------------------------------------------------------------------------

    async def _prepare(
        self, stored_events: Sequence[StoredEvent], *, look_up: bool
    ) -> list[_Message]:
        """The messages of a save, one per aggregate (more only for a very large save), with the
        optimistic-lock header on each aggregate's first message and each message's new head."""
        by_aggregate: dict[UUID | str, list[int]] = {}
        for position, event in enumerate(stored_events):
            by_aggregate.setdefault(event.originator_id, []).append(position)
        room = self.client.nc.max_payload - _HEADER_ROOM
        messages: list[_Message] = []
        for originator_id, positions in by_aggregate.items():
            key = str(originator_id)
            id_is_uuid = isinstance(originator_id, UUID)
            subject = self.event_subject(originator_id)
            head = await self._head(originator_id, look_up=look_up)
            first_message = len(messages)
            version, prev_hash = head.version, head.hash
            records: list[bytes] = []
            chunk: list[int] = []
            size = 0
            for position in positions:
                event = stored_events[position]
                if event.originator_version <= version:
                    raise IntegrityError(
                        f"aggregate {key} already has version {version}, so version "
                        f"{event.originator_version} is taken; nothing of this save was stored"
                    )
                record_hash = event_hash(
                    prev_hash, key, event.originator_version, event.topic, event.state
                )
                record = _encode(
                    EventRecord(
                        key,
                        id_is_uuid,
                        event.originator_version,
                        event.topic,
                        event.state,
                        prev_hash,
                        record_hash,
                    )
                )
                if len(record) > room:
                    raise PersistenceError(
                        f"event {event.originator_version} of aggregate {key} takes "
                        f"{len(record):,} bytes, more than the {room:,} a NATS message can carry "
                        "here; nothing was stored"
                    )
                if chunk and (len(chunk) == EVENTS_PER_MESSAGE or size + len(record) > room):
                    messages.append(_message(subject, records, key, chunk, version, prev_hash))
                    records, chunk, size = [], [], 0
                records.append(record)
                chunk.append(position)
                size += len(record)
                version, prev_hash = event.originator_version, record_hash
            messages.append(_message(subject, records, key, chunk, version, prev_hash))
            messages[first_message].headers["Nats-Expected-Last-Subject-Sequence"] = str(
                head.sequence
            )
        if self.sealer is not None:
            for message in messages:
                message.headers[SEAL_HEADER] = self.sealer.seal(self.stream, message.head.hash)
        return messages

    async def _publish(self, messages: list[_Message]) -> list[int]:
        """Publishes the messages atomically and returns their stream sequences."""
        keys = [message.key for message in messages]
        try:
            if len(messages) == 1:
                message = messages[0]
                reply = await self.client.request(
                    message.subject, message.payload, headers=message.headers
                )
                answer = msgspec.json.decode(reply.data)
                _raise_for_write_error(answer)
                sequences = [int(answer["seq"])]
            else:
                sequences = await self._publish_batch(messages)
        except NoRespondersError as error:
            # Nobody received the write: no stream leader at this moment (a cluster electing one).
            self._forget(keys)
            raise OperationalError(
                "no JetStream server took the write (the stream has no leader at the moment); "
                "nothing was stored"
            ) from error
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
            if error.code == _UNAVAILABLE:
                raise OperationalError(f"JetStream did not take the write: {error}") from error
            raise PersistenceError(f"JetStream refused the write: {error}") from error
        for sequence, message in zip(sequences, messages, strict=True):
            message.head.sequence = sequence
            self._remember(message.key, message.head)
        return sequences

    async def _publish_batch(self, messages: list[_Message]) -> list[int]:
        batch_id = uuid.uuid4().hex
        last = len(messages)
        for number, message in enumerate(messages[:-1], start=1):
            headers = {
                **message.headers,
                "Nats-Batch-Id": batch_id,
                "Nats-Batch-Sequence": str(number),
            }
            await self.client.nc.publish(message.subject, message.payload, headers=headers)
        message = messages[-1]
        commit_headers = {
            **message.headers,
            "Nats-Batch-Id": batch_id,
            "Nats-Batch-Sequence": str(last),
            "Nats-Batch-Commit": "1",
        }
        reply = await self.client.request(message.subject, message.payload, headers=commit_headers)
        answer = msgspec.json.decode(reply.data)
        _raise_for_write_error(answer)
        last_sequence = int(answer["seq"])
        return list(range(last_sequence - last + 1, last_sequence + 1))

    # --- tracking ----------------------------------------------------------------------------------

    async def _tracking_message(self, tracking: Tracking) -> _Message:
        subject = self.tracking_subject(tracking.application_name)
        last = await self._last_on_subject(subject)
        sequence, current = 0, None
        if last is not None:
            sequence = last[0]
            current = _decode_tracking(last[2]).notification_id
        if current is not None and tracking.notification_id <= current:
            raise IntegrityError(
                f"application {tracking.application_name!r} is already tracked at notification "
                f"{current}; {tracking.notification_id} is not after it"
            )
        return _Message(
            subject=subject,
            payload=_encode(TrackingRecord(tracking.application_name, tracking.notification_id)),
            headers={"Nats-Expected-Last-Subject-Sequence": str(sequence)},
            key=f"tracking:{tracking.application_name}",
            head=_Head(0, 0, ""),
            positions=[],
        )

    async def _max_tracking_id(self, application_name: str) -> int | None:
        last = await self._last_on_subject(self.tracking_subject(application_name))
        return None if last is None else _decode_tracking(last[2]).notification_id


async def scan_log(
    client: NatsClient,
    stream: str,
    first_sequence: int,
    accept: Callable[..., bool],
    *,
    with_headers: bool = False,
) -> None:
    """Hands each message of the log from `first_sequence` on to `accept(sequence, subject, data)`
    (with `with_headers`, `accept(sequence, subject, data, raw header block or None)`), in log order,
    until `accept` returns False or the messages the log held when the scan began are done. A scan that
    stalls or misses a delivery resumes after the last message it handed on."""
    attempts = 0
    while attempts < _READ_ATTEMPTS:
        attempts += 1
        reader = _ConsumerRead(client, stream, first_sequence, accept, with_headers)
        finished = await reader.run()
        if finished:
            return
        if reader.last_sequence >= first_sequence:
            first_sequence, attempts = reader.last_sequence + 1, 0
    raise OperationalError(
        f"reading stream {stream} from sequence {first_sequence} made no progress"
    )


class _ConsumerRead:
    """One pass over the log through an ephemeral pull consumer, requesting pages of messages.

    Messages arrive on a raw subscription: the stream sequence and the consumer's delivery count are
    read from the reply subject (``$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<delivery
    seq>.<time>.<pending>``, or with domain and account tokens before the stream), nothing else."""

    def __init__(
        self,
        client: NatsClient,
        stream: str,
        first_sequence: int,
        accept: Callable[..., bool],
        with_headers: bool = False,
    ) -> None:
        self.client = client
        self.stream = stream
        self.first_sequence = first_sequence
        self.accept = accept
        self.with_headers = with_headers
        self.last_sequence = 0
        self._deliveries = 0
        self._page_end = 0
        self._stopped = True
        self._page_done: asyncio.Event | None = None
        self._outcome: str | BaseException | None = None

    async def run(self) -> bool:
        """True if the scan is finished; False if it stopped early and should resume."""
        client = self.client
        stream = self.stream
        self._page_done = asyncio.Event()
        created = await client.api(
            f"$JS.API.CONSUMER.CREATE.{stream}",
            {
                "stream_name": stream,
                "config": {
                    "deliver_policy": "by_start_sequence",
                    "opt_start_seq": self.first_sequence,
                    "ack_policy": "none",
                    "replay_policy": "instant",
                    "inactive_threshold": 60_000_000_000,
                    "mem_storage": True,
                    "num_replicas": 1,
                },
            },
        )
        consumer, pending = created["name"], int(created["num_pending"])
        inbox = client.nc.new_inbox()
        try:
            async with client.raw_subscription(inbox, self._on_message):
                while pending > 0:
                    page = min(pending, _READ_PAGE)
                    self._page_end = self._deliveries + page
                    self._page_done.clear()
                    self._stopped = False
                    await client.nc.publish(
                        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{consumer}",
                        msgspec.json.encode({"batch": page, "no_wait": True}),
                        reply=inbox,
                    )
                    await self._wait_for_page()
                    if isinstance(self._outcome, BaseException):
                        raise self._outcome
                    if self._outcome is not None:
                        return self._outcome == "accepted all it wants"
                    pending -= page
            return True
        finally:
            # The consumer also goes by itself once inactive; deleting it spares the server the wait.
            with contextlib.suppress(NoAnswer):
                await client.nc.publish(f"$JS.API.CONSUMER.DELETE.{stream}.{consumer}")

    async def _wait_for_page(self) -> None:
        assert self._page_done is not None
        while True:
            deliveries = self._deliveries
            try:
                await asyncio.wait_for(self._page_done.wait(), self.client.timeout)
                return
            except TimeoutError:
                if self._deliveries == deliveries:
                    self._stop("stalled")
                    return

    def _on_message(self, subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> None:
        if self._stopped:
            return
        try:
            if not reply:
                # A status ends the request early: no messages (404), timeout (408), consumer gone
                # (409) or nobody there to answer after a server restart (503). Heartbeats (100) and
                # anything without a status do not.
                if headers and headers.startswith(b"NATS/1.0 ") and headers[9:12] != b"100":
                    self._stop("request ended")
                return
            tokens = reply.split(b".")
            offset = 5 if len(tokens) == 9 else 7
            delivery = int(tokens[offset + 1])
            if delivery != self._deliveries + 1:
                self._stop("missed a delivery")
                return
            sequence = int(tokens[offset])
            self._deliveries = delivery
            self.last_sequence = sequence
            accepted = (
                self.accept(sequence, subject.decode(), data, headers)
                if self.with_headers
                else self.accept(sequence, subject.decode(), data)
            )
            if not accepted:
                self._stop("accepted all it wants")
            elif delivery == self._page_end:
                self._stop(None)
        except BaseException as error:  # noqa: BLE001 - handed to the reading coroutine
            self._stop(error)

    def _stop(self, outcome: str | BaseException | None) -> None:
        """Ends the page: the reading coroutine looks at the outcome (None: the page is complete)."""
        assert self._page_done is not None
        self._outcome = outcome
        self._stopped = True
        self._page_done.set()


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
            sequences = await self._publish(messages)
            notification_ids = [0] * len(stored_events)
            for sequence, message in zip(sequences, messages, strict=True):
                for index, position in enumerate(message.positions):
                    notification_ids[position] = sequence * EVENTS_PER_MESSAGE + index
            return notification_ids

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
        first_id = 1 if start is None else (start if inclusive_of_start else start + 1)
        return self._run(self._select_notifications(first_id, limit, stop, topics))

    async def _select_notifications(
        self, first_id: int, limit: int, stop: int | None, topics: Sequence[str]
    ) -> list[Notification]:
        notifications: list[Notification] = []
        if limit <= 0 or (stop is not None and stop < first_id):
            return notifications
        wanted = set(topics)

        def accept(sequence: int, subject: str, data: bytes) -> bool:
            for notification_id, record in log_entries(sequence, subject, data):
                if notification_id < first_id or (wanted and record.topic not in wanted):
                    continue
                if stop is not None and notification_id > stop:
                    return False
                notifications.append(_notification(notification_id, record))
                if len(notifications) == limit:
                    return False
            return True

        await self._scan(max(first_id // EVENTS_PER_MESSAGE, 1), accept)
        return notifications

    def max_notification_id(self) -> int | None:
        async def last_event() -> int | None:
            # The stream's last message is found at once; a last message of the event subjects only
            # by a scan over all subjects, needed when the log ends with a tracking record.
            for subject in (">", f"{self.stream}.e.>"):
                last = await self._last_on_subject(subject)
                if last is None:
                    return None
                entries = log_entries(*last)
                if entries:
                    return entries[-1][0]
            return None

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
            with contextlib.suppress(Exception):  # the connection may already be gone
                self._recorder.client.run(self._wake_subscription.unsubscribe(), timeout=5)
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


def _message(
    subject: str, records: list[bytes], key: str, positions: list[int], version: int, last_hash: str
) -> _Message:
    """An event message carrying already encoded records (see the module docstring)."""
    return _Message(
        subject=subject,
        payload=_encode([msgspec.Raw(record) for record in records]),
        headers={},
        key=key,
        head=_Head(sequence=0, version=version, hash=last_hash),
        positions=positions,
    )


def _direct_get_entries(message: Msg) -> list[tuple[int, EventRecord]]:
    headers = message.headers or {}
    return log_entries(int(headers["Nats-Sequence"]), headers["Nats-Subject"], message.data)


def _originator_id(record: EventRecord) -> UUID | str:
    # msgspec parses a UUID about three times faster than UUID(str): it counts when reading the log.
    return (
        msgspec.convert(record.originator_id, UUID) if record.id_is_uuid else record.originator_id
    )


def _stored_event(record: EventRecord) -> StoredEvent:
    return StoredEvent(
        _originator_id(record), record.originator_version, record.topic, record.state
    )


def _notification(notification_id: int, record: EventRecord) -> Notification:
    return Notification(
        _originator_id(record),
        record.originator_version,
        record.topic,
        record.state,
        notification_id,
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
    raise JetStreamApiError(
        error.get("code", 0), error.get("err_code", 0), error.get("description", "")
    )
