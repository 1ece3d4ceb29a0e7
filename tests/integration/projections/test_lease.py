"""The lease that lets one process at a time apply the projections (the multi-process failover is
tested with the service itself)."""

from __future__ import annotations

import time

from sqlalchemy import Engine

from projections.lease import Lease


def test_one_holder_at_a_time_and_a_take_over_after_expiry(engine: Engine) -> None:
    first = Lease(engine, seconds=0.2, holder="first")
    second = Lease(engine, seconds=0.2, holder="second")
    assert first.acquire()
    assert not second.acquire()
    assert first.acquire()  # renewing is taking it again
    time.sleep(0.3)  # the first holder stops renewing, as a dead process would
    assert second.acquire()
    assert not first.acquire()
    second.release()
    assert first.acquire()
