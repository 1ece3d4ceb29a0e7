"""A region's norms page: the norms it does not (surely) meet on a peildatum, with the verdict as
written, the action, who acts and the region's target; a region system reads only its own."""

from __future__ import annotations

import re

from litestar.testing import TestClient

from api.context import ApiContext
from services.authorisation import Role
from tests.integration.api.test_web_pages import _sign_in, _token


def _row(page: str, code: str) -> str:
    match = re.search(
        rf'<th class="utrecht-table__header-cell" scope="row">{re.escape(code)} .*?</tr>',
        page,
        re.DOTALL,
    )
    assert match, f"no row for {code}"
    return match.group(0)


def test_noord_limburgs_norms_page_shows_wachtlijstbeheer_with_the_werkgroep_and_2022(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    page = client.get("/kaart/regio/noord-limburg/normen", params={"peildatum": "2021-01-01"})
    assert page.status_code == 200, page.text
    row = _row(page.text, "R1.2g")
    assert "Aanpak wachtlijstbeheer" in row and "Nee (voldoet niet)" in row
    assert "Werkgroep wachtlijsten" in row and "Streven van de regio:2022" in row
    assert "R1.2a " not in page.text  # met: not listed
    before = client.get("/kaart/regio/noord-limburg/normen", params={"peildatum": "2019-01-01"})
    assert "R1.2g" not in before.text and "een oordeel over 0 normen" in before.text
    region_map = client.get("/kaart/regio/noord-limburg", params={"peildatum": "2021-01-01"})
    assert 'href="/kaart/regio/noord-limburg/normen?peildatum=2021-01-01"' in region_map.text


def test_midden_limburg_wests_page_shows_its_seeming_to_meet_as_not_sure(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    page = client.get("/kaart/regio/midden-limburg-west/normen", params={"peildatum": "2021-01-01"})
    assert "Lijkt te voldoen. (niet zeker)" in _row(page.text, "R1.2g")


def test_a_region_system_reads_only_its_own_regions_norms(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.REGION_SYSTEM, regions=("noord-limburg",)))
    assert client.get("/kaart/regio/noord-limburg/normen").status_code == 200
    assert client.get("/kaart/regio/midden-limburg-west/normen").status_code == 403


def test_a_regions_page_lists_its_overdue_actions_from_the_day_after_the_deadline(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    path = "/kaart/regio/gooi-en-vechtstreek/normen"
    overdue = client.get(path, params={"peildatum": "2022-01-01"})
    assert overdue.status_code == 200, overdue.text
    section = overdue.text.split('id="kop-acties"')[1].split('id="kop-modules"')[0]
    assert "aantal jeugdigen dat wacht op hulp" in section and "november 2021" in section
    in_time = client.get(path, params={"peildatum": "2021-11-30"}).text
    section = in_time.split('id="kop-acties"')[1].split('id="kop-modules"')[0]
    assert "aantal jeugdigen dat wacht op hulp" not in section


def test_a_g7_regions_page_shows_its_module_commitments_lacking_both_mandates(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    page = client.get("/kaart/regio/regio-nijmegen/normen", params={"peildatum": "2024-01-01"})
    assert page.status_code == 200, page.text
    section = page.text.split('id="kop-modules"')[1]
    rows = re.findall(r'<tr class="utrecht-table__row">.*?</tr>', section, re.DOTALL)[1:]
    assert rows, "no module commitments shown"
    # The sources name no regional mandate: no commitment counts, each lacks content and costs.
    assert all('<td class="utrecht-table__cell">nee</td>' in row for row in rows)
    assert all("inhoud, kosten" in row for row in rows)
