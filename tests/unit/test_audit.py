"""The log verifier, checkpoints and the export format, on logs built in memory."""

from __future__ import annotations

import io
import stat
import uuid

import msgspec
import pytest
from nacl.signing import SigningKey

from adapters.audit import load_signing_key, public_key_path, signing_key_path
from adapters.event_log_format import EventRecord, event_hash
from adapters.seal import SEAL_HEADER, HeaderSeals, Sealer, all_sealed_by
from projections.audit import (
    GENESIS_LOG_HASH,
    Checkpoint,
    CheckpointWriter,
    FaultKind,
    LogFault,
    LogVerifier,
    export_log,
    next_log_hash,
    verify_export,
    verify_log,
)

TOPIC = "domain.registry:Municipality.Registered"


class FakeLog:
    stream = "EVENTS"

    def __init__(self, entries: list[tuple[int, EventRecord]]) -> None:
        self.events = entries
        self.checkpoints: list[bytes] = []
        # Seals by position, as a sealing recorder adds them (each event is a message of its own).
        self.seals: dict[int, str] = {}

    def scan(self, after, accept) -> None:
        for sequence, (position, record) in enumerate(self.events, start=1):
            if position >= after:
                accept(sequence, [(position, record)], self.seals.get(position))

    def checkpoint_payloads(self) -> list[bytes]:
        return list(self.checkpoints)


def chained(
    count: int, aggregates: int = 3, state: bytes | None = None
) -> list[tuple[int, EventRecord]]:
    """`count` events over `aggregates` aggregates, each chained to its predecessor; positions 1, 3, 5…"""
    ids = [str(uuid.UUID(int=n + 1)) for n in range(aggregates)]
    heads: dict[str, tuple[int, str]] = {}
    log = []
    for n in range(count):
        originator = ids[n % aggregates]
        version, prev_hash = heads.get(originator, (0, ""))
        body = state or msgspec.json.encode(
            {"timestamp": "2026-01-01T00:00:00Z", "valid_from": {"value": "2020-01-01"}, "n": n}
        )
        hash_hex = event_hash(prev_hash, originator, version + 1, TOPIC, body)
        log.append(
            (
                2 * n + 1,
                EventRecord(originator, True, version + 1, TOPIC, body, prev_hash, hash_hex),
            )
        )
        heads[originator] = (version + 1, hash_hex)
    return log


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def public(key: SigningKey) -> str:
    return key.verify_key.encode().hex()


def signed(log: FakeLog, key: SigningKey) -> Checkpoint:
    checkpoint = CheckpointWriter(log, log.checkpoints.append, key, interval=60).write_checkpoint()
    assert checkpoint is not None
    return checkpoint


def fault_of(log: FakeLog, key: SigningKey | None = None) -> LogFault:
    with pytest.raises(LogFault) as caught:
        verify_log(log, None if key is None else [public(key)])
    return caught.value


def test_an_intact_log_verifies_and_its_checkpoint_covers_it(key):
    log = FakeLog(chained(10))
    checkpoint = signed(log, key)
    verified = verify_log(log, [public(key)])
    assert (verified.position, verified.events, verified.uncovered) == (19, 10, 0)
    assert verified.checkpoint == checkpoint and verified.log_hash == checkpoint.log_hash
    assert "verified up to position 19 (10 events)" in verified.summary()


def test_events_after_the_last_checkpoint_are_reported_as_not_yet_signed(key):
    log = FakeLog(chained(10))
    log.events, later = log.events[:6], log.events[6:]
    signed(log, key)
    log.events += later
    verified = verify_log(log, [public(key)])
    assert (
        verified.uncovered == 4
        and "4 events after it are linked but not yet signed" in verified.summary()
    )


def test_changed_content_is_named_by_position():
    log = FakeLog(chained(10))
    position, record = log.events[4]
    log.events[4] = (
        position,
        msgspec.structs.replace(record, state=record.state.replace(b"4", b"5")),
    )
    fault = fault_of(log)
    assert (fault.position, fault.kind) == (9, FaultKind.CHANGED)


def test_a_removed_event_breaks_the_link_of_its_aggregates_next_event():
    log = FakeLog(chained(10))
    del log.events[1]  # the second aggregate's first event; its version 2 sits at position 9
    fault = fault_of(log)
    assert (fault.position, fault.kind) == (9, FaultKind.BROKEN_LINK)
    assert "earlier event of this aggregate is missing" in fault.detail


def test_an_event_claiming_to_start_an_existing_aggregate_breaks_the_link():
    log = FakeLog(chained(4, aggregates=1))
    originator = log.events[0][1].originator_id
    state = b"{}"
    forged = EventRecord(
        originator, True, 9, TOPIC, state, "", event_hash("", originator, 9, TOPIC, state)
    )
    log.events.append((100, forged))
    fault = fault_of(log)
    assert (fault.position, fault.kind) == (100, FaultKind.BROKEN_LINK)
    assert "past the service's optimistic lock" in fault.detail


def test_a_position_that_does_not_increase_is_a_reordering():
    log = FakeLog(chained(6))
    log.events[2], log.events[3] = log.events[3], log.events[2]
    fault = fault_of(log)
    assert fault.kind in (FaultKind.REORDERED, FaultKind.BROKEN_LINK)
    assert fault.position == 5


def test_the_verifier_hashes_as_event_hash_and_next_log_hash_define_it():
    """``LogVerifier.event`` writes both formulas out: held to them here, at the edges of what
    msgpack and the 8-byte position encode (non-ASCII ids, versions and positions past 2**32)."""
    verifier = LogVerifier("EVENTS")
    log_hash, prev_hash = GENESIS_LOG_HASH, ""
    for position, version, state in [
        (1, 1, b""),
        (2**32 + 7, 2**33, b"{}" * 40_000),
        (2**64 - 1, 2**64 - 1, b'{"n":1}'),
    ]:
        hash_hex = event_hash(prev_hash, "gemeente-Sûsteren", version, TOPIC, state)
        log_hash = next_log_hash(log_hash, position, hash_hex)
        assert (
            verifier.event(
                position, "gemeente-Sûsteren", version, TOPIC, state, prev_hash, hash_hex
            )
            == log_hash
        )
        prev_hash = hash_hex
    assert verifier.log_hash == log_hash.hex()
    other = LogVerifier("EVENTS")
    with pytest.raises(LogFault) as caught:
        other.event(
            1, "gemeente-Sûsteren", 1, TOPIC, b"{}", "", event_hash("", "x", 1, TOPIC, b"{}")
        )
    assert caught.value.kind is FaultKind.CHANGED


def test_a_checkpoint_altered_after_signing_fails_its_signature(key):
    log = FakeLog(chained(6))
    checkpoint = signed(log, key)
    log.checkpoints = [msgspec.json.encode(msgspec.structs.replace(checkpoint, events=5))]
    fault = fault_of(log, key)
    assert (fault.position, fault.kind) == (11, FaultKind.BAD_SIGNATURE)


def test_a_checkpoint_by_another_key_is_refused(key):
    log = FakeLog(chained(6))
    signed(log, SigningKey.generate())
    assert fault_of(log, key).kind is FaultKind.BAD_SIGNATURE
    assert verify_log(log).checkpoint is not None  # without a given key, the log's own key is shown


def test_a_changed_log_under_a_checkpoint_no_longer_matches_it(key):
    log = FakeLog(chained(6, aggregates=6))
    signed(log, key)
    # Replace an aggregate's only event by a well-formed other one: hashes and links hold, the log hash not.
    position, record = log.events[2]
    state = b'{"n":"forged"}'
    forged = msgspec.structs.replace(
        record, state=state, hash=event_hash("", record.originator_id, 1, TOPIC, state)
    )
    log.events[2] = (position, forged)
    fault = fault_of(log, key)
    assert (fault.position, fault.kind) == (11, FaultKind.CHECKPOINT_MISMATCH)


def test_a_missing_last_event_before_a_checkpoint_is_named(key):
    log = FakeLog(chained(6, aggregates=6))
    signed(log, key)
    del log.events[-1]
    fault = fault_of(log, key)
    assert (fault.position, fault.kind) == (11, FaultKind.MISSING)


def test_the_writer_signs_only_when_the_log_grew_and_resumes_from_its_checkpoints(key):
    log = FakeLog(chained(6))
    log.events, later = log.events[:4], log.events[4:]
    writer = CheckpointWriter(log, log.checkpoints.append, key, interval=60)
    assert writer.write_checkpoint() is not None
    assert writer.write_checkpoint() is None
    log.events += later
    restarted = CheckpointWriter(log, log.checkpoints.append, key, interval=60)
    assert restarted.write_checkpoint().position == 11
    assert len(log.checkpoints) == 2
    assert verify_log(log, [public(key)]).checkpoint.position == 11


def test_the_writer_signs_nothing_past_a_fault(key):
    log = FakeLog(chained(6))
    position, record = log.events[3]
    log.events[3] = (position, msgspec.structs.replace(record, hash="0" * 64))
    writer = CheckpointWriter(log, log.checkpoints.append, key, interval=60)
    assert writer.write_checkpoint() is None
    assert writer.fault.kind is FaultKind.CHANGED and log.checkpoints == []


def test_the_writer_runs_periodically_and_signs_once_more_when_stopped(key):
    log = FakeLog(chained(3))
    writer = CheckpointWriter(log, log.checkpoints.append, key, interval=3600).start()
    log.events += chained(4)[3:]
    writer.stop()
    assert [msgspec.json.decode(c)["position"] for c in log.checkpoints][-1] == 7


# --- the export file -------------------------------------------------------------------------------


def exported(log: FakeLog) -> list[bytes]:
    out = io.BytesIO()
    export_log(log, out)
    return out.getvalue().splitlines(keepends=True)


def file_fault(lines: list[bytes], key: SigningKey | None = None) -> LogFault:
    with pytest.raises(LogFault) as caught:
        verify_export(io.BytesIO(b"".join(lines)), None if key is None else [public(key)])
    return caught.value


def test_an_export_is_cloudevents_with_the_stored_event_verbatim(key):
    log = FakeLog(chained(4))
    signed(log, key)
    lines = exported(log)
    first = msgspec.json.decode(lines[0])
    assert first["specversion"] == "1.0" and first["source"] == "/regiekaart/events"
    assert first["type"] == "nl.regiekaart.Municipality.Registered" and first["topic"] == TOPIC
    assert first["stream"] == log.stream
    assert (
        first["time"] == "2020-01-01T00:00:00Z" and first["recordedtime"] == "2026-01-01T00:00:00Z"
    )
    assert msgspec.json.encode(first["data"]) == log.events[0][1].state
    assert msgspec.json.decode(lines[-1])["type"] == "regiekaart.audit.checkpoint"
    assert verify_export(io.BytesIO(b"".join(lines)), [public(key)]).checkpoint is not None


def test_an_export_written_before_it_took_the_feeds_attributes_still_verifies(key):
    """Such a file names its stream in ``source`` and its topic in ``type``."""
    log = FakeLog(chained(4))
    signed(log, key)
    old_lines = []
    for raw in exported(log):
        line = msgspec.json.decode(raw)
        line["source"] = f"urn:regiekaart:{line.pop('stream')}"
        if "topic" in line:
            line["type"] = line.pop("topic")
        old_lines.append(msgspec.json.encode(line) + b"\n")

    verified = verify_export(io.BytesIO(b"".join(old_lines)), [public(key)])

    assert verified.checkpoint is not None and verified.events == 4


def test_an_export_of_a_state_that_is_not_json_keeps_its_bytes_in_base64():
    log = FakeLog(chained(3, state=b"\x00\x01 binary"))
    lines = exported(log)
    assert b"data_base64" in lines[0]
    assert verify_export(io.BytesIO(b"".join(lines))).events == 3


def test_events_swapped_far_apart_in_the_file_are_named_as_moved():
    lines = exported(FakeLog(chained(10)))
    lines[2], lines[7] = lines[7], lines[2]
    fault = file_fault(lines)
    assert (fault.position, fault.kind) == (5, FaultKind.REORDERED)
    assert "line 8" in fault.detail


def test_an_event_removed_from_the_end_is_caught_by_the_checkpoint(key):
    log = FakeLog(chained(6))
    signed(log, key)
    lines = exported(log)
    del lines[-2]
    fault = file_fault(lines, key)
    assert (fault.position, fault.kind) == (11, FaultKind.MISSING)


def test_an_altered_checkpoint_line_fails_its_signature(key):
    log = FakeLog(chained(6))
    signed(log, key)
    lines = exported(log)
    lines[-1] = lines[-1].replace(b'"events":6', b'"events":7')
    assert file_fault(lines, key).kind is FaultKind.BAD_SIGNATURE


def test_a_line_that_is_not_an_export_line_is_unreadable():
    lines = exported(FakeLog(chained(4)))
    lines[2] = b"{not json\n"
    fault = file_fault(lines)
    assert fault.kind is FaultKind.UNREADABLE and "line 3" in str(fault)


def test_blank_lines_are_passed_over_and_counted_in_line_numbers(key):
    log = FakeLog(chained(4))
    signed(log, key)
    lines = exported(log)
    with_blanks = [lines[0], b"\n", lines[1], b"  \n", *lines[2:]]
    assert verify_export(io.BytesIO(b"".join(with_blanks)), [public(key)]).events == 4
    with_blanks[4] = b"{not json\n"
    fault = file_fault(with_blanks, key)
    assert fault.kind is FaultKind.UNREADABLE and "line 5:" in str(fault)


def test_a_recomputed_hash_still_differs_from_the_exported_log_hash():
    lines = exported(FakeLog(chained(4, aggregates=4)))
    line = msgspec.json.decode(lines[3])
    state = b'{"n":"forged"}'
    line["data"] = msgspec.Raw(state)
    line["hash"] = event_hash("", line["subject"], 1, TOPIC, state)
    lines[3] = msgspec.json.encode(line) + b"\n"
    fault = file_fault(lines)
    assert (fault.position, fault.kind) == (7, FaultKind.CHANGED)


def test_an_export_on_disk_checks_only_the_seals_its_last_trusted_checkpoint_does_not_cover(
    key, tmp_path, monkeypatch
):
    # The trusted checkpoint is found searching backwards from the file's end, past the events after it,
    # whose states name the checkpoints' type (so they are found by the search too, and passed over).
    from projections.audit import verification

    events = chained(9, state=b'{"type":"regiekaart.audit.checkpoint"}')
    log = FakeLog(events[:6])
    signed(log, key)
    log.events = events
    sealer = Sealer(key)
    log.seals = {position: sealer.seal(log.stream, record.hash) for position, record in log.events}
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(exported(log)))
    checked: list[str] = []
    real = verification.seal_holds
    monkeypatch.setattr(
        verification, "seal_holds", lambda *args: checked.append(args[1]) or real(*args)
    )

    with path.open("rb") as source:
        verified = verify_export(source, [public(key)])

    assert (verified.events, verified.checkpoint.position, verified.uncovered) == (9, 11, 3)
    assert checked == [record.hash for _, record in log.events[6:]]


class RunLog(FakeLog):
    """A log that hands its messages on in runs (as ``NatsLog.scan_runs``), `run` messages at a time."""

    run = 4

    def scan_runs(self, after, accept) -> None:
        messages = [
            (sequence, [(position, record)], self.seals.get(position))
            for sequence, (position, record) in enumerate(self.events, start=1)
            if position >= after
        ]
        for start in range(0, len(messages), self.run):
            run = messages[start : start + self.run]
            accept(run[0][0], [entries for _, entries, _ in run], [seal for _, _, seal in run])


def sealed_run_log(key: SigningKey, events: int, checkpointed: int) -> RunLog:
    log = RunLog(chained(events))
    log.events, later = log.events[:checkpointed], log.events[checkpointed:]
    sealer = Sealer(key)
    log.seals = {position: sealer.seal(log.stream, record.hash) for position, record in log.events}
    signed(log, key)
    log.events += later
    log.seals |= {position: sealer.seal(log.stream, record.hash) for position, record in later}
    return log


def test_a_log_read_in_runs_verifies_as_one_read_message_by_message(key):
    log = sealed_run_log(key, 14, checkpointed=10)

    verified = verify_log(log, [public(key)])

    assert verified == verify_log(_one_by_one(log), [public(key)])
    assert (verified.events, verified.uncovered, verified.sealed_since) == (14, 4, 1)


def _one_by_one(log: RunLog) -> FakeLog:
    plain = FakeLog(log.events)
    plain.seals, plain.checkpoints = log.seals, log.checkpoints
    return plain


@pytest.mark.parametrize("index", [5, 11])  # under the checkpoint, and after it
def test_a_changed_event_in_a_run_is_named_at_its_position(key, index):
    log = sealed_run_log(key, 14, checkpointed=10)
    position, record = log.events[index]
    log.events[index] = (position, msgspec.structs.replace(record, state=b'{"n": -1}'))

    fault = fault_of(log, key)

    assert (fault.position, fault.kind) == (position, FaultKind.CHANGED)


def test_a_seal_by_another_key_in_a_run_is_named_at_its_message(key):
    log = sealed_run_log(key, 14, checkpointed=10)
    position, record = log.events[6]
    log.seals[position] = Sealer(SigningKey.generate()).seal(log.stream, record.hash)

    fault = fault_of(log, key)

    assert (fault.position, fault.kind) == (position, FaultKind.OTHER_KEY)


@pytest.mark.parametrize("in_runs", [True, False])
def test_a_forged_seal_starting_as_no_key_does_is_refused_under_a_checkpoint_too(key, in_runs):
    """Until the first seal's key is accepted, no seal may pass as by the accepted key: a fixed
    start (it was a NUL) could be written into a forged seal to spare it every check."""
    log = sealed_run_log(key, 14, checkpointed=10)
    position = log.events[0][0]
    log.seals[position] = "\0forged"

    fault = fault_of(log if in_runs else _one_by_one(log), key)

    assert (fault.position, fault.kind) == (position, FaultKind.OTHER_KEY)


def _header_block(*headers: tuple[str, str]) -> bytes:
    """A message's raw header block as NATS delivers it."""
    return (
        b"NATS/1.0\r\n"
        + b"".join(f"{name}: {value}\r\n".encode() for name, value in headers)
        + b"\r\n"
    )


class HeaderRunLog(RunLog):
    """A run log whose seals come as NATS hands them on: in raw header blocks, each seal after the
    header the recorder writes before it."""

    def scan_runs(self, after, accept) -> None:
        def from_headers(first, messages, seals) -> None:
            blocks = [
                None
                if seal is None
                else _header_block(
                    ("Nats-Expected-Last-Subject-Sequence", "7"), (SEAL_HEADER, seal)
                )
                for seal in seals
            ]
            accept(first, messages, HeaderSeals(blocks))

        super().scan_runs(after, from_headers)


def test_a_log_whose_seals_are_read_from_header_blocks_verifies_as_one_read_one_by_one(key):
    log = sealed_run_log(key, 14, checkpointed=10)
    from_headers = HeaderRunLog(log.events)
    from_headers.seals, from_headers.checkpoints = log.seals, log.checkpoints

    assert verify_log(from_headers, [public(key)]) == verify_log(_one_by_one(log), [public(key)])


@pytest.mark.parametrize("missing", [True, False])  # no seal; or one by another key
def test_a_seal_missing_or_by_another_key_in_a_run_of_header_blocks_is_named(key, missing):
    log = sealed_run_log(key, 14, checkpointed=10)
    from_headers = HeaderRunLog(log.events)
    from_headers.seals, from_headers.checkpoints = log.seals, log.checkpoints
    position, record = log.events[6]
    if missing:
        del from_headers.seals[position]
    else:
        from_headers.seals[position] = Sealer(SigningKey.generate()).seal(log.stream, record.hash)

    fault = fault_of(from_headers, key)

    assert (fault.position, fault.kind) == (
        position,
        FaultKind.UNSEALED if missing else FaultKind.OTHER_KEY,
    )


def test_seals_in_header_blocks_are_by_a_key_only_if_each_blocks_first_seal_is():
    ours, theirs = Sealer(SigningKey.generate()), Sealer(SigningKey.generate())
    key = ours.seal("EVENTS", "00" * 32).partition(":")[0] + ":"
    sealed = _header_block(
        ("Nats-Expected-Last-Subject-Sequence", "7"), (SEAL_HEADER, ours.seal("EVENTS", "11" * 32))
    )
    other_first = _header_block(
        (SEAL_HEADER, theirs.seal("EVENTS", "22" * 32)),
        (SEAL_HEADER, ours.seal("EVENTS", "22" * 32)),
    )
    spaced = _header_block((SEAL_HEADER, "  " + ours.seal("EVENTS", "33" * 32)))

    assert all_sealed_by(HeaderSeals([sealed, sealed]), key)
    assert not all_sealed_by(HeaderSeals([sealed, other_first]), key)
    assert not all_sealed_by(HeaderSeals([sealed, None]), key)
    assert not all_sealed_by(HeaderSeals([sealed, _header_block(("Other", "x"))]), key)
    # A seal read as a value stripped of its spaces is by the key, though not found right after the
    # header's name: the seals are then read.
    assert not HeaderSeals([sealed, spaced]).start_with(key)
    assert all_sealed_by(HeaderSeals([sealed, spaced]), key)
    assert list(HeaderSeals([spaced, None])) == [ours.seal("EVENTS", "33" * 32), None]


# --- the signing key --------------------------------------------------------------------------------


def test_the_signing_key_is_made_once_and_readable_by_its_owner_only(tmp_path):
    key = load_signing_key(tmp_path)
    assert stat.S_IMODE(signing_key_path(tmp_path).stat().st_mode) == 0o600
    assert load_signing_key(tmp_path).encode() == key.encode()
    assert public_key_path(tmp_path).read_text().strip() == public(key)
