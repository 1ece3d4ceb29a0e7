"""Reading the event log: whole passes through JetStream consumers (``scan_log``), the live
subscription of the eventsourcing library (``NatsSubscription``, whose reads of what was just written
begin with one batched direct get), and one aggregate or the last message on a subject by direct gets
(``subject_entries``, ``last_on_subject``).

A pass goes through a short-lived ephemeral pull consumer (no acks, in memory), read through a raw
subscription of ``NatsClient``: stream sequence and delivery count come from the reply subject, headers
are never parsed (the reader gets them undecoded, for the seals). The messages of one read of the socket
whose stream sequences and delivery counts both run on without a gap go to the reader together, so
that it can decode them at once; telling that takes the reply subjects of the first and the last only.
A gap in the delivery count or a stalled read resumes from the last message received with a new
consumer. A reader therefore needs permission for ``$JS.API.CONSUMER.CREATE.<STREAM>``,
``$JS.API.CONSUMER.MSG.NEXT.<STREAM>.*`` and ``$JS.API.CONSUMER.DELETE.<STREAM>.*``, and none to
publish to the log. What the messages hold is
``adapters.event_log_format``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import msgspec
from eventsourcing.persistence import (
    ListenNotifySubscription,
    Notification,
    OperationalError,
    ShutDown,
)
from nats.aio.msg import Msg

from adapters.event_log_format import EventRecord, log_entries
from adapters.nats.client import JetStreamApiError, NatsClient, NoAnswer
from adapters.nats.connection import RawFrame

if TYPE_CHECKING:
    from adapters.nats.recorders import NatsApplicationRecorder
    from adapters.seal import SealCheck

# Messages asked of the server at once (a page of a pass, a page of a subscription).
READ_PAGE = 10_000
# The smallest page a pass that knows how many messages it still wants asks for: some messages may not
# count (tracking records, events of other topics), and a page costs a round trip.
_SMALLEST_PAGE = 100
# A reader of the log: given the stream sequence of the first of consecutive messages, and their
# subjects, payloads and raw header blocks, whether it wants more.
AcceptMessages = Callable[[int, Sequence[bytes], Sequence[bytes], Sequence[bytes | None]], bool]
# Consecutive attempts of a log read that received nothing before it gives up.
_READ_ATTEMPTS = 3
# JetStream's error code for a direct get of a subject that holds no message.
NO_MESSAGE_FOUND = 10037
# Messages a read asks for by one batched direct get before it goes on through a consumer (see
# ``scan_log``'s `direct_first`): more than a live reader finds at once, few enough to be read as
# nats-py messages.
_DIRECT_BATCH = 64
# How long a read waits for the replica answering it to catch up with the leader (replicated streams).
_CATCH_UP_ATTEMPTS = 400
_CATCH_UP_PAUSE_SECONDS = 0.005
# A wake-up for live subscriptions in case a notification was missed during a reconnect.
_SUBSCRIPTION_POLL_SECONDS = 1.0
# How long a live subscription waits before reading again when an event message was announced but is
# not in the stream yet (each pause twice the one before; a new announcement ends a pause early).
_ANNOUNCED_PAUSES_SECONDS = (0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064)


async def scan_log(
    client: NatsClient,
    stream: str,
    first_sequence: int,
    accept: AcceptMessages,
    *,
    at_most: Callable[[], int] | None = None,
    direct_first: bool = False,
) -> None:
    """Hands the messages of the log from `first_sequence` on to `accept(sequence, subjects, payloads,
    headers)`, in log order, until `accept` returns False or the messages the log held when the scan
    began are done. Each call hands on messages with consecutive stream sequences, the first of them
    `sequence`, their headers as raw blocks (None for a message without). A scan that stalls or misses
    a delivery resumes after the last message it handed on.

    `at_most()`, if given, says before each page how many more messages `accept` may want at most, so
    that a read of a few events does not have the server send a whole page (that nobody reads) after
    the last one it wants.

    `direct_first`: the first messages are asked for by one batched direct get (``_direct_batch``,
    headers handed on as blocks rebuilt from nats-py's parsed ones), the rest, if any, through a
    consumer. A live reader's read of what was just written is then one request instead of three (a
    consumer created, read from, deleted): about 3 ms of the 5 from a command's acknowledgement to
    its delivery. The reader needs permission for
    ``$JS.API.DIRECT.GET.<STREAM>`` then (a recorder has it: it reads aggregates so)."""
    if direct_first:
        read = await _direct_batch(client, stream, first_sequence, at_most)
        if read is not None:
            subjects, payloads, headers, more = read
            if payloads and not accept(first_sequence, subjects, payloads, headers):
                return
            if not more:
                return
            first_sequence += len(payloads)
    attempts = 0
    while attempts < _READ_ATTEMPTS:
        attempts += 1
        reader = _ConsumerRead(client, stream, first_sequence, accept, at_most)
        finished = await reader.run()
        if finished:
            return
        if reader.last_sequence >= first_sequence:
            first_sequence, attempts = reader.last_sequence + 1, 0
    raise OperationalError(
        f"reading stream {stream} from sequence {first_sequence} made no progress"
    )


async def _direct_batch(
    client: NatsClient, stream: str, first_sequence: int, at_most: Callable[[], int] | None
) -> tuple[list[bytes], list[bytes], list[bytes | None], bool] | None:
    """The subjects, payloads and header blocks of the messages from `first_sequence` on, by one
    batched direct get of at most ``_DIRECT_BATCH`` (or `at_most()`), and whether the log holds more
    after them.
    None if the answer does not say so plainly (any status but the end of the batch or "no message",
    a gap in the sequences, no answer in time): the consumer then reads from `first_sequence`."""
    wanted = _DIRECT_BATCH if at_most is None else max(1, min(_DIRECT_BATCH, at_most()))
    try:
        messages, end = await _batched_direct_get(
            client, stream, {"seq": first_sequence, "batch": wanted}
        )
    except NoAnswer:
        return None
    if end["Status"] == "404" and not messages:  # nothing at or after `first_sequence`
        return [], [], [], False
    sequences = [int((m.headers or {})["Nats-Sequence"]) for m in messages]
    expected = list(range(first_sequence, first_sequence + len(messages)))
    if end["Status"] != "204" or sequences != expected:
        return None
    subjects = [(m.headers or {})["Nats-Subject"].encode() for m in messages]
    headers = [_header_block(m.headers) for m in messages]
    return subjects, [m.data for m in messages], headers, end.get("Nats-Num-Pending", "0") != "0"


def _header_block(headers: dict[str, str] | None) -> bytes | None:
    """A message's raw header block, as a consumer's read hands it on, from nats-py's parsed headers
    (whose values hold no line breaks)."""
    if not headers:
        return None
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"NATS/1.0\r\n{lines}\r\n".encode()


async def _batched_direct_get(
    client: NatsClient, stream: str, request: dict[str, object]
) -> tuple[list[Msg], dict[str, str]]:
    """The messages a batched direct get answers, and the headers of the status that ends them (204
    at the end of the batch; another for a request the server could not answer)."""
    messages: list[Msg] = []
    done: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()

    async def collect(message: Msg) -> None:
        headers = message.headers or {}
        if "Status" not in headers:
            messages.append(message)
        elif not done.done():
            done.set_result(headers)

    inbox = client.nc.new_inbox()
    subscription = await client.nc.subscribe(inbox, cb=collect)
    try:
        await client.nc.publish(
            f"$JS.API.DIRECT.GET.{stream}", msgspec.json.encode(request), reply=inbox
        )
        return messages, await asyncio.wait_for(done, client.timeout)
    finally:
        await subscription.unsubscribe()


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
        accept: AcceptMessages,
        at_most: Callable[[], int] | None = None,
    ) -> None:
        self.client = client
        self.at_most = at_most
        self.stream = stream
        self.first_sequence = first_sequence
        self.accept = accept
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
            async with client.raw_subscription(inbox, self._on_frames):
                while pending > 0:
                    page = min(pending, READ_PAGE)
                    if self.at_most is not None:
                        page = min(page, max(self.at_most(), _SMALLEST_PAGE))
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

    def _on_frames(self, frames: list[RawFrame]) -> None:
        if self._stopped:
            return
        try:
            subjects, replies, payloads, headers = zip(*frames, strict=True)
            if b"" not in replies:  # no status among them
                first_sequence, first_delivery = _positions(replies[0])
                last_sequence, last_delivery = _positions(replies[-1])
                # Both rise with every message, so ends that far apart leave no gap between them.
                gapless = len(frames) - 1
                if last_delivery - first_delivery == last_sequence - first_sequence == gapless:
                    self._hand_on(first_sequence, last_delivery, subjects, payloads, headers)
                    return
            for frame in frames:
                if self._stopped:
                    return
                self._on_message(*frame)
        except BaseException as error:  # noqa: BLE001 - handed to the reading coroutine
            self._stop(error)

    def _on_message(self, subject: bytes, reply: bytes, data: bytes, headers: bytes | None) -> None:
        if not reply:
            # A status ends the request early: no messages (404), timeout (408), consumer gone
            # (409) or nobody there to answer after a server restart (503). Heartbeats (100) and
            # anything without a status do not.
            if headers and headers.startswith(b"NATS/1.0 ") and headers[9:12] != b"100":
                self._stop("request ended")
            return
        sequence, delivery = _positions(reply)
        self._hand_on(sequence, delivery, (subject,), (data,), (headers,))

    def _hand_on(
        self,
        first_sequence: int,
        last_delivery: int,
        subjects: Sequence[bytes],
        payloads: Sequence[bytes],
        headers: Sequence[bytes | None],
    ) -> None:
        """Hands on messages whose sequences and deliveries run on without a gap, ending with
        delivery `last_delivery`, if they follow the last one handed on."""
        if last_delivery - len(payloads) != self._deliveries:
            self._stop("missed a delivery")
            return
        self._deliveries = last_delivery
        self.last_sequence = first_sequence + len(payloads) - 1
        if not self.accept(first_sequence, subjects, payloads, headers):
            self._stop("accepted all it wants")
        elif last_delivery == self._page_end:
            self._stop(None)

    def _stop(self, outcome: str | BaseException | None) -> None:
        """Ends the page: the reading coroutine looks at the outcome (None: the page is complete)."""
        assert self._page_done is not None
        self._outcome = outcome
        self._stopped = True
        self._page_done.set()


def _positions(reply: bytes) -> tuple[int, int]:
    """The stream sequence and delivery count in a delivered message's reply subject (its last four
    tokens: stream sequence, delivery count, time, pending)."""
    tokens = reply.rsplit(b".", 4)
    return int(tokens[1]), int(tokens[2])


async def last_on_subject(
    client: NatsClient, stream: str, replicas: int, subject: str
) -> tuple[int, str, bytes] | None:
    """The sequence, subject and payload of the last message on `subject`, or None.

    Direct gets are answered by any replica, and a follower may not yet hold what the leader has
    acknowledged. On a replicated stream the last message is therefore asked of the leader, so a
    process reads what another one has just written: an aggregate's head before a write, or its
    events before a command (see ``subject_entries``)."""
    if replicas > 1:
        try:
            answer = await client.api(
                f"$JS.API.STREAM.MSG.GET.{stream}",
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
    reply = await client.request(
        f"$JS.API.DIRECT.GET.{stream}",
        msgspec.json.encode({"last_by_subj": subject}),
        repeatable=True,
    )
    if reply.headers and reply.headers.get("Status") == "404":
        return None
    _raise_for_status(reply)
    return int(reply.headers["Nats-Sequence"]), reply.headers["Nats-Subject"], reply.data


async def subject_entries(
    client: NatsClient, stream: str, replicas: int, subject: str
) -> list[tuple[int, EventRecord]]:
    """Every event of one aggregate, in order. On a replicated stream, once the replica answering
    holds the leader's last message of the aggregate (see ``last_on_subject``)."""
    if replicas == 1:
        return [
            entry
            for _, entries in await _read_subject(client, stream, subject)
            for entry in entries
        ]
    last = await last_on_subject(client, stream, replicas, subject)
    if last is None:
        return []
    for _ in range(_CATCH_UP_ATTEMPTS):
        messages = await _read_subject(client, stream, subject)
        if messages and messages[-1][0] >= last[0]:
            return [entry for _, entries in messages for entry in entries]
        await asyncio.sleep(_CATCH_UP_PAUSE_SECONDS)
    raise OperationalError(f"no replica of {stream} caught up with {subject} in time")


async def _read_subject(
    client: NatsClient, stream: str, subject: str
) -> list[tuple[int, list[tuple[int, EventRecord]]]]:
    """The aggregate's messages (sequence, events), by batched direct gets filtered by its
    literal subject."""
    read: list[tuple[int, list[tuple[int, EventRecord]]]] = []
    sequence = 1
    while True:
        messages, _ = await _batched_direct_get(
            client, stream, {"seq": sequence, "next_by_subj": subject, "batch": READ_PAGE}
        )
        for message in messages:
            read.append((int(message.headers["Nats-Sequence"]), _direct_get_entries(message)))
        if len(messages) < READ_PAGE:
            return read
        sequence = read[-1][0] + 1


def _direct_get_entries(message: Msg) -> list[tuple[int, EventRecord]]:
    headers = message.headers or {}
    return log_entries(int(headers["Nats-Sequence"]), headers["Nats-Subject"], message.data)


def _raise_for_status(reply: Msg) -> None:
    status = reply.headers.get("Status") if reply.headers else None
    if status is not None:
        raise JetStreamApiError(int(status), 0, reply.headers.get("Description", ""))


# The recorder is named, not imported: it imports this module for its reads.
class NatsSubscription(ListenNotifySubscription["NatsApplicationRecorder"]):
    """Reads pages with select_notifications; a core NATS subscription on the event subjects wakes it."""

    def __init__(
        self,
        recorder: NatsApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
        seals: SealCheck | None = None,
    ) -> None:
        # Handed to every read (``select_notifications``); set first, as the pull thread starts in
        # the library's __init__.
        self._seals = seals
        # Event messages announced so far (counted on the client's loop only), and how many of them
        # the reads so far began after; set first, as the pull thread starts in the library's __init__.
        self._announced = 0
        self._announced_before_read = 0
        # Whether the last read found less than a page: the next is a live reader's read of what was
        # just written (``select_notifications``' `just_written`: a direct get first). A read that
        # catches up with the log, the first one too, goes through a consumer at once: a direct get
        # of the first messages of a full page costs more than it saves (nats-py messages).
        self._caught_up = False
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._select_limit = READ_PAGE
        # What is left of the page being iterated (see __next__).
        self._unread: Iterator[Notification] = iter(())

        async def wake(_: Msg) -> None:
            self._announced += 1
            self._has_been_notified.set()

        self._wake_subscription = recorder.client.subscribe(f"{recorder.stream}.e.>", wake)
        self._poller = threading.Thread(target=self._poll, daemon=True)
        self._poller.start()

    def __next__(self) -> Notification:
        """The library's ``__next__``, with an iterator over the page instead of an index into it:
        0.12 µs an event where the library's bookkeeping took 0.39 (of about 4 that an event of a
        subscription costs this process)."""
        if not self._has_been_stopped:
            notification = next(self._unread, None)
            if notification is not None:
                return notification
            try:
                self._unread = iter(self._notifications_queue.get())
            except ShutDown:
                pass
            else:
                self._notifications_queue.task_done()
        if self._has_been_stopped:
            if self._thread_error is not None:
                raise self._thread_error
            raise StopIteration
        return next(self._unread)

    def _pull(self) -> None:
        """The library's read of what is new, but one that does not stop at an announced message
        the stream does not hold yet. The wake-up is a core NATS copy of the message, and it arrives
        before JetStream has stored (and, syncing always, flushed) the message: a read it started
        then finds nothing, 4% of reads under load, and the event waited for the next event's
        wake-up or the poll a second later. Such a read is repeated after a pause instead."""
        pauses = iter(_ANNOUNCED_PAUSES_SECONDS)
        expecting = False  # a message was announced that no read has found yet
        while not self._has_been_stopped:
            self._has_been_notified.clear()
            announced = self._announced
            expecting = expecting or announced != self._announced_before_read
            self._announced_before_read = announced
            notifications = self._recorder.select_notifications(
                start=self._last_notification_id or 0,
                limit=self._select_limit,
                topics=self._topics,
                inclusive_of_start=False,
                just_written=self._caught_up,
                seals=self._seals,
            )
            self._caught_up = len(notifications) < self._select_limit
            if notifications:
                try:
                    self._notifications_queue.put(notifications)
                except ShutDown:
                    break
                self._last_notification_id = notifications[-1].id
                pauses, expecting = iter(_ANNOUNCED_PAUSES_SECONDS), False
                if len(notifications) >= self._select_limit:
                    continue
                break
            # With topics, nothing found may be an announced message of other topics: not waited for.
            pause = next(pauses, None) if expecting and not self._topics else None
            if pause is None:
                break
            self._has_been_notified.wait(pause)  # a new announcement ends the pause early

    def _poll(self) -> None:
        while not self._has_been_stopped:
            self._has_been_notified.set()
            threading.Event().wait(_SUBSCRIPTION_POLL_SECONDS)

    def stop(self) -> None:
        if not self._has_been_stopped:
            with contextlib.suppress(Exception):  # the connection may already be gone
                self._recorder.client.run(self._wake_subscription.unsubscribe(), timeout=5)
        super().stop()
