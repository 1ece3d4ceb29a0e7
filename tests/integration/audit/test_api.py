"""The auditor's routes over HTTP, on the service's log of the real facts on NATS: the published key,
the checkpoints, and an export that verifies offline."""

from __future__ import annotations

import io

import pytest
from litestar.testing import TestClient

from adapters.audit import public_key_path
from adapters.sql import create_engine, migrate
from api.app import create_app
from api.context import ApiContext
from entrypoints.runtime import governance_application
from projections.audit import verify_export
from services.authorisation import Role
from tests.integration.api.conftest import bearer


@pytest.fixture(scope="module")
def api(served, tmp_path_factory):
    settings, _ = served
    app = governance_application(settings, settings.nats_url)
    engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('api') / 'api.sqlite'}")
    migrate(engine)
    context = ApiContext(app, engine)
    with TestClient(create_app(context, settings)) as client:
        yield client, context, settings
    engine.dispose()
    app.close()


def test_the_public_key_is_published_to_anyone(api):
    client, _, settings = api
    answer = client.get("/audit/public-key")
    assert answer.status_code == 200
    assert answer.json() == {
        "algorithm": "Ed25519",
        "public_key": public_key_path(settings.data_dir).read_text().strip(),
    }


def test_auditors_read_the_checkpoints_and_an_export_that_verifies_offline(api):
    client, context, settings = api
    auditor = bearer(context, Role.AUDITOR)
    checkpoints = client.get("/audit/checkpoints", headers=auditor).json()
    assert checkpoints and all(c["stream"] == settings.nats_stream for c in checkpoints)

    answer = client.get("/audit/export", headers=auditor)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    key = client.get("/audit/public-key").json()["public_key"]
    verified = verify_export(io.BytesIO(answer.content), [key])
    assert verified.checkpoint is not None
    assert verified.checkpoint.position == checkpoints[-1]["position"]


def test_the_audit_trail_is_for_auditors_and_admins(api):
    client, context, _ = api
    coordinator = bearer(context, Role.COORDINATOR, cooperations=("nmz-limburg",))
    for route in ("/audit/checkpoints", "/audit/export"):
        assert client.get(route, headers=coordinator).status_code == 403
        assert client.get(route).status_code == 401
