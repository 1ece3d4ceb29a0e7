"""The running service: the event store (an embedded nats-server unless a URL is given), the governance
application on top of it, with the governance facts imported on first start, the region feeds, and the
read models (the governance maps) in the SQL database of the settings, kept up to date by a projection
runner.

The embedded server admits only the users in the generated access configuration
(``adapters.nats.access``): the service itself, and each region system that was issued credentials.
A server given by URL is the operator's: its URL carries the service's credentials, and
``regiekaart feeds server-config`` prints the authorization block to give it."""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType

from sqlalchemy import Engine

from adapters.nats.access import FeedAccess, include_authorization, url_with_credentials
from adapters.nats.client import NatsClient
from adapters.nats.feeds import FeedPublisher
from adapters.nats.server import NatsServer
from adapters.settings import Settings
from adapters.sql import create_engine, migrate
from projections.feeds import FeedProjection
from projections.lease import Lease
from projections.runner import BATCH_SIZE, ProjectionRunner
from services.application import GovernanceApplication
from services.importer import ImportReport, import_governance_facts


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self.nats_url = settings.nats_url
        self._service_url = settings.nats_url
        self.app: GovernanceApplication | None = None
        self.engine: Engine | None = None
        self.feeds: FeedProjection | None = None

    def start(self) -> Runtime:
        if not self.nats_url:
            access = FeedAccess(self.settings.access_dir)
            access.write_server_config(self.settings.nats_data_dir)
            server = self._stack.enter_context(
                NatsServer(self.settings.nats_data_dir, extra_config=include_authorization())
            )
            self.nats_url = server.url
            self._service_url = url_with_credentials(server.url, access.service())
        self.app = GovernanceApplication(
            env={
                "PERSISTENCE_MODULE": "adapters.nats",
                "NATS_URL": self._service_url,
                "NATS_REPLICAS": str(self.settings.nats_replicas),
            }
        )
        self._stack.callback(self.app.close)
        self.engine = create_engine(self.settings.effective_database_url)
        self._stack.callback(self.engine.dispose)
        migrate(self.engine)
        return self

    @property
    def service_url(self) -> str:
        """The event store's URL with the service's own credentials (for the service's processes)."""
        return self._service_url

    def start_projections(self, batch_size: int = BATCH_SIZE) -> ProjectionRunner:
        """Keeps the maps up to date in a thread of this process, while it holds the lease."""
        assert self.app is not None and self.engine is not None, "start the runtime first"
        lease = Lease(self.engine, self.settings.projection_lease_seconds)
        runner = ProjectionRunner(self.app, self.engine, lease=lease, batch_size=batch_size)
        runner.start()
        self._stack.callback(runner.stop)
        return runner

    def start_feeds(self) -> FeedProjection:
        """Starts fanning the log out to the region feeds (from where each feed stands)."""
        assert self.app is not None, "start the runtime first"
        client = NatsClient(self._service_url, name="regiekaart-feeds")
        self._stack.callback(client.close)
        publisher = FeedPublisher(client, replicas=self.settings.nats_replicas)
        self.feeds = FeedProjection(self.app, publisher).start()
        self._stack.callback(self.feeds.stop)
        return self.feeds

    def import_facts(self) -> ImportReport:
        assert self.app is not None, "start the runtime first"
        return import_governance_facts(self.app)

    def stop(self) -> None:
        self._stack.close()

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
