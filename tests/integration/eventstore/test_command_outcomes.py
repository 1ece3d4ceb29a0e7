"""What a command reports on the JetStream store: its events' log positions and the new version, and a
version conflict when another writer saved the aggregate first (the store's optimistic concurrency)."""

from __future__ import annotations

import pytest

from domain.registry import Cooperation
from services import commands as c
from services.application import GovernanceApplication, VersionConflict
from tests.authorities import EXTERNAL


def test_a_command_reports_positions_and_version_and_a_stale_writer_gets_a_conflict(
    nats_env,
) -> None:
    first, second = GovernanceApplication(env=nats_env), GovernanceApplication(env=nats_env)
    try:
        registered = first.handle(
            c.RegisterCooperation(
                authority=EXTERNAL,
                cooperation="g7-gelderland",
                name="G7",
                cooperation_kind="bestuurlijk-overleg",
                principal="t",
            )
        )
        assert registered.version == 1
        assert registered.notification_ids == (first.recorder.max_notification_id(),)
        for region in ("achterhoek", "regio-nijmegen"):
            first.handle(
                c.RegisterRegion(region=region, name=region, principal="t", authority=EXTERNAL)
            )

        stale = second.repository.get(Cooperation.id_for("g7-gelderland"))
        first.handle(
            c.AdmitRegionToCooperation(
                authority=EXTERNAL, cooperation="g7-gelderland", region="achterhoek", principal="t"
            )
        )
        # the second writer still holds version 1 when it decides (as a concurrent request would)
        load = second.repository.get
        second.repository.get = lambda aggregate_id, **kw: (  # type: ignore[method-assign]
            stale if aggregate_id == stale.id else load(aggregate_id, **kw)
        )
        with pytest.raises(VersionConflict) as conflict:
            second.handle(
                c.AdmitRegionToCooperation(
                    authority=EXTERNAL,
                    cooperation="g7-gelderland",
                    region="regio-nijmegen",
                    principal="t",
                )
            )
        assert conflict.value.current_version == 2
        assert conflict.value.expected_version == 1
    finally:
        first.close()
        second.close()
