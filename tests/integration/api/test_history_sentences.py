"""History entries read as Dutch sentences with display names, not as attribute dumps."""

from __future__ import annotations

from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer
from tests.integration.api.test_maps_over_http import TRANSFER_TO_ZUID_LIMBURG


def test_a_transfer_reads_as_a_sentence_naming_both_holders_the_day_and_the_decider(
    client, context
) -> None:
    admin = bearer(context, Role.ADMIN)
    transfer = {**TRANSFER_TO_ZUID_LIMBURG, "executing_municipality": "maastricht"}
    transfer["handover"] = {"value": "2027-03-04", "precision": "day"}
    recorded = client.post("/agreements/account-holderships/transfer", json=transfer, headers=admin)
    assert recorded.status_code == 201, recorded.text
    ProjectionRunner(context.app, context.engine).catch_up()
    history = client.get("/organisations/pactum/history", headers=admin).json()
    sentences = [e["summary"] for e in history if e["event"].endswith("HolderTransferred")]
    assert (
        "Het accounthouderschap voor Pactum binnen Noord-Midden-Zuid Overleg (NMZ-overleg) gaat"
        " over van Noord-Limburg naar Zuid-Limburg (Maastricht) per 2027-03-04,"
        " besloten door NMZ-overleg (bestuurlijk)." in sentences
    ), sentences


def test_every_entry_of_the_real_histories_is_a_sentence_of_names(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    for path in ("/regions/zuid-limburg", "/cooperations/g7-gelderland", "/organisations/pactum"):
        for entry in client.get(f"{path}/history", headers=admin).json():
            summary = entry["summary"]
            assert summary.endswith(".") and not summary[0].islower(), summary
            assert "=" not in summary and "originator_topic" not in summary, summary
            assert "None" not in summary, summary
    zuid_limburg = client.get("/regions/zuid-limburg/history", headers=admin).json()
    assert "Maastricht wordt lid van Zuid-Limburg." in [e["summary"] for e in zuid_limburg]
