"""The running service: the event store (an embedded nats-server unless a URL is given), the governance
application on top of it, with the governance facts imported on first start, the region feeds, and the
read models (the governance maps) in the SQL database of the settings, kept up to date by a projection
runner, and the writer of signed checkpoints over the event log.

The embedded server admits only the users in the generated access configuration
(``adapters.nats.access``): the service itself, and each region system that was issued credentials.
A server given by URL is the operator's: its URL carries the service's credentials
(``regiekaart feeds service-password``), and ``regiekaart feeds server-config`` prints the
authorization block to give it (the cluster nodes of ``deploy/`` include it).

This is the one composition root: the only module that wires the write side (``services``), the read
side (``projections``) and the adapters together; the CLI, the server and each API worker start the
service through it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType

from sqlalchemy import Engine

from adapters.audit import event_log_status_path, write_event_log_status
from adapters.data_dir import owning
from adapters.nats.access import (
    SERVICE_ACCOUNT,
    feed_access,
    include_authorization,
    url_with_credentials,
    url_without_credentials,
)
from adapters.nats.audit import NatsCheckpointStore, NatsLog
from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedPublisher
from adapters.nats.server import NatsServer, move_streams_to_account
from adapters.private_files import private_directory
from adapters.seal import known_public_keys, load_signing_key
from adapters.settings import Settings
from adapters.sql import create_engine, migrate
from adapters.supervision import Supervisor
from api.context import ApiContext
from projections.audit import CheckpointWriter, seal_check
from projections.feeds import FEEDS_LEASE_NAME, FeedProjection
from projections.lease import Lease
from projections.log_source import SealChecks
from projections.runner import BATCH_SIZE, ProjectionRunner
from projections.work_status import PROJECTIONS_WORKER, WorkStatus
from services.application import GovernanceApplication
from services.importer import ImportReport, import_governance_facts


@contextmanager
def event_store(
    settings: Settings, echo: Callable[[str], None] | None = None
) -> Iterator[tuple[str, str]]:
    """The event store's NATS as (its URL, the URL the service connects with): the configured server,
    or an embedded one run meanwhile that admits only the users of the access configuration, on the
    configured port, restarted from its data directory whenever it dies (``adapters.supervision``).
    The embedded one needs the data directory to itself (``adapters.data_dir``): DataDirInUse
    otherwise."""
    if settings.nats_url:
        yield settings.nats_url, settings.nats_url
        return
    with owning(settings.data_dir, "a process running the embedded nats-server"):
        access = feed_access(settings)
        access.write_server_config(settings.nats_data_dir)
        server = NatsServer(
            settings.nats_data_dir,
            port=settings.nats_port or None,
            extra_config=include_authorization(),
            supervised_child=True,
        )
        if move_streams_to_account(server.store_dir, SERVICE_ACCOUNT) and echo is not None:
            echo(f"moved the streams of {server.store_dir} into the account {SERVICE_ACCOUNT}")
        with server, Supervisor("nats-server", lambda: server.running, server.start, echo):
            yield server.url, url_with_credentials(server.url, access.service())


def governance_application(settings: Settings, url: str) -> GovernanceApplication:
    """The governance application on the event log of `settings`, connected to NATS at `url`."""
    return GovernanceApplication(
        env={
            "PERSISTENCE_MODULE": "adapters.nats",
            "NATS_URL": url,
            "NATS_STREAM": settings.nats_stream,
            "NATS_REPLICAS": str(settings.nats_replicas),
            "NATS_SIGNING_KEY_FILE": str(settings.effective_signing_key_file),
        }
    )


class ForeignEventLog(RuntimeError):
    """The event log ends before what the read models have applied: not the log they came from."""


@contextmanager
def worker_context(settings: Settings) -> Iterator[ApiContext]:
    """What one API worker serves: the application and the database of a runtime of its own on the
    event store ``settings`` name (a worker starts no feeds, runners or checkpoints)."""
    with Runtime(settings) as runtime:
        assert runtime.app is not None and runtime.engine is not None
        yield ApiContext(runtime.app, runtime.engine, runtime.seal_checks("regiekaart-api-seals"))


class Runtime:
    def __init__(
        self,
        settings: Settings,
        echo: Callable[[str], None] | None = None,
        *,
        rebuilding: bool = False,
    ) -> None:
        """``rebuilding``: the read models are about to be rebuilt from the log, so they need not
        match it (every other start refuses a log shorter than what they have applied)."""
        self.settings = settings
        self.echo = echo
        self.rebuilding = rebuilding
        # Stopped in this order: the workers (fan-out, projections), the checkpoint writer (a final
        # checkpoint), then the application, the database and the event store.
        self._workers = ExitStack()
        self._checkpointing = ExitStack()
        self._stack = ExitStack()
        self.nats_url = settings.nats_url
        self._service_url = settings.nats_url
        self.app: GovernanceApplication | None = None
        self.engine: Engine | None = None
        self.feeds: FeedProjection | None = None
        self.checkpoints: CheckpointWriter | None = None

    def start(self) -> Runtime:
        private_directory(self.settings.data_dir)  # secrets live here (adapters.private_files)
        self.nats_url, self._service_url = self._stack.enter_context(
            event_store(self.settings, self.echo)
        )
        self.app = governance_application(self.settings, self._service_url)
        self._stack.callback(self.app.close)
        self.engine = create_engine(self.settings.effective_database_url)
        self._stack.callback(self.engine.dispose)
        migrate(self.engine)
        if not self.rebuilding:
            self._check_the_log_is_the_one_the_maps_were_built_from()
        return self

    def _check_the_log_is_the_one_the_maps_were_built_from(self) -> None:
        """Refuses a log that ends before the position the read models have applied: it is not the
        log they were built from (a cluster whose streams stayed in another account, a wrong NATS
        URL or stream name, lost NATS volumes). Writing on would start a second history beside maps
        of the first; refusing before anything is written keeps both as they are."""
        assert self.app is not None and self.engine is not None
        # The maps' position first: the log's head only grows meanwhile, so no false alarm.
        applied = ProjectionRunner(self.app, self.engine).position() or 0
        head = self.app.recorder.max_notification_id() or 0
        if applied > head:
            raise ForeignEventLog(
                f"the read models have applied the event log up to position {applied}, but the "
                f"event log {self.settings.nats_stream} at "
                f"{url_without_credentials(self._service_url)} ends at {head}: it is not the log "
                "they were built from, and nothing was written to it. A NATS cluster whose streams "
                "were made before the accounts keeps them in another account (deploy/README.md, "
                "'Who may connect to NATS'); a log that was meant to start afresh needs its read "
                "models rebuilt (regiekaart projections rebuild)."
            )

    def start_checkpoints(self) -> CheckpointWriter:
        """Signs a checkpoint over the event log every `checkpoint_interval` seconds, and once more on
        stopping (one process of a deployment does this: the one that runs `serve`)."""
        client = NatsClient(self._service_url, name="regiekaart-checkpoints")
        self._checkpointing.callback(client.close)
        stream = self.settings.nats_stream
        key_file = self.settings.effective_signing_key_file
        status_file = event_log_status_path(self.settings.data_dir)
        status_file.unlink(missing_ok=True)  # what an earlier run found says nothing of this one
        log = NatsLog(client, stream)
        writer = CheckpointWriter(
            log,
            NatsCheckpointStore(client, stream).append,
            load_signing_key(key_file),
            self.settings.checkpoint_interval,
            trusted_keys=known_public_keys(key_file),
            report=lambda status: write_event_log_status(status_file, status),
            stream_settings=log.settings_losing_events,
        )
        self._checkpointing.callback(self._final_checkpoint, writer)
        self.checkpoints = writer.start()
        return self.checkpoints

    @property
    def service_url(self) -> str:
        """The event store's URL with the service's own credentials (for the service's processes)."""
        return self._service_url

    def start_projections(self, batch_size: int = BATCH_SIZE) -> ProjectionRunner:
        """Keeps the maps up to date in a thread of this process, while it holds the lease."""
        assert self.app is not None and self.engine is not None, "start the runtime first"
        lease = Lease(self.engine, self.settings.projection_lease_seconds)
        runner = ProjectionRunner(
            self.app,
            self.engine,
            lease=lease,
            batch_size=batch_size,
            status=WorkStatus(self.engine, PROJECTIONS_WORKER),
            seals=self.seal_checks("regiekaart-projections"),
        )
        runner.start()
        self._workers.callback(runner.stop)
        return runner

    def start_feeds(self) -> FeedProjection:
        """Fans the log out to the region feeds (from where each feed stands) in a thread of this
        process, while it holds the feeds' lease."""
        assert self.app is not None and self.engine is not None, "start the runtime first"
        client = NatsClient(self._service_url, name="regiekaart-feeds")
        self._workers.callback(client.close)
        publisher = FeedPublisher(client, replicas=self.settings.nats_replicas)
        lease = Lease(self.engine, self.settings.projection_lease_seconds, name=FEEDS_LEASE_NAME)
        status = WorkStatus(self.engine, FEEDS_LEASE_NAME)
        seals = self.seal_checks("regiekaart-feeds-seals")
        self.feeds = FeedProjection(self.app, publisher, lease, status, seals).start()
        self._workers.callback(self.feeds.stop)
        return self.feeds

    def seal_checks(self, name: str) -> SealChecks:
        """The check of seals for a worker that hands events on (``projections.audit.seal_check``),
        made afresh for each of its reads of the log: the service's keys as the key file names them,
        the checkpoints as the log holds them then. It reads the checkpoints through a connection
        of its own (named `name`), closed with the workers."""
        client = NatsClient(self._service_url, name=name)
        self._workers.callback(client.close)
        log = NatsLog(client, self.settings.nats_stream)
        key_file = self.settings.effective_signing_key_file
        return lambda: seal_check(log, known_public_keys(key_file))

    def import_facts(self) -> ImportReport:
        assert self.app is not None, "start the runtime first"
        return import_governance_facts(self.app)

    def stop(self) -> None:
        try:
            with self._workers:
                pass
            self._say("stopped the projection runner and the region feeds")
        finally:
            try:
                self._checkpointing.close()
            finally:
                self._stack.close()
                self._say(
                    "stopped the event store" if not self.settings.nats_url else "disconnected"
                )

    def _final_checkpoint(self, writer: CheckpointWriter) -> None:
        checkpoint = writer.stop()
        if checkpoint is not None:
            self._say(f"signed a final checkpoint up to log position {checkpoint.position}")
        elif writer.fault is None:
            self._say("the last checkpoint covers the whole log")

    def _say(self, line: str) -> None:
        if self.echo is not None:
            self.echo(line)

    def __enter__(self) -> Runtime:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
