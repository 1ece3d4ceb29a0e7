"""`audit verify --file` in two processes (``projections.audit.export_halves``): a file cut in two and
verified a half a process verifies, and fails, exactly as one process verifies it, wherever the fault
lies relative to the cut."""

from __future__ import annotations

import io
import os
from pathlib import Path

import msgspec
import pytest
from nacl.signing import SigningKey

from adapters.audit import open_export
from adapters.event_log_format import EVENTS_PER_MESSAGE, EventRecord, event_hash
from adapters.seal import Sealer
from projections.audit import FaultKind, LogFault, export_halves, verify_export
from tests.export_lines import relinked
from tests.unit.test_audit import TOPIC, FakeLog, chained, exported, public, signed

EVENTS = 40


@pytest.fixture
def key() -> SigningKey:
    return SigningKey.generate()


def own_messages(events: list[tuple[int, EventRecord]]) -> list[tuple[int, EventRecord]]:
    """The events, each in a message of its own, as the service writes them (``chained`` puts them
    all in the first: see EVENTS_PER_MESSAGE)."""
    return [(n * EVENTS_PER_MESSAGE, record) for n, (_, record) in enumerate(events, start=1)]


def sealed_export(
    key: SigningKey, events: int = EVENTS, checkpointed: int | None = None
) -> list[bytes]:
    """The export of a log of `events` sealed events over 5 aggregates, a checkpoint over the first
    `checkpointed` (all if None)."""
    log = FakeLog(own_messages(chained(events, aggregates=5)))
    sealer = Sealer(key)
    log.seals = {position: sealer.seal(log.stream, record.hash) for position, record in log.events}
    everything = log.events
    log.events = everything[: checkpointed or events]
    signed(log, key)
    log.events = everything
    return exported(log)


def cut_at(lines: list[bytes]) -> int:
    """The index of the line the file is cut before: the first that starts past its middle."""
    middle, start = len(b"".join(lines)) // 2, 0
    for index, line in enumerate(lines):
        if start >= middle:
            return index
        start += len(line)
    raise AssertionError("no line past the middle")


def outcome(result: object) -> object:
    return (result.position, result.kind, result.detail) if isinstance(result, LogFault) else result


def verified_both_ways(
    lines: list[bytes], tmp_path: Path, monkeypatch, keys: list[str] | None
) -> tuple[object, object]:
    """What one process and two processes make of the file, and checks the file was cut."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(lines))
    results, real = [], export_halves._boundary
    for split_from in (None, 0):
        cuts: list[object] = []
        monkeypatch.setattr(
            export_halves, "_boundary", lambda *a: cuts.append(real(*a)) or cuts[-1]
        )
        monkeypatch.setattr(
            export_halves, "SPLIT_FROM_BYTES", 1 << 62 if split_from is None else split_from
        )
        monkeypatch.setattr(export_halves, "_SECOND_CORE", True)
        try:
            with open_export(path) as source:
                results.append(outcome(verify_export(source, keys)))
        except LogFault as fault:
            results.append(outcome(fault))
        assert bool(cuts and cuts[0] is not None) == (split_from is not None), cuts
    return results[0], results[1]


def test_an_untouched_file_verifies_in_two_processes_as_in_one(key, tmp_path, monkeypatch):
    one, two = verified_both_ways(
        sealed_export(key, checkpointed=30), tmp_path, monkeypatch, [public(key)]
    )
    assert one == two
    assert two.events == EVENTS and two.checkpoint is not None and two.uncovered == 10


def test_an_unsealed_file_without_a_key_verifies_in_two_processes_as_in_one(tmp_path, monkeypatch):
    lines = exported(FakeLog(own_messages(chained(EVENTS, aggregates=5))))
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and two.unsealed == EVENTS and two.sealed_since is None


def test_a_checkpoint_in_the_second_half_counts_the_first_halfs_events(key, tmp_path, monkeypatch):
    lines = sealed_export(key, checkpointed=EVENTS - 2)
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and two.checkpoint.events == EVENTS - 2


def test_a_fault_in_the_second_half_is_named_as_one_process_names_it(key, tmp_path, monkeypatch):
    lines = sealed_export(key)
    at = cut_at(lines) + 3
    lines[at] = lines[at].replace(b'"n":', b'"m":')
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and one[1] is FaultKind.CHANGED


def test_a_changed_log_hash_just_before_the_cut_is_named_as_one_process_names_it(
    key, tmp_path, monkeypatch
):
    lines = sealed_export(key)
    at = cut_at(lines) - 1  # the line whose log hash the second half starts from
    line = msgspec.json.decode(lines[at])
    line["loghash"] = "0" * 64
    lines[at] = msgspec.json.encode(line) + b"\n"
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and one[1] is FaultKind.CHANGED


def test_the_first_line_of_the_second_half_changed_is_named_as_one_process_names_it(
    key, tmp_path, monkeypatch
):
    lines = sealed_export(key)
    at = cut_at(lines)
    lines[at] = lines[at].replace(b'"n":', b'"m":')
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and one[1] is FaultKind.CHANGED


def test_a_line_moved_across_the_cut_is_named_as_moved(key, tmp_path, monkeypatch):
    lines = sealed_export(key)
    at = cut_at(lines)
    lines[at - 3], lines[at + 2] = lines[at + 2], lines[at - 3]
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and one[1] is FaultKind.REORDERED and "stands at line" in one[2]


def test_a_truncated_last_line_is_named_as_one_process_names_it(key, tmp_path, monkeypatch):
    lines = sealed_export(key)
    lines[-2] = lines[-2][: len(lines[-2]) // 2]
    del lines[-1]
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and one[1] is FaultKind.UNREADABLE and f"line {len(lines)}" in one[2]


def test_an_event_removed_before_the_cut_breaks_the_link_of_the_aggregates_next_event_after_it(
    tmp_path, monkeypatch
):
    """Only the link of the aggregate's next event, in the second half, tells (no seal, no checkpoint)."""
    lines = exported(FakeLog(own_messages(chained(EVENTS, aggregates=5))))
    at = cut_at(lines)
    del lines[at - 2]
    lines = relinked(lines)
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and one[1] is FaultKind.BROKEN_LINK


def test_an_aggregate_restarted_after_the_cut_breaks_its_link(tmp_path, monkeypatch):
    """An aggregate's only event after the cut claiming to be its first, hashes recomputed: only
    the aggregate's event before the cut tells."""
    lines = exported(FakeLog(own_messages(chained(EVENTS, aggregates=EVENTS // 2))))
    at = cut_at(lines) + 1
    line = msgspec.json.decode(lines[at])
    state = msgspec.json.encode(line["data"])
    line["predecessorhash"] = ""
    line["hash"] = event_hash("", line["subject"], line["aggregateversion"], TOPIC, state)
    line["data"] = msgspec.Raw(state)
    lines[at] = msgspec.json.encode(line) + b"\n"
    lines = relinked(lines)
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and one[1] is FaultKind.BROKEN_LINK


@pytest.mark.parametrize("offset", [0, 1, -1])
def test_an_unsealed_message_at_the_cut_in_a_sealed_log_is_named(
    key, tmp_path, monkeypatch, offset
):
    """After the cut, the second half alone has no seal before it: only the first half's seals tell;
    just before it, the message ends at the cut without its seal."""
    lines = sealed_export(key)
    at = cut_at(lines) + offset
    line = msgspec.json.decode(lines[at])
    del line["seal"]
    lines[at] = msgspec.json.encode(line) + b"\n"
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and one[1] is FaultKind.UNSEALED


def test_an_event_removed_before_the_cut_is_caught_by_a_checkpoint_after_it(
    key, tmp_path, monkeypatch
):
    """An aggregate's last event removed and the log hashes recomputed: the checkpoint's count tells."""
    log = FakeLog(own_messages(chained(EVENTS, aggregates=EVENTS)))  # each its aggregate's first
    signed(log, key)
    lines = exported(log)
    del lines[cut_at(lines) - 2]
    lines = relinked(lines)
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and one[1] is FaultKind.MISSING


def split_in_two(lines: list[bytes], tmp_path: Path, monkeypatch) -> Path:
    """An export of `lines`, which ``verify_export`` then verifies in two processes however small."""
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(lines))
    monkeypatch.setattr(export_halves, "SPLIT_FROM_BYTES", 0)
    monkeypatch.setattr(export_halves, "_SECOND_CORE", True)
    return path


def test_a_second_process_that_dies_is_a_failure_never_a_verified_file(key, tmp_path, monkeypatch):
    path = split_in_two(sealed_export(key), tmp_path, monkeypatch)
    real = export_halves._SecondProcess.answer
    processes = []

    def killed_first(second):
        processes.append(second._process)
        second._process.kill()
        return real(second)

    monkeypatch.setattr(export_halves._SecondProcess, "answer", killed_first)
    with (
        pytest.raises(export_halves.VerifierLost, match="exit code -9"),
        open_export(path) as source,
    ):
        verify_export(source, [public(key)])
    assert processes[0].poll() is not None


def test_an_interrupted_verification_leaves_no_second_process(key, tmp_path, monkeypatch):
    path = split_in_two(sealed_export(key), tmp_path, monkeypatch)
    processes = []
    real_init = export_halves._SecondProcess.__init__

    def started(second, *args):
        real_init(second, *args)
        processes.append(second._process)

    def interrupted(reading, source):
        raise KeyboardInterrupt

    monkeypatch.setattr(export_halves._SecondProcess, "__init__", started)
    monkeypatch.setattr(export_halves.ExportReading, "read", interrupted)
    with pytest.raises(KeyboardInterrupt), open_export(path) as source:
        verify_export(source, [public(key)])
    assert processes and processes[0].poll() is not None


def test_ctrl_c_does_not_reach_the_second_process(key, tmp_path, monkeypatch):
    """The terminal sends Ctrl-C to its foreground process group: a second process in it, still
    importing (before it could ignore SIGINT), printed a traceback of its own beside this one's
    "Aborted!". This process ends it (see the test above)."""
    path = split_in_two(sealed_export(key), tmp_path, monkeypatch)
    real = export_halves._SecondProcess.answer
    groups = []

    def in_its_group(second):
        groups.append(os.getpgid(second._process.pid))
        return real(second)

    monkeypatch.setattr(export_halves._SecondProcess, "answer", in_its_group)
    with open_export(path) as source:
        assert verify_export(source, [public(key)]).events == EVENTS
    assert groups and groups[0] != os.getpgrp()


def test_the_second_process_ends_cleanly_once_it_has_answered(key, tmp_path, monkeypatch):
    """A fault in the second half: this process reads the half again while the second one, its
    answer given, ends by itself. Its thread blocked reading standard input (to end it should this
    process go) made the interpreter's shutdown abort: "Fatal Python error: _enter_buffered_busy"
    on the auditor's terminal beside the FAULT line."""
    lines = sealed_export(key)
    at = cut_at(lines) + 3
    lines[at] = lines[at].replace(b'"n":', b'"m":')
    path = split_in_two(lines, tmp_path, monkeypatch)
    real = export_halves._SecondProcess.answer
    codes = []

    def answered_and_ended(second):
        answer = real(second)
        codes.append(second._process.wait(timeout=60))
        return answer

    monkeypatch.setattr(export_halves._SecondProcess, "answer", answered_and_ended)
    with pytest.raises(LogFault), open_export(path) as source:
        verify_export(source, [public(key)])
    assert codes and set(codes) == {0}  # (two runs: the second with every seal checked)


def test_a_small_file_or_a_stream_is_verified_in_one_process(key, tmp_path, monkeypatch):
    lines = sealed_export(key)
    monkeypatch.setattr(export_halves, "_SECOND_CORE", True)
    monkeypatch.setattr(export_halves, "_SecondProcess", None)  # would fail if started
    assert verify_export(io.BytesIO(b"".join(lines)), [public(key)]).events == EVENTS
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"".join(lines))
    with open_export(path) as source:
        assert verify_export(source, [public(key)]).events == EVENTS


def test_the_cut_passes_over_a_message_running_across_the_middle(tmp_path, monkeypatch):
    """Unsealed events, six to a message: the file is cut where a message begins."""
    events = [
        (n // 6 * EVENTS_PER_MESSAGE + n % 6 + 1, r) for n, (_, r) in enumerate(chained(EVENTS))
    ]
    lines = exported(FakeLog(events))
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and two.events == EVENTS
    path = tmp_path / "export.jsonl"
    with path.open("rb") as source:
        boundary = export_halves._boundary(source.fileno(), len(b"".join(lines)) // 2)
    assert boundary is not None and boundary.next_position % EVENTS_PER_MESSAGE == 1


def test_seals_for_another_stream_after_the_cut_are_refused(key, tmp_path, monkeypatch):
    """The line before the cut names another stream, and the lines after it are sealed for that
    stream: the seals are checked for the file's stream, the one its first line names."""
    lines = sealed_export(key)
    at, sealer = cut_at(lines), Sealer(key)
    for index in range(at - 1, len(lines) - 1):
        line = msgspec.json.decode(lines[index])
        line["stream"] = "OTHER"
        if index >= at:
            line["seal"] = sealer.seal("OTHER", line["hash"])
        lines[index] = msgspec.json.encode(line) + b"\n"
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and one[1] is FaultKind.BAD_SEAL


def test_a_checkpoint_met_before_the_cut_over_events_after_it_is_checked_there(
    key, tmp_path, monkeypatch
):
    """A checkpoint line moved up the file: one process checks it when the log reaches its
    position, past the cut; it still holds there."""
    lines = sealed_export(key, checkpointed=30)
    (checkpoint,) = [line for line in lines if b"regiekaart.audit.checkpoint" in line]
    lines.remove(checkpoint)
    lines.insert(5, checkpoint)
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and two.checkpoint is not None


def test_an_error_in_the_second_process_after_a_fault_only_the_first_half_tells_is_the_fault(
    key, tmp_path, monkeypatch
):
    """The second half opens with an unsealed message (a fault only the first half's seals tell,
    which the second process notes and reads past), and the second process then fails with an
    error, not a fault (as it did on a position past 8 bytes, see below): one process names the
    unsealed message, and so must two, not "cannot verify"."""
    lines = sealed_export(key)
    at = cut_at(lines)
    line = msgspec.json.decode(lines[at])
    del line["seal"]
    lines[at] = msgspec.json.encode(line) + b"\n"
    # Started with this directory on its path (after the project's), the second process fails at
    # the first aggregate it meets; this process has started already.
    failing = tmp_path / "failing"
    failing.mkdir()
    (failing / "sitecustomize.py").write_text(
        "from projections.audit import export_halves\n"
        "def fail(*args):\n"
        "    raise RuntimeError('a failure of the second process')\n"
        "export_halves.ClaimedStart._first_seen = fail\n"
    )
    monkeypatch.syspath_prepend(str(failing))
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and one[1] is FaultKind.UNSEALED


@pytest.mark.parametrize("number", ["position", "aggregateversion"])
def test_a_number_past_8_bytes_is_an_unreadable_line(key, tmp_path, monkeypatch, number):
    """The log hash takes a position in 8 bytes and an event's hash its version in at most 8: a
    line with a larger one (JSON numbers have no bound) ended the verification with struct.error
    or OverflowError, a traceback rather than a fault."""
    lines = sealed_export(key)
    at = cut_at(lines) + 2
    line = msgspec.json.decode(lines[at])
    line[number] = 1 << 64
    lines[at] = msgspec.json.encode(line) + b"\n"
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, [public(key)])
    assert one == two and one[1] is FaultKind.UNREADABLE and f"line {at + 1}" in one[2]


_FORGED_SECOND_HALF = """
import os, pickle, struct, sys

def main():
    # Leaves this directory, imports the real modules, and vouches for any second half.
    sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]
    for name in [m for m in sys.modules if m.startswith("projections")]:
        del sys.modules[name]
    from projections.audit.export_halves import SecondHalf, _read_frame
    from projections.audit.verification import Verified
    fd, size, boundary, keys, skip = pickle.loads(_read_frame(sys.stdin.buffer))
    verified = Verified(position=boundary.next_position, events=1, log_hash="0" * 64,
                        checkpoint=None, uncovered=1, key_given=False)
    frame = pickle.dumps(("holds", SecondHalf(verified, {}, [])))
    sys.stdout.buffer.write(struct.pack("<Q", len(frame)) + frame)
    sys.stdout.buffer.flush()
"""


def test_the_second_process_does_not_import_from_the_directory_the_auditor_is_in(
    tmp_path, monkeypatch
):
    """``python -c`` puts the current directory first on its path: a ``projections`` package left
    beside the export (by whoever made it) would verify the second half."""
    lines = exported(FakeLog(own_messages(chained(EVENTS, aggregates=5))))
    at = cut_at(lines) + 3
    lines[at] = lines[at].replace(b'"n":', b'"m":')
    forged = tmp_path / "projections" / "audit"
    forged.mkdir(parents=True)
    (forged.parent / "__init__.py").write_text("")
    (forged / "__init__.py").write_text("")
    (forged / "export_halves.py").write_text(_FORGED_SECOND_HALF)
    monkeypatch.chdir(tmp_path)
    one, two = verified_both_ways(lines, tmp_path, monkeypatch, None)
    assert one == two and one[1] is FaultKind.CHANGED
