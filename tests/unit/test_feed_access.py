"""Credentials and the generated server authorization for region systems (no server needed)."""

from __future__ import annotations

import json
import stat

import pytest

from adapters.nats.access import (
    SERVICE_ACCOUNT,
    SERVICE_USER,
    SETUP_USER,
    Credentials,
    FeedAccess,
    RegionLimits,
    region_permissions,
    url_with_credentials,
)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_credentials_are_issued_once_and_readable_by_their_owner_only(tmp_path):
    access = FeedAccess(tmp_path / "access")
    first = access.region("zuid-limburg")
    assert access.region("zuid-limburg") == first
    assert first.user == "region-zuid-limburg"
    assert mode(tmp_path / "access" / "region-zuid-limburg.json") == 0o600
    assert access.regions() == ["zuid-limburg"]
    path = access.write_server_config(tmp_path / "nats")
    assert mode(path) == 0o600
    text = path.read_text()
    assert access.service().password in text and first.password in text


def test_a_region_may_only_use_its_own_feed_stream_and_inbox():
    permissions = region_permissions("zuid-limburg", "_INBOX.zuid-limburg.t0ken")
    published = permissions["publish"]["allow"]
    assert all("REGIEKAART_FEED_zuid-limburg" in subject for subject in published)
    assert not any(
        "STREAM.DELETE" in s or "STREAM.UPDATE" in s or "STREAM.CREATE" in s for s in published
    )
    assert permissions["subscribe"]["allow"] == ["_INBOX.zuid-limburg.t0ken.>"]


def test_a_regions_inbox_cannot_be_guessed_by_another_region():
    first = Credentials(user="region-zuid-limburg", password="one")
    second = Credentials(user="region-zuid-limburg", password="two")
    assert first.inbox_prefix.startswith("_INBOX.zuid-limburg.")
    assert first.inbox_prefix != second.inbox_prefix and "one" not in first.inbox_prefix


def test_a_region_slug_must_be_a_subject_token(tmp_path):
    with pytest.raises(ValueError, match="not a region slug"):
        FeedAccess(tmp_path).region("zuid.>")


def test_a_clusters_urls_each_carry_the_credentials():
    credentials = Credentials(user="regiekaart", password="s3cret")
    assert url_with_credentials("nats://a:4222, nats://b:4222", credentials) == (
        "nats://regiekaart:s3cret@a:4222,nats://regiekaart:s3cret@b:4222"
    )
    for url in ("a:4222", "nats://other:pw@a:4222", " , "):
        with pytest.raises(ValueError):
            url_with_credentials(url, credentials)


def accounts_of(config: str) -> dict:
    """The generated block's accounts: one JSON object a line, `"<name>": {...}`."""
    blocks = {}
    for line in config.splitlines()[1:-1]:
        name, _, block = line.strip().partition(": ")
        blocks[json.loads(name)] = json.loads(block)
    return blocks


def test_each_region_is_an_account_of_its_own_that_imports_only_its_own_feed(tmp_path):
    access = FeedAccess(tmp_path / "access", limits=RegionLimits(max_connections=3))
    zuid, zaanstreek = access.region("zuid-limburg"), access.region("zaanstreek-waterland")
    accounts = accounts_of(access.authorization_config())
    assert set(accounts) == {SERVICE_ACCOUNT, zuid.user, zaanstreek.user}
    own = accounts[zuid.user]
    assert [user["user"] for user in own["users"]] == [zuid.user]
    assert own["limits"] == {"max_connections": 3, "max_subscriptions": 1000, "max_payload": 65536}
    assert "jetstream" not in own, "a region system stores nothing of its own"
    imported = [i.get("service", i.get("stream"))["subject"] for i in own["imports"]]
    assert all(
        "REGIEKAART_FEED_zuid-limburg" in s or s.startswith(zuid.inbox_prefix) for s in imported
    )
    assert f"{zuid.inbox_prefix}.>" in imported
    offered = [e for e in accounts[SERVICE_ACCOUNT]["exports"] if e["accounts"] == [zuid.user]]
    assert offered and all(
        "REGIEKAART_FEED_zuid-limburg" in e.get("service", "")
        or e.get("stream") == f"{zuid.inbox_prefix}.>"
        for e in offered
    )
    assert {u["user"] for u in accounts[SERVICE_ACCOUNT]["users"]} == {SERVICE_USER, SETUP_USER}
