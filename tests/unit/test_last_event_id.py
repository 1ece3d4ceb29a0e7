"""The Last-Event-ID a feed request resumes after: one id, or a clear error (never the first of several)."""

from __future__ import annotations

import pytest
from litestar import Request
from litestar.exceptions import ValidationException

from api.feeds import last_event_id


def request_with(*values: bytes) -> Request:
    headers = [(b"last-event-id", value) for value in values]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers})


def test_one_last_event_id_is_the_position_to_resume_after() -> None:
    assert last_event_id(request_with()) is None
    assert last_event_id(request_with(b"7")) == "7"
    assert last_event_id(request_with(b"7", b"7")) == "7"  # repeated by a proxy: the same id


def test_conflicting_last_event_ids_are_a_clear_error() -> None:
    # Taking the first would make the answer depend on the headers' order: "1" then an id past
    # the end streamed from 1, the other order was refused.
    for values in ((b"1", b"99999999"), (b"99999999", b"1")):
        with pytest.raises(ValidationException, match="Last-Event-ID"):
            last_event_id(request_with(*values))
