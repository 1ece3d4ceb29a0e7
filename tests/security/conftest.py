"""The service under attack: `regiekaart serve` once for the package (SQLite, the imported
governance facts), shared by its modules; and the event log's end, to show that a refused request
recorded nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.service import Service, start_service

# A full authority per cooperation, citing a decision body of the real facts, as every new command
# does.
G7_AUTHORITY = {
    "body": "g7-bestuurlijk-overleg",
    "decision_date": {"value": "2026-01-15", "precision": "day"},
    "document": "Besluitenlijst G7 Gelderland 2026-01",
}
NMZ_AUTHORITY = {
    "body": "nmz-bestuurlijk-overleg",
    "decision_date": {"value": "2026-01-15", "precision": "day"},
    "document": "Besluitenlijst NMZ Limburg 2026-01",
}
# A deciding body of a region, for facts about the region itself.
REGION_AUTHORITY = {
    "zuid-limburg": {
        "body": "g16zlb",
        "decision_date": {"value": "2026-01-15", "precision": "day"},
        "document": "Besluitenlijst G16zLB 2026-01",
    },
    "regio-nijmegen": {
        "body": "wethoudersoverleg-regio-nijmegen",
        "decision_date": {"value": "2026-01-15", "precision": "day"},
        "document": "Besluitenlijst wethoudersoverleg regio Nijmegen 2026-01",
    },
}


@pytest.fixture(scope="package")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    running = start_service(tmp_path_factory.mktemp("security"), workers=1)
    yield running
    running.stop()


class EventLog:
    """The event log as an admin reads it: where it ends, and what was recorded after a position."""

    def __init__(self, admin: httpx.Client) -> None:
        self.admin = admin
        self._end = 0

    def end(self) -> int:
        """The position of the last recorded event."""
        while True:
            page = self.admin.get("/events", params={"after": self._end, "limit": 500})
            page.raise_for_status()
            events = page.json()["events"]
            if events:
                self._end = events[-1]["id"]
            if not page.json()["more"]:
                return self._end

    def after(self, position: int) -> list[dict]:
        page = self.admin.get("/events", params={"after": position, "limit": 500})
        page.raise_for_status()
        return page.json()["events"]


@pytest.fixture(scope="package")
def admin(service: Service) -> Iterator[httpx.Client]:
    with service.client(service.admin_token) as client:
        yield client


@pytest.fixture(scope="package")
def log(admin: httpx.Client) -> EventLog:
    return EventLog(admin)
