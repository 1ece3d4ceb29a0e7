"""The auditor's page: verification status, checkpoints and the export, for auditors and admins only
(the audit routes' rule). The export itself needs the NATS event store: the browser tests download
it from a real service."""

from __future__ import annotations

from litestar.testing import TestClient

from api.context import ApiContext
from services.authorisation import Role
from tests.integration.api.test_web_pages import _sign_in, _token


def test_an_auditor_sees_the_status_and_a_link_to_the_export(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.AUDITOR))
    page = client.get("/controle")
    assert page.status_code == 200
    assert "Verificatiestatus" in page.text and 'href="/controle/export"' in page.text
    # this in-process store is no NATS log: the page says so instead of failing
    assert "Niet beschikbaar: the audit trail needs the NATS event store" in page.text
    assert 'href="/controle"' in client.get("/").text


def test_a_coordinator_and_a_region_system_get_no_audit_page(
    client: TestClient, context: ApiContext
) -> None:
    _sign_in(client, _token(context, Role.COORDINATOR, cooperations=("nmz-limburg",)))
    assert client.get("/controle").status_code == 403
    assert client.get("/controle/export").status_code == 403
    assert 'href="/controle"' not in client.get("/").text
    _sign_in(client, _token(context, Role.REGION_SYSTEM, regions=("zuid-limburg",)))
    assert client.get("/controle").status_code == 403
