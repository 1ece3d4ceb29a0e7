"""RESULTS.md: one section per benchmark, each replaced by its own benchmark's newest run; and what
every section says of the run (the machine, the load on it, percentiles), written once here."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(section: str, body: str) -> None:
    """Replaces the measured part of ``section`` in RESULTS.md (from its ``## `` heading line to its
    first ``### `` subsection or the next section) with ``body``, in place; the subsections under it
    (analyses written by hand, earlier runs) and the other sections stay. A new section goes last."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(f"\n{section}\n")
    if start < 0:
        RESULTS.write_text(text.rstrip("\n") + "\n\n" + body.rstrip("\n") + "\n")
        return
    ends = [text.find(heading, start + 1) for heading in ("\n## ", "\n### ")]
    end = min((e for e in ends if e >= 0), default=len(text))
    following = text[end:].lstrip("\n")
    text = text[: start + 1] + body.rstrip("\n") + "\n" + ("\n" + following if following else "")
    RESULTS.write_text(text)


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
        load_at_end = load_average()
        busiest = max(float(load.split()[0]) for load in (self.load_at_start, load_at_end))
        cores = os.cpu_count() or 1
        described = (
            f"Measured {self.started:%Y-%m-%d %H:%M} UTC on {platform.node()} ({cores} cores, "
            f"{cpu_model()}), Python {platform.python_version()}, load average "
            f"{self.load_at_start} at the start and {load_at_end} at the end: `{command}`."
        )
        if busiest >= cores / 2:
            described += (
                " **Not a quiet run**: others' work held the machine meanwhile (the load averages "
                "above); compare the figures within this run, not with a quiet run's."
            )
        return described


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0 to 1) of the ordered ``values``, nearest rank; one value is enough."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
