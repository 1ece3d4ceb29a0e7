"""The projection runner takes the pages its subscription has read itself (``projections.runner._Pages``):
in log order and in batches of at most its batch size, and an error of the subscription's pull thread
reaches it."""

from __future__ import annotations

import uuid

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOApplicationRecorder

from projections.runner import _Pages


def recorded(recorder: POPOApplicationRecorder, count: int) -> list[int]:
    return recorder.insert_events(
        [StoredEvent(uuid.uuid4(), 1, "test:Happened", b"{}") for _ in range(count)]
    )


def taken_until(pages: _Pages, count: int, limit: int) -> list[list[int]]:
    batches: list[list[int]] = []
    while sum(map(len, batches)) < count:
        batch = pages.take(limit, timeout=5)
        assert batch, "nothing came within the timeout"
        batches.append([notification.id for notification in batch])
    return batches


def test_pages_are_taken_in_log_order_in_batches_of_at_most_the_limit():
    recorder = POPOApplicationRecorder()
    ids = recorded(recorder, 7)
    subscription = recorder.subscribe(gt=None)
    try:
        batches = taken_until(_Pages(subscription), 7, limit=3)
        assert all(len(batch) <= 3 for batch in batches)
        assert [i for batch in batches for i in batch] == ids
        more = recorded(recorder, 2)
        assert taken_until(_Pages(subscription), 2, limit=3) == [more]
    finally:
        subscription.stop()


def test_nothing_new_is_an_empty_batch_and_an_ended_subscription_none():
    recorder = POPOApplicationRecorder()
    subscription = recorder.subscribe(gt=None)
    pages = _Pages(subscription)
    assert pages.take(10, timeout=0.05) == []
    subscription.stop()
    assert pages.take(10, timeout=0.05) is None


def test_the_error_that_ended_the_subscription_is_raised():
    recorder = POPOApplicationRecorder()
    subscription = recorder.subscribe(gt=None)
    pages = _Pages(subscription)

    def fail(**_: object) -> list[object]:
        raise RuntimeError("the log went away")

    recorder.select_notifications = fail  # type: ignore[method-assign]
    recorded(recorder, 1)  # wakes the pull thread, whose read now fails
    with pytest.raises(RuntimeError, match="the log went away"):
        for _ in range(100):
            pages.take(10, timeout=0.05)
