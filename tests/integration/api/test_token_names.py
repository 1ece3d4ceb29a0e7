"""Token names are unique per role among active tokens; the token id tells holders apart."""

from __future__ import annotations

import pytest

from api.context import ApiContext
from services.authorisation import Role


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
