"""Which log positions concern which region, by the region feeds' own rule (``domain.audience``).

``/events?region=R`` answers exactly what region R's feed carries: this index is fed the log in
order, as the feed fan-out is, through the same :class:`~domain.audience.Audience`, so both see the
same regions for every event (those it names, the members of a cooperation it names, the regions of
a municipality it names, the parties of its agreement; for a correction, those of the fact it
corrects). The rule needs everything recorded before an event, so the index is built from the start
of the log, on first use, and then follows it; it lives in memory (a sorted array of positions per
region, 8 bytes a position; and the audience keeps 8 bytes an event and a list an aggregate).

Given the check of seals (``adapters.seal.SealCheck``), an event not sealed by the service's keys
concerns no region, as it reaches no feed (``projections.feeds``).

Built on first use rather than when a worker starts, so that workers no region system asks spend
nothing on it. The price: the first region query of a worker reads the whole log (about 60 µs an
event on the development machine, so about a minute for a million events); later ones read only
what was recorded since.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from typing import Any

from adapters.seal import RefusedNotification, SealCheck
from domain.audience import Audience
from projections.log_source import SealChecks, select_notifications

_PAGE = 500


class RegionEventIndex:
    def __init__(self, app: Any, seals: SealChecks | None = None) -> None:
        self.app = app
        self._seals = seals
        # Made on first use, then handed every read: the index reads the log once, in order.
        self._check: SealCheck | None = None
        self._audience = Audience()
        self._positions: dict[str, array[int]] = {}
        self._position = 0
        self._lock = threading.Lock()

    def catch_up(self) -> int:
        """Takes in the events recorded since the last call; returns the log position indexed."""
        with self._lock:
            if self._seals is not None and self._check is None:
                self._check = self._seals()
            while True:
                batch = select_notifications(
                    self.app,
                    self._check,
                    start=self._position,
                    limit=_PAGE,
                    inclusive_of_start=False,
                )
                if not batch:
                    return self._position
                for notification in batch:
                    self._position = notification.id
                    if isinstance(notification, RefusedNotification):
                        continue
                    event = self.app.mapper.to_domain_event(notification)
                    for region in self._audience.regions_concerned(event):
                        self._positions.setdefault(region, array("q")).append(notification.id)

    def concerns(self, region: str, position: int) -> bool:
        """Whether the event at ``position`` (indexed already) concerns ``region``."""
        positions = self._positions.get(region)
        if positions is None:
            return False
        index = bisect_right(positions, position)
        return index > 0 and positions[index - 1] == position
