"""The real service as a subprocess: `regiekaart serve` (embedded nats-server, granian workers) on a free
port, for the end-to-end tests and the API benchmark."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Service:
    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)
    admin_token: str | None = None

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def token(self, role: str, name: str, **scope: list[str]) -> str:
        with self.client(self.admin_token) as admin:
            answer = admin.post("/tokens", json={"name": name, "role": role, **scope})
            answer.raise_for_status()
            return answer.json()["token"]

    def kill(self) -> None:
        """Ends the service and its API workers at once (SIGKILL), as a crash of its machine would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout: float = 120) -> str:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            raise AssertionError(
                f"serve did not stop within {timeout:.0f} s:\n" + "\n".join(self.lines[-20:])
            ) from None
        self._reader.join(timeout=10)
        assert self.process.returncode == 0, "\n".join(self.lines[-40:])
        return "\n".join(self.lines)


def start_service(
    data_dir: Path,
    *,
    database_url: str | None = None,
    workers: int = 2,
    log_level: str = "INFO",
    settings: dict[str, str] | None = None,
) -> Service:
    """`regiekaart serve` on `data_dir`; `settings` adds REGIEKAART_* variables (a cluster's URL...)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIEKAART_")}
    env["REGIEKAART_LOG_LEVEL"] = log_level
    env["REGIEKAART_NATS_PORT"] = str(free_port())
    if database_url:
        env["REGIEKAART_DATABASE_URL"] = database_url
    env.update(settings or {})
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "api",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: a hung service is killed with its workers
    )
    service = Service(process=process, url=f"http://127.0.0.1:{port}")
    ready = threading.Event()

    def read() -> None:  # keeps draining the output (logs), so the service never blocks on it
        assert process.stdout is not None
        for line in process.stdout:
            service.lines.append(line.rstrip())
            if token := re.search(r"admin token .*: (rk_\S+)", line):
                service.admin_token = token.group(1)
            if line.strip() == "ready":
                ready.set()
        ready.set()

    service._reader = threading.Thread(target=read, daemon=True)  # type: ignore[attr-defined]
    service._reader.start()  # type: ignore[attr-defined]
    ready.wait(timeout=180)
    if process.poll() is not None or "ready" not in service.lines:
        process.kill()
        raise AssertionError("serve did not get ready:\n" + "\n".join(service.lines[-40:]))
    _wait_until_caught_up(service)
    return service


def _wait_until_caught_up(service: Service, timeout: float = 180) -> None:
    """Waits for /ready: the read models have applied the imported facts, so the tests start from the
    governance maps of the real facts rather than racing the first catch-up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{service.url}/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("serve did not catch up its read models:\n" + "\n".join(service.lines[-40:]))
