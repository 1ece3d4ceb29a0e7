"""Browser tests: Debian's headless Chromium (never a browser Playwright downloads) driven by
Playwright against a real service (``tests.fixtures.processes.start_service``). Every request to a
host other than the service is blocked and recorded, so the pages are shown to work offline; each
page gets an automated accessibility check (axe-core, vendored in ``assets/``); screenshots are kept
under ``artefacts/`` (ignored by git; the path is printed).

Skipped only when /usr/bin/chromium is missing and REGIEKAART_REQUIRE_BROWSER is unset (CI sets it:
there a missing browser fails the run)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures.processes import Service, start_service

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(__file__).parent / "artefacts"
# Every page records what its Content-Security-Policy refused (the script runs before the page's own).
CSP_WATCH = """window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(
    `${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber} on `
    + (e.target && e.target.outerHTML || '').slice(0, 200)));"""
# What the accessibility check refuses: axe's two highest impacts (WCAG 2.1 A and AA rules).
REFUSED_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or os.environ.get("REGIEKAART_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM} (install Debian's chromium; CI sets "
        "REGIEKAART_REQUIRE_BROWSER so that a missing browser fails there)"
    )
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    started = start_service(tmp_path_factory.mktemp("browser-service"))
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def artefacts() -> Path:
    directory = ARTEFACTS / time.strftime("%Y%m%d-%H%M%S")
    directory.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {directory}")
    return directory


@dataclass
class Offsite:
    """Requests the pages tried to make to any host but the service (all blocked)."""

    requests: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def offsite() -> Offsite:
    return Offsite()


# Package scope: Playwright's sync API keeps an event loop running in this thread while it is started,
# and the rest of the suite (run in random order) calls asyncio.run(); leaving tests/browser stops it.
@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_page(browser, service: Service, offsite: Offsite):  # type: ignore[no-untyped-def]
    """A page factory: each page in a browser context of its own (its own cookies), with every
    request to another host than the service blocked and recorded."""
    service_host = urlsplit(service.url).netloc
    contexts = []

    def block_offsite(route, request) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(request.url).netloc == service_host or request.url.startswith(
            ("data:", "blob:", "about:")
        ):
            route.continue_()
        else:
            offsite.requests.append(request.url)
            route.abort()

    def make(accept_downloads: bool = False):  # type: ignore[no-untyped-def]
        context = browser.new_context(
            base_url=service.url,
            accept_downloads=accept_downloads,
            viewport={"width": 1280, "height": 900},
            locale="nl-NL",
        )
        context.route("**/*", block_offsite)
        context.add_init_script(CSP_WATCH)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in(page, token: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/aanmelden")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url("**/")


def accessibility_violations(page) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page as it is now."""
    # Evaluated, not added as a <script>: the pages' Content-Security-Policy refuses inline script.
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"""
    )
    return [v for v in found if v["impact"] in REFUSED_IMPACTS]


def check_page(page, artefacts: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    """Keeps a screenshot of the page and asserts that the page broke none of its
    Content-Security-Policy and that axe finds nothing serious or critical on it."""
    page.screenshot(path=str(artefacts / f"{name}.png"), full_page=True)
    refused = page.evaluate("window.__cspViolations")
    assert refused == [], f"{name}: the Content-Security-Policy refused {refused}"
    violations = accessibility_violations(page)
    assert violations == [], f"{name}: " + json.dumps(violations, indent=1, ensure_ascii=False)
