"""The audit export format and the checkpoint signing key.

**Export**: the event log as CloudEvents 1.0 JSON (structured mode), one event per line (JSON Lines):

- the attributes of ``adapters.cloudevents``, as the region feeds carry them: ``id``
  ``<aggregate id>:<version>``; ``source`` ``/regiekaart/events``; ``type``
  ``nl.regiekaart.<Aggregate>.<Event>``; ``subject`` the aggregate id; ``time`` the start of the fact's
  valid time when it is known (midnight UTC of ``valid_from``), else absent; ``recordedtime`` (when the
  event was recorded); ``datacontenttype`` ``application/json``;
- extensions: ``stream`` (the log's stream, which the seals name), ``topic`` (the event's stored topic,
  which its hash covers), ``position`` (its notification id in the log), ``previousposition`` (the
  position of the log's previous event, 0 for the first),
  ``aggregateversion``, ``predecessorhash`` (the hash of the aggregate's previous event, empty for its
  first), ``hash`` (the event's hash), ``loghash`` (the log hash up to and including it) and, on the
  last event of each stored message that carries one, ``seal`` (see ``adapters.seal``; the events of a
  message share ``position // 1000``);
- ``data``: the event exactly as stored — its JSON bytes inserted verbatim, so the authority, principal
  and provenance read as JSON and the hashes can be recomputed from the file alone. Changing so much as
  a space inside ``data`` changes the content. A stored state that is not JSON (compressed or
  encrypted) goes into ``data_base64`` instead.

Signed checkpoints appear in the same file as lines of type ``regiekaart.audit.checkpoint`` right after the
last event they cover, their ``data`` the checkpoint as stored, so the file can be verified offline.

Files exported before the export took the feeds' attributes have ``source`` ``urn:regiekaart:<stream>``,
``type`` the topic and neither ``stream`` nor ``topic``; they are read as before (``stream_of``,
``topic_of``).

**Signing key**: the service's Ed25519 key (``adapters.seal``) signs every event message and every
checkpoint. It is generated on first use, readable by its owner only (mode 0600), at
``REGIEKAART_SIGNING_KEY_FILE`` (default ``<data dir>/audit/checkpoint-signing.key``); the public key is
kept beside it for publishing.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import msgspec
from nacl.signing import SigningKey

from adapters import seal
from adapters.cloudevents import EVENT_SOURCE, SPEC_VERSION, event_attributes, type_of_topic

CHECKPOINT_TYPE = "regiekaart.audit.checkpoint"
# The source of every line of a file exported before the export took the feeds' attributes.
_OLD_SOURCE_PREFIX = "urn:regiekaart:"
JSON = "application/json"
_NO_DATA = msgspec.Raw(b"")


class ExportLine(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    specversion: str
    id: str
    source: str
    type: str
    subject: str
    time: str | None = None
    datacontenttype: str | None = None
    recordedtime: str | None = None
    stream: str = ""
    topic: str = ""
    position: int
    previousposition: int = 0
    aggregateversion: int = 0
    predecessorhash: str = ""
    hash: str = ""
    loghash: str = ""
    # On the last event of a message: the message's seal (see ``adapters.seal``).
    seal: str | None = None
    data: msgspec.Raw = _NO_DATA
    data_base64: str | None = None


class _ValidDate(msgspec.Struct):
    value: str | None = None


class _Times(msgspec.Struct):
    """The two times of an event as its stored JSON holds them."""

    timestamp: str | None = None
    valid_from: _ValidDate | None = None


_encode_line = msgspec.json.Encoder().encode
_decode_times = msgspec.json.Decoder(_Times).decode
decode_line = msgspec.json.Decoder(ExportLine).decode


class UnreadableLine(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line
        self.reason = reason


def stream_of(line: ExportLine) -> str | None:
    """The log's stream a line comes from; None if it is not from a Regiekaart log."""
    if line.stream:
        return line.stream
    if line.source.startswith(_OLD_SOURCE_PREFIX):
        return line.source.removeprefix(_OLD_SOURCE_PREFIX)
    return None


def topic_of(line: ExportLine) -> str:
    """The stored topic of an exported event."""
    return line.topic or line.type


def event_line(
    stream: str,
    position: int,
    previous_position: int,
    originator_id: str,
    version: int,
    topic: str,
    state: bytes,
    prev_hash: str,
    hash_hex: str,
    log_hash: str,
    seal: str | None = None,
) -> bytes:
    try:
        times = _decode_times(state)
    except (msgspec.DecodeError, msgspec.ValidationError):
        times = None
    # Stored bytes that are not JSON, or that JSON would not keep verbatim, go as base64, their times
    # unknown.
    if state[:1].isspace() or state[-1:].isspace():
        times = None
    valid_from = times.valid_from if times is not None else None
    attributes = event_attributes(
        originator_id=originator_id,
        version=version,
        event_type=type_of_topic(topic),
        subject=originator_id,
        recorded_at=times.timestamp if times is not None else None,
        valid_from=valid_from.value if valid_from is not None else None,
    )
    line = ExportLine(
        **attributes,
        stream=stream,
        topic=topic,
        position=position,
        previousposition=previous_position,
        aggregateversion=version,
        predecessorhash=prev_hash,
        hash=hash_hex,
        loghash=log_hash,
        seal=seal,
    )
    if times is not None:
        line.data = msgspec.Raw(state)
        line.datacontenttype = JSON
    else:
        line.data_base64 = base64.b64encode(state).decode()
    return _encode_line(line) + b"\n"


def checkpoint_line(
    stream: str, position: int, signed_at: str, signature: str, payload: bytes
) -> bytes:
    line = ExportLine(
        specversion=SPEC_VERSION,
        id=f"checkpoint:{signature[:32]}",
        source=EVENT_SOURCE,
        type=CHECKPOINT_TYPE,
        subject=stream,
        stream=stream,
        position=position,
        time=signed_at,
        datacontenttype=JSON,
        data=msgspec.Raw(payload),
    )
    return _encode_line(line) + b"\n"


def state_of(line: ExportLine) -> bytes:
    """The stored bytes of an exported event."""
    if line.data_base64 is not None:
        return base64.b64decode(line.data_base64, validate=True)
    return bytes(line.data)


# What an export is read through: verifying takes it line by line, and a buffer of this size reads
# the file once every hundred lines or so, Python's default (the file system's block, 4 KiB here)
# once every three. Verifying a 200,000-event export cost 4.87 CPU µs a line with 4 KiB, 4.20-4.25
# with 64-256 KiB, 4.36 with 1 MiB (medians of five or six rounds each, alternating, load 6).
EXPORT_READ_BUFFER = 128 * 1024


def open_export(path: Path) -> BinaryIO:
    """An export file opened for reading, as ``audit verify --file`` reads it."""
    return path.open("rb", buffering=EXPORT_READ_BUFFER)


def read_lines(source: BinaryIO, first: int = 1) -> Iterator[tuple[int, ExportLine]]:
    """The lines of an export with their numbers, counted from `first`; blank lines are passed over, a
    line that is not an export line raises UnreadableLine."""
    for number, raw in enumerate(source, start=first):
        try:
            yield number, decode_line(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            if unreadable := unreadable_line(number, raw, error):
                raise unreadable from None


def unreadable_line(number: int, raw: bytes, error: Exception) -> UnreadableLine | None:
    """Why line `number` cannot be read (`error`: what decoding it raised); None for a blank line,
    which an export may hold."""
    if raw.strip():
        return UnreadableLine(number, f"not a CloudEvents export line ({error})")
    return None


def load_signing_key(data_dir: Path) -> SigningKey:
    """The signing key at its default place in the data directory (see ``adapters.seal``)."""
    return seal.load_signing_key(signing_key_path(data_dir))


def signing_key_path(data_dir: Path) -> Path:
    """Where the signing key lives unless ``REGIEKAART_SIGNING_KEY_FILE`` says otherwise."""
    return Path(data_dir) / "audit" / "checkpoint-signing.key"


def public_key_path(data_dir: Path) -> Path:
    return seal.public_key_file(signing_key_path(data_dir))


def event_log_status_path(data_dir: Path) -> Path:
    """What the checkpoint writer last found (``projections.audit.LogStatus`` as JSON): it runs in the
    service's main process, the API workers that report it on /ready and /metrics are processes of
    their own."""
    return Path(data_dir) / "audit" / "event-log-status.json"


def write_event_log_status(path: Path, status: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_suffix(".tmp")
    staged.write_bytes(msgspec.json.encode(status))
    staged.replace(path)  # readers see the old status or the new one, never half of one
