"""The worker's cache of encoded maps: one computation per map and read-model position, however many
requests ask for it at once, and a new one once the position moves."""

from __future__ import annotations

import asyncio
import threading

import msgspec

from api.maps import MapCache


class FixedPosition:
    """Stands in for the position watch: the position the test sets."""

    def __init__(self, position: int) -> None:
        self.position = position

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
