"""A first connection that fails says why: a server that refuses the credentials is not one that is
not there."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import pytest

from adapters.nats.client import NatsClient, NatsUnreachable
from adapters.nats.server import NatsServer


@pytest.mark.parametrize("reconnect", [True, False], ids=["a service", "a one-off reader"])
def test_a_refused_password_is_named_and_not_shown(tmp_path: Path, reconnect: bool) -> None:
    # A one-off reader (an auditor's command) tries once; it met nats-py's own error unexplained.
    with NatsServer(
        tmp_path, extra_config="authorization { user: reader, password: right-one }"
    ) as server:
        url = server.url.replace("nats://", "nats://reader:wrong-one@")
        with pytest.raises(NatsUnreachable) as refused:
            NatsClient(url, timeout=1.0, reconnect=reconnect)
    assert "Authorization Violation" in str(refused.value)
    assert "wrong-one" not in str(refused.value)


def test_a_server_that_never_answers_is_given_up_on_after_a_few_attempts() -> None:
    # Accepts connections (the kernel does) and says nothing, as a black-holed address: each attempt
    # waits the whole connect timeout, so "about `timeout` in all" must not mean that many attempts
    # (it was round(timeout / 0.25) of them: 8 here, 100 s with the default 5 s).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"nats://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(NatsUnreachable):
            NatsClient(url, timeout=1.0)
        silent.setblocking(False)
        attempts = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                silent.accept()[0].close()
                attempts += 1
    assert 1 <= attempts <= 2
