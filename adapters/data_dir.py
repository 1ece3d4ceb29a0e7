"""One process at a time owns a data directory.

The embedded nats-server keeps the event log's JetStream store in the data directory. Two servers on one
store each believe they are the only writer, so each hands out the same stream sequences to different
events: the log forks, and whichever server writes last decides which acknowledged events survive. The
process that runs the embedded server (and ``regiekaart serve`` in any case, whose API workers share the
data directory's metrics and keys) therefore holds an exclusive ``flock`` on ``<data dir>/.lock`` for as
long as it runs; a second one is refused at once, with the holder's pid. The kernel drops the lock when
its holder dies, however it dies, so a crash never leaves a stale lock behind.

Commands that only read or write the SQL database or the access files (``tokens``, ``map``,
``feeds credentials``) do not take it: SQLite and PostgreSQL keep concurrent writers apart themselves,
and issuing credentials is meant to happen while the service runs.

Only ``regiekaart serve`` makes a data directory. Every other command reads what one holds, and on a
directory that holds none of it (a typo, another working directory than the service's) it would start
an empty one beside the real one: an empty token list, a throwaway nats-server whose log has no stream.
``require_data`` refuses such a directory before anything is created in it, naming one that does hold
the data when there is one.
"""

from __future__ import annotations

import enum
import fcntl
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
from sqlalchemy.engine import make_url

from adapters.settings import Settings

LOCK_FILE = ".lock"


class Kept(enum.Enum):
    """What a command reads from a data directory, unless the settings keep it elsewhere."""

    EVENT_LOG = "event log"
    GOVERNANCE_MAPS = "governance maps"
    SIGNING_KEY = "signing key"


def kept_at(settings: Settings, kept: Kept) -> Path | None:
    """Where ``kept`` lies in the data directory; None where the settings keep it elsewhere (a NATS
    server of their own, a database URL, a signing key file outside the data directory)."""
    if kept is Kept.EVENT_LOG:
        # The embedded nats-server's JetStream store (adapters.nats.server.NatsServer.store_dir).
        return None if settings.nats_url else settings.nats_data_dir / "jetstream"
    if kept is Kept.GOVERNANCE_MAPS:
        return (
            None
            if settings.database_url
            else Path(str(make_url(settings.effective_database_url).database))
        )
    return None if settings.signing_key_file else settings.effective_signing_key_file


class NoRegiekaartData(RuntimeError):
    """A command was given a data directory that holds none of what it reads."""

    def __init__(self, data_dir: Path, missing: Iterable[Kept], meant: Path | None) -> None:
        what = " or ".join(kept.value for kept in missing)
        where = (
            f"did you mean {meant}? Give it with --data-dir or REGIEKAART_DATA_DIR"
            if meant
            else "give the data directory of `regiekaart serve` with --data-dir or "
            "REGIEKAART_DATA_DIR (the default is .regiekaart in the current directory)"
        )
        super().__init__(f"no Regiekaart data in {data_dir} (no {what}); {where}")


def require_data(settings: Settings, reads: Iterable[Kept], elsewhere: Iterable[Path]) -> None:
    """Raises NoRegiekaartData, creating nothing, when the data directory holds none of ``reads``
    that the settings keep there; it names the first directory of ``elsewhere`` that does."""
    reads = [kept for kept in reads if kept_at(settings, kept) is not None]
    if not reads or _holds(settings, reads):
        return
    chosen = settings.data_dir.resolve()
    meant = next(
        (
            candidate.resolve()
            for candidate in elsewhere
            if candidate.resolve() != chosen
            and _holds(msgspec.structs.replace(settings, data_dir=candidate), reads)
        ),
        None,
    )
    raise NoRegiekaartData(chosen, reads, meant)


def _holds(settings: Settings, reads: Iterable[Kept]) -> bool:
    return any((path := kept_at(settings, kept)) is not None and path.exists() for kept in reads)


class DataDirInUse(RuntimeError):
    """Another process owns the data directory."""

    def __init__(self, data_dir: Path, holder: str) -> None:
        super().__init__(
            f"the data directory {data_dir} is in use by {holder}; a second process on it would fork "
            "the event log. Stop that process first, or give this one another --data-dir "
            "(REGIEKAART_DATA_DIR)."
        )
        self.data_dir = data_dir
        self.holder = holder


# The locks this process holds, by resolved data directory: (open lock file, how many hold it). The
# lock is per open file, so a second open in the same process would refuse the process itself.
_held: dict[Path, tuple[int, int]] = {}
_held_lock = threading.Lock()


@contextmanager
def owning(data_dir: Path, purpose: str) -> Iterator[None]:
    """Holds the data directory's lock meanwhile (re-entrant within this process); raises
    DataDirInUse at once if another process holds it."""
    path = Path(data_dir).resolve()
    with _held_lock:
        held = _held.get(path)
        if held is None:
            fd = _acquire(path, purpose)
            _held[path] = (fd, 1)
        else:
            _held[path] = (held[0], held[1] + 1)
    try:
        yield
    finally:
        with _held_lock:
            fd, count = _held[path]
            if count == 1:
                del _held[path]
                os.close(fd)  # closing the last descriptor releases the flock
            else:
                _held[path] = (fd, count - 1)


def _acquire(path: Path, purpose: str) -> int:
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
        os.close(fd)
        pid, _, what = holder.partition(" ")
        raise DataDirInUse(
            path, f"process {pid} ({what})" if pid.isdigit() else "another process"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {purpose}\n".encode(), 0)
    return fd
