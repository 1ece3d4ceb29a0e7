"""The interactive API docs at /schema load every file from the API itself: no address of another host
(a CDN, web fonts) is left in the page or its styles, and each file the page names is served."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from api.openapi_ui import SWAGGER_UI_DIR

# The pages the docs serve; the Swagger UI page is the one that loads files.
DOCS_PAGE = "/schema"
UI_PAGES = [DOCS_PAGE, "/schema/oauth2-redirect.html"]
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
        name = address.rsplit("/", 1)[-1]
        assert answer.content == (SWAGGER_UI_DIR / name).read_bytes(), address
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
