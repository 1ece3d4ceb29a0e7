"""The API benchmark's reference server: a bare Litestar app with one trivial route, on granian as
`regiekaart serve` runs it (``entrypoints.server.api_server``: HTTP/1, the same limits on clients,
spawned workers, access log off), and none of our request path: no metrics, logging, request ids or
authentication.

    .venv/bin/python -m tests.benchmarks.bare_app <port> [workers]
"""

from __future__ import annotations

import sys

from litestar import Litestar, get

from adapters.settings import Settings
from entrypoints.server import api_server

PATH = "/bare"


@get(PATH)
async def trivial() -> dict[str, str]:
    return {"status": "ok"}


def create_bare_app() -> Litestar:
    return Litestar([trivial])


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    port, workers = int(argv[0]), int(argv[1]) if len(argv) > 1 else 2
    settings = Settings(api_port=port, api_workers=workers)
    api_server("tests.benchmarks.bare_app:create_bare_app", settings).serve()


if __name__ == "__main__":
    main()
