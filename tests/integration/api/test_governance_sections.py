"""How regions and cooperations decide, on their maps and at ``/bodies``, from the real facts
(services/data/governance-facts.yaml) as the importer records them: decision bodies, decision and
adoption routes and how far plans have got along them, principles, the uitvoeringsagenda with its
trekkers, the recorded member count and whether a cooperation is formalised."""

from __future__ import annotations

import time

from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer


def _bodies(section: list[dict]) -> dict[str, dict]:
    return {b["body"]["slug"]: b for b in section}


def test_the_g7_map_shows_its_principles_a_to_e(client, context) -> None:
    g7 = client.get("/cooperations/g7-gelderland/map", headers=bearer(context, Role.AUDITOR))
    assert g7.status_code == 200, g7.text
    principles = g7.json()["principles"]
    assert [p.split(":")[0] for p in principles] == ["A", "B", "C", "D", "E"]
    assert principles[0].startswith("A: cooperate on content only where necessary")


def test_the_g7_map_shows_modules_1_to_8_with_their_trekkers(client, context) -> None:
    g7 = client.get("/cooperations/g7-gelderland/map", headers=bearer(context, Role.AUDITOR))
    agenda = {m["module"]: m for m in g7.json()["agenda"]}
    assert sorted(agenda) == list(range(1, 9))
    assert agenda[1]["item"] == "Beschikbaarheid High Intensive Care plekken"
    assert agenda[2]["item"] == "Spoed Eisende Zorg"
    assert agenda[5]["item"].startswith("BOEG")
    trekkers = {
        number: {lead["holder_region"]["slug"] for lead in module.get("leads", ())}
        for number, module in agenda.items()
    }
    assert trekkers == {
        1: set(),
        2: set(),
        3: {"achterhoek"},
        4: {"centraal-gelderland"},
        5: set(),
        6: {"midden-ijssel-oost-veluwe"},
        7: {"achterhoek"},
        8: {"midden-ijssel-oost-veluwe"},
    }
    assert agenda[3]["leads"][0]["agreement"] == "g7-trekker-intersectorale-crisishulp"


def test_the_g7_map_gives_its_member_count_beside_the_members_it_lists(client, context) -> None:
    g7 = client.get("/cooperations/g7-gelderland/map", headers=bearer(context, Role.AUDITOR))
    body = g7.json()
    assert body["member_count"] == 7
    assert {m["region"]["slug"] for m in body["members"]} == {
        "regio-nijmegen",
        "achterhoek",
        "centraal-gelderland",
        "midden-ijssel-oost-veluwe",
    }


def test_noord_limburg_s_cooperation_is_not_formalised(client, context) -> None:
    reader = bearer(context, Role.AUDITOR)
    nml = client.get("/cooperations/noord-midden-limburg/map", headers=reader).json()
    assert nml["formalised"] is False
    assert "noord-limburg" in {m["region"]["slug"] for m in nml["members"]}
    # Where the sources do not say, neither does the map.
    assert (
        client.get("/cooperations/g7-gelderland/map", headers=reader).json().get("formalised")
        is None
    )


def test_the_zuid_limburg_map_shows_its_bodies(client, context) -> None:
    zl = client.get("/regions/zuid-limburg/map", headers=bearer(context, Role.AUDITOR))
    assert zl.status_code == 200, zl.text
    bodies = _bodies(zl.json()["bodies"])
    assert {"g16zlb", "g16zla", "stuurgroep-zuid-limburg", "programmagroep-zuid-limburg"} <= set(
        bodies
    )
    g16zlb = bodies["g16zlb"]
    assert g16zlb["role"] == "decides" and g16zlb["level"] == "bestuurlijk"
    assert "voorzitter" in g16zlb["composition"]  # who chairs it
    assert [b["slug"] for b in g16zlb["commissions"]] == ["stuurgroep-zuid-limburg"]
    stuurgroep = bodies["stuurgroep-zuid-limburg"]
    assert stuurgroep["role"] == "steers"
    assert stuurgroep["composition"].startswith("6 bestuurders")
    assert stuurgroep["commissioned_by"]["slug"] == "g16zlb"
    assert [b["slug"] for b in stuurgroep["commissions"]] == ["programmagroep-zuid-limburg"]
    programmagroep = bodies["programmagroep-zuid-limburg"]
    assert programmagroep["role"] == "executes"
    assert programmagroep["commissioned_by"]["slug"] == "stuurgroep-zuid-limburg"
    assert bodies["g16zla"]["cadence"].startswith("two koersmiddagen a year")
    assert {b["of"]["slug"] for b in bodies.values()} == {"zuid-limburg"}


def test_a_cooperation_map_shows_its_bodies(client, context) -> None:
    nmz = client.get("/cooperations/nmz-limburg/map", headers=bearer(context, Role.AUDITOR))
    bodies = _bodies(nmz.json()["bodies"])
    assert bodies["nmz-bestuurlijk-overleg"]["cadence"] == "twice a year"
    assert bodies["nmz-bestuurlijk-overleg"]["role"] == "aligns"
    assert bodies["nmz-ambtelijk-afstemmingsoverleg"]["cadence"] == "monthly"


def test_get_bodies_lists_them_and_serves_one_as_of_a_day(client, context) -> None:
    reader = bearer(context, Role.COORDINATOR, cooperations=("nmz-limburg",))
    listed = client.get("/bodies", headers=reader)
    assert listed.status_code == 200, listed.text
    roles = {b["slug"]: b["category"] for b in listed.json()}
    assert roles["g16zlb"] == "decides" and roles["mgr-algemeen-bestuur"]
    one = client.get("/bodies/stuurgroep-zuid-limburg?as_of=2025-06-01", headers=reader)
    assert one.status_code == 200, one.text
    assert one.json()["as_of"] == "2025-06-01"
    body = one.json()["body"]
    assert body["body"]["name"] == "Stuurgroep Zuid-Limburg"
    assert body["of"] == {"kind": "region", "slug": "zuid-limburg", "name": "Zuid-Limburg"}
    assert body["commissioned_by"]["slug"] == "g16zlb"
    assert one.headers["ETag"]
    missing = client.get("/bodies/no-such-body", headers=reader)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    # Known before anything was recorded, the body is not there.
    before = client.get("/bodies/g16zlb?known_at=2000-01-01T00:00:00Z", headers=reader)
    assert before.status_code == 404


def test_a_region_system_reads_only_the_bodies_of_its_own_region(client, context) -> None:
    system = bearer(context, Role.REGION_SYSTEM, regions=("zuid-limburg",))
    own = client.get("/bodies/g16zlb", headers=system)
    assert own.status_code == 200, own.text
    assert own.json()["body"]["body"]["slug"] == "g16zlb"
    assert client.get("/bodies/mgr-algemeen-bestuur", headers=system).status_code == 403
    assert client.get("/bodies/nmz-bestuurlijk-overleg", headers=system).status_code == 403
    assert client.get("/bodies", headers=system).status_code == 403
    # An unknown body is refused like another region's: the answer tells no slug apart.
    assert client.get("/bodies/no-such-body", headers=system).status_code == 403


def test_nijmegen_s_map_shows_its_adoption_chain_and_how_far_plans_got(client, context) -> None:
    nijmegen = client.get("/regions/regio-nijmegen/map", headers=bearer(context, Role.AUDITOR))
    route = nijmegen.json()["decision_route"]
    assert route["applies_to"] == "regionaal werkprogramma en regiobegroting (yearly)"
    assert [(s["number"], s["body"]["slug"]) for s in route["steps"]] == [
        (1, "financieel-overleg-regio-nijmegen"),
        (2, "ambtelijk-overleg-regio-nijmegen"),
        (3, "hoofdenoverleg-regio-nijmegen"),
        (4, "wethoudersoverleg-regio-nijmegen"),
    ]
    assert route["steps"][0]["step"] == "Financieel overleg"
    assert route["final_step"] == "lokale vaststelling door iedere gemeente"
    assert route.get("plans", []) == []  # the log records no plan's steps along this route


EXPERTISECENTRUM_ROUTE = [
    "gemeente Roermond drafts the beleidsdocument and, every year, a jaarplan",
    "bestuurlijk overleg NMZ",
    "consultation with the achterban ('met de achterban')",
    "gemeente Roermond adopts (stelt vast) the beleidsdocument and the jaarplannen",
]


def _expertisecentrum_route(routes: list[dict]) -> dict:
    (route,) = [r for r in routes if r["agreement"] == "nmz-expertisecentrum-mandaat-roermond"]
    return route


def test_the_expertisecentrum_s_four_step_route_is_on_its_maps(client, context) -> None:
    reader = bearer(context, Role.AUDITOR)
    for path in ("/cooperations/nmz-limburg/map", "/organisations/expertisecentrum-limburg/map"):
        route = _expertisecentrum_route(client.get(path, headers=reader).json()["adoption_routes"])
        assert [s["step"] for s in route["steps"]] == EXPERTISECENTRUM_ROUTE
        assert [s["number"] for s in route["steps"]] == [1, 2, 3, 4]
        assert route["holder_municipality"]["slug"] == "roermond"
        assert route["organisation"]["slug"] == "expertisecentrum-limburg"
        assert route.get("plans", []) == []
    # BOEG's mandate has no known route, so the G7 map shows none.
    g7 = client.get("/cooperations/g7-gelderland/map", headers=reader).json()
    assert g7.get("adoption_routes", []) == []


def test_a_plan_s_progress_along_the_route_follows_the_recorded_steps(client, context) -> None:
    admin = bearer(context, Role.ADMIN)
    for step_number in (1, 2):
        recorded = client.post(
            "/agreements/mandates/plan-steps",
            json={
                "agreement": "nmz-expertisecentrum-mandaat-roermond",
                "plan": {"plan_kind": "annual-plan", "year": 2026},
                "step_number": step_number,
                "valid_from": {"value": f"2026-0{step_number}-15", "precision": "day"},
                "authority": {
                    "kind": "municipality",
                    "municipality": "roermond",
                    "organ": "college",
                    "decision_date": f"2026-0{step_number}-15",
                    "document": f"Jaarplan 2026, stap {step_number}",
                },
            },
            headers=admin,
        )
        assert recorded.status_code == 201, recorded.text
    position = ProjectionRunner(context.app, context.engine).catch_up()
    deadline = time.monotonic() + 10
    while context.position_watch.position != position and time.monotonic() < deadline:
        time.sleep(0.01)

    def progress(as_of: str) -> list[dict]:
        answer = client.get(f"/cooperations/nmz-limburg/map?as_of={as_of}", headers=admin)
        return _expertisecentrum_route(answer.json()["adoption_routes"]).get("plans", [])

    assert progress("2026-03-01") == [
        {
            "plan": "annual plan 2026",
            "steps_done": 2,
            "last_step": "bestuurlijk overleg NMZ",
        }
    ]
    assert progress("2026-01-20")[0]["steps_done"] == 1
    assert progress("2025-12-31") == []
