"""Which process applies the projections when several serve one database.

A lease row per projection (``projection_leases``: name, holder, expires_at) that the holder renews; any
other process takes it over once it has expired. Why a row rather than a PostgreSQL advisory lock or a
file lock: the same code works on SQLite and PostgreSQL, across machines (a file lock does not) and
through connection poolers (a session-level advisory lock does not), and the expiry is a setting
(``REGIEKAART_PROJECTION_LEASE_SECONDS``). Its price is reliance on the processes' clocks agreeing to
well within the expiry. The lease only avoids wasted work: correctness does not rest on it, since every
batch moves the tracking position by compare-and-set (``projections.projector``), so two processes that
both believe they hold the lease still apply each event once.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, or_, update
from sqlalchemy.exc import IntegrityError

from projections.projector import PROJECTION_NAME
from projections.schema import lease_table

_leases = lease_table()


def follow_while_held(
    lease: Lease | None,
    stopped: threading.Event,
    follow: Callable[[], None],
    failed: Callable[[Exception], None],
    retry_seconds: float,
) -> None:
    """Runs ``follow`` until ``stopped`` is set: it stands by while another process holds ``lease``
    (no lease: it always follows), and after a failure, which ``failed`` is told of from inside the
    ``except`` (so that it may log the traceback), tries again ``retry_seconds`` later."""
    while not stopped.is_set():
        try:
            if lease is not None and not lease.acquire():
                stopped.wait(lease.retry_seconds)
                continue
            follow()
        except Exception as error:  # noqa: BLE001 - ``failed`` logs it with its traceback
            failed(error)
            stopped.wait(retry_seconds)


class Lease:
    def __init__(
        self,
        engine: Engine,
        seconds: float,
        name: str = PROJECTION_NAME,
        holder: str | None = None,
    ) -> None:
        self.engine = engine
        self.seconds = seconds
        self.name = name
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renew_after = 0.0

    @property
    def retry_seconds(self) -> float:
        return max(self.seconds / 3, 0.05)

    def acquire(self) -> bool:
        """Takes the lease if it is free, expired or already ours; True if we hold it now."""
        now = datetime.now(UTC).replace(tzinfo=None)
        expires = now + timedelta(seconds=self.seconds)
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(_leases)
                .where(
                    _leases.c.name == self.name,
                    or_(_leases.c.holder == self.holder, _leases.c.expires_at < now),
                )
                .values(holder=self.holder, expires_at=expires)
            ).rowcount
        if not taken:
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        insert(_leases).values(
                            name=self.name, holder=self.holder, expires_at=expires
                        )
                    )
            except IntegrityError:
                return False  # someone else holds it
        self._renew_after = time.monotonic() + self.retry_seconds
        return True

    def renew(self) -> bool:
        """Keeps the lease (renewing a third of the way into it); False once it was lost."""
        if time.monotonic() < self._renew_after:
            return True
        return self.acquire()

    def release(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(_leases).where(_leases.c.name == self.name, _leases.c.holder == self.holder)
            )
        self._renew_after = 0.0
