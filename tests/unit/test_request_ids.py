"""A request id the service makes is 32 lowercase hex digits, new for each request."""

from __future__ import annotations

import re

from api.observability import _new_request_id


def test_a_new_request_id_is_32_hex_digits_and_new_each_time() -> None:
    made = [_new_request_id() for _ in range(2000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", made_id) for made_id in made)
    assert len(set(made)) == len(made)
    # Leading zero digits are kept: among 2000 ids, some start with a 0 (each one in 16).
    assert any(made_id.startswith("0") for made_id in made)
