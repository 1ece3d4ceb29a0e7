"""An app that is done with is freed: nothing of the API keeps it alive once its server is gone. The
tests build an app per test, hundreds in one process; apps kept alive made that process's heap grow
past a million objects and its garbage collections (its exit above all) take minutes."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from litestar.testing import TestClient

from adapters.sql import create_engine, migrate
from api.app import create_app
from api.context import ApiContext
from services.application import GovernanceApplication
from services.authorisation import Role
from tests.integration.api.conftest import IN_MEMORY, bearer


def served_once(database: Path) -> weakref.ref[ApiContext]:
    """An app that answered a map on a day and a repeated parameter (the query checks), then
    stopped; a weak reference to its context, which the app holds (the app itself takes none)."""
    engine = create_engine(f"sqlite:///{database}")
    migrate(engine)
    context = ApiContext(GovernanceApplication(env=IN_MEMORY), engine)
    app = create_app(context)
    with TestClient(app) as client:
        reader = bearer(context, Role.AUDITOR)
        dated = client.get("/regions/noord-limburg/map?as_of=1990-01-01", headers=reader)
        repeated = client.get("/events?after=1&after=2", headers=reader)
    engine.dispose()
    assert dated.status_code == 404, dated.text
    assert repeated.status_code == 400 and "after" in repeated.text, repeated.text
    return weakref.ref(context)


def test_an_app_whose_server_stopped_is_freed(tmp_path: Path) -> None:
    first = served_once(tmp_path / "first.sqlite")
    # The last app built stays referenced by Litestar's registration of module-level handlers.
    served_once(tmp_path / "second.sqlite")
    gc.collect()
    assert first() is None, "the first app, or its context, is still alive"
