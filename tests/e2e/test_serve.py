"""`regiekaart serve` on the embedded default: starts its own NATS, loads the facts once, prints the API's
address and an admin token on first start only, stops cleanly."""

from __future__ import annotations

import httpx


def test_serve_loads_the_facts_once_and_keeps_them_across_restarts(
    tmp_path, own_database_url, own_service
):
    first = own_service(tmp_path, database_url=own_database_url, workers=1)
    assert any("commands recorded, 0 already present" in line for line in first.lines), first.lines
    assert any(
        line.startswith("API: http://127.0.0.1:") and "/schema" in line for line in first.lines
    )
    assert first.admin_token
    assert httpx.get(f"{first.url}/schema/openapi.json").json()["openapi"].startswith("3.1")
    assert "stopped" in first.stop()

    second = own_service(tmp_path, database_url=own_database_url, workers=1)
    assert any(line.startswith("governance facts: 0 commands recorded") for line in second.lines)
    assert second.admin_token is None, "the admin token is printed on first start only"
    answer = httpx.get(
        f"{second.url}/events?limit=1", headers={"Authorization": f"Bearer {first.admin_token}"}
    )
    assert answer.status_code == 200
    second.stop()
