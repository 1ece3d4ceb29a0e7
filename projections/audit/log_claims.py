"""What a verification of the log checks against and reports: the running log hash, the signed
checkpoint (a claim over the log up to a position), and the kinds of fault it names. How they make the
log tamper-evident, and how ``LogVerifier`` uses them, is ``projections.audit.verification``.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

GENESIS_LOG_HASH = bytes(32)
# Bound once: a verification calls these for every event.
_sha256 = hashlib.sha256
# How a position enters the log hash: 8 bytes, big-endian.
position_bytes = struct.Struct(">Q").pack
_from_hex = bytes.fromhex


def next_log_hash(log_hash: bytes, position: int, hash_hex: str) -> bytes:
    """The log hash after one more event (see the module's docstring)."""
    return _sha256(log_hash + position_bytes(position) + _from_hex(hash_hex)).digest()


class FaultKind(StrEnum):
    UNREADABLE = "unreadable entry"
    CHANGED = "changed content"
    BROKEN_LINK = "broken link"
    REORDERED = "reordered events"
    MISSING = "missing event"
    INSERTED = "inserted event"
    BAD_SIGNATURE = "bad checkpoint signature"
    CHECKPOINT_MISMATCH = "checkpoint does not match the log"
    UNSEALED = "unsealed event"
    BAD_SEAL = "bad event seal"
    OTHER_KEY = "sealed with another key"
    MUTABLE_STREAM = "stream set to lose events"


class LogFault(Exception):
    """The first place where the log does not hold: its position, the kind of fault and what is wrong."""

    def __init__(self, position: int | None, kind: FaultKind, detail: str) -> None:
        where = f"position {position}" if position is not None else "the log"
        super().__init__(f"{where}: {kind} — {detail}")
        self.position = position
        self.kind = kind
        self.detail = detail


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    """A signed claim: the log ``stream`` up to ``position`` holds ``events`` events with ``log_hash``."""

    stream: str
    position: int
    events: int
    log_hash: str
    signed_at: str
    public_key: str
    signature: str = ""

    def claim(self) -> bytes:
        """The bytes that are signed: every field but the signature, in this fixed order."""
        return msgspec.json.encode(
            [
                self.stream,
                self.position,
                self.events,
                self.log_hash,
                self.signed_at,
                self.public_key,
            ]
        )

    @classmethod
    def sign(
        cls, key: SigningKey, stream: str, position: int, events: int, log_hash: str
    ) -> Checkpoint:
        unsigned = cls(
            stream=stream,
            position=position,
            events=events,
            log_hash=log_hash,
            signed_at=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            public_key=key.verify_key.encode().hex(),
        )
        signature = key.sign(unsigned.claim()).signature.hex()
        return msgspec.structs.replace(unsigned, signature=signature)

    def signature_holds(self) -> bool:
        try:
            VerifyKey(bytes.fromhex(self.public_key)).verify(
                self.claim(), bytes.fromhex(self.signature)
            )
        except (BadSignatureError, ValueError, TypeError):
            return False
        return True


_decode_checkpoint = msgspec.json.Decoder(Checkpoint).decode


def decode_checkpoint(payload: bytes, position: int | None = None) -> Checkpoint:
    try:
        return _decode_checkpoint(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        reason = f"a checkpoint that cannot be read ({error})"
        raise LogFault(position, FaultKind.UNREADABLE, reason) from None


def trusted_up_to(checkpoints: Iterable[Checkpoint], trusted_keys: Iterable[str] | None) -> int:
    """The last position a validly signed checkpoint by a trusted key covers (0: none). Without
    trusted keys nothing is trusted beforehand: anyone who can write to the log can sign a checkpoint
    with a key of their own."""
    if trusted_keys is None:
        return 0
    keys = set(trusted_keys)
    return max(
        (c.position for c in checkpoints if c.public_key in keys and c.signature_holds()),
        default=0,
    )
