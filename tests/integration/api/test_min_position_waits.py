"""A map read with ``min_position`` waits for the read model to get there: woken when the position watch
reads a new position, not by polling, and never for a subject the log does not know (404 at once)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine, Generator
from typing import Any

import pytest
from litestar.testing import TestClient

import api.controllers.reads
from api.context import ApiContext
from api.maps import PositionWatch
from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer

EXTERNAL = {
    "kind": "external",
    "external": "Ministerie van VWS",
    "decision_date": "2026-01",
    "document": "Kamerbrief jeugdzorg 2026-01",
}


def _register_region(client: TestClient, admin: dict[str, str], slug: str, name: str) -> int:
    """Records a new region; the log position of its registration."""
    recorded = client.post(
        "/regions", json={"region": slug, "name": name, "authority": EXTERNAL}, headers=admin
    )
    assert recorded.status_code == 201, recorded.text
    return int(recorded.json()["event_ids"][-1])


class Resumptions:
    """Awaits a coroutine and counts how often it is resumed (each wake-up of the waiting request)."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        self.coroutine = coroutine
        self.count = 0

    def __await__(self) -> Generator[Any, Any, Any]:
        steps = self.coroutine.__await__()
        resume, given = steps.send, None
        while True:
            self.count += 1
            try:
                awaited = resume(given)
            except StopIteration as done:
                return done.value
            try:
                given, resume = (yield awaited), steps.send
            except BaseException as thrown:  # noqa: BLE001 - handed on, as await would
                given, resume = thrown, steps.throw


def test_a_request_waiting_for_a_position_is_not_woken_while_the_read_model_stays(
    context: ApiContext,
) -> None:
    watch = context.position_watch
    watch.start()  # without a signal (a log in memory) it reads the position every 10 ms
    try:
        head = watch.position or 0

        async def wait() -> tuple[bool, int]:
            waiting = Resumptions(watch.reached(head + 1, 0.3))
            return await waiting, waiting.count

        reached, resumed = asyncio.run(wait())
    finally:
        watch.stop()
    assert reached is False
    # Started, and ended by its deadline: polling every 10 ms resumed it about 30 times.
    assert resumed <= 3


def test_a_request_waiting_for_a_position_is_woken_when_the_read_model_gets_there(
    context: ApiContext, client: TestClient
) -> None:
    position = _register_region(client, bearer(context, Role.ADMIN), "wachtregio", "Wachtregio")
    watch = context.position_watch
    assert (watch.position or 0) < position  # no runner here: the read model has not applied it

    async def wait() -> bool:
        waiting = asyncio.ensure_future(watch.reached(position, 30))
        await asyncio.sleep(0)  # waiting before the read model moves
        await asyncio.to_thread(ProjectionRunner(context.app, context.engine).catch_up)
        return await waiting

    assert asyncio.run(wait()) is True
    assert watch.position == position


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The positions requests waited for (``PositionWatch.reached`` entered)."""
    entered: list[int] = []
    reached = PositionWatch.reached

    async def recorded(watch: PositionWatch, min_position: int, wait_seconds: float) -> bool:
        entered.append(min_position)
        return await reached(watch, min_position, wait_seconds)

    monkeypatch.setattr(PositionWatch, "reached", recorded)
    return entered


@pytest.mark.parametrize(
    "path",
    ["/regions/nergens/map", "/cooperations/nergens/map", "/organisations/nergens/map"],
)
def test_a_map_of_an_unknown_subject_is_404_before_any_wait_for_a_position(
    context: ApiContext, client: TestClient, waits: list[int], path: str
) -> None:
    far = (context.position_watch.position or 0) + 10**9

    answer = client.get(path, params={"min_position": far}, headers=bearer(context, Role.ADMIN))

    assert answer.status_code == 404, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "'nergens' is not registered: check the slug" in answer.json()["detail"]
    assert waits == []


def test_a_subject_the_awaited_command_registered_is_served_once_the_read_model_has_it(
    context: ApiContext, client: TestClient, waits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown to the read model when asked, but in the log: the request waits and gets its map."""
    monkeypatch.setattr(api.controllers.reads, "MIN_POSITION_WAIT_SECONDS", 30.0)
    admin = bearer(context, Role.ADMIN)
    position = _register_region(client, admin, "nieuwe-regio", "Nieuwe regio")
    catching_up = threading.Thread(target=_catch_up_once_waited_for, args=(context, waits))
    catching_up.start()
    try:
        answer = client.get(
            "/regions/nieuwe-regio/map", params={"min_position": position}, headers=admin
        )
    finally:
        catching_up.join()

    assert answer.status_code == 200, answer.text
    assert answer.json()["region"]["name"] == "Nieuwe regio"
    assert answer.json()["position"] >= position
    assert waits == [position]


def _catch_up_once_waited_for(context: ApiContext, waits: list[int]) -> None:
    """Applies the log to the read model once a request waits for a position (as a runner would)."""
    for _ in range(3000):
        if waits:
            break
        time.sleep(0.01)
    ProjectionRunner(context.app, context.engine).catch_up()


def test_a_subject_found_in_the_log_is_not_looked_up_again_by_the_next_wait(
    context: ApiContext, client: TestClient, waits: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log never loses a subject: the next map read that waits for a position goes straight to
    the wait, without a worker thread asking the log first."""
    monkeypatch.setattr(api.controllers.reads, "MIN_POSITION_WAIT_SECONDS", 0.05)
    admin = bearer(context, Role.ADMIN)
    position = _register_region(client, admin, "gezochte-regio", "Gezochte regio")
    asked: list[str] = []
    exists = context.app.exists

    def counted(cls: Any, slug: str) -> bool:
        asked.append(slug)
        return exists(cls, slug)

    monkeypatch.setattr(context.app, "exists", counted)
    for _ in range(2):  # no runner here: each waits in vain, and is 503
        answer = client.get(
            "/regions/gezochte-regio/map", params={"min_position": position}, headers=admin
        )
        assert answer.status_code == 503, answer.text

    assert waits == [position, position]
    assert asked == ["gezochte-regio"]


@pytest.mark.parametrize("region", ["noord-limburg", "nergens"])  # recorded, and not
def test_a_region_system_waits_for_no_other_regions_map_and_learns_nothing_of_it(
    context: ApiContext, client: TestClient, waits: list[int], region: str
) -> None:
    """Refused before the look-up and the wait: a region system can neither tell whether another
    region is recorded (403 alike) nor hold a wait open on a map it may not read."""
    system = bearer(context, Role.REGION_SYSTEM, regions=("zuid-limburg",))
    far = (context.position_watch.position or 0) + 10**9

    answer = client.get(f"/regions/{region}/map", params={"min_position": far}, headers=system)

    assert answer.status_code == 403, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert waits == []
    assert ("region", region) not in context.recorded_subjects


@pytest.mark.parametrize("value", ["-1", "0x10", str(2**63), str(10**40), "", "１"])
def test_a_position_that_is_no_log_position_is_refused_before_any_wait(
    context: ApiContext, client: TestClient, waits: list[int], value: str
) -> None:
    answer = client.get(
        "/regions/zuid-limburg/map",
        params={"min_position": value},
        headers=bearer(context, Role.ADMIN),
    )

    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert waits == []
