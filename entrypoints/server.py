"""``regiekaart serve``: the whole service in one process tree on the embedded default.

The main process starts the event store (an embedded nats-server unless a URL is configured), records
the governance facts on first start, migrates the SQL database, makes sure an admin token exists, starts
the region feeds and the projection runner (the maps), and then runs the API on granian with
``Settings.api_workers`` worker processes. Each worker runs ``create_worker_app()`` with its own connection to the
event store; the settings reach them as ``REGIEKAART_*`` variables. A worker that dies is replaced by
granian while the others keep serving; the embedded nats-server is restarted when it dies
(``entrypoints.runtime``).

Ctrl-C or SIGTERM stops everything in order, one line each: the API (granian lets requests in flight
finish), the projection runner and the region feeds, a final signed checkpoint, then the event store.
nats-server runs in a process group of its own, so the terminal's Ctrl-C does not stop it first.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from granian import Granian
from granian.constants import Interfaces
from litestar import Litestar

from adapters.data_dir import owning
from adapters.private_files import write_private_file
from adapters.settings import Settings, redacted
from api.app import create_app
from api.tokens import TokenStore
from entrypoints.connection_limits import allow_open_files, granian_options
from entrypoints.runtime import Runtime, worker_context
from services.authorisation import Role

FIRST_ADMIN_TOKEN_FILE = "first-admin-token"


def create_worker_app() -> Litestar:
    """The app granian runs in each worker: the API on a runtime of the worker's own."""
    return create_app(open_context=worker_context)


def first_admin_token(tokens: TokenStore, data_dir: Path) -> Path | None:
    """If no admin has a token yet (the first start): a new admin token, written to a file that only
    its owner may read (never to the output, which logs keep), and that file's path; else None."""
    if tokens.has_admin():
        return None
    token = tokens.create(name="first-admin", role=Role.ADMIN).token
    return write_private_file(data_dir.resolve() / FIRST_ADMIN_TOKEN_FILE, token + "\n")


def worker_environment(settings: Settings, nats_url: str) -> dict[str, str]:
    metrics_dir = settings.data_dir.resolve() / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counters restart with the service
    metrics_dir.mkdir(parents=True)
    return {
        "REGIEKAART_DATA_DIR": str(settings.data_dir.resolve()),
        "REGIEKAART_NATS_URL": nats_url,
        "REGIEKAART_NATS_STREAM": settings.nats_stream,
        "REGIEKAART_DATABASE_URL": settings.effective_database_url,
        "REGIEKAART_LOG_LEVEL": settings.log_level,
        # The URL above carries the password already.
        "REGIEKAART_NATS_PASSWORD": "",
        "REGIEKAART_NATS_PASSWORD_FILE": "",
        # Workers are processes: prometheus-client adds up their metrics from files here.
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }


def _announce_when_listening(url: str, echo: Callable[[str], None], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as answer:
                if answer.status == 200:
                    echo("ready")
                    return
        except OSError:
            time.sleep(0.1)
    echo(f"the API did not answer on {url} within {timeout:.0f} s")


def api_server(app_factory: str, settings: Settings, **options: Any) -> Granian:
    """granian as `serve` runs the API: the ASGI app that ``app_factory`` ("module:function") makes,
    on the address, port and workers of ``settings``, with its limits on clients
    (``entrypoints.connection_limits``) and the access log off; ``options`` go to ``Granian``. The API
    benchmark serves its bare reference app through it too (``tests/benchmarks/bare_app.py``), so
    that both run on the same server settings."""
    # Workers start as fresh interpreters: a forked worker would inherit SQLite's in-process lock
    # records of this process's open connections (the projection runner's), and could then wait
    # forever for a write lock nobody holds.
    multiprocessing.set_start_method("spawn", force=True)
    open_files = allow_open_files(settings)
    return Granian(
        app_factory,
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.api_host,
        port=settings.api_port,
        workers=settings.api_workers,
        log_access=False,
        log_level="warning",
        **granian_options(settings, open_files),
        **options,
    )


def serve(settings: Settings, echo: Callable[[str], None]) -> None:
    # Held before anything in the data directory is touched (the metrics directory is emptied below).
    with owning(settings.data_dir, "regiekaart serve"), Runtime(settings, echo) as runtime:
        report = runtime.import_facts()
        echo(f"event store: {redacted(runtime.nats_url)} (data in {settings.data_dir.resolve()})")
        echo(
            f"governance facts: {report.total_recorded} commands recorded, "
            f"{sum(report.skipped.values())} already present"
        )
        assert runtime.engine is not None
        admin_token_file = first_admin_token(TokenStore(runtime.engine), settings.data_dir)
        runtime.start_feeds()
        runtime.start_projections()
        runtime.start_checkpoints()
        os.environ.update(worker_environment(settings, runtime.service_url))
        url = f"http://{settings.api_host}:{settings.api_port}"
        echo(f"API: {url}  (OpenAPI docs: {url}/schema)")
        if admin_token_file:
            echo(f"admin token written to {admin_token_file} (readable by you only)")
        threading.Thread(target=_announce_when_listening, args=(url, echo), daemon=True).start()
        api_server(
            "entrypoints.server:create_worker_app", settings, respawn_failed_workers=True
        ).serve()
        echo("stopped the API")
