"""`regiekaart serve` on the embedded default: starts its own NATS, loads the facts once, stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def serve_until_ready(data_dir: Path) -> tuple[subprocess.Popen[str], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIEKAART_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.strip())
        if line.strip() == "ready":
            return process, lines
    raise AssertionError(f"serve exited before it was ready: {lines}")


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    return rest


def test_serve_loads_the_facts_once_and_keeps_them_across_restarts(tmp_path):
    first, lines = serve_until_ready(tmp_path)
    assert any("commands recorded, 0 already present" in line for line in lines), lines
    assert "stopped" in stop(first)

    second, lines = serve_until_ready(tmp_path)
    assert any(line.startswith("governance facts: 0 commands recorded") for line in lines), lines
    stop(second)
