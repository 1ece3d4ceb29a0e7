"""The request metrics (``regiekaart_requests_total`` and its kin, by method, route and status): each
route's labelled metrics looked up once and kept, and a loop turn's requests written in one go.

They were Litestar's Prometheus middleware, under the same names, labels and documentation. It built
a request object and asked ``prometheus_client`` for each labelled metric four times a request
(``labels()`` validates and locks each time): 30 µs of /health's 60 µs (thread CPU, in-process), more
than a bare Litestar app's whole answer.
"""

from __future__ import annotations

import bisect
import collections
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

_LABELS = ("method", "path", "status_code", "app_name")
APP_NAME = "regiekaart"
_requests = Counter("regiekaart_requests", "Total requests", _LABELS)
_durations = Histogram(
    "regiekaart_request_duration_seconds", "Request duration, in seconds", _LABELS
)
_errors = Counter("regiekaart_requests_error", "Total errors in requests", _LABELS)
# Labelled by the status too, always 200 here: the labels the series has had since it was Litestar's.
_in_progress = Gauge(
    "regiekaart_requests_in_progress",
    "Total requests currently in progress",
    _LABELS,
    multiprocess_mode="livesum",
)


class _Answered:
    """The labelled metrics of one (method, route, status), and the durations of its requests
    answered since the metrics were last written."""

    __slots__ = ("durations", "errors", "requests", "seconds")

    def __init__(self, requests: Any, durations: Any, errors: Any | None) -> None:
        self.requests = requests
        self.durations = durations
        self.errors = errors  # only for a 5xx
        self.seconds: list[float] = []


def _observe_all(histogram: Any, amounts: list[float]) -> None:
    """``histogram.observe`` of each of ``amounts``, with one write of its sum and one of each bucket
    they fall in. With several workers each write is a value in a memory-mapped file, under a lock
    (about 1 µs): observing each request's duration wrote the sum and a bucket a request, 2 of
    /health's 6.6 µs in the middleware (thread CPU, 8 requests a turn). Reads the histogram's sum
    and buckets as ``observe`` of prometheus_client 0.26 writes them (a test compares the two); the
    sum is added in one step, so it may differ from a request-by-request sum in the last bit."""
    bounds = histogram._upper_bounds  # ascending, the last +Inf: a bucket counts amount <= bound
    falls_in = collections.Counter(bisect.bisect_left(bounds, amount) for amount in amounts)
    histogram._sum.inc(sum(amounts))
    for bucket, count in falls_in.items():
        histogram._buckets[bucket].inc(count)


class RequestMetrics:
    """The labelled request metrics of each (method, route, status) seen, looked up once, and what
    happened to them since they were last written.

    With several workers each metric is a value in a memory-mapped file, and writing one (a lock, a
    process id check, the file) cost about 2.5 µs: five a request were a quarter of /health's answer.
    So a request is counted here, and the counts are written at the end of the event loop's turn
    (``write_soon``): under load one write carries many requests; a request alone is written before
    the next one starts, as it was when each was written at once."""

    def __init__(self, write_soon: Callable[[], None]) -> None:
        # Asks for ``write`` once the loop has run what is ready (``api.observability.END_OF_TURN``).
        self._write_soon = write_soon
        self._in_progress: dict[tuple[str, str], Any] = {}
        self._answered: dict[tuple[str, str, int], _Answered] = {}
        self._started: dict[tuple[str, str], int] = {}  # started minus answered, since written
        self._pending: list[_Answered] = []  # those with requests answered since written

    def started(self, method: str, route: str) -> None:
        started, key = self._started, (method, route)
        started[key] = started.get(key, 0) + 1
        self._write_soon()

    def answered(self, method: str, route: str, status: int, seconds: float) -> None:
        metrics = self._answered.get((method, route, status))
        if metrics is None:
            labels = (method, route, status, APP_NAME)
            metrics = self._answered[method, route, status] = _Answered(
                _requests.labels(*labels),
                _durations.labels(*labels),
                _errors.labels(*labels) if status >= 500 else None,
            )
        started, key = self._started, (method, route)
        started[key] = started.get(key, 0) - 1
        if not metrics.seconds:
            self._pending.append(metrics)
        metrics.seconds.append(seconds)
        self._write_soon()

    def write(self) -> None:
        """Writes what was counted since the last write into the metrics."""
        started, self._started = self._started, {}
        # All taken before any is written, as the counts were: a write that fails loses this
        # turn's figures, but leaves no durations held by metrics no longer pending (which no
        # later write would reach).
        answered = [(metrics, metrics.seconds) for metrics in self._pending]
        self._pending = []
        for metrics, _ in answered:
            metrics.seconds = []
        for (method, route), change in started.items():
            if change:
                self._gauge(method, route).inc(change)
        for metrics, seconds in answered:
            metrics.requests.inc(len(seconds))
            if metrics.errors is not None:
                metrics.errors.inc(len(seconds))
            _observe_all(metrics.durations, seconds)

    def _gauge(self, method: str, route: str) -> Any:
        gauge = self._in_progress.get((method, route))
        if gauge is None:
            gauge = self._in_progress[method, route] = _in_progress.labels(
                method, route, 200, APP_NAME
            )
        return gauge
