"""What crosses from the replay worker to the process that applies: notifications and history rows."""

from __future__ import annotations

import uuid

import msgspec
from eventsourcing.persistence import Notification

from projections.history import History
from projections.worker import FactNotification, Range, range_size


def test_a_fact_notification_crosses_unchanged() -> None:
    for originator_id in (uuid.uuid4(), "not-a-uuid"):
        notification = Notification(
            id=7_001, originator_id=originator_id, originator_version=3, topic="t:T", state=b"{}"
        )
        crossed = msgspec.msgpack.decode(
            msgspec.msgpack.encode(FactNotification.of(notification)), type=FactNotification
        )
        assert crossed.notification() == notification


def test_ranges_follow_each_other_in_log_order() -> None:
    fact = FactNotification(5, uuid.uuid4(), None, 1, "t:T", b"{}")
    first = Range(5, [fact], History([(4,), (5,)], [("region", "a", 4)], []))
    later = Range(9, [], History([(9,)], [("region", "b", 9)], [(9, "x:1")]))
    joined = first.followed_by(later)
    assert joined.stop == 9 and joined.facts == [fact]
    assert joined.history == History(
        [(4,), (5,), (9,)], [("region", "a", 4), ("region", "b", 9)], [(9, "x:1")]
    )


def test_a_range_is_an_eighth_of_a_batch_and_never_empty() -> None:
    assert range_size(100_000) == 12_500
    assert range_size(3) == 1
