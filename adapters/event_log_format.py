"""How events sit in the event log: the one description that the recorders, the auditors, the region
feeds and the tests read and write by. It does no I/O and knows nothing of the governance domain.

Layout of a log stream (one stream per purpose; the events stream is the log):

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
the log (the recorders, auditors, region feeds) decodes through it, ``run_entries`` does the same for a
run of consecutive messages at once, and ``checked_log_entries`` is its strict form for auditors,
refusing what the recorder could not have written (``checked_run_entries`` for a run at once).

Every event carries ``prev_hash`` (the hash of the aggregate's previous event, also inside one message)
and its own ``hash`` (see ``event_hash``), so an auditor recomputes the chain from the log alone. An
event message may carry a seal in its headers (``adapters.seal``). The stream itself is immutable
(``stream_config``). How messages are written under optimistic locks is ``adapters.nats.recorders``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Sequence
from itertools import chain, repeat
from operator import attrgetter
from typing import Any, Generic, TypeVar
from uuid import UUID

import msgspec

EVENTS_PER_MESSAGE = 1000


# How a reader takes an aggregate's id: as stored (str), or parsed (UUID; see ``log_entries``).
OriginatorId = TypeVar("OriginatorId", str, UUID)


# gc=False: records hold only strings, bytes and numbers, so the garbage collector need not track the
# hundreds of thousands a replay creates.
class EventRecord(msgspec.Struct, Generic[OriginatorId], array_like=True, frozen=True, gc=False):
    originator_id: OriginatorId
    id_is_uuid: bool
    originator_version: int
    topic: str
    state: bytes
    prev_hash: str
    hash: str


class TrackingRecord(msgspec.Struct, array_like=True, frozen=True):
    application_name: str
    notification_id: int


encode_record = msgspec.msgpack.Encoder().encode
_decode_events = msgspec.msgpack.Decoder(list[EventRecord[str]]).decode
# msgspec parses a UUID while it decodes the message faster than it decodes it as a string: the library
# wants UUIDs, and converting each id after decoding cost a sixth of reading the log.
_decode_events_with_uuids = msgspec.msgpack.Decoder(list[EventRecord[UUID]]).decode
decode_tracking = msgspec.msgpack.Decoder(TrackingRecord).decode
_is_uuid = attrgetter("id_is_uuid")
_originator_id = attrgetter("originator_id")


def event_message(records: list[bytes]) -> bytes:
    """The payload of one event message, from its records as ``encode_record`` encoded them."""
    return encode_record([msgspec.Raw(record) for record in records])


def log_entries(
    sequence: int, subject: str, data: bytes, *, with_uuids: bool = False
) -> list[tuple[int, EventRecord[Any]]]:
    """The events one stream message carries, each with its notification id; none for a message that
    is not an event message (a tracking record). `with_uuids`: the id of an aggregate whose id is a
    UUID (``id_is_uuid``) comes as a UUID, as the library holds it, any other as stored."""
    # "<stream>.e.<aggregate>": stream names hold no dots, so the kind is the token after the first.
    kind = subject.find(".") + 1
    if subject[kind : kind + 2] != "e.":
        return []
    first_id = sequence * EVENTS_PER_MESSAGE
    records = _records_with_uuids(data) if with_uuids else _decode_events(data)
    return [(first_id + index, record) for index, record in enumerate(records)]


def run_entries(
    first_sequence: int, subjects: Sequence[bytes], payloads: Sequence[bytes]
) -> tuple[list[int], list[EventRecord[Any]]]:
    """The notification ids and records of the events that messages with consecutive stream
    sequences carry, the first at `first_sequence`: what ``log_entries(..., with_uuids=True)`` gives
    for each, in order. When all are event messages of aggregates with UUIDs (the log as the service
    writes it), they are decoded without a step of Python per message or per event, which costs a
    reader of the log a fraction of decoding each on its own."""
    prefix = subjects[0][: subjects[0].find(b".")] + b".e."
    count = len(payloads)
    if (b" " + b" ".join(subjects)).count(b" " + prefix) == count:  # no space in a subject
        try:
            messages = list(map(_decode_events_with_uuids, payloads))
        except msgspec.ValidationError:  # an aggregate whose id is no UUID
            messages = []
        records: list[EventRecord[Any]] = list(chain.from_iterable(messages))
        if messages and all(map(_is_uuid, records)):
            if len(records) == count:  # one event a message
                first_id = first_sequence * EVENTS_PER_MESSAGE
                return list(
                    range(first_id, first_id + count * EVENTS_PER_MESSAGE, EVENTS_PER_MESSAGE)
                ), records
            ids = [
                (first_sequence + offset) * EVENTS_PER_MESSAGE + index
                for offset, events in enumerate(messages)
                for index in range(len(events))
            ]
            return ids, records
    ids, records = [], []
    for offset, (subject, payload) in enumerate(zip(subjects, payloads, strict=True)):
        for notification_id, record in log_entries(
            first_sequence + offset, subject.decode(), payload, with_uuids=True
        ):
            ids.append(notification_id)
            records.append(record)
    return ids, records


def _records_with_uuids(data: bytes) -> list[EventRecord[Any]]:
    # A message holds the events of one aggregate, so its ids are all UUIDs or all not.
    try:
        records: list[EventRecord[Any]] = _decode_events_with_uuids(data)
    except msgspec.ValidationError:
        records = []
    if records and records[0].id_is_uuid:
        return records
    return [
        msgspec.structs.replace(record, originator_id=msgspec.convert(record.originator_id, UUID))
        if record.id_is_uuid
        else record
        for record in _decode_events(data)
    ]


class UnreadableEntry(Exception):
    """A message in the log that is not an event of it."""

    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"position {position}: {reason}")
        self.position = position
        self.reason = reason


def checked_log_entries(
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
        entries = log_entries(sequence, subject, data)
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


def checked_run_entries(
    stream: str, first_sequence: int, subjects: Sequence[bytes], payloads: Sequence[bytes]
) -> EventRun | None:
    """What ``checked_log_entries`` gives for each of messages with consecutive stream sequences, the
    first at `first_sequence`, decoded at once and without a step of Python per message: when all are
    event messages of aggregates with UUIDs, each stored under its aggregate's subject (the log as the
    service writes it). None for any other run: its messages are then to be taken one by one, so that
    the first that does not hold is named in its place, after the messages before it."""
    prefix = f"{stream}.e."
    encoded_prefix = prefix.encode()
    if (b" " + b" ".join(subjects)).count(b" " + encoded_prefix) != len(payloads):
        return None  # not all event messages of this log (no space in a subject)
    try:
        messages = list(map(_decode_events, payloads))
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    records: list[EventRecord] = list(chain.from_iterable(messages))
    if not records or not all(map(_is_uuid, records)):
        return None
    # Each event under its aggregate's subject: the stream's prefix and its id without dashes (as
    # ``_token`` has it), compared for the whole run at once, the dashes taken out of all the ids in
    # one go and the prefix off all the subjects but the first. Exact: a subject holds no space, so
    # the two are equal only where no id holds one and each id lines up with its own subject.
    tokens = " ".join(map(_originator_id, records)).replace("-", "")
    one_each = len(records) == len(payloads)  # one event a message, as nearly always
    stored_under = b" ".join(
        subjects if one_each else chain.from_iterable(map(repeat, subjects, map(len, messages)))
    )
    if stored_under.replace(b" " + encoded_prefix, b" ") != (prefix + tokens).encode():
        return None
    return EventRun(first_sequence, records, None if one_each else messages)


class EventRun(Sequence[list[tuple[int, EventRecord]]]):
    """The events of messages with consecutive stream sequences, the first at `first_sequence`: each
    message's events with their positions (``run[i]``, as ``checked_log_entries`` gives them), and
    all of them at once (``positions`` and ``records``), which is how a verifier checks a run. The
    lists of each message are made only when asked for: a run of one event a message, as nearly
    all are, never makes them (``audit verify`` made them, to take them apart again, for ~0.2 of the
    ~4 µs it spends on an event after the frame parser: 1,100 instructions an event)."""

    __slots__ = ("_messages", "first_sequence", "positions", "records")

    def __init__(
        self,
        first_sequence: int,
        records: list[EventRecord],
        messages: list[list[EventRecord]] | None = None,
    ) -> None:
        """`records`: all of the run's events in order; `messages`: the events of each message,
        None if each holds one."""
        self.first_sequence, self.records, self._messages = first_sequence, records, messages
        first_id = first_sequence * EVENTS_PER_MESSAGE
        self.positions: Sequence[int] = (
            range(first_id, first_id + len(records) * EVENTS_PER_MESSAGE, EVENTS_PER_MESSAGE)
            if messages is None
            else [
                first_id + offset * EVENTS_PER_MESSAGE + index
                for offset, events in enumerate(messages)
                for index in range(len(events))
            ]
        )

    def __len__(self) -> int:
        return len(self.records if self._messages is None else self._messages)

    def __getitem__(self, offset: int) -> list[tuple[int, EventRecord]]:  # type: ignore[override]
        first_id = (self.first_sequence + range(len(self))[offset]) * EVENTS_PER_MESSAGE
        if self._messages is None:
            return [(first_id, self.records[offset])]
        return [(first_id + index, record) for index, record in enumerate(self._messages[offset])]

    def __iter__(self) -> Iterator[list[tuple[int, EventRecord]]]:
        return map(self.__getitem__, range(len(self)))


def _token(record: EventRecord) -> str:
    if record.id_is_uuid:
        return record.originator_id.replace("-", "")
    return subject_token(record.originator_id)


def event_hash(prev_hash: str, originator_id: str, version: int, topic: str, state: bytes) -> str:
    """The hash of one stored event, chained to its predecessor in the same aggregate."""
    content = encode_record((prev_hash, originator_id, version, topic, state))
    return hashlib.sha256(content).hexdigest()


def subject_token(originator_id: UUID | str) -> str:
    """A subject-safe token for an aggregate id (subjects may not contain dots, wildcards or spaces)."""
    if isinstance(originator_id, UUID):
        return originator_id.hex
    encoded = base64.urlsafe_b64encode(originator_id.encode()).decode().rstrip("=")
    return f"s-{encoded}"


def event_subject(stream: str, originator_id: UUID | str) -> str:
    return f"{stream}.e.{subject_token(originator_id)}"


def tracking_subject(stream: str, application_name: str) -> str:
    return f"{stream}.t.{subject_token(application_name)}"


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


# The settings by which ``stream_config`` keeps every message and only the log's: NATS refuses to turn
# deny_delete or deny_purge off, but it deletes the messages a limit (a per-subject count, an age, a
# size) lets go of whatever deny_delete says, and a subject added to the stream takes messages that
# are no events of the log. A flag NATS leaves out of its answer is off.
_KEEPING_EVERY_MESSAGE = (
    "retention",
    "max_msgs",
    "max_bytes",
    "max_age",
    "max_msgs_per_subject",
    "deny_delete",
    "deny_purge",
    "allow_rollup_hdrs",
    "allow_msg_ttl",
    "subjects",
)


def settings_losing_events(found: dict[str, Any], name: str) -> list[str]:
    """The settings of stream ``name``'s configuration ``found`` (as NATS answers it) that differ from
    ``stream_config``'s in a way that lets the stream lose events or take messages of others."""
    expected = stream_config(name)
    return [
        f"{key} {found.get(key, False)!r} (not {expected.get(key, False)!r})"
        for key in _KEEPING_EVERY_MESSAGE
        if found.get(key, False) != expected.get(key, False)
    ]
