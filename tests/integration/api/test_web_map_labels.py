"""Every map page of the real facts reads in Dutch: every section heading, column label and particular
is Dutch (no field name), no coded value is shown as stored, dates read as people write them (the sources' own
words may hold ISO dates; those stay as they are), and a
fact whose start is unknown says since when a dated source shows it held."""

from __future__ import annotations

import html
import re

from litestar.testing import TestClient

from api.context import ApiContext
from api.web.labels import CODES, VALUE_LABELS
from projections import views
from services.authorisation import Role
from tests.integration.api.conftest import bearer
from tests.integration.api.test_web_pages import _sign_in, _token

LISTS = {"regions": "regio", "cooperations": "samenwerkingsverband", "organisations": "organisatie"}
FIELD_NAMES = {
    name
    for struct in vars(views).values()
    if isinstance(struct, type) and hasattr(struct, "__struct_fields__")
    for name in struct.__struct_fields__
}
# Stored codes whose Dutch word differs ("in-force" is "van kracht"; "ambtelijk" stays "ambtelijk").
STORED_CODES = {code for codes in CODES.values() for code in codes if VALUE_LABELS[code] != code}


def _texts(tag: str, page: str) -> list[str]:
    return [
        html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", page, re.DOTALL)
    ]


def _the_map(page: str) -> str:
    """The map itself (not the controls, whose values are ISO dates for the browser)."""
    return page.split('id="kaart"')[1].split('id="kop-verschil"')[0]


def _map_pages(client: TestClient, context: ApiContext) -> dict[str, str]:
    headers = bearer(context, Role.AUDITOR)
    paths = [
        f"/kaart/{word}/{entry['slug']}"
        for route, word in LISTS.items()
        for entry in client.get(f"/{route}", headers=headers).json()
    ]
    _sign_in(client, _token(context, Role.AUDITOR))
    pages = {}
    for path in paths:
        answer = client.get(path, params={"peildatum": "2026-06-01"})
        assert answer.status_code == 200, path
        pages[path] = _the_map(answer.text)
    return pages


def test_every_map_page_of_the_real_facts_reads_in_dutch(
    client: TestClient, context: ApiContext
) -> None:
    pages = _map_pages(client, context)
    assert len(pages) > 40  # every region, cooperation and organisation
    for path, page in pages.items():
        labels = _texts("th", page) + _texts("h3", page) + _texts("dt", page)
        raw = [label for label in labels if label in FIELD_NAMES or "_" in label]
        assert not raw, f"{path}: labels that are field names: {raw}"
        cells = _texts("td", page) + _texts("dd", page)
        stored = [cell for cell in cells if cell in STORED_CODES]
        assert not stored, f"{path}: codes shown as stored: {stored}"
        iso = re.compile(r"(ten minste sinds |start: )?\d{4}-\d{2}(-\d{2})?\b.*")
        assert not [cell for cell in cells if iso.fullmatch(cell)], f"{path}: an ISO date"
        assert "Kaart op 1 juni 2026" in page
        assert "None" not in cells


def test_the_newer_sections_show_in_dutch_with_their_dutch_codes(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    g7 = _the_map(client.get("/kaart/samenwerkingsverband/g7-gelderland").text)
    assert "Uitgangspunten van de samenwerking" in g7 and "Uitvoeringsagenda" in g7
    assert "Aantal leden volgens de bronnen" in g7 and "Overleggen en organen" in g7
    assert '<td class="utrecht-table__cell">stemt af</td>' in g7  # BodyRole.ALIGNS
    assert '<td class="utrecht-table__cell">trekker</td>' in g7  # role "lead"
    assert '<td class="utrecht-table__cell">van kracht</td>' in g7  # status "in-force"
    assert '<td class="utrecht-table__cell">lid</td>' in g7  # participation "member"
    nijmegen = _the_map(client.get("/kaart/regio/regio-nijmegen").text)
    assert "Besluitvormingsroute" in nijmegen and "1. Financieel overleg → 2." in nijmegen
    assert (
        "Tegenstrijdige bronnen" in nijmegen and "(bron: nijmegen-regiobeeld-2021:L71)" in nijmegen
    )
    zuid_limburg = _the_map(client.get("/kaart/regio/zuid-limburg").text)
    assert re.search(r"looptijd: 2\+4\+4 jaar", zuid_limburg)
    assert "ten minste sinds 2023 (Regiovisie op de governance 2024-2028" in zuid_limburg


def test_the_overview_names_each_kind_in_dutch(client: TestClient, context: ApiContext) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    cells = _texts("td", client.get("/").text)
    assert "bestuurlijk overleg" in cells and "gecertificeerde instelling" in cells
    assert not {"bestuurlijk-overleg", "gecertificeerde-instelling"} & set(cells)
