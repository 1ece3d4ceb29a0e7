"""The API docs in a real browser (Debian's Chromium, driven by Playwright) on a machine without
internet: every request to another host is refused and recorded, and /schema must still show the
operations, having asked no other host for anything."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    Page,
    Request,
    Response,
    Route,
    expect,
)

TRANSFER = "/agreements/account-holderships/transfer"


@pytest.fixture
def chromium(browser: Browser) -> Browser:
    """The session's Chromium (``tests.browser.conftest``): a second Playwright beside it, started
    while the first one's event loop runs, fails whenever this test runs after a page test."""
    return browser


class OfflinePage:
    """A page that reaches only `origin`: a request to any other host is refused, as it would be
    without internet, and recorded in `elsewhere`; every request that fails or is answered with an
    error (those refused included) is recorded in `failed`."""

    def __init__(self, browser: Browser, origin: str) -> None:
        self.origin = origin
        self.elsewhere: list[str] = []
        self.failed: list[str] = []
        self.context = browser.new_context()
        self.context.route("**/*", self._only_origin)
        self.page: Page = self.context.new_page()
        self.page.on("requestfailed", lambda request: self.failed.append(request.url))
        self.page.on("response", self._error_answers)

    def _only_origin(self, route: Route, request: Request) -> None:
        if urlsplit(request.url).netloc == self.origin:
            route.continue_()
        else:
            self.elsewhere.append(request.url)
            route.abort("internetdisconnected")

    def _error_answers(self, response: Response) -> None:
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")


def test_the_api_docs_show_the_operations_without_asking_another_host(
    tmp_path, own_service, chromium
) -> None:
    service = own_service(tmp_path, workers=1)
    docs = OfflinePage(chromium, origin=urlsplit(service.url).netloc)

    docs.page.goto(f"{service.url}/schema")
    transfer = docs.page.locator(
        ".opblock-post", has=docs.page.locator(f"[data-path='{TRANSFER}']")
    )
    expect(transfer).to_be_visible()
    # Swagger UI breaks long paths with zero-width spaces; the reader sees the method and the path.
    summary = transfer.locator(".opblock-summary").inner_text().replace("\u200b", "")
    assert "POST" in summary and TRANSFER in summary, summary
    docs.page.wait_for_load_state("networkidle")

    assert docs.elsewhere == []
    assert docs.failed == []
    docs.context.close()
