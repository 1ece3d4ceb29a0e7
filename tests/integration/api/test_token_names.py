"""Token names are unique per role among active tokens; the token id tells holders apart."""

from __future__ import annotations

import pytest

from api.context import ApiContext
from services.authorisation import Role
from tests.integration.api.conftest import bearer


def test_a_name_in_use_for_a_role_is_refused_until_its_token_is_revoked(
    context: ApiContext,
) -> None:
    first = context.tokens.create(
        name="alice", role=Role.COORDINATOR, cooperations=("g7-gelderland",)
    )
    with pytest.raises(ValueError, match="named 'alice' exists already"):
        context.tokens.create(name="alice", role=Role.COORDINATOR, cooperations=("nmz-limburg",))
    context.tokens.create(name="alice", role=Role.AUDITOR)  # another role: another name space
    assert context.tokens.revoke(first.info.token_id)
    second = context.tokens.create(
        name="alice", role=Role.COORDINATOR, cooperations=("nmz-limburg",)
    )
    principal = context.tokens.principal(second.token)
    assert principal is not None
    assert principal.id == f"coordinator:alice#{second.info.token_id}"
    assert second.info.token_id != first.info.token_id


# A name that would make one token's principal read like another's, a line break that would split a
# log line, and a name the size of a document.
NOT_TOKEN_NAMES = ["bob#3f0c1a2b3c4d", "alice\nadmin:root", "Alice", "a" * 65, ""]


@pytest.mark.parametrize("name", NOT_TOKEN_NAMES)
def test_a_token_name_that_is_not_a_slug_is_refused_and_no_token_is_made(
    context: ApiContext, client, name: str
) -> None:
    with pytest.raises(ValueError, match="token name"):
        context.tokens.create(name=name, role=Role.AUDITOR)
    admin = bearer(context, Role.ADMIN)
    answer = client.post("/tokens", json={"name": name, "role": "auditor"}, headers=admin)
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "name" in answer.text
    assert all(t["role"] == "admin" for t in client.get("/tokens", headers=admin).json())
