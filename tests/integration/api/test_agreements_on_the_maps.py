"""What the sources say about agreements, on the maps the API serves from the real imported facts:
contract terms in full, the opt-outs that apply to each procurement, the obligations of account
holders and the conflicting claims beside the fact they dispute."""

from __future__ import annotations

from typing import Any

from projections.runner import ProjectionRunner
from services.authorisation import Role
from services.importer import load_facts
from tests.integration.api.conftest import bearer


def _get(client, context, path: str) -> dict[str, Any]:
    answer = client.get(path, headers=bearer(context, Role.AUDITOR))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _procurement(region_map: dict[str, Any], agreement: str) -> dict[str, Any]:
    (procurement,) = [p for p in region_map["procurements"] if p["agreement"] == agreement]
    return procurement


def test_a_contract_shows_its_funding_maximum_years_and_extension_options_and_their_decisions(
    client, context
) -> None:
    admin = bearer(context, Role.ADMIN)
    exercised = client.post(
        "/agreements/joint-procurements/extension-options/exercise",
        json={
            "agreement": "zl-wonen",
            "option_number": 1,
            "authority": {
                "body": "g16zlb",
                "decision_date": "2026-06-01",
                "document": "besluitenlijst G16zLB 2026-06",
            },
        },
        headers=admin,
    )
    assert exercised.status_code == 201, exercised.text
    ProjectionRunner(context.app, context.engine).catch_up()

    zuid_limburg = _get(client, context, "/regions/zuid-limburg/map")
    contract = _procurement(zuid_limburg, "zl-wonen")["contract"]
    assert contract["start"] == {"value": "2023-01-01", "precision": "day"}
    assert contract["term"] == "4+3+3"
    assert contract["initial_years"] == "4"
    assert contract["max_years"] == "10"
    assert contract["funding"].startswith("capaciteitsfinanciering")
    first, second = contract["extension_options"]
    assert (first["number"], first["years"], first["decision"]) == (1, "3", "exercised")
    assert first["extends_from"] == {"value": "2027-01-01", "precision": "day"}
    assert (second["number"], second["years"], second.get("decision")) == (2, "3", None)

    gik = _procurement(zuid_limburg, "zl-gik-j")["contract"]
    assert (gik["term"], gik["initial_years"], gik["max_years"]) == ("2,5+2+2+2+1", "2.5", "9.5")
    assert [o["years"] for o in gik["extension_options"]] == ["2", "2", "2", "1"]
    assert gik["funding"] == "etmaaltarief (inspanningsgericht)"

    crisis = _procurement(zuid_limburg, "zl-crisis")["contract"]
    assert crisis.get("term") is None and crisis["term_text"].startswith("extended by 2 years")
    assert crisis["funding"] == "lumpsum (taakgericht)"


def test_wijchens_opt_out_shows_on_the_contract_area_procurements_it_does_not_take_part_in(
    client, context
) -> None:
    nijmegen = _get(client, context, "/regions/regio-nijmegen/map")

    def opting_out(agreement: str) -> set[str]:
        return {
            o["municipality"]["slug"] for o in _procurement(nijmegen, agreement).get("opt_outs", ())
        }

    assert opting_out("regio-nijmegen-blok-b") == {"wijchen"}
    assert opting_out("regio-nijmegen-jeugd-ggz-2022") == {"wijchen"}
    assert opting_out("regio-nijmegen-jeugdhulp-met-verblijf") == set()
    assert opting_out("regio-nijmegen-jb-jr") == set()
    (blok_b,) = _procurement(nijmegen, "regio-nijmegen-blok-b")["opt_outs"]
    assert nijmegen["provenances"][blok_b["provenance"]]["sources"] == [
        "nijmegen-regiobeeld-2021:L577"
    ]


def test_an_account_holder_shows_the_obligations_attached_to_the_holdership(
    client, context
) -> None:
    nmz = _get(client, context, "/cooperations/nmz-limburg/map")
    (bjz,) = [r for r in nmz["roles"] if r["agreement"] == "nmz-accounthouder-bjz-limburg"]
    assert any("staatssecretaris" in obligation for obligation in bjz["obligations"])


def _disputed_on_its_map(client, context, subject: str) -> list[dict[str, Any]]:
    """The conflicts a map shows beside the disputed subject: the map's own when the subject is a
    region, cooperation or organisation; the agreement's entry on its owner's map otherwise."""
    facts = load_facts()
    kinds = {
        record["id"]: section
        for section in ("regions", "cooperations", "organisations", "agreements")
        for record in facts[section]
    }
    section = kinds[subject]
    if section != "agreements":
        return list(_get(client, context, f"/{section}/{subject}/map")["conflicts"])
    (agreement,) = [a for a in facts["agreements"] if a["id"] == subject]
    owner = (
        f"/cooperations/{agreement['cooperation']}/map"
        if agreement.get("cooperation")
        else f"/regions/{agreement['region']}/map"
    )
    owners_map = _get(client, context, owner)
    entries = [
        entry
        for field in ("procurements", "agreements", "roles", "roles_towards")
        for entry in owners_map.get(field, ())
        if entry["agreement"] == subject
    ]
    assert entries, f"{subject} is not on {owner}"
    return [conflict for entry in entries for conflict in entry["conflicts"]]


def test_every_conflicting_claim_shows_beside_the_fact_it_disputes_with_each_source(
    client, context
) -> None:
    entries = load_facts()["claims_in_conflict"]
    assert len(entries) >= 12
    for entry in entries:
        conflicts = {c["topic"]: c for c in _disputed_on_its_map(client, context, entry["subject"])}
        assert entry["topic"] in conflicts, entry["topic"]
        shown = conflicts[entry["topic"]]
        assert [(c["value"], c["sources"]) for c in shown["claims"]] == [
            (claim["value"], [claim["src"]]) for claim in entry["claims"]
        ]
        assert shown.get("note") == entry.get("note")
        assert shown["subject"]["slug"] == entry["subject"]


def test_a_fact_whose_start_is_unknown_holds_at_least_since_the_date_of_its_source(
    client, context
) -> None:
    """Noord-Limburg's members have no known start; the policy plan of December 2021 states them, so
    they certainly hold from then on, and before then they still only could."""
    now = _get(client, context, "/regions/noord-limburg/map?as_of=2024-01-01")
    venlo = next(m for m in now["members"] if m["municipality"]["slug"] == "venlo")
    assert "valid_from" not in venlo  # an unknown start is left out of the map
    assert venlo["certain"] is True
    assert venlo["known_to_hold_since"] == {
        "since": {"value": "2021-12-01", "precision": "month"},
        "source": "noord-limburg-beleidsplan-2022",
        "title": "Regionaal Beleidsplan Jeugd 2022 en verder – Regio Noord-Limburg",
    }
    within_the_month = _get(client, context, "/regions/noord-limburg/map?as_of=2021-12-15")
    assert not any(m["certain"] for m in within_the_month["members"])
    after_it = _get(client, context, "/regions/noord-limburg/map?as_of=2022-01-01")
    assert all(m["certain"] for m in after_it["members"])

    # An intended procurement is not shown as holding on its source's date.
    nijmegen = _get(client, context, "/regions/regio-nijmegen/map?as_of=2024-01-01")
    assert "known_to_hold_since" not in _procurement(nijmegen, "regio-nijmegen-jeugd-ggz-2022")


def test_a_certified_institutions_map_names_the_regions_that_procure_from_it(
    client, context
) -> None:
    jbra = _get(client, context, "/organisations/jeugdbescherming-regio-amsterdam/map")
    assert [r["slug"] for r in jbra["procured_by"]] == [
        "amsterdam-amstelland",
        "regio-haarlemmermeer",
        "westfriesland",
        "zaanstreek-waterland",
    ]
    assert {p["owner"]["slug"] for p in jbra["procurements"]} == {
        r["slug"] for r in jbra["procured_by"]
    }
    westfriesland = next(p for p in jbra["procurements"] if p["owner"]["slug"] == "westfriesland")
    assert jbra["provenances"][westfriesland["provenance"]]["sources"] == [
        "noord-holland-oplegger-2021:L262"
    ]

    # Procured jointly by the NW4 regions: each of them procures from it too.
    djgb = _get(client, context, "/organisations/de-jeugd-en-gezinsbeschermers/map")
    assert {"ijmond", "kop-van-noord-holland", "noord-kennemerland", "zuid-kennemerland"} <= {
        r["slug"] for r in djgb["procured_by"]
    }
