"""Helpers for the tests of a service that heals: reaching the running service's NATS as the service
does, and waiting for a condition with a deadline."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from adapters.nats.access import FeedAccess, url_with_credentials
from domain.base import fact_fields
from domain.registry import Region
from domain.values import UNKNOWN_DATE, Attribution, RegionKind, ValidPeriod
from tests.e2e.service import Service

T = TypeVar("T")


def nats_url(service: Service) -> str:
    """The service's NATS URL (as it printed it), without credentials."""
    for line in service.lines:
        if found := re.match(r"event store: (nats://\S+)", line):
            return found.group(1)
    raise AssertionError("the service did not print its event store:\n" + "\n".join(service.lines))


def service_nats_url(service: Service, data_dir: Path) -> str:
    """The service's NATS URL with the service's own credentials."""
    return url_with_credentials(nats_url(service), FeedAccess(data_dir / "access").service())


def unchecked_region(slug: str) -> Region:
    """A region registration as the code before slugs were checked at the edge would have recorded it,
    whatever its slug."""
    return Region(
        region=slug,
        name=slug,
        region_kind=RegionKind.JEUGDZORGREGIO,
        aliases=(),
        province=None,
        contact_municipality=None,
        contact_label=None,
        contact_note=None,
        members_complete=False,
        subregions=(),
        decision_route=None,
        notes=None,
        **fact_fields(ValidPeriod(UNKNOWN_DATE, UNKNOWN_DATE), Attribution(principal="test")),
    )


def wait_for(condition: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first true value of ``condition()``, polled until ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.2)
