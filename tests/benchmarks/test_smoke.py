"""Every benchmark run at a tiny size, so that one that no longer measures fails the suite: each test
asserts that the run handled what it was given (events read, decisions delivered, rows measured),
never how fast (figures belong in RESULTS.md). None of them writes RESULTS.md: they call each
benchmark's measuring function, not its main."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.benchmarks import api, audit, event_store, feeds, projections
from tests.benchmarks.national_history import NationalHistory


def test_the_event_store_benchmark_reads_the_whole_log_in_every_column() -> None:
    writes, reads = event_store.measure("always", events=300, saves=8)

    assert writes.counts == {
        "raw": 8,
        "single": 8,
        "single sqlite": 8,
        "ten": 2,
        "ten sqlite": 2,
    }
    assert reads.counts == {
        "select": 300,
        "select sqlite": 300,
        "subscribe": 300,
        "reference": 300,
    }
    table = event_store.tables(writes, reads, 300)
    assert "| reference reader |" in table
    assert "× reference" in table


def test_the_audit_benchmark_verifies_and_reads_every_event() -> None:
    run = audit.measure(events=600, aggregates=60, rounds=1)

    assert (
        run.verified_from_nats,
        run.verified_from_file,
        run.read_by_reference,
        run.read_by_floor,
    ) == (600, 600, 600, 600)
    assert [label.split(" ")[0] for label, _ in run.steps] == [
        "generate",
        "checkpoint",
        "reference",
        "floor:",
        "floor",
        "`audit",
        "`audit",
        "`audit",
    ]
    assert all(wall > 0 and cpu > 0 for _, (wall, cpu) in run.steps)


def test_the_national_history_spans_the_kinds_of_decisions() -> None:
    events = list(NationalHistory().events(2_000))

    assert len(events) == 2_000
    kinds = Counter(type(event).__qualname__ for event in events)
    assert len(kinds) >= 10, kinds


@pytest.mark.slow
def test_the_feeds_benchmark_delivers_every_decision_to_the_region_system() -> None:
    run = feeds.measure(5)

    assert run.delivered == 5
    assert "| 5 | 5 |" in feeds.table(run)


@pytest.mark.slow
def test_the_api_benchmark_loads_the_bare_app_and_ours() -> None:
    medians, latencies = api.measure(seconds=1, commands=4)

    assert set(medians) == {"bare", "trivial", "map", "map_gzip", "trivial_logged"}
    assert all(figures["rps"] > 0 for figures in medians.values())
    assert {how: len(figures) for how, figures in latencies.items()} == {"polled": 2, "waited": 2}


@pytest.mark.slow
def test_the_read_model_benchmark_measures_every_row() -> None:
    arguments = projections.arguments(
        [
            "--events=1500",
            "--nats-events=800",
            "--catch-up-events=400",
            "--queries=5",
            "--rebuilds=1",
        ]
    )
    rows = projections.measure(arguments)

    measured = [name.split(" (")[0] for name, _, _ in rows]
    assert measured == [
        "synthetic history written to the event store",
        "rebuild into SQLite",
        "rebuild into PostgreSQL",
        "region map as of today, SQLite",
        "region map as of ten years ago, SQLite",
        "region map as of today, PostgreSQL",
        "region map as of ten years ago, PostgreSQL",
        "peak RSS of a process serving region maps",
        "rebuild into SQLite from JetStream",
        "catch-up of a live runner from JetStream into SQLite",
    ]
    assert "800 events" in rows[8][0]
    assert rows[9][2].startswith("400 events")
