"""The map pages: the map on a peildatum (slider or date field) as known at a moment, updated in
place with htmx, the subject's timeline, and the same read rules as the JSON map routes."""

from __future__ import annotations

import re
from datetime import date

from litestar.testing import TestClient

from api.context import ApiContext
from api.web.maps import SLIDER_START
from projections.runner import ProjectionRunner
from services.authorisation import Role
from tests.integration.api.conftest import bearer
from tests.integration.api.test_commands_over_http import TRANSFER, TRANSFER_BODY
from tests.integration.api.test_web_pages import _sign_in, _token

PACTUM = "/kaart/organisatie/pactum"
# A cell naming the holder region (sources' titles in other cells may name a region too).
HOLDER = '<td class="utrecht-table__cell">{}</td>'


def _holders(page: str) -> str:
    """The account holdership table's text (the section of the organisation's map)."""
    match = re.search(r'id="kop-account_holders".*?</section>', page, re.DOTALL)
    assert match, "the page has no account holdership section"
    return match.group(0)


def _transfer_to_zuid_limburg(client: TestClient, context: ApiContext) -> None:
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("nmz-limburg",))
    answer = client.post(TRANSFER, json=TRANSFER_BODY, headers=coordinator)
    assert answer.status_code == 201, answer.text
    ProjectionRunner(context.app, context.engine).catch_up()


def test_the_map_on_a_peildatum_before_the_handover_shows_the_old_holder(
    client: TestClient, context: ApiContext
) -> None:
    _transfer_to_zuid_limburg(client, context)
    _sign_in(client, _token(context, Role.AUDITOR))
    before = _holders(client.get(PACTUM, params={"peildatum": "2026-12-31"}).text)
    after = _holders(client.get(PACTUM, params={"peildatum": "2027-01-02"}).text)
    assert HOLDER.format("Zuid-Limburg") in after and "1 januari 2027" in after
    assert HOLDER.format("Zuid-Limburg") not in before
    assert HOLDER.format("Noord-Limburg") in before  # the holder until then


def test_moving_the_slider_updates_the_map_and_the_date_field(
    client: TestClient, context: ApiContext
) -> None:
    _transfer_to_zuid_limburg(client, context)
    _sign_in(client, _token(context, Role.AUDITOR))
    day = (date(2027, 3, 1) - SLIDER_START).days
    partial = client.get(
        PACTUM,
        params={"dag": day, "peildatum": "2026-01-01", "bekend_op": ""},  # as the form sends
        headers={"HX-Request": "true", "HX-Trigger": "dag"},
    )
    assert "<html" not in partial.text
    assert "Kaart op 1 maart 2027" in partial.text
    assert HOLDER.format("Zuid-Limburg") in _holders(partial.text)
    # the date field follows the slider; the slider itself, in use, is left alone
    assert re.search(r'id="peildatum"[^>]*value="2027-03-01"[^>]*hx-swap-oob', partial.text, re.S)
    assert 'id="dag"' not in partial.text


def test_the_map_as_known_before_the_transfer_lacks_it(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    page = client.get(PACTUM).text
    newest_before = re.search(r'<option value="([^"]+)"', page.split('id="bekend_op"')[1])
    assert newest_before
    _transfer_to_zuid_limburg(client, context)
    page = client.get(PACTUM, params={"peildatum": "2027-02-01"}).text
    assert HOLDER.format("Zuid-Limburg") in _holders(page)
    timeline = page.split('id="kop-tijdlijn"')[1]
    assert "Het accounthouderschap voor Pactum binnen" in timeline and "gaat over" in timeline
    assert "AccountHoldership.HolderTransferred" not in timeline  # a sentence, not the event's name
    as_known = client.get(
        PACTUM, params={"peildatum": "2027-02-01", "bekend_op": newest_before.group(1)}
    ).text
    assert HOLDER.format("Zuid-Limburg") not in _holders(as_known)
    assert "bekend op" in as_known


def test_a_region_system_reads_only_its_own_region_map(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.REGION_SYSTEM, regions=("zuid-limburg",)))
    own = client.get("/kaart/regio/zuid-limburg")
    assert own.status_code == 200 and "Regio: Zuid-Limburg" in own.text
    assert client.get("/kaart/regio/achterhoek").status_code == 403
    assert client.get(PACTUM).status_code == 403
    between = {"van": "2025-01-01", "tot": "2026-01-01"}
    assert client.get("/kaart/regio/achterhoek/verschil", params=between).status_code == 403
    assert client.get("/kaart/regio/zuid-limburg/verschil", params=between).status_code == 200


def test_an_unknown_subject_is_not_found(client: TestClient, context: ApiContext) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    assert client.get("/kaart/regio/nergens").status_code == 404


def test_the_difference_between_two_peildata_shows_the_handover(
    client: TestClient, context: ApiContext
) -> None:
    _transfer_to_zuid_limburg(client, context)
    _sign_in(client, _token(context, Role.AUDITOR))
    answer = client.get(
        f"{PACTUM}/verschil",
        params={"van": "2026-12-01", "tot": "2027-02-01"},
        headers={"HX-Request": "true"},
    )
    rows = re.findall(r"<tr class=\"utrecht-table__row\">(.*?)</tr>", answer.text, re.S)
    lapsed = [row for row in rows if "vervallen" in row]
    new = [row for row in rows if "nieuw" in row]
    assert any("Noord-Limburg" in row for row in lapsed)
    assert any("Zuid-Limburg" in row for row in new)
    assert "G7" not in answer.text  # unchanged facts are left out
    quiet = client.get(f"{PACTUM}/verschil", params={"van": "2027-02-01", "tot": "2027-03-01"})
    assert "Niets veranderd" in quiet.text


def test_the_timeline_picture_draws_the_handover_with_a_text_alternative(
    client: TestClient, context: ApiContext
) -> None:
    _transfer_to_zuid_limburg(client, context)
    _sign_in(client, _token(context, Role.AUDITOR))
    page = client.get(PACTUM).text
    picture = re.search(r"<svg.*?</svg>", page, re.S)
    assert picture, "the map page draws no picture"
    svg = picture.group(0)
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "tabel Tijdlijn" in svg  # the desc points to the table that says it in text
    assert "Het accounthouderschap voor Pactum binnen" in svg and "vanaf 1 januari 2027" in svg
    assert "<script" not in svg
