"""The API benchmark's reference server: a bare Litestar app with one trivial route, on granian with the
settings `regiekaart serve` gives it (HTTP/1, the same header limits and backpressure, spawned workers,
access log off), and none of our request path: no metrics, logging, request ids or authentication.

    .venv/bin/python -m tests.benchmarks.bare_app <port> [workers]
"""

from __future__ import annotations

import multiprocessing
import sys

from granian import Granian
from granian.constants import Interfaces
from litestar import Litestar, get

from adapters.settings import Settings
from entrypoints.connection_limits import allow_open_files, granian_options

PATH = "/bare"


@get(PATH)
async def trivial() -> dict[str, str]:
    return {"status": "ok"}


def create_bare_app() -> Litestar:
    return Litestar([trivial])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    port, workers = int(argv[0]), int(argv[1]) if len(argv) > 1 else 2
    settings = Settings()
    multiprocessing.set_start_method("spawn", force=True)
    open_files = allow_open_files(settings)
    Granian(
        "tests.benchmarks.bare_app:create_bare_app",
        factory=True,
        interface=Interfaces.ASGI,
        address="127.0.0.1",
        port=port,
        workers=workers,
        log_access=False,
        log_level="warning",
        **granian_options(settings, open_files),
    ).serve()


if __name__ == "__main__":
    main()
