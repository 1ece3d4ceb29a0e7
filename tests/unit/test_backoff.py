"""The client's pause before a retry, when the answer says how long to leave the service be."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from regiekaart_client import Backoff

BACKOFF = Backoff(first_seconds=0.2, max_seconds=5.0)


@pytest.mark.parametrize(
    "retry_after", ["²", "١٢", "-5", "5, 5", "Wed, 21 Oct 2015 07:28:00 GMT", "Wed, 99 Oct 2015"]
)
def test_a_retry_after_that_is_no_count_of_seconds_leaves_the_clients_own_pause(retry_after: str):
    # "²" (a header's byte 0xB2, read as Latin-1) passed str.isdigit and float() refused it: the
    # feed follower and every retried request ended with a ValueError. HTTP's digits are ASCII.
    assert BACKOFF.pause(0, retry_after) == 0.2


@pytest.mark.parametrize("retry_after", ["99999999999", "9" * 400])
def test_a_retry_after_longer_than_any_wait_is_a_wait_that_can_be_waited(retry_after: str):
    # A wait past what the platform can time (or float's infinity) was an OverflowError in the
    # feed follower's stop.wait and the client's time.sleep, ending them instead of waiting. At
    # most an hour: a service that asked for longer is asked again then.
    pause = BACKOFF.pause(0, retry_after)
    assert 5.0 <= pause <= 3600 < threading.TIMEOUT_MAX


def test_a_retry_after_in_seconds_is_honoured():
    assert BACKOFF.pause(0, "12") == 12.0


def test_a_retry_after_as_an_http_date_is_honoured():
    """HTTP allows a date instead of seconds: the client waits until then (a date past is no wait
    of the service's: the client's own pause, as the 2015 date above)."""
    then = datetime.now(UTC) + timedelta(seconds=30)
    pause = BACKOFF.pause(0, format_datetime(then, usegmt=True))
    assert 28.0 <= pause <= 30.0
