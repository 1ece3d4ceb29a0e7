"""`regiekaart serve` as a process of its own, the way an operator runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

_READY_TIMEOUT = 120.0


class Service:
    """A running `regiekaart serve`; its output goes to a file beside its data."""

    def __init__(self, data_dir: Path, environment: dict[str, str]) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / f"serve-{time.monotonic_ns()}.log"
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "api", "serve", "--data-dir", str(data_dir)],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        deadline = time.monotonic() + _READY_TIMEOUT
        while "ready" not in self.lines:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited before it was ready: {self.output}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"serve did not become ready: {self.output}")
            time.sleep(0.05)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def output(self) -> str:
        return self.log.read_text()

    @property
    def lines(self) -> list[str]:
        return [line.strip() for line in self.output.splitlines()]

    def stop(self) -> str:
        """Stops it as an operator would (SIGTERM); it must stop cleanly. Returns all it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        assert self.process.returncode == 0, self.output
        return self.output

    def kill(self) -> None:
        """Ends it at once (SIGKILL), as a crash would."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
