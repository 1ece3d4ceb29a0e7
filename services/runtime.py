"""The running service: the event store (an embedded nats-server unless a URL is given) and the
governance application on top of it, with the governance facts imported on first start."""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType

from adapters.nats.server import NatsServer
from adapters.settings import Settings
from services.application import GovernanceApplication
from services.importer import ImportReport, import_governance_facts


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self.nats_url = settings.nats_url
        self.app: GovernanceApplication | None = None

    def start(self) -> Runtime:
        if not self.nats_url:
            server = self._stack.enter_context(NatsServer(self.settings.nats_data_dir))
            self.nats_url = server.url
        self.app = GovernanceApplication(
            env={
                "PERSISTENCE_MODULE": "adapters.nats",
                "NATS_URL": self.nats_url,
                "NATS_REPLICAS": str(self.settings.nats_replicas),
            }
        )
        self._stack.callback(self.app.close)
        return self

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
