"""Which answers the service compresses (gzip, when the client accepts it), and which it never does.

A region's map is tens of kilobytes of JSON that repeats its field names on every row; gzip brings
it to about a tenth on the wire, and the locally served scripts of the pages and the API docs to a
third. Three kinds of answer are sent as they are:

- the pages: they carry the CSRF token beside text the visitor chose (a search), the combination a
  BREACH attack reads a secret from by the size of compressed answers;
- a new token's answer: it carries the token's secret;
- a region's feed: gzip holds back what it has not yet compressed, and an event must reach the
  region system the moment it is published.
"""

from __future__ import annotations

from litestar.config.compression import CompressionConfig

UNCOMPRESSED = "uncompressed"  # a handler, controller or router with this opt is never compressed
SENT_AS_IS = {UNCOMPRESSED: True}

COMPRESSION = CompressionConfig(
    backend="gzip",
    minimum_size=500,  # shorter answers gain too little to be worth the time
    gzip_compress_level=6,
    exclude_opt_key=UNCOMPRESSED,
)
