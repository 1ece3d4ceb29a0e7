"""The pages in a real browser against a real service: a coordinator records a transfer through the
form and sees it on the map (and the old holder before the handover, with the slider); a region
system sees only its region; an auditor downloads the export. Every page passes the accessibility
check, and no page asks anything of another host."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.web.maps import SLIDER_START
from tests.browser.conftest import Offsite, check_page, sign_in
from tests.fixtures.processes import Service

FORM = "/besluiten/overdracht-accounthouderschap"
PACTUM = "/kaart/organisatie/pactum"
# The maps follow the log: a page reloads until the projection has applied what was recorded.
RELOADS = 120


def _reload_until(page, locator, text: str) -> None:  # type: ignore[no-untyped-def]
    for _ in range(RELOADS):
        if text in locator.inner_text():
            return
        page.wait_for_timeout(250)
        page.reload()
    raise AssertionError(f"{text!r} never appeared in {locator}")


def test_a_coordinator_records_a_transfer_and_moves_the_slider_back_to_the_old_holder(
    service: Service, new_page, artefacts: Path, offsite: Offsite
) -> None:
    page = new_page()
    page.goto("/aanmelden")
    check_page(page, artefacts, "aanmelden")
    sign_in(page, service.token("coordinator", "browser-nmz", cooperations=["nmz-limburg"]))
    check_page(page, artefacts, "overzicht")
    page.get_by_role("link", name="Overdracht accounthouderschap").click()
    page.get_by_label("Samenwerkingsverband").select_option("nmz-limburg")
    page.get_by_label("Organisatie").select_option("pactum")
    page.get_by_role("button", name="Verder").click()
    check_page(page, artefacts, "overdracht-formulier")
    page.get_by_label("Afspraak van de nieuwe accounthouder (kenmerk)").fill("nmz-pactum-2027")
    page.get_by_label("Datum van overdracht").fill("2027-01-01")
    page.get_by_label("Nieuwe accounthouder (regio)").select_option("zuid-limburg")
    page.get_by_label("Besluitvormend orgaan").select_option("nmz-bestuurlijk-overleg")
    page.get_by_label("Datum van het besluit").fill("2026-11-20")
    page.get_by_label("Document (besluitenlijst, kenmerk)").fill("besluitenlijst 2026-11")
    page.get_by_role("button", name="Overdracht vastleggen").click()
    page.wait_for_url(f"**{PACTUM}?peildatum=2027-01-01*")
    holders = page.locator("section[aria-labelledby=kop-account_holders]")
    _reload_until(page, holders, "nmz-pactum-2027")
    expect(holders.get_by_role("cell", name="Zuid-Limburg", exact=True)).to_have_count(1)
    expect(holders).to_contain_text("accounthouder")  # the role in Dutch, not as stored
    check_page(page, artefacts, "kaart-organisatie")

    # the slider to the day before the handover: the map and the date field follow
    page.locator("#dag").fill(str((date(2026, 12, 31) - SLIDER_START).days))
    expect(page.locator("#kaart h2").first).to_contain_text("Kaart op 31 december 2026")
    expect(page.locator("#peildatum")).to_have_value("2026-12-31")
    nmz_row = holders.locator("tr", has_text="Noord-Midden-Zuid")
    # the holder's cell (a source's title in another cell may name Zuid-Limburg)
    expect(nmz_row.get_by_role("cell", name="Noord-Limburg", exact=True)).to_have_count(1)
    expect(nmz_row.get_by_role("cell", name="Zuid-Limburg", exact=True)).to_have_count(0)
    check_page(page, artefacts, "kaart-voor-overdracht")

    page.get_by_label("Van peildatum").fill("2026-12-01")
    page.get_by_label("Tot peildatum").fill("2027-02-01")
    page.get_by_role("button", name="Vergelijk").click()
    expect(page.locator("#verschil")).to_contain_text("vervallen")
    expect(page.locator("#verschil")).to_contain_text("nieuw")
    check_page(page, artefacts, "kaart-verschil")
    assert offsite.requests == []


def test_a_region_system_sees_only_its_own_region(
    service: Service, new_page, artefacts: Path, offsite: Offsite
) -> None:
    page = new_page()
    sign_in(page, service.token("region-system", "browser-zl", regions=["zuid-limburg"]))
    regions = page.locator("section[aria-labelledby=kop-regions] tbody tr")
    expect(regions).to_have_count(1)
    expect(regions).to_contain_text("Zuid-Limburg")
    expect(page.locator("#kop-cooperations")).to_have_count(0)
    page.get_by_role("link", name="Zuid-Limburg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regio: Zuid-Limburg")
    check_page(page, artefacts, "kaart-regio")
    assert page.goto("/kaart/regio/achterhoek").status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    check_page(page, artefacts, "geen-toegang")
    page.get_by_role("link", name="Terug naar het overzicht").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    assert page.goto(PACTUM).status == 403
    assert offsite.requests == []


def test_an_auditor_downloads_the_export(
    service: Service, new_page, artefacts: Path, offsite: Offsite
) -> None:
    page = new_page(accept_downloads=True)
    sign_in(page, service.token("auditor", "browser-auditor"))
    page.get_by_role("link", name="Controle").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Controle")
    check_page(page, artefacts, "controle")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download de export").click()
    assert download.value.suggested_filename == "regiekaart-gebeurtenissen.jsonl"
    lines = Path(download.value.path()).read_text().splitlines()
    first = json.loads(lines[0])
    assert first["specversion"] == "1.0" and first["type"].startswith("nl.regiekaart.")
    assert len(lines) > 100  # the governance facts
    assert offsite.requests == []


@pytest.mark.parametrize("path", ["/", "/static/vendor/htmx/htmx.min.js"])
def test_without_a_session_a_page_sends_the_browser_to_sign_in(
    service: Service, new_page, path: str
) -> None:
    page = new_page()
    page.goto(path)
    if path == "/":
        expect(page).to_have_url(f"{service.url}/aanmelden")
    else:
        assert "htmx" in page.content()  # the assets need no session


def test_a_region_system_reads_its_commitments_and_compliance_from_its_map(
    service: Service, new_page, artefacts: Path, offsite: Offsite
) -> None:
    page = new_page()
    sign_in(page, service.token("region-system", "browser-nl", regions=["noord-limburg"]))
    page.goto("/kaart/regio/noord-limburg?peildatum=2021-01-01")
    page.get_by_role("link", name=re.compile("^Afspraken en naleving")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Afspraken en naleving: Noord-Limburg"
    )
    row = page.get_by_role("row", name=re.compile("R1.2g Aanpak wachtlijstbeheer"))
    expect(row).to_contain_text("Werkgroep wachtlijsten")
    check_page(page, artefacts, "normen-regio")
    assert page.goto("/kaart/regio/midden-limburg-west/normen").status == 403
    assert offsite.requests == []
