"""A first connection that fails says why: a server that refuses the credentials is not one that is
not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.nats.client import NatsClient, NatsUnreachable
from adapters.nats.server import NatsServer


def test_a_refused_password_is_named_and_not_shown(tmp_path: Path) -> None:
    with NatsServer(
        tmp_path, extra_config="authorization { user: reader, password: right-one }"
    ) as server:
        url = server.url.replace("nats://", "nats://reader:wrong-one@")
        with pytest.raises(NatsUnreachable) as refused:
            NatsClient(url, timeout=1.0)
    assert "Authorization Violation" in str(refused.value)
    assert "wrong-one" not in str(refused.value)
