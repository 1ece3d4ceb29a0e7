"""Reading one's own writes: a command's answer names the log position of its last event, and a map
read with ``min_position`` reflects at least that position, or says within the bound that it does not
yet (503, Retry-After, the position it has). Every map names the position it reflects."""

from __future__ import annotations

import httpx
import pytest

from tests.fixtures.processes import Service
from tests.integration.client.recording import REGION, new_member_of_the_region

MAP = f"/regions/{REGION}/map"
POSITION_HEADER = "Regiekaart-Position"  # as documented: the public name, not the constant


@pytest.fixture
def admin(running_service: Service) -> httpx.Client:
    with running_service.client(running_service.admin_token) as admin:
        yield admin


def test_a_map_read_at_a_commands_position_shows_the_command(admin: httpx.Client) -> None:
    slug, joined = new_member_of_the_region(admin)
    position = int(joined.headers[POSITION_HEADER])
    assert position == joined.json()["event_ids"][-1]

    answer = admin.get(MAP, params={"min_position": position})

    assert answer.status_code == 200, answer.text
    assert int(answer.headers[POSITION_HEADER]) >= position
    assert answer.json()["position"] >= position
    members = [member["municipality"]["slug"] for member in answer.json()["members"]]
    assert slug in members


def test_a_position_the_maps_do_not_reach_is_a_503_naming_the_position_they_have(
    admin: httpx.Client,
) -> None:
    current = int(admin.get(MAP).headers[POSITION_HEADER])

    answer = admin.get(MAP, params={"min_position": current + 10**9})

    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["Retry-After"] == "1"
    reached = int(answer.headers[POSITION_HEADER])
    assert reached >= current
    assert f"up to position {reached}, not yet {current + 10**9}" in answer.json()["detail"]


def test_a_map_not_modified_still_names_its_position(admin: httpx.Client) -> None:
    first = admin.get(MAP)
    again = admin.get(MAP, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # The position the map was computed at: the read model had got at least that far.
    assert 0 < int(again.headers[POSITION_HEADER]) <= first.json()["position"]


@pytest.mark.parametrize(
    "query",
    ["min_position=-1", "min_position=soon", "min_position=1.5", "min_position=1&min_position=2"],
)
def test_a_min_position_that_is_not_one_position_is_a_400_naming_it(
    admin: httpx.Client, query: str
) -> None:
    answer = admin.get(f"{MAP}?{query}")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "min_position" in answer.json()["detail"]
