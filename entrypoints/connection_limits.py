"""How much of an API worker a client may take, and for how long, before it has sent a whole request.

With granian's defaults, slow clients took the API offline. A worker serves at most ``backlog / workers``
connections at a time (512 each with two workers) and keeps a connection's slot until hyper gives up
waiting for its request headers, after 30 s; 1,100 connections that trickled their headers in took every
slot, and ``/health`` waited in the listen backlog for 45 s. Hence these bounds, all from
``adapters.settings``:

- **Time to send the headers** (``api_header_timeout``, 10 s): hyper closes a connection that has not
  sent a complete request head within this time, counted from when it starts waiting for one, so a slow
  client holds a slot for that long at most. An honest client sends its head in one packet; the
  margin is for slow mobile links. It also ends idle keep-alive connections after as long.
- **Connections per worker** (``api_max_connections_per_worker``, 2048; granian's "backpressure"): a
  connection waiting for its head costs the worker a Tokio task and a read buffer, not a Python
  coroutine, so a worker can afford thousands; the bound keeps memory and file descriptors in check
  (at most ``api_max_header_bytes`` of buffer each). Connections beyond it wait in the kernel's listen
  backlog until a slot frees.
- **Header size** (``api_max_header_bytes``, 16 KiB; hyper's read buffer): a larger request line and
  headers get 431 before any Python code sees them. Regiekaart's own headers are short (a token is
  about 60 characters); 16 KiB leaves room for proxies' headers.
- **HTTP/1.1 only**: hyper's HTTP/2 server has no header timeout and admits 16 MiB of headers. Clients
  do not speak cleartext HTTP/2 to a service; where TLS and HTTP/2 are wanted, a reverse proxy or
  ingress in front provides them.
- **Open files**: every connection is a file descriptor; a soft limit of 1024 (a common default) would
  refuse connections long before the bound, so ``serve`` raises it to the hard limit.

What this does not bound is the connections of one client address: granian has no such setting, and
``deploy/`` has no proxy. Put a reverse proxy or firewall in front for that (nginx ``limit_conn``,
iptables ``connlimit``, an ingress controller's per-address limits). With the
bounds above, keeping every slot of two workers taken needs some 400 new connections a second
(2 x 2048 slots / 10 s) rather than 1,100 once.
"""

from __future__ import annotations

import resource
from typing import Any

from granian.constants import HTTPModes
from granian.http import HTTP1Settings

from adapters.settings import Settings

# hyper refuses (panics on) a smaller read buffer.
_SMALLEST_HEADER_BUFFER = 8192
# Descriptors a worker needs besides its clients: NATS, the database, logs, the interpreter's own.
_DESCRIPTORS_BESIDES_CLIENTS = 256


def granian_options(settings: Settings, open_files: int | None = None) -> dict[str, Any]:
    """The keyword arguments of ``Granian`` that bound slow and oversized clients. With ``open_files``
    (a worker's limit of open files, from ``allow_open_files``), the connections per worker are kept
    within it, so that a full worker waits rather than fails to accept."""
    if settings.api_max_header_bytes < _SMALLEST_HEADER_BUFFER:
        raise ValueError(
            f"REGIEKAART_API_MAX_HEADER_BYTES must be at least {_SMALLEST_HEADER_BUFFER}"
        )
    if settings.api_header_timeout <= 0 or settings.api_max_connections_per_worker < 1:
        raise ValueError(
            "REGIEKAART_API_HEADER_TIMEOUT and REGIEKAART_API_MAX_CONNECTIONS_PER_WORKER must be "
            "positive"
        )
    return {
        "http": HTTPModes.http1,
        "http1_settings": HTTP1Settings(
            header_read_timeout=round(settings.api_header_timeout * 1000),
            max_buffer_size=settings.api_max_header_bytes,
        ),
        "backpressure": _connections_per_worker(settings, open_files),
    }


def _connections_per_worker(settings: Settings, open_files: int | None) -> int:
    bound = settings.api_max_connections_per_worker
    if open_files is None or open_files == resource.RLIM_INFINITY:
        return bound
    return max(1, min(bound, open_files - _DESCRIPTORS_BESIDES_CLIENTS))


def allow_open_files(settings: Settings) -> int:
    """Raises this process's soft limit of open files, which each worker inherits, to what a worker's
    connections need (or the hard limit, if that is lower); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = settings.api_max_connections_per_worker + _DESCRIPTORS_BESIDES_CLIENTS
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft
