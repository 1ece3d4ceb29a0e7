"""The lease that lets one process at a time apply the projections (the multi-process failover is
tested with the service itself)."""

from __future__ import annotations

import time

from sqlalchemy import Engine

from projections.lease import Lease


def test_one_holder_at_a_time_and_a_take_over_after_expiry(engine: Engine) -> None:
    first = Lease(engine, seconds=60, holder="first")
    second = Lease(engine, seconds=60, holder="second")
    assert first.acquire()
    assert not second.acquire()
    assert first.acquire()  # renewing is taking it again
    # The first holder's last renewal was short, and then it stopped renewing, as a dead process would.
    assert Lease(engine, seconds=0.05, holder="first").acquire()
    time.sleep(0.2)
    assert second.acquire()
    assert not first.acquire()
    second.release()
    assert first.acquire()
