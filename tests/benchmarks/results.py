"""RESULTS.md: one section per benchmark, each replaced by its own benchmark's newest run; and what
every section says of the run (the machine, the load on it, percentiles), written once here."""

from __future__ import annotations

import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
# A run is quiet when other work took less than this share of the cores meanwhile.
QUIET_SHARE = 0.1


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


_TICKS = os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU seconds all processes have spent on the machine's cores since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS


def _own_seconds() -> float:
    """CPU seconds of this benchmark: this process, the children it has waited for, and every
    descendant still running (nats-server, granian, wrk, PostgreSQL) with the children they waited for."""
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
        spent[int(entry.name)] = sum(int(v) for v in fields[11:15]) / _TICKS
    own = os.getpid()
    tree = {own}
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    times = os.times()
    mine = times.user + times.system + times.children_user + times.children_system
    return mine + sum(spent[pid] for pid in tree if pid != own)


class RunConditions:
    """When and where a benchmark ran, the load average at its start and end, and how much CPU other
    work took meanwhile (the machine is shared: that share says how far the figures are from a quiet
    run's). The load average alone cannot tell: it counts the benchmark's own processes too."""

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self.load_at_start = load_average()
        self._clock = time.monotonic()
        self._busy = _machine_busy_seconds()
        self._own = _own_seconds()

    def others_share(self) -> float:
        """The CPU that processes outside this benchmark used since it began, in cores."""
        elapsed = time.monotonic() - self._clock
        others = (_machine_busy_seconds() - self._busy) - (_own_seconds() - self._own)
        return max(0.0, others) / elapsed if elapsed > 0 else 0.0

    def describe(self, command: str) -> str:
        load_at_end = load_average()
        others = self.others_share()
        cores = os.cpu_count() or 1
        described = (
            f"Measured {self.started:%Y-%m-%d %H:%M} UTC on {platform.node()} ({cores} cores, "
            f"{cpu_model()}), Python {platform.python_version()}, load average "
            f"{self.load_at_start} at the start and {load_at_end} at the end; other work on the "
            f"machine took {others:.2f} of its {cores} cores meanwhile: `{command}`."
        )
        if others >= QUIET_SHARE * cores:
            described += (
                " **Not a quiet run**: others' work held the machine meanwhile; compare the figures "
                "within this run, not with a quiet run's."
            )
        return described


def percentile(values: list[float], share: float) -> float:
    """The value at ``share`` (0 to 1) of the ordered ``values``, nearest rank; one value is enough."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
