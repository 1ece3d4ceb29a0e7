"""Helpers for the tests of a service that heals: reaching the running service's NATS as the service
does, and waiting for a condition with a deadline."""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from adapters.nats.access import FeedAccess, url_with_credentials
from domain.base import fact_fields
from domain.registry import Region
from domain.values import UNKNOWN_DATE, Attribution, RegionKind, ValidPeriod
from tests.e2e.service import Service
from tests.fixtures.processes import events_of

T = TypeVar("T")


def nats_url(service: Service) -> str:
    """The service's NATS URL (as it printed it), without credentials."""
    for line in service.lines:
        if found := re.match(r"event store: (nats://\S+)", line):
            return found.group(1)
    raise AssertionError("the service did not print its event store:\n" + "\n".join(service.lines))


def service_nats_url(service: Service, data_dir: Path) -> str:
    """The service's NATS URL with the service's own credentials."""
    return url_with_credentials(nats_url(service), FeedAccess(data_dir / "access").service())


def unchecked_region(slug: str) -> Region:
    """A region registration as the code before slugs were checked at the edge would have recorded it,
    whatever its slug."""
    return Region(
        region=slug,
        name=slug,
        region_kind=RegionKind.JEUGDZORGREGIO,
        aliases=(),
        province=None,
        contact_municipality=None,
        contact_label=None,
        contact_note=None,
        members_complete=False,
        subregions=(),
        decision_route=None,
        notes=None,
        **fact_fields(ValidPeriod(UNKNOWN_DATE, UNKNOWN_DATE), Attribution(principal="test")),
    )


def wait_for(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first true value of ``condition()``, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)


# Registering a municipality is decided above any region or cooperation (the registry's own source).
AUTHORITY = {
    "kind": "external",
    "external": "Ministerie van BZK",
    "decision_date": "2026-01-15",
    "document": "Gemeentelijke indeling 2026",
}


def register_municipality(client: httpx.Client, slug: str, **kwargs: object) -> httpx.Response:
    """Registers a municipality, citing a full authority."""
    body = {"municipality": slug, "name": slug, "authority": AUTHORITY}
    return client.post("/municipalities/", json=body, **kwargs)


@dataclass
class Answer:
    municipality: str
    status: int  # 0: no answer at all (the connection failed)
    retry_after: str | None
    body: dict
    sent: float = 0.0  # time.monotonic() when the command was first sent


class Burst:
    """Commands sent at a steady pace from a few threads while faults are injected: each registers a
    municipality of its own, so every answer can be checked against the log afterwards."""

    def __init__(self, service: Service, token: str, threads: int = 3, pause: float = 0.05) -> None:
        self.service = service
        self.token = token
        self.pause = pause
        self.answers: list[Answer] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._threads = [
            threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(threads)
        ]

    def __enter__(self) -> Burst:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopped.set()
        for thread in self._threads:
            thread.join()

    def count(self) -> int:
        with self._lock:
            return len(self.answers)

    def sent_since(self, moment: float) -> list[Answer]:
        """The answers to the commands sent after ``moment`` (``time.monotonic()``), in sending order."""
        with self._lock:
            return sorted((a for a in self.answers if a.sent > moment), key=lambda a: a.sent)

    def _send(self, number: int) -> None:
        run = uuid.uuid4().hex[:6]
        with self.service.client(self.token) as client:
            sequence = 0
            while not self._stopped.is_set():
                sequence += 1
                slug = f"burst-{run}-{number}-{sequence}"
                answer = self._post(client, slug)
                with self._lock:
                    self.answers.append(answer)
                self._stopped.wait(self.pause)

    def _post(self, client: httpx.Client, slug: str) -> Answer:
        """The command's answer; a connection dropped by a worker killed mid-request is retried with
        the same Idempotency-Key, as a client does."""
        sent = time.monotonic()
        for _ in range(_RETRIES_OF_A_DROPPED_CONNECTION):
            try:
                response = register_municipality(
                    client, slug, headers={"Idempotency-Key": slug}, timeout=60
                )
            except httpx.TransportError as error:
                dropped = repr(error)
                time.sleep(0.2)
                continue
            body = response.json() if response.content else {}
            retry_after = response.headers.get("Retry-After")
            return Answer(slug, response.status_code, retry_after, body, sent)
        return Answer(slug, 0, None, {"error": dropped}, sent)


_RETRIES_OF_A_DROPPED_CONNECTION = 10


def api_worker_pids(service: Service) -> set[int]:
    """The granian worker processes of the service (children started by multiprocessing)."""
    workers = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == service.process.pid and b"spawn_main" in cmdline:
            workers.add(int(stat.parent.name))
    return workers


def recorded_events(service: Service, token: str, aggregate_id: str) -> list[dict]:
    with service.client(token) as client:
        return events_of(client, aggregate_id)


def ready_answer(service: Service) -> httpx.Response | None:
    """/ready's answer, or None if none came within 2 s (a hanging /ready)."""
    try:
        return httpx.get(f"{service.url}/ready", timeout=2)
    except httpx.HTTPError:
        return None


def nats_server_pid(data_dir: Path) -> int:
    return int((data_dir / "nats" / "nats-server.pid").read_text().strip())
