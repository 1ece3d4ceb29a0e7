"""Keeping the service's child processes alive: the embedded nats-server is restarted when it dies,
and children die with the service rather than outlive it.

A child started with ``child_setup`` runs in a process group of its own, so a Ctrl-C at the terminal
(which signals the whole foreground group) reaches only the service, which then stops its children in
order (the event store last, after the final checkpoint), and asks the kernel to send it SIGTERM when
its parent dies (``PR_SET_PDEATHSIG``), so a service killed with SIGKILL leaves no server behind. The
kernel ties that signal to the *thread* that started the child: start children from a thread that
lives as long as they should (the main thread, or the supervisor's).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger("regiekaart.supervision")

_PR_SET_PDEATHSIG = 1
_POLL_SECONDS = 0.2
_BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0)


def child_setup() -> None:
    """Runs in the child between fork and exec (``subprocess.Popen(preexec_fn=...)``)."""
    os.setpgid(0, 0)
    with contextlib.suppress(
        OSError, AttributeError
    ):  # not Linux: the child may outlive its parent
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class Supervisor:
    """Restarts a child that ended without being asked to, from a thread of its own, with a growing
    pause between failed attempts; ``restarts`` records how long each recovery took (from noticing
    the death to the child being ready again)."""

    def __init__(
        self,
        name: str,
        running: Callable[[], bool],
        restart: Callable[[], None],
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self.name = name
        self._running = running
        self._restart = restart
        self._echo = echo or log.warning
        self.restarts: list[float] = []
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        self._thread = threading.Thread(
            target=self._watch, name=f"supervise-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops watching (call it before stopping the child itself)."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _watch(self) -> None:
        while not self._stopped.wait(_POLL_SECONDS):
            if self._running():
                continue
            noticed = time.monotonic()
            self._echo(f"{self.name} ended unexpectedly; restarting it")
            attempt = 0
            while not self._stopped.is_set():
                try:
                    self._restart()
                    break
                except Exception as error:  # noqa: BLE001 - try again after a pause
                    pause = _BACKOFF_SECONDS[min(attempt, len(_BACKOFF_SECONDS) - 1)]
                    self._echo(f"restarting {self.name} failed ({error}); again in {pause} s")
                    attempt += 1
                    self._stopped.wait(pause)
            else:
                return
            self.restarts.append(time.monotonic() - noticed)
            self._echo(f"{self.name} restarted in {self.restarts[-1]:.1f} s")

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
