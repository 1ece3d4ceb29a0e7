"""The check of seals that the region feeds and the maps read the log with: a message past the last
trusted checkpoint is used only if a trusted key sealed it, over its own last event; each event of a
refused message is handed on as a RefusedNotification, without its content."""

from __future__ import annotations

import uuid

import msgspec
from eventsourcing.persistence import Notification
from nacl.signing import SigningKey

from adapters.event_log_format import EVENTS_PER_MESSAGE, EventRecord, event_hash
from adapters.seal import SEAL_HEADER, RefusedNotification, SealCheck, Sealer, refused

STREAM = "REGIEKAART_EVENTS"
SERVICE = SigningKey.generate()
RETIRED = SigningKey.generate()
HASH = "ab" * 32
OTHER_HASH = "cd" * 32


def check(checked_up_to: int = 0) -> SealCheck:
    keys = [SERVICE.verify_key.encode().hex(), RETIRED.verify_key.encode().hex()]
    return SealCheck(STREAM, keys, checked_up_to)


def test_a_message_sealed_by_a_trusted_key_over_its_last_event_is_used() -> None:
    for key in (SERVICE, RETIRED):
        assert check().refusal(5000, HASH, Sealer(key).seal(STREAM, HASH)) is None


def test_an_unsealed_message_is_refused() -> None:
    assert "unsealed" in (check().refusal(5000, HASH, None) or "")


def test_a_message_sealed_by_another_key_is_refused_naming_the_key() -> None:
    stranger = SigningKey.generate()
    reason = check().refusal(5000, HASH, Sealer(stranger).seal(STREAM, HASH)) or ""
    assert "not a trusted key" in reason
    assert stranger.verify_key.encode().hex()[:16] in reason


def test_a_seal_over_another_event_or_log_is_refused() -> None:
    sealer = Sealer(SERVICE)
    assert "bad seal" in (check().refusal(5000, HASH, sealer.seal(STREAM, OTHER_HASH)) or "")
    assert "bad seal" in (check().refusal(5000, HASH, sealer.seal("ELSEWHERE", HASH)) or "")


def test_a_message_a_trusted_checkpoint_covers_is_not_checked_again() -> None:
    assert check(checked_up_to=5000).refusal(5000, HASH, None) is None
    assert check(checked_up_to=5000).refusal(6000, HASH, None) is not None


def header(seal: str | None) -> bytes | None:
    return None if seal is None else f"NATS/1.0\r\n{SEAL_HEADER}: {seal}\r\n\r\n".encode()


def record(
    state: bytes = b"{}", version: int = 1, prev_hash: str = "", aggregate: str | None = None
) -> EventRecord:
    """An event record whose hash is its content's, as the service writes it."""
    aggregate = aggregate or str(uuid.uuid4())
    hash_ = event_hash(prev_hash, aggregate, version, "t:T", state)
    return EventRecord(aggregate, True, version, "t:T", state, prev_hash, hash_)


def test_a_run_is_refused_message_by_message_each_by_its_last_events_seal() -> None:
    sealer = Sealer(SERVICE)
    # Sequences 7 (two events, sealed over the second), 8 (unsealed), 9 (sealed over another hash).
    first = record()
    positions = [7000, 7001, 8000, 9000]
    records = [first, record(version=2, prev_hash=first.hash, aggregate=first.originator_id)]
    records += [record(), record()]
    headers = [
        header(sealer.seal(STREAM, records[1].hash)),
        header(None),
        header(sealer.seal(STREAM, "ee" * 32)),
    ]
    refusals = check().refusals(7, positions, records, headers)
    assert set(refusals) == {8, 9}
    assert "unsealed" in refusals[8] and "bad seal" in refusals[9]
    # Covered by a checkpoint: nothing is looked at.
    assert check(checked_up_to=9000).refusals(7, positions, records, headers) == {}


def test_another_content_under_a_copied_hash_and_seal_is_refused() -> None:
    """A genuine message's hash and seal, copied onto other content: the signature holds."""
    genuine = record(b'{"holder_region": "zuid-limburg"}')
    seal = Sealer(SERVICE).seal(STREAM, genuine.hash)
    forged = msgspec.structs.replace(genuine, state=b'{"holder_region": "noord-limburg"}')
    assert check().refusals(7, [7000], [genuine], [header(seal)]) == {}
    reason = check().refusals(7, [7000], [forged], [header(seal)])[7]
    assert "content is not what its hash and seal cover" in reason


def test_an_event_slipped_into_a_sealed_message_is_refused() -> None:
    """The last event and the seal kept, an event before it replaced: each hash holds, the link not."""
    first = record()
    last = record(version=2, prev_hash=first.hash, aggregate=first.originator_id)
    slipped = record(b'{"forged": true}', aggregate=first.originator_id)
    seal = header(Sealer(SERVICE).seal(STREAM, last.hash))
    assert check().refusals(7, [7000, 7001], [first, last], [seal]) == {}
    reason = check().refusals(7, [7000, 7001], [slipped, last], [seal])[7]
    assert "do not link up" in reason


def notification(sequence: int, state: bytes) -> Notification:
    return Notification(
        id=sequence * EVENTS_PER_MESSAGE,
        originator_id=uuid.uuid4(),
        originator_version=3,
        topic="t:T",
        state=state,
    )


def test_a_refused_notification_keeps_where_and_what_it_was_and_drops_its_content() -> None:
    kept = notification(7, b"{}")
    forged = notification(8, b'{"holder_region": "noord-limburg"}')
    assert refused(kept, {8: "unsealed event"}) is kept
    made = refused(forged, {8: "unsealed event"})
    assert isinstance(made, RefusedNotification)
    assert (made.id, made.originator_id, made.originator_version, made.topic) == (
        forged.id,
        forged.originator_id,
        3,
        "t:T",
    )
    assert made.state == b"" and made.reason == "unsealed event"


def test_unsealed_messages_written_before_sealing_began_are_used_and_none_after() -> None:
    keys = [SERVICE.verify_key.encode().hex()]
    seal = Sealer(SERVICE).seal(STREAM, HASH)
    began = SealCheck(STREAM, keys, sealed_from=5000)
    assert began.refusal(4000, HASH, None) is None
    assert began.refusal(6000, HASH, None) is not None
    # Where sealing began not known yet: the first sealed message handed on marks it.
    unknown = SealCheck(STREAM, keys, sealed_from=None)
    assert unknown.refusal(4000, HASH, None) is None
    assert unknown.refusal(5000, HASH, seal) is None
    assert "unsealed" in (unknown.refusal(6000, HASH, None) or "")


def test_a_malformed_seal_is_refused_and_raises_nothing() -> None:
    """Whatever a forger writes in the header: no key, a key of nobody's, an empty or broken
    signature under a trusted key, text that is not base64, a hash that is not hex."""
    trusted = Sealer(SERVICE).seal(STREAM, HASH).partition(":")[0]
    for seal in [
        "",
        ":",
        "!!!:???",
        "é:é",
        f"{trusted}:",
        f"{trusted}:%%%",
        f"{trusted}:{'A' * 86}",
    ]:
        assert check().refusal(5000, HASH, seal) is not None, seal
    assert "bad seal" in (check().refusal(5000, "zz", Sealer(SERVICE).seal(STREAM, HASH)) or "")
