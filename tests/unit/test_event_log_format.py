"""A run of consecutive log messages, decoded at once, holds what its messages hold one by one."""

from __future__ import annotations

import uuid

import pytest

from adapters.event_log_format import (
    EventRecord,
    TrackingRecord,
    UnreadableEntry,
    checked_log_entries,
    checked_run_entries,
    encode_record,
    event_message,
    event_subject,
    log_entries,
    run_entries,
    tracking_subject,
)

STREAM = "LOG"


def events(originator_id: str, versions: range, *, id_is_uuid: bool = True) -> bytes:
    return event_message(
        [
            encode_record(EventRecord(originator_id, id_is_uuid, v, "t", b"{}", "a", "b"))
            for v in versions
        ]
    )


def uuid_message(versions: range = range(1, 2)) -> tuple[bytes, bytes]:
    aggregate = uuid.uuid4()
    return event_subject(STREAM, aggregate).encode(), events(str(aggregate), versions)


def text_message(originator_id: str) -> tuple[bytes, bytes]:
    return event_subject(STREAM, originator_id).encode(), events(
        originator_id, range(1, 3), id_is_uuid=False
    )


TRACKING = (
    tracking_subject(STREAM, "projection").encode(),
    encode_record(TrackingRecord("projection", 4000)),
)

RUNS = {
    "one event a message": [uuid_message() for _ in range(20)],
    "several events a message": [uuid_message(range(1, n % 4 + 2)) for n in range(20)],
    "a tracking record among them": [uuid_message(), TRACKING, uuid_message()],
    "an aggregate whose id is no UUID": [uuid_message(), text_message("regio-7")],
    # Stored as text: read as text, though it would parse as a UUID.
    "an id that looks like a UUID": [uuid_message(), text_message(str(uuid.uuid4()))],
    "a single message": [uuid_message(range(1, 3))],
}


@pytest.mark.parametrize("name", RUNS)
def test_a_run_of_messages_holds_what_each_message_holds(name):
    messages = RUNS[name]
    subjects = [subject for subject, _ in messages]
    payloads = [payload for _, payload in messages]
    expected = [
        entry
        for offset, (subject, payload) in enumerate(messages)
        for entry in log_entries(41 + offset, subject.decode(), payload, with_uuids=True)
    ]

    ids, records = run_entries(41, subjects, payloads)

    assert list(zip(ids, records, strict=True)) == expected
    assert [type(record.originator_id) for record in records] == [
        type(record.originator_id) for _, record in expected
    ]
    assert len(expected) >= len(messages) - 1


# Runs an auditor reads at once (``checked_run_entries``); any other run is read message by message.
CHECKED_AT_ONCE = ("one event a message", "several events a message", "a single message")


@pytest.mark.parametrize("name", RUNS)
def test_a_run_checked_at_once_holds_what_each_message_holds_when_checked(name):
    messages = RUNS[name]
    subjects = [subject for subject, _ in messages]
    payloads = [payload for _, payload in messages]

    run = checked_run_entries(STREAM, 41, subjects, payloads)

    if name not in CHECKED_AT_ONCE:
        assert run is None
        return
    expected = [
        checked_log_entries(STREAM, 41 + offset, subject.decode(), payload)
        for offset, (subject, payload) in enumerate(messages)
    ]
    assert list(run) == expected
    assert list(zip(run.positions, run.records, strict=True)) == [
        entry for entries in expected for entry in entries
    ]


def test_a_run_with_an_event_under_another_aggregates_subject_is_left_to_the_strict_reading():
    (subject, payload), (other_subject, _) = uuid_message(), uuid_message()
    subjects, payloads = [subject, other_subject], [payload, payload]

    assert checked_run_entries(STREAM, 41, subjects, payloads) is None
    with pytest.raises(UnreadableEntry, match="another aggregate's subject"):
        checked_log_entries(STREAM, 42, other_subject.decode(), payload)


def test_a_run_of_another_stream_or_of_what_is_no_event_message_is_left_to_the_strict_reading():
    subject, payload = uuid_message()

    assert checked_run_entries("OTHER", 41, [subject], [payload]) is None
    assert checked_run_entries(STREAM, 41, [subject], [b"\xc1"]) is None


def test_a_run_of_a_stream_whose_name_holds_a_dash_is_checked_at_once():
    aggregates = [uuid.uuid4() for _ in range(3)]
    subjects = [event_subject("THE-LOG", aggregate).encode() for aggregate in aggregates]
    payloads = [events(str(aggregate), range(1, 2)) for aggregate in aggregates]

    run = checked_run_entries("THE-LOG", 41, subjects, payloads)

    assert list(run) == [
        checked_log_entries("THE-LOG", 41 + offset, subject.decode(), payload)
        for offset, (subject, payload) in enumerate(zip(subjects, payloads, strict=True))
    ]


def test_a_run_whose_ids_hold_a_space_is_left_to_the_strict_reading():
    first, second = uuid.uuid4(), uuid.uuid4()
    subjects = [event_subject(STREAM, first).encode(), event_subject(STREAM, second).encode()]
    # One id that spells both subjects' tokens, and a message without events after it.
    payloads = [events(f"{first} {STREAM}.e.{second}", range(1, 2)), event_message([])]

    assert checked_run_entries(STREAM, 41, subjects, payloads) is None
