"""The request durations of a loop turn are written into their histogram together (``api.request_metrics``):
the same counts and sum as observing each, with one write of the sum and of each bucket a turn."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Histogram

from api.request_metrics import RequestMetrics, _observe_all

# On the default buckets' bounds, between them, at zero and past the last finite one.
AMOUNTS = [0.0, 0.005, 0.0050001, 0.0012, 0.1, 0.25, 0.7, 0.75, 2.5, 9.99, 10.0, 11.0, 1e6, 0.0031]


def _samples(histogram: Histogram) -> dict[tuple[str, str], float]:
    (family,) = histogram.collect()
    return {(sample.name, sample.labels.get("le", "")): sample.value for sample in family.samples}


def test_observing_all_at_once_gives_what_observing_each_gives() -> None:
    each = Histogram("each", "each", registry=CollectorRegistry())
    together = Histogram("together", "together", registry=CollectorRegistry())
    for amount in AMOUNTS:
        each.observe(amount)
    _observe_all(together, AMOUNTS)

    observed, batched = _samples(each), _samples(together)
    assert {key[1]: value for key, value in observed.items() if key[0] == "each_bucket"} == {
        key[1]: value for key, value in batched.items() if key[0] == "together_bucket"
    }
    assert batched["together_count", ""] == observed["each_count", ""] == len(AMOUNTS)
    assert batched["together_sum", ""] == pytest.approx(observed["each_sum", ""], rel=1e-12)


class _CountedValue:
    def __init__(self, value: object) -> None:
        self.value = value
        self.writes = 0

    def inc(self, amount: float) -> None:
        self.writes += 1
        self.value.inc(amount)  # type: ignore[attr-defined]


def test_a_turns_durations_are_written_once_per_bucket_and_sum(monkeypatch) -> None:
    metrics = RequestMetrics(lambda: None)  # written below
    metrics.started("GET", "/durations-test")
    metrics.answered("GET", "/durations-test", 200, 0.001)
    histogram = metrics._answered["GET", "/durations-test", 200].durations
    total = _CountedValue(histogram._sum)
    buckets = [_CountedValue(bucket) for bucket in histogram._buckets]
    monkeypatch.setattr(histogram, "_sum", total)
    monkeypatch.setattr(histogram, "_buckets", buckets)
    for seconds in (0.001, 0.002, 0.003, 0.3, 0.4):
        metrics.answered("GET", "/durations-test", 200, seconds)

    metrics.write()

    assert total.writes == 1
    # 0.001 to 0.003 fall in the bucket up to 0.005, 0.3 and 0.4 in the one up to 0.5
    assert [bucket.writes for bucket in buckets if bucket.writes] == [1, 1]
