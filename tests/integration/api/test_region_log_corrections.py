"""A region system's log (``/events?region=``) after corrections: it holds a correction of a fact it
received, and nothing more of a municipality whose membership of the region was corrected away."""

from __future__ import annotations

from domain.registry import Municipality
from services import commands as c
from services.authorisation import Role
from tests.authorities import EXTERNAL
from tests.corrections import host
from tests.integration.api.conftest import bearer

WHO = {"principal": "test", "authority": EXTERNAL}
ZAANSTREEK = "zaanstreek-waterland"


def region_log(client, context, region: str) -> list[dict]:
    headers = bearer(context, Role.REGION_SYSTEM, regions=(region,))
    events: list[dict] = []
    while True:
        after = events[-1]["id"] if events else 0
        page = client.get(f"/events?region={region}&after={after}&limit=500", headers=headers)
        assert page.status_code == 200, page.text
        if not page.json()["events"]:
            return events
        events.extend(page.json()["events"])


def test_a_region_reads_no_more_of_a_municipality_whose_membership_was_corrected(
    client, context
) -> None:
    app = context.app
    app.handle(c.RegisterMunicipality(municipality="nieuwdorp", name="Nieuwdorp", **WHO))
    app.handle(c.StartMembership(municipality="nieuwdorp", region=ZAANSTREEK, **WHO))
    wrong = app.get(Municipality, "nieuwdorp")
    app.handle(
        c.CorrectFact(
            aggregate_id=wrong.id, version=wrong.version, reason="never a member", principal="test"
        )
    )
    corrected_at = app.recorder.max_notification_id()
    app.handle(
        c.StartMembership(
            municipality="nieuwdorp", region="zuid-limburg", membership_id="zl:nieuwdorp", **WHO
        )
    )
    hosted_at = host(app, "nieuwdorp", "2026")

    zaanstreek = {event["id"] for event in region_log(client, context, ZAANSTREEK)}
    zuid_limburg = {event["id"] for event in region_log(client, context, "zuid-limburg")}
    assert corrected_at in zaanstreek
    assert hosted_at in zuid_limburg
    assert hosted_at not in zaanstreek
