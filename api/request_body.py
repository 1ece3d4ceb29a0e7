"""The gate each request body passes before it is parsed: JSON only, bounded in size and depth.

A body that is too large is refused (413) from its ``Content-Length`` before it is read, or as soon
as more than the limit has arrived; a body sent as anything but ``application/json`` gets 415; one
that is not UTF-8, whose arrays and objects nest deeper than any command needs, or that names a
field twice in one object, gets 400. Refusing here keeps those bodies away from the JSON decoder,
whose recursion on deep nesting was a 500, and from the event store, where an oversized command
would no longer fit one message. A field named twice has no one meaning (the decoder would take the
last, another reader of the same body, a proxy's or an auditor's, may take the first), so no such
body is taken for a decision.
"""

from __future__ import annotations

import json
import re

from litestar.exceptions import ClientException, HTTPException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

# A command body is a few kilobytes; the largest real command (a cooperation with its agenda) is
# under 10 KiB. 256 KiB leaves room for every bounded field at its maximum.
MAX_BODY_BYTES = 256 * 1024
# The deepest command body nests five levels (command, terms, contract, term, options).
MAX_JSON_DEPTH = 32

BODY_STATE_KEY = "request_body"
_METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})
_JSON_MEDIA_TYPE = "application/json"
# Strings are skipped when counting depth: a bracket inside a string nests nothing.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")
# How much of a field's name a refusal quotes.
_NAME_SHOWN = 60


class BodyTooLarge(HTTPException):
    status_code = 413


class UnsupportedMediaType(HTTPException):
    status_code = 415


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _check_media_type(content_type: str | None) -> None:
    media_type, _, parameters = (content_type or "").partition(";")
    if media_type.strip().lower() != _JSON_MEDIA_TYPE:
        given = content_type or "no Content-Type"
        raise UnsupportedMediaType(
            f"a request body must be sent as {_JSON_MEDIA_TYPE} (got {given})"
        )
    charset = re.search(r"charset\s*=\s*\"?([^\";\s]+)", parameters, re.IGNORECASE)
    if charset and charset.group(1).lower() not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"JSON is UTF-8, not {charset.group(1)}")


def _too_large(size: int) -> BodyTooLarge:
    return BodyTooLarge(
        f"the request body ({size} bytes or more) exceeds the limit of {MAX_BODY_BYTES} bytes"
    )


def json_depth(body: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (0 for a scalar)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b'""', body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


class _FieldNamedTwice(Exception):
    pass


def _fields_named_once(pairs: list[tuple[str, object]]) -> None:
    names: set[str] = set()
    for name, _ in pairs:
        if name in names:
            raise _FieldNamedTwice(name)
        names.add(name)


def check_body(body: bytes) -> None:
    """Raises a 400 unless ``body`` is UTF-8, nests at most MAX_JSON_DEPTH levels and names no field
    twice in one object. Whether it is JSON at all is the decoder's to say, with its own words."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClientException(
            f"the request body is not UTF-8: byte {exc.start} cannot be decoded"
        ) from None
    # Fewer brackets than the limit cannot nest beyond it, which spares most bodies the scan.
    brackets = body.count(b"[") + body.count(b"{")
    if brackets > MAX_JSON_DEPTH and json_depth(body) > MAX_JSON_DEPTH:
        raise ClientException(
            f"the request body nests arrays or objects deeper than {MAX_JSON_DEPTH} levels"
        )
    if body.count(b'"') >= 4:  # fewer quotes: not two names
        try:
            json.loads(text, object_pairs_hook=_fields_named_once)
        except _FieldNamedTwice as twice:
            name = str(twice)
            shown = name if len(name) <= _NAME_SHOWN else name[:_NAME_SHOWN] + "…"
            raise ClientException(
                f"the request body names the field {shown!r} twice in one object; "
                "name each field once"
            ) from None
        except ValueError:
            pass  # not JSON: the decoder refuses it, naming what is wrong


class RequestBodyGate:
    """ASGI middleware: reads a POST/PUT/PATCH body once, checks it, hands it on unchanged."""

    def __init__(self, app: ASGIApp, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        # The pages' HTML forms (``api.web``): urlencoded, bounded by the app's body size limit.
        self.exempt = re.compile("|".join(exempt)) if exempt else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _METHODS_WITH_BODY
            or (self.exempt is not None and self.exempt.match(scope["path"]))
        ):
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        chunked = _header(scope, b"transfer-encoding") is not None
        if not chunked and (length is None or length.strip() == "0"):
            await self.app(scope, receive, send)  # no body: nothing to check
            return
        _check_media_type(_header(scope, b"content-type"))
        if length is not None and length.strip().isdigit() and int(length) > MAX_BODY_BYTES:
            raise _too_large(int(length))
        body = await self._read(receive)
        check_body(body)
        # Kept for the problem report: a body the decoder refuses is checked again field by field.
        scope.setdefault("state", {})[BODY_STATE_KEY] = body
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    async def _read(receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientException("the client disconnected while sending the body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _too_large(size)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # after the body: disconnects and the like
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
