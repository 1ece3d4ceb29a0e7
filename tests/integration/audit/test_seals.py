"""Every event message is sealed with the service's key: an event written past the service with the NATS
credentials alone (its hashes recomputed or not), or sealed with another key, is named at its position
and never signed into a checkpoint; a message gone from the stream is named where it was; a forged
checkpoint fails its signature; and a log written before sealing began keeps verifying."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from pathlib import Path

import msgspec
import nats
import pytest
from eventsourcing.persistence import StoredEvent
from nacl.signing import SigningKey

from adapters.nats.audit import NatsCheckpointStore, NatsLog
from adapters.nats.client import NatsClient
from adapters.nats.recorders import NatsApplicationRecorder
from adapters.seal import Sealer, load_signing_key, seal_key
from adapters.settings import Settings
from entrypoints.runtime import Runtime
from projections.audit import Checkpoint, CheckpointWriter, LogStatus, verify_log
from projections.audit.log_claims import FaultKind
from services.application import GovernanceApplication
from services.commands import RegisterMunicipality
from tests.authorities import EXTERNAL
from tests.fixtures.processes import process_environment
from tests.integration.audit.conftest import run_audit

REPO = Path(__file__).resolve().parents[3]
TOPIC = "domain.registry:Municipality.Registered"
# The main branch as it was when events began to be sealed: the last code that wrote unsealed logs.
MAIN_BEFORE_SEALS = "345e229adeca5723dff8be5e6bcbe80ff2e86242"


def register(app: GovernanceApplication, *slugs: str) -> list[uuid.UUID]:
    return [
        app.register_municipality(
            RegisterMunicipality(
                principal="importer:test", municipality=slug, name=slug.title(), authority=EXTERNAL
            )
        )
        for slug in slugs
    ]


@pytest.fixture
def service(nats_env, stream_name, tmp_path):
    """Municipalities recorded by the service (its events sealed), a checkpoint over them, and what
    the checkpoint writer reports."""
    key_file = tmp_path / "keys" / "signing.key"
    app = GovernanceApplication(env={**nats_env, "NATS_SIGNING_KEY_FILE": str(key_file)})
    ids = register(app, "venlo", "venray", "horst-aan-de-maas")
    client = NatsClient(nats_env["NATS_URL"])
    reports: list[LogStatus] = []
    log = NatsLog(client, stream_name)
    writer = CheckpointWriter(
        log,
        NatsCheckpointStore(client, stream_name).append,
        load_signing_key(key_file),
        interval=3600,
        report=reports.append,
        stream_settings=log.settings_losing_events,
    )
    assert writer.write_checkpoint() is not None
    yield {
        "app": app,
        "client": client,
        "writer": writer,
        "reports": reports,
        "ids": ids,
        "key": load_signing_key(key_file).verify_key.encode().hex(),
    }
    client.close()
    app.close()


def verify(service, stream_name, tmp_path, *keys: str) -> tuple[int, str]:
    args = ["--nats-url", service["client"].url]
    for key in keys or (service["key"],):
        args += ["--public-key", key]
    return run_audit("verify", *args, stream=stream_name, data_dir=tmp_path / "auditor")


def write_past_the_service(
    client: NatsClient, stream: str, aggregate: uuid.UUID, sealer=None
) -> int:
    """Appends version 2 of `aggregate`, linked to its real version 1 with the hash recomputed, as our
    own recorder would write it with the NATS credentials alone (no key) or with `sealer`'s key."""
    recorder = NatsApplicationRecorder(client, stream, sealer=sealer)
    state = msgspec.json.encode({"timestamp": "2026-12-05T08:00:00Z", "principal": "mallory"})
    [position] = recorder.insert_events([StoredEvent(aggregate, 2, TOPIC, state)])
    return position


def test_an_event_forged_with_a_recomputed_hash_is_named_and_never_signed(
    service, stream_name, tmp_path
):
    forged = write_past_the_service(service["client"], stream_name, service["ids"][1])

    code, output = verify(service, stream_name, tmp_path)

    assert code == 1, output
    assert f"position {forged}: unsealed event" in output
    writer = service["writer"]
    assert writer.write_checkpoint() is None
    assert writer.fault is not None and writer.fault.position == forged
    assert service["reports"][-1].verified is False
    assert f"position {forged}" in service["reports"][-1].fault
    # The service's own writes after it are sealed, but nothing signs past the forged event.
    register(service["app"], "peel-en-maas")
    assert writer.write_checkpoint() is None


def test_a_stream_set_to_lose_events_while_the_service_runs_is_reported_and_never_signed(
    service, stream_name
):
    """NATS takes a limit that deletes events though deny_delete is on; the service refuses to start
    on such a stream, and a change made while it runs is found at the checkpoint writer's next
    round: /ready's status names it, and nothing is signed from then on."""

    async def expire_after_an_hour() -> None:
        nc = await nats.connect(service["client"].url)
        try:
            info = await nc.jetstream().stream_info(stream_name)
            config = {**info.config.as_dict(), "max_age": 3600 * 10**9}  # nanoseconds
            reply = await nc.request(
                f"$JS.API.STREAM.UPDATE.{stream_name}", json.dumps(config).encode()
            )
            assert "error" not in json.loads(reply.data), reply.data
        finally:
            await nc.close()

    writer = service["writer"]
    asyncio.run(expire_after_an_hour())
    register(service["app"], "peel-en-maas")
    assert writer.write_checkpoint() is None
    assert writer.fault is not None and writer.fault.kind is FaultKind.MUTABLE_STREAM
    assert service["reports"][-1].verified is False
    assert "max_age 3600000000000 (not 0)" in service["reports"][-1].fault
    assert len(NatsLog(service["client"], stream_name).checkpoint_payloads()) == 1


def test_an_event_sealed_with_another_key_is_named(service, stream_name, tmp_path):
    forged = write_past_the_service(
        service["client"], stream_name, service["ids"][0], Sealer(SigningKey.generate())
    )
    code, output = verify(service, stream_name, tmp_path)
    assert code == 1, output
    assert f"position {forged}: sealed with another key" in output
    assert service["writer"].write_checkpoint() is None
    assert service["writer"].fault.position == forged


def test_an_event_whose_seal_was_copied_from_another_is_named(service, stream_name, tmp_path):
    """A seal lifted from a genuine message does not cover another message's events."""
    client = service["client"]
    genuine: list[str] = []
    NatsLog(client, stream_name).scan(0, lambda _, __, seal: genuine.append(seal))
    copied = genuine[0]

    class Copier:
        public_key = seal_key(copied)

        def seal(self, stream: str, last_hash: str) -> str:
            return copied

    forged = write_past_the_service(client, stream_name, service["ids"][2], Copier())
    code, output = verify(service, stream_name, tmp_path)
    assert code == 1, output
    assert f"position {forged}: bad event seal" in output


def test_a_forged_checkpoint_fails_its_signature(service, stream_name, tmp_path):
    client = service["client"]
    register(service["app"], "beesel")
    log = NatsLog(client, stream_name)
    genuine = verify_log(log, [service["key"]])
    # A checkpoint over the grown log that names the service's key but was signed with another.
    mallory = SigningKey.generate()
    forged = Checkpoint.sign(
        mallory, stream_name, genuine.position, genuine.events, genuine.log_hash
    )
    forged = msgspec.structs.replace(forged, public_key=service["key"])
    NatsCheckpointStore(client, stream_name).append(msgspec.json.encode(forged))

    code, output = verify(service, stream_name, tmp_path)

    assert code == 1, output
    assert f"position {genuine.position}: bad checkpoint signature" in output


def test_a_message_gone_from_the_stream_is_named_where_it_was(restartable_nats, tmp_path):
    """Bytes edited in nats-server's message file make it drop that message on restart."""
    stream = "GAPS"
    env = {
        "PERSISTENCE_MODULE": "adapters.nats",
        "NATS_URL": restartable_nats.url,
        "NATS_STREAM": stream,
        "NATS_SIGNING_KEY_FILE": str(tmp_path / "signing.key"),
    }
    app = GovernanceApplication(env=env)
    register(app, "echt-susteren", "roerdalen", "marker-maasgouw", "stein", "beek")
    app.close()
    client = NatsClient(restartable_nats.url)
    entries: list[tuple[int, list]] = []
    NatsLog(client, stream).scan(0, lambda sequence, events, _: entries.append((sequence, events)))
    client.close()
    [(gone_sequence, [(gone_position, _)])] = [
        (sequence, events)
        for sequence, events in entries
        if b"marker-maasgouw" in events[0][1].state
    ]
    restartable_nats.stop()
    [block] = list((tmp_path / "nats").rglob(f"streams/{stream}/msgs/*.blk"))
    data = bytearray(block.read_bytes())
    data[data.index(b"marker-maasgouw")] ^= 0x01
    block.write_bytes(bytes(data))
    restartable_nats.start()

    code, output = run_audit(
        "verify",
        "--nats-url",
        restartable_nats.url,
        "--public-key",
        load_signing_key(tmp_path / "signing.key").verify_key.encode().hex(),
        stream=stream,
        data_dir=tmp_path / "auditor",
    )

    assert code == 1, output
    assert f"position {gone_position}: missing event" in output
    assert f"stream message {gone_sequence} is missing" in output


def _main_code(tmp_path: Path) -> Path:
    """The code of the main branch as the service ran before events were sealed."""
    target = tmp_path / "main-code"
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", MAIN_BEFORE_SEALS], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def test_a_log_written_before_sealing_began_keeps_verifying(nats_server, stream_name, tmp_path):
    data_dir = tmp_path / "service"
    settings = Settings(
        data_dir=data_dir,
        nats_url=nats_server.url,
        nats_stream=stream_name,
        checkpoint_interval=3600,
    )
    # main's service records some facts and signs a checkpoint over them with the data dir's key.
    script = (
        "from pathlib import Path\n"
        "from adapters.settings import Settings\n"
        "from services.runtime import Runtime\n"
        "from services.commands import RegisterMunicipality\n"
        f"settings = Settings(data_dir=Path({str(data_dir)!r}), nats_url={nats_server.url!r}, "
        f"nats_stream={stream_name!r}, checkpoint_interval=3600)\n"
        "with Runtime(settings) as runtime:\n"
        "    runtime.start_checkpoints()\n"
        "    for slug in ('venlo', 'venray', 'gennep'):\n"
        "        runtime.app.register_municipality(RegisterMunicipality(principal='importer:main', "
        "municipality=slug, name=slug.title()))\n"
    )
    env = process_environment()
    subprocess.run(
        [sys.executable, "-c", script], cwd=_main_code(tmp_path), env=env, check=True, timeout=120
    )
    # Today's service writes on (sealed) and signs on.
    with Runtime(settings) as runtime:
        writer = runtime.start_checkpoints()
        first_sealed = register(runtime.app, "bergen-l", "mook-en-middelaar")
        # The writer's own first round may come after the registrations and sign them itself; then
        # this one finds nothing new. Either way the last checkpoint must cover the whole log.
        writer.write_checkpoint()
        assert writer.fault is None, writer.fault
        last_checkpoint = msgspec.json.decode(writer.log.checkpoint_payloads()[-1], type=Checkpoint)

    code, output = run_audit(
        "verify", "--nats-url", nats_server.url, stream=stream_name, data_dir=data_dir
    )

    assert code == 0, output
    client = NatsClient(nats_server.url)
    positions: list[int] = []
    NatsLog(client, stream_name).scan(
        0, lambda _, events, __: positions.extend(p for p, _ in events)
    )
    client.close()
    assert "the 3 before it were written before sealing began" in output
    assert f"every event is sealed from position {positions[3]} on" in output
    assert len(first_sealed) == 2 and len(positions) == 5
    assert (last_checkpoint.position, last_checkpoint.events) == (positions[-1], 5)


def test_a_rotated_key_keeps_what_it_signed_verifying(nats_server, stream_name, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        nats_url=nats_server.url,
        nats_stream=stream_name,
        checkpoint_interval=3600,
    )
    with Runtime(settings) as runtime:
        writer = runtime.start_checkpoints()
        register(runtime.app, "venlo", "venray")
        writer.write_checkpoint()
        assert writer.fault is None

    code, rotated = run_audit("rotate-key", stream=stream_name, data_dir=tmp_path)
    assert code == 0, rotated
    old, new = (line.split(":")[1].strip() for line in rotated.splitlines()[:2])
    key_file = settings.effective_signing_key_file
    assert load_signing_key(key_file).verify_key.encode().hex() == new
    assert all(
        p.stat().st_mode & 0o777 == 0o600
        for p in key_file.parent.iterdir()
        if p.name.endswith((".key", ".old"))
    )

    with Runtime(settings) as runtime:
        writer = runtime.start_checkpoints()
        register(runtime.app, "gennep")
        writer.write_checkpoint()
        assert writer.fault is None
    client = NatsClient(nats_server.url)
    last = msgspec.json.decode(NatsLog(client, stream_name).checkpoint_payloads()[-1])
    assert last["public_key"] == new

    assert run_audit("public-key", stream=stream_name, data_dir=tmp_path)[1].split() == [old, new]
    auditor = tmp_path / "auditor"
    url = ["--nats-url", nats_server.url]
    both = run_audit(
        "verify",
        *url,
        "--public-key",
        old,
        "--public-key",
        new,
        stream=stream_name,
        data_dir=auditor,
    )
    assert both[0] == 0, both[1]
    assert "every event is sealed" in both[1]
    # The key file's own keys (current and retired) are what verify trusts by default.
    assert run_audit("verify", *url, stream=stream_name, data_dir=tmp_path)[0] == 0
    only_new = run_audit("verify", *url, "--public-key", new, stream=stream_name, data_dir=auditor)
    assert only_new[0] == 1
    positions: list[int] = []
    NatsLog(client, stream_name).scan(
        0, lambda _, events, __: positions.extend(p for p, _ in events)
    )
    client.close()
    assert f"position {positions[0]}: sealed with another key" in only_new[1]
