"""Event seals: every event message the service writes is signed (Ed25519) with the service's key.

The NATS credentials let whoever holds them publish to the log, and the hash chain alone can be
recomputed by anyone; a seal cannot be made without the signing key, which lives in a file of its own
(``REGIEKAART_SIGNING_KEY_FILE``), not in NATS and not in the access files. The seal of a message is the
signature over ``seal_claim(stream, hash)``, where ``hash`` is the hash of the message's last event:
each event's hash covers its content and its aggregate's previous event's hash, so one signature covers
every event of the message and its link into the aggregate's chain. It travels in the message's header
``Regiekaart-Seal`` as ``<public key>:<signature>``, both in unpadded URL-safe base64 (130 characters:
hex would make every message and export line 64 characters longer, which reading the log pays for), and
in an export as the ``seal`` attribute of the message's last event. Keys are given and printed in hex
everywhere else.

The same key signs the checkpoints (``projections.audit``); a verifier checks seals against the public keys
it trusts.
"""

from __future__ import annotations

import base64
import os
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from operator import add
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Notification
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

from adapters.event_log_format import EVENTS_PER_MESSAGE, EventRecord, event_hash
from adapters.private_files import private_directory

SEAL_HEADER = "Regiekaart-Seal"
_HEADER_LINE = f"\r\n{SEAL_HEADER}: ".encode()
_HEADER_LENGTH = len(_HEADER_LINE)
_CONTEXT = b"regiekaart-event-seal-v1\x00"


def seal_claim(stream: str, last_hash: str) -> bytes:
    """The bytes a seal signs: the log's name and the hash of the message's last event."""
    return _CONTEXT + stream.encode() + b"\x00" + bytes.fromhex(last_hash)


class Sealer:
    """Seals the messages one process writes."""

    def __init__(self, key: SigningKey) -> None:
        self._key = key
        self.public_key = key.verify_key.encode().hex()
        self._prefix = f"{_b64(key.verify_key.encode())}:"

    def seal(self, stream: str, last_hash: str) -> str:
        return self._prefix + _b64(self._key.sign(seal_claim(stream, last_hash)).signature)


class SealCheck:
    """Which event messages a reader that hands events on (the region feeds, the maps) may use: those
    sealed by a trusted key, and those a checkpoint signed by one covers (up to `checked_up_to`). The
    checkpoint writer checked the seals of what it signed, and the log's stream neither deletes nor
    rewrites a message (``adapters.nats.recorders.MutableEventLog``), so those are not checked again:
    a reader of a million covered events is spared about a minute of CPU.

    As ``audit verify`` does, it takes the unsealed messages of a log written before sealing began (by
    versions that did not seal) up to the first sealed message, at `sealed_from` (None: none is yet;
    then the first sealed message it is handed is where sealing began). Messages are to be handed to
    one check in log order."""

    def __init__(
        self,
        stream: str,
        trusted_keys: Iterable[str],
        checked_up_to: int = 0,
        sealed_from: int | None = 0,
    ) -> None:
        self.stream = stream
        self.checked_up_to = checked_up_to
        self.sealed_from = sealed_from
        # The start of a seal by each trusted key ("<key>:"), as the header holds it.
        self._trusted = frozenset(f"{_b64(bytes.fromhex(key))}:" for key in trusted_keys)

    def refusal(self, first_position: int, last_hash: str, seal: str | None) -> str | None:
        """Why the message whose events begin at `first_position` and whose last event's hash is
        `last_hash` must not be used (None: it may)."""
        if first_position <= self.checked_up_to:
            return None
        if seal is None:
            if self.sealed_from is None or first_position < self.sealed_from:
                return None  # written before sealing began
            return "unsealed event: the service did not write it"
        if self.sealed_from is None:
            self.sealed_from = first_position
        if seal[: seal.find(":") + 1] not in self._trusted:
            return f"sealed by key {seal_key(seal)[:16]}…, which is not a trusted key"
        if not seal_holds(self.stream, last_hash, seal):
            return "bad seal: the event is not the one the service sealed"
        return None

    def refusals(
        self,
        first_sequence: int,
        positions: Sequence[int],
        records: Sequence[EventRecord[Any]],
        headers: Sequence[bytes | None],
    ) -> dict[int, str]:
        """Why each message this check refuses, by stream sequence, of a run of messages with
        consecutive stream sequences from `first_sequence` on: their events' positions and records
        (as ``run_entries`` reads them) and their raw header blocks. A message's seal signs its last
        event's hash; only messages past `checked_up_to` are looked at."""
        refusals: dict[int, str] = {}
        last = len(positions) - 1
        first_of_message = bisect_right(positions, self.checked_up_to)
        for index in range(first_of_message, last + 1):
            sequence = positions[index] // EVENTS_PER_MESSAGE
            if index < last and positions[index + 1] // EVENTS_PER_MESSAGE == sequence:
                continue  # not the message's last event
            first_position = sequence * EVENTS_PER_MESSAGE
            seal = seal_in_headers(headers[sequence - first_sequence])
            reason = self.refusal(first_position, records[index].hash, seal)
            if reason is None and seal is not None and first_position > self.checked_up_to:
                reason = _content_refusal(records[first_of_message : index + 1])
            if reason is not None:
                refusals[sequence] = reason
            first_of_message = index + 1
        return refusals


def _content_refusal(records: Sequence[EventRecord[Any]]) -> str | None:
    """Why the events of a message whose seal holds are not the events it sealed (None: they are).
    The seal signs the hash its last event carries, which is only a field of the message: another
    message's hash and seal, copied beside other content, would pass the signature alone. So each
    event's hash is computed again from its content and its predecessor's hash, and the events of the
    message (all of one aggregate) must link one to the next, up to the last, whose hash is signed."""
    previous: str | None = None
    for record in records:
        if previous is not None and record.prev_hash != previous:
            return "changed event: the events of the sealed message do not link up"
        computed = event_hash(
            record.prev_hash,
            str(record.originator_id),
            record.originator_version,
            record.topic,
            record.state,
        )
        if computed != record.hash:
            return "changed event: its content is not what its hash and seal cover"
        previous = record.hash
    return None


@dataclass(frozen=True)
class RefusedNotification(Notification):
    """An event that a reader checking seals (``SealCheck``) was handed and must not use: its position,
    aggregate and type, for reporting, and why it was refused; its content is left out."""

    reason: str = ""


def refused(notification: Notification, refusals: dict[int, str]) -> Notification:
    """`notification`, or a ``RefusedNotification`` in its place if `refusals` (by stream sequence)
    names its message."""
    reason = refusals.get(notification.id // EVENTS_PER_MESSAGE)
    if reason is None:
        return notification
    return RefusedNotification(
        id=notification.id,
        originator_id=notification.originator_id,
        originator_version=notification.originator_version,
        topic=notification.topic,
        state=b"",
        reason=reason,
    )


def seal_key(seal: str) -> str:
    """The public key a seal names, in hex (empty if it names none that can be read)."""
    try:
        return _unb64(seal.partition(":")[0]).hex()
    except ValueError:
        return ""


def seal_holds(stream: str, last_hash: str, seal: str) -> bool:
    """Whether `seal` is a valid signature over the message by the key it names."""
    public_key, _, signature = seal.partition(":")
    try:
        _verify_key(public_key).verify(seal_claim(stream, last_hash), _unb64(signature))
    except (BadSignatureError, ValueError, TypeError):
        return False
    return True


@lru_cache(maxsize=64)
def _verify_key(public_key: str) -> VerifyKey:
    return VerifyKey(_unb64(public_key))


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_in_headers(headers: bytes | None) -> str | None:
    """The seal in a message's raw header block (``NATS/1.0\\r\\nName: value\\r\\n…``), or None."""
    # Read for every message of the log: byte searches only, the line's end found by its "\r" (which
    # no header value holds) with memchr, the value decoded once.
    if headers:
        start = headers.find(_HEADER_LINE) + _HEADER_LENGTH
        if start >= _HEADER_LENGTH:
            end = headers.find(b"\r", start)
            return headers[start : end if end >= 0 else None].decode("ascii", "replace").strip()
    return None


class HeaderSeals(Sequence[str | None]):
    """The seals of a run of messages, as ``seal_in_headers`` reads them from their raw header
    blocks, each read only when it is asked for: whether all are by one key (``all_sealed_by``), the
    question asked of almost every run, is answered from the blocks' bytes without reading any."""

    def __init__(self, headers: Sequence[bytes | None]) -> None:
        self._headers = headers

    def __len__(self) -> int:
        return len(self._headers)

    def __getitem__(self, index: int) -> str | None:
        return seal_in_headers(self._headers[index])

    def __iter__(self) -> Iterator[str | None]:
        return map(seal_in_headers, self._headers)

    def start_with(self, prefix: str) -> bool:
        """Whether the first seal header of every block holds a value beginning with `prefix`,
        right after the header's name: one byte search and one comparison in place a block (two
        searches were 0.2 µs a message less than reading each seal, the comparison another 0.07).
        False where a seal would have to be read to tell (a value after more than one space, say):
        ``all_sealed_by`` then reads them."""
        headers = self._headers
        try:
            starts = list(map(bytes.find, headers, repeat(_HEADER_LINE)))
        except TypeError:  # a message without headers (None)
            return False
        # The value after each block's first seal header's name, not searched for again.
        return -1 not in starts and all(
            map(
                bytes.startswith,
                headers,
                repeat(prefix.encode()),
                map(add, starts, repeat(_HEADER_LENGTH)),
            )
        )


def all_sealed_by(seals: Sequence[str | None], prefix: str) -> bool:
    """Whether every one of `seals` is present and begins with `prefix` (a key, as ``<key>:``)."""
    if isinstance(seals, HeaderSeals) and seals.start_with(prefix):
        return True
    return None not in seals and all(map(str.startswith, seals, repeat(prefix)))


def load_signing_key(path: Path) -> SigningKey:
    """The service's signing key at `path`, created on first use (readable by its owner only), with its
    public key beside it (the same name ending in ``.pub``) for publishing."""
    path = Path(path)
    try:
        seed = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        key = SigningKey.generate()
        private_directory(path.parent)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_signing_key(path)  # another process made it first: use theirs
        with os.fdopen(fd, "w") as file:
            file.write(key.encode().hex() + "\n")
        public_key_file(path).write_text(key.verify_key.encode().hex() + "\n")
        return key
    return SigningKey(seed)


def public_key_file(key_file: Path) -> Path:
    return Path(key_file).with_suffix(".pub")


def retired_keys_file(key_file: Path) -> Path:
    """The public keys the key at `key_file` replaced, one a line, oldest first."""
    return Path(key_file).with_suffix(".retired")


def rotate_signing_key(path: Path) -> tuple[str, str]:
    """Replaces the key at `path` by a new one; the old private key is kept beside it as
    ``<path>.<old public key prefix>.old`` (mode 0600) and its public key is added to the retired keys, so
    what it signed keeps verifying. Returns (old public key, new public key)."""
    path = Path(path)
    old = load_signing_key(path)
    old_public = old.verify_key.encode().hex()
    backup = Path(f"{path}.{old_public[:16]}.old")
    fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(old.encode().hex() + "\n")
    with retired_keys_file(path).open("a") as retired:
        retired.write(old_public + "\n")
    new = SigningKey.generate()
    staged = Path(f"{path}.new")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(new.encode().hex() + "\n")
    os.replace(staged, path)
    public_key_file(path).write_text(new.verify_key.encode().hex() + "\n")
    return old_public, new.verify_key.encode().hex()


def known_public_keys(path: Path) -> list[str]:
    """The public keys of the key at `path`: the retired ones, then the current one."""
    retired = retired_keys_file(path)
    keys = retired.read_text().split() if retired.exists() else []
    return [*keys, load_signing_key(path).verify_key.encode().hex()]
