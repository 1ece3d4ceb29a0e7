"""An API worker that stops while it runs a keyed command (killed, or stalled past its lease): a retry
with the same Idempotency-Key, at another worker, finds out what it recorded once the key's lease has
run out, and the command is recorded once. On a real NATS server and a real SQLite database, the two
workers sharing both.

A kill is taken where it leaves the most behind: after the step named, the worker writes nothing more
to the database (its answer to the client is whatever; the client retries)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from litestar.testing import TestClient

from adapters.sql import create_engine, migrate
from api.app import create_app
from api.context import ApiContext
from domain.registry import Municipality
from services.application import GovernanceApplication
from services.authorisation import Role
from tests.integration.api.conftest import bearer
from tests.integration.api.test_unknown_outcome import post, registrations

LEASE_SECONDS = 0.3


class Workers:
    """Two API workers on one log and one database."""

    def __init__(self, nats_env: dict[str, str], database: Path) -> None:
        self.apps = [GovernanceApplication(env=nats_env) for _ in range(2)]
        self.engine = create_engine(f"sqlite:///{database}")
        migrate(self.engine)
        self.first, self.second = (ApiContext(app, self.engine) for app in self.apps)
        self.first.idempotency.lease_seconds = LEASE_SECONDS

    def close(self) -> None:
        self.engine.dispose()
        for app in self.apps:
            app.factory.close()


@pytest.fixture
def workers(nats_env: dict[str, str], tmp_path: Path) -> Iterator[Workers]:
    both = Workers(nats_env, tmp_path / "api.sqlite")
    try:
        yield both
    finally:
        both.close()


class Killed(Exception):
    """The worker stops here (the test's stand-in for SIGKILL)."""


def killed(*_args: object, **_kwargs: object) -> None:
    raise Killed


def killed_before_writing(context: ApiContext) -> None:
    """The worker stops while it checks the command, before it announces or sends any write."""
    context.app.handle = killed
    context.idempotency.release = killed


def headers_for(workers: Workers, key: str) -> dict[str, str]:
    return {**bearer(workers.first, Role.ADMIN), "Idempotency-Key": key}


def test_a_worker_lost_after_its_write_was_acknowledged_leaves_its_answer_to_the_retry(workers):
    """Killed between NATS's acknowledgement and keeping the answer: the retry is answered as the
    first attempt would have been, from the log, instead of "in progress" for good."""
    headers = headers_for(workers, "lost-after-ack")
    workers.first._keep_answer = killed
    with TestClient(create_app(workers.first), raise_server_exceptions=False) as first:
        assert post(first, headers).status_code == 500
    (stored,) = registrations(workers.first)
    with TestClient(create_app(workers.second)) as second:
        retried = post(second, headers)
        assert retried.status_code == 201, retried.text
        assert retried.headers["Idempotent-Replayed"] == "true"
        assert retried.json()["aggregate_id"] == str(Municipality.id_for("zwijgdorp"))
        assert retried.json()["version"] == stored.originator_version
        again = post(second, headers)
        assert (again.status_code, again.json()) == (201, retried.json())
    assert len(registrations(workers.second)) == 1


def test_a_worker_lost_before_it_sent_its_write_leaves_the_command_to_the_retry(workers):
    """Killed after its write was announced, before it was sent: not in the log, so the retry runs
    the command, once."""
    headers = headers_for(workers, "lost-before-send")
    workers.first.app.recorder.client.write = killed
    workers.first.idempotency.release = killed
    with TestClient(create_app(workers.first), raise_server_exceptions=False) as first:
        assert post(first, headers).status_code == 500
    assert registrations(workers.first) == []
    with TestClient(create_app(workers.second)) as second:
        retried = post(second, headers)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
    assert len(registrations(workers.second)) == 1


def test_a_worker_lost_before_it_announced_a_write_leaves_the_command_to_the_retry(workers):
    """Killed while it checked the command, before any write: the retry runs the command, once."""
    headers = headers_for(workers, "lost-before-write")
    killed_before_writing(workers.first)
    with TestClient(create_app(workers.first), raise_server_exceptions=False) as first:
        assert post(first, headers).status_code == 500
    with TestClient(create_app(workers.second)) as second:
        retried = post(second, headers)
        assert retried.status_code == 201, retried.text
        assert "Idempotent-Replayed" not in retried.headers
    assert len(registrations(workers.second)) == 1


def stalling_announcements(context: ApiContext) -> tuple[threading.Event, threading.Event]:
    """The worker's next announcement of a write waits until told to go on: (reached, go on)."""
    announce = context.idempotency.announce
    reached, go_on = threading.Event(), threading.Event()

    def stalled(*args: object) -> None:
        reached.set()
        go_on.wait(30)
        announce(*args)

    context.idempotency.announce = stalled
    return reached, go_on


def test_a_worker_slower_than_its_lease_sends_nothing_once_a_retry_took_its_key_over(workers):
    """The first worker stalls before its write until the retry, at the other worker, has taken the
    key over and is about to write itself: the first worker's write is refused before it is sent
    (409), and the retry records the command, once."""
    headers = headers_for(workers, "overtaken")
    first_stalled, first_goes_on = stalling_announcements(workers.first)
    retry_stalled, retry_goes_on = stalling_announcements(workers.second)
    with (
        TestClient(create_app(workers.first)) as first,
        TestClient(create_app(workers.second)) as second,
        ThreadPoolExecutor(2) as threads,
    ):
        overtaken = threads.submit(post, first, headers)
        assert first_stalled.wait(30)
        retried = threads.submit(post, second, headers)
        assert retry_stalled.wait(30)
        first_goes_on.set()
        overtaken_answer = overtaken.result(timeout=30)
        assert registrations(workers.first) == []
        retry_goes_on.set()
        retried_answer = retried.result(timeout=30)
        assert overtaken_answer.status_code == 409, overtaken_answer.text
        assert retried_answer.status_code == 201, retried_answer.text
        assert "Idempotent-Replayed" not in retried_answer.headers
        again = post(second, headers)
        assert (again.status_code, again.json()) == (201, retried_answer.json())
    (stored,) = registrations(workers.second)
    assert stored.originator_version == retried_answer.json()["version"]


def test_a_retry_within_the_lease_is_told_the_command_is_in_progress(workers):
    """A worker still within its lease is taken to be running: the retry waits, then gets 409, and
    records nothing."""
    headers = headers_for(workers, "in-progress")
    workers.first.idempotency.lease_seconds = 60.0
    workers.second.idempotency.wait_seconds = 0.2
    killed_before_writing(workers.first)
    with TestClient(create_app(workers.first), raise_server_exceptions=False) as first:
        assert post(first, headers).status_code == 500
    with TestClient(create_app(workers.second)) as second:
        waited = post(second, headers)
        assert waited.status_code == 409, waited.text
        assert waited.json()["type"].endswith("/idempotency-in-progress")
    assert registrations(workers.second) == []
