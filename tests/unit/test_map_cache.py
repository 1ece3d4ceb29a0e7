"""The worker's cache of encoded maps: one computation per map and read-model position, however many
requests ask for it at once, and a new one once the position moves."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, date, datetime

import msgspec

from api.maps import MapCache
from projections.queries import ReadModelAt
from projections.views import MapHeader


class FixedPosition:
    """Stands in for the position watch: the position the test sets, and the last position at which
    the facts changed (by default the position: every move changes them)."""

    def __init__(self, position: int, facts_position: int | None = None) -> None:
        self.position = position
        self.facts_position = facts_position

    @property
    def read_model(self) -> ReadModelAt:
        facts = self.position if self.facts_position is None else self.facts_position
        return ReadModelAt(self.position, facts)

    def when_moved(self, moved: object) -> object:
        """The test moves the position by hand and asks again; nobody needs telling."""
        return lambda: None


def test_concurrent_requests_for_a_map_compute_it_once_per_position() -> None:
    watch = FixedPosition(10)
    cache = MapCache(watch)  # type: ignore[arg-type]
    computed: list[int] = []
    release = threading.Event()

    def compute() -> dict[str, int]:
        release.wait(timeout=10)
        computed.append(watch.position)
        return {"position": watch.position}

    async def ask(times: int) -> list[bytes]:
        asking = [asyncio.ensure_future(cache.encoded(("map", "x"), compute)) for _ in range(times)]
        await asyncio.sleep(0.05)  # all of them wait for the one computation
        release.set()
        return [encoded.body for encoded in await asyncio.gather(*asking)]

    first = asyncio.run(ask(20))
    assert computed == [10]
    assert {msgspec.json.decode(body)["position"] for body in first} == {10}
    watch.position = 11
    release.clear()
    second = asyncio.run(ask(5))
    assert computed == [10, 11]
    assert {msgspec.json.decode(body)["position"] for body in second} == {11}


class Note(MapHeader, frozen=True, kw_only=True):
    """A map of the test's own: a header and what the facts say."""

    text: str


def test_a_map_whose_facts_did_not_change_is_carried_to_the_new_position() -> None:
    """The read model moves on by events that change no facts: the map is not computed again, only
    its header names the new position. Once the facts change, it is computed again."""
    watch = FixedPosition(10, facts_position=7)
    cache = MapCache(watch)  # type: ignore[arg-type]
    computed: list[int] = []
    known_at = datetime(2026, 12, 6, 12, tzinfo=UTC)

    def compute() -> Note:
        computed.append(watch.position)
        return Note(
            as_of=date(2026, 12, 6), known_at=known_at, position=watch.position, text="same"
        )

    async def ask() -> dict:
        encoded = await cache.encoded(("map", "x"), compute)
        assert encoded.position == msgspec.json.decode(encoded.body)["position"]
        return msgspec.json.decode(encoded.body)

    first = asyncio.run(ask())
    watch.position = 12  # facts still as at 7
    carried = asyncio.run(ask())
    assert computed == [10]
    assert carried == {**first, "position": 12}
    watch.position, watch.facts_position = 14, 13  # a fact changed at 13
    changed = asyncio.run(ask())
    assert computed == [10, 14]
    assert changed["position"] == 14
