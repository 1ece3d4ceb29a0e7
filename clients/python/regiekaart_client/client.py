"""Maps and commands over HTTP.

A command is sent with an ``Idempotency-Key`` made once for it and sent again on every retry, so a
retry after a lost answer records nothing twice. Transport errors and 5xx answers (the event store
electing a leader, a map not yet as far as asked) are retried with exponential backoff, honouring
``Retry-After``. The client remembers the log position of the last event it recorded and reads maps at
least that far (``min_position``): a region system sees its own writes on the maps it reads next.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
import msgspec

from regiekaart_client.documents import CommandAccepted, CooperationMap, OrganisationView, RegionMap

POSITION_HEADER = "Regiekaart-Position"
T = TypeVar("T")


class ApiError(Exception):
    """An answer the service gave that a retry does not change (4xx), with its problem details."""

    def __init__(self, status_code: int, problem: Mapping[str, Any]) -> None:
        super().__init__(f"{status_code}: {problem.get('detail') or problem.get('title')}")
        self.status_code = status_code
        self.problem = problem


class Recorded(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded command: the service's answer, the log position of its last event, and whether
    the answer repeats the one to an earlier attempt with the same key."""

    accepted: CommandAccepted
    position: int | None
    replayed: bool


RETRY_AFTER_MAX_SECONDS = 3600.0


class Backoff(msgspec.Struct, frozen=True, kw_only=True):
    """How often and how patiently to retry: ``attempts`` in all, waiting ``first_seconds`` and then
    twice as long each time, at most ``max_seconds``."""

    attempts: int = 6
    first_seconds: float = 0.2
    max_seconds: float = 5.0

    def pause(self, attempt: int, retry_after: str | None) -> float:
        pause = min(self.first_seconds * 2**attempt, self.max_seconds)
        # Longer than an hour is waited as an hour: a longer wait than the platform can time is an
        # OverflowError, and a service that asked for it is asked again.
        asked = _seconds_asked(retry_after)
        return max(pause, min(asked, RETRY_AFTER_MAX_SECONDS)) if asked is not None else pause


def _seconds_asked(retry_after: str | None) -> float | None:
    """The wait a ``Retry-After`` asks for: seconds, or until an HTTP date; None if it says neither."""
    if retry_after is None or not retry_after.isascii():
        return None
    # HTTP's digits are ASCII: str.isdigit alone takes "²" (a header's byte 0xB2), which float()
    # refuses.
    if retry_after.isdigit():
        return float(retry_after)
    try:
        until = parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    if until.tzinfo is None:  # "-0000": HTTP dates are in GMT
        until = until.replace(tzinfo=UTC)
    return max((until - datetime.now(UTC)).total_seconds(), 0.0)


def _retryable(answer: httpx.Response) -> bool:
    # 409 with Retry-After: the same key's first attempt is still running.
    return answer.status_code >= 500 or (
        answer.status_code == 409 and "retry-after" in answer.headers
    )


class RegiekaartClient:
    """One token's view of the service (``base_url``, e.g. ``https://regiekaart.example.nl``)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        backoff: Backoff | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            transport=transport,
        )
        self.backoff = backoff or Backoff()
        self.last_position: int | None = None  # of the last event this client recorded

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegiekaartClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        """The answer to one request, retried on transport errors and 5xx; 4xx raises ``ApiError``.
        A POST is retried only with an ``Idempotency-Key`` (``record`` gives one): sent again
        without, a lost answer's command would be recorded twice."""
        headers = httpx.Headers(options.get("headers"))
        attempts = self.backoff.attempts
        if method.upper() == "POST" and "Idempotency-Key" not in headers:
            attempts = 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                answer = self.http.request(method, path, **options)
            except httpx.TransportError:
                if last:
                    raise
                time.sleep(self.backoff.pause(attempt, None))
                continue
            if _retryable(answer) and not last:
                time.sleep(self.backoff.pause(attempt, answer.headers.get("retry-after")))
                continue
            if answer.status_code >= 400:
                raise ApiError(answer.status_code, _problem(answer))
            return answer
        raise AssertionError("unreachable: the last attempt returns or raises")

    def record(
        self,
        path: str,
        command: Mapping[str, Any] | msgspec.Struct,
        *,
        idempotency_key: str | None = None,
        if_match: int | None = None,
    ) -> Recorded:
        """Records ``command`` at ``path`` (e.g. ``/agreements/account-holderships/transfer``).

        The idempotency key is made here once, unless given (give it to carry a command's key across
        restarts of your own process), and sent with every retry."""
        headers = {"Idempotency-Key": idempotency_key or str(uuid.uuid4())}
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        answer = self.request(
            "POST",
            path,
            content=msgspec.json.encode(command),
            headers={**headers, "Content-Type": "application/json"},
        )
        position = answer.headers.get(POSITION_HEADER)
        recorded = Recorded(
            accepted=msgspec.json.decode(answer.content, type=CommandAccepted),
            position=None if position is None else int(position),
            replayed=answer.headers.get("Idempotent-Replayed") == "true",
        )
        if recorded.position is not None:
            self.last_position = max(self.last_position or 0, recorded.position)
        return recorded

    def region_map(
        self, region: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> RegionMap:
        return self._map(f"/regions/{region}/map", RegionMap, as_of, known_at)

    def cooperation_map(
        self, cooperation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> CooperationMap:
        return self._map(f"/cooperations/{cooperation}/map", CooperationMap, as_of, known_at)

    def organisation_map(
        self, organisation: str, *, as_of: date | None = None, known_at: datetime | None = None
    ) -> OrganisationView:
        return self._map(f"/organisations/{organisation}/map", OrganisationView, as_of, known_at)

    def _map(
        self, path: str, document: type[T], as_of: date | None, known_at: datetime | None
    ) -> T:
        params: dict[str, str | int] = {}
        if as_of is not None:
            params["as_of"] = as_of.isoformat()
        if known_at is not None:
            params["known_at"] = known_at.isoformat()
        if self.last_position is not None:
            params["min_position"] = self.last_position  # see our own writes
        answer = self.request("GET", path, params=params)
        return msgspec.json.decode(answer.content, type=document)


def _problem(answer: httpx.Response) -> Mapping[str, Any]:
    try:
        problem = answer.json()
    except ValueError:
        return {"detail": answer.text}
    return problem if isinstance(problem, dict) else {"detail": problem}
