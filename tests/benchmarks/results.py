"""RESULTS.md: one section per benchmark, each replaced by its own benchmark's newest run; and what
every section says of the run (the machine, the load on it, percentiles), written once here."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(section: str, body: str) -> None:
    """Replaces ``section`` (its ``## `` heading line) of RESULTS.md with ``body``, leaving the others."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(section)
    if start >= 0:
        following = text.find("\n## ", start + len(section))
        end = len(text) if following < 0 else following + 1
        text = text[:start] + text[end:]
    RESULTS.write_text(text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n")


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


class RunConditions:
    """When and where a benchmark ran, and the load on the machine at its start and end (the machine
    is shared: the load says how far its figures are from a quiet run's)."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self.load_at_start = load_average()

    def describe(self, command: str) -> str:
        return (
            f"Measured {self.started:%Y-%m-%d %H:%M} UTC on {platform.node()} ({os.cpu_count()} "
            f"cores, {cpu_model()}), Python {platform.python_version()}, load average "
            f"{self.load_at_start} at the start and {load_average()} at the end: `{command}`."
        )


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0 to 1) of the ordered ``values``, nearest rank; one value is enough."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
