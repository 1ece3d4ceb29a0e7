"""The API docs in a real browser on a machine without internet: every request to another host is
refused and recorded (``conftest.new_page``), and /schema must still show the operations, having
asked no other host for anything, met no failed request and broken none of its
Content-Security-Policy."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Offsite
from tests.fixtures.processes import Service

TRANSFER = "/agreements/account-holderships/transfer"


def test_the_api_docs_show_the_operations_without_asking_another_host(
    new_page, service: Service, offsite: Offsite
) -> None:
    page = new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    def error_answer(response) -> None:  # type: ignore[no-untyped-def]
        if response.status >= 400:
            failed.append(f"{response.status} {response.url}")

    page.on("response", error_answer)
    asked_elsewhere_before = len(offsite.requests)

    page.goto(f"{service.url}/schema")
    transfer = page.locator(".opblock-post", has=page.locator(f"[data-path='{TRANSFER}']"))
    expect(transfer).to_be_visible()
    # Swagger UI breaks long paths with zero-width spaces; the reader sees the method and the path.
    summary = transfer.locator(".opblock-summary").inner_text().replace("\u200b", "")
    assert "POST" in summary and TRANSFER in summary, summary
    page.wait_for_load_state("networkidle")

    assert offsite.requests[asked_elsewhere_before:] == []
    assert failed == []
    # The page has the pages' Content-Security-Policy: Swagger UI runs within it.
    assert page.evaluate("window.__cspViolations") == []
