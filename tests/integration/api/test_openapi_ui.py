"""The interactive API docs at /schema load every file from the API itself: no address of another host
(a CDN, web fonts) is left in the page or its styles, and each file the page names is served. The page
runs no inline script or style, and has the pages' Content-Security-Policy."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from api.openapi_ui import START_DIR, SWAGGER_UI_DIR
from api.web.page_headers import PAGE_HEADERS

# The pages the docs serve; the Swagger UI page is the one that loads files.
DOCS_PAGE = "/schema"
UI_PAGES = [DOCS_PAGE]
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}
# What makes a browser fetch from a stylesheet: url(…) and @import "…".
CSS_REFERENCE = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


class ReferencedAddresses(HTMLParser):
    """The addresses a browser fetches when it loads the page: each src and href, and any url() in an
    inline style."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[tuple[str, str]] = []  # (tag, address)
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        self.addresses += [
            (tag, value) for name, value in attrs if name in {"src", "href"} and value
        ]

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.addresses += [("style", address) for address in css_references(data)]


def referenced_addresses(html: str) -> list[tuple[str, str]]:
    parser = ReferencedAddresses()
    parser.feed(html)
    return parser.addresses


def css_references(css: str) -> list[str]:
    return [url or imported for url, imported in CSS_REFERENCE.findall(css)]


def is_on_this_host(address: str) -> bool:
    parts = urlsplit(address)
    return not parts.scheme and not parts.netloc and address.startswith("/")


@pytest.mark.parametrize("page", UI_PAGES)
def test_each_docs_page_names_only_addresses_on_the_api_itself(client, page) -> None:
    answer = client.get(page)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    elsewhere = [
        (tag, address)
        for tag, address in referenced_addresses(answer.text)
        if not is_on_this_host(address)
    ]
    assert elsewhere == []


def test_the_docs_page_loads_swagger_ui_and_its_icon_from_the_api(client) -> None:
    page = client.get(DOCS_PAGE).text
    names = {address.rsplit("/", 1)[-1] for _, address in referenced_addresses(page)}
    assert {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
        "favicon-32x32.png",
    } <= names


def test_each_file_the_docs_page_names_is_served_as_vendored_with_its_type_and_caching(
    client,
) -> None:
    addresses = [address for _, address in referenced_addresses(client.get(DOCS_PAGE).text)]
    assert addresses
    for address in addresses:
        answer = client.get(address)
        assert answer.status_code == 200, address
        name = urlsplit(address).path.rsplit("/", 1)[-1]
        vendored_or_ours = SWAGGER_UI_DIR / name if name != "start.js" else START_DIR / name
        assert answer.content == vendored_or_ours.read_bytes(), address
        suffix = "." + name.rsplit(".", 1)[-1]
        media_type = answer.headers["content-type"].split(";")[0].strip()
        assert media_type in CONTENT_TYPES[suffix], (address, media_type)
        # The address names the release (see api/openapi_ui.py): the file never changes under it.
        cache_control = answer.headers["cache-control"]
        assert "immutable" in cache_control and "max-age=31536000" in cache_control, cache_control


def test_the_styles_fetch_nothing_from_another_host(client) -> None:
    page = client.get(DOCS_PAGE).text
    stylesheets = [
        a for tag, a in referenced_addresses(page) if tag == "link" and a.endswith(".css")
    ]
    assert stylesheets
    for stylesheet in stylesheets:
        references = css_references(client.get(stylesheet).text)
        assert references, "the stylesheet's own images are inline data: URLs"
        fetched = [ref for ref in references if not ref.startswith("data:")]
        assert [ref for ref in fetched if not is_on_this_host(ref)] == []


def test_the_files_of_the_docs_are_not_operations_of_the_api(client) -> None:
    paths = client.get("/schema/openapi.json").json()["paths"]
    assert paths
    assert [path for path in paths if path.startswith("/schema")] == []


class Scripts(HTMLParser):
    """The page's scripts (their attributes and text), and whether it has inline style."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.inline_style = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inline_style |= tag == "style" or any(name == "style" for name, _ in attrs)
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append((dict(attrs), ""))

    def handle_data(self, data: str) -> None:
        if self._in_script:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_the_docs_page_runs_no_inline_script_and_has_the_pages_policy(client) -> None:
    """Litestar's own page started Swagger UI from an inline script and had no policy at all."""
    answer = client.get(DOCS_PAGE)
    page = Scripts()
    page.feed(answer.text)
    inline = [
        text
        for attrs, text in page.scripts
        if "src" not in attrs and attrs.get("type") != "application/json"
    ]
    assert inline == [] and not page.inline_style
    assert {name: answer.headers.get(name) for name in PAGE_HEADERS} == PAGE_HEADERS
    assert "'unsafe-inline'" not in answer.headers["content-security-policy"]


def test_the_openapi_document_in_the_page_is_the_served_one_and_cannot_end_its_block(
    client,
) -> None:
    """The document carries a "<" ("Bearer <token>"): a "</script>" in any text of it would end the
    data block and let the rest run as the page's own markup, so none is written as it stands."""
    page = Scripts()
    page.feed(client.get(DOCS_PAGE).text)
    [block] = [text for attrs, text in page.scripts if attrs.get("type") == "application/json"]
    assert "<" not in block
    carried = json.loads(block)
    assert "Bearer <token>" in carried["info"]["description"]
    assert carried == client.get("/schema/openapi.json").json()
