from __future__ import annotations

from pathlib import Path

import pytest

from adapters.settings import Settings


def test_settings_come_from_the_environment_and_options_win():
    settings = Settings.from_env(
        {"REGIEKAART_DATA_DIR": "/srv/regiekaart", "REGIEKAART_CHECKPOINT_INTERVAL": "5"},
        nats_url="nats://elsewhere:4222",
    )
    assert settings.data_dir == Path("/srv/regiekaart")
    assert settings.checkpoint_interval == 5.0 and settings.nats_url == "nats://elsewhere:4222"
    assert Settings.from_env({}, data_dir=Path("here")).data_dir == Path("here")


def test_a_setting_of_the_wrong_kind_is_a_readable_error():
    with pytest.raises(ValueError, match="invalid setting"):
        Settings.from_env({"REGIEKAART_API_PORT": "eighty"})


def test_a_nats_url_option_with_a_password_is_refused():
    with pytest.raises(ValueError, match=r"must not carry a password.*REGIEKAART_NATS_PASSWORD"):
        Settings.from_env({}, nats_url="nats://auditor:secret@nats-1:4222")


def test_the_nats_password_comes_from_the_environment_or_a_file(tmp_path):
    cluster = "nats://nats-1:4222,nats://auditor@nats-2:4222"
    from_variable = Settings.from_env(
        {"REGIEKAART_NATS_USER": "auditor", "REGIEKAART_NATS_PASSWORD": "s3cret-pw"},
        nats_url=cluster,
    )
    assert from_variable.nats_url == (
        "nats://auditor:s3cret-pw@nats-1:4222,nats://auditor:s3cret-pw@nats-2:4222"
    )
    assert from_variable.nats_password == ""

    password_file = tmp_path / "nats-password"
    password_file.write_text("from-a-file\n")
    from_file = Settings.from_env(
        {
            "REGIEKAART_NATS_URL": "nats://regiekaart@nats-1:4222",
            "REGIEKAART_NATS_PASSWORD_FILE": str(password_file),
        }
    )
    assert from_file.nats_url == "nats://regiekaart:from-a-file@nats-1:4222"


def test_a_nats_password_without_a_user_or_twice_is_a_readable_error():
    with pytest.raises(ValueError, match="needs a user"):
        Settings.from_env(
            {"REGIEKAART_NATS_URL": "nats://h:4222", "REGIEKAART_NATS_PASSWORD": "pw"}
        )
    with pytest.raises(ValueError, match="given twice"):
        Settings.from_env(
            {"REGIEKAART_NATS_URL": "nats://u:pw@h:4222", "REGIEKAART_NATS_PASSWORD": "pw"}
        )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("nats://h:notaport", "its port is no number"),
        ("nats://h:70000", "its port is no number"),
        ("nats://h:0", "its port is no number"),
        ("nats://[::1", "IPv6"),
        ("http://h:4222", "scheme 'http'"),
        ("nats://:4222", "no host"),
        ("nats://good:4222,nats://bad:port", "'nats://bad:port'"),
    ],
)
def test_a_nats_url_no_client_could_use_is_refused_with_its_reason(url: str, reason: str):
    """nats-py met these only on connecting, with an "invalid connect url" traceback."""
    for given in ({"environ": {"REGIEKAART_NATS_URL": url}}, {"environ": {}, "nats_url": url}):
        with pytest.raises(ValueError, match="is not a NATS server's URL") as refused:
            Settings.from_env(**given)
        assert reason in str(refused.value)


def test_a_refused_nats_url_is_shown_without_its_password():
    with pytest.raises(ValueError) as refused:
        Settings.from_env({"REGIEKAART_NATS_URL": "nats://reader:s3cret@h:notaport"})
    assert "s3cret" not in str(refused.value)
    assert "reader:***@h:notaport" in str(refused.value)


@pytest.mark.parametrize(
    "url", ["nats://h:4222", "localhost:4222", "localhost", "tls://h:4443", "ws://h", "nats://h"]
)
def test_the_forms_of_nats_url_a_client_takes_are_kept(url: str):
    assert Settings.from_env({"REGIEKAART_NATS_URL": url}).nats_url == url


def test_a_nats_url_option_replaces_the_environments_unchecked():
    # The option's URL is the one used: the environment's, replaced, is not the user's mistake.
    settings = Settings.from_env({"REGIEKAART_NATS_URL": "nats://h:bad"}, nats_url="nats://h:4222")
    assert settings.nats_url == "nats://h:4222"


@pytest.mark.parametrize(
    ("url", "parts_of_the_password"),
    [
        ("nats://reader:pass/word@h:4222", ("pass", "word")),
        ("nats://reader:s3cr#et@h:4222", ("s3cr",)),
        ("nats://reader:sec?ret@h:4222", ("sec",)),
        ("nats://reader:xy://zw@h:4222", ("xy", "zw")),
    ],
)
def test_no_part_of_a_refused_nats_urls_password_is_in_its_reason(
    url: str, parts_of_the_password: tuple[str, ...]
):
    # A password with a "/", "#" or "?" ends the URL's host early: its first part was read as the
    # port, and the reason quoted it ("Port could not be cast to integer value as 'pass'").
    with pytest.raises(ValueError) as refused:
        Settings.from_env({"REGIEKAART_NATS_URL": url})
    for part in parts_of_the_password:
        assert part not in str(refused.value)


def test_a_nats_url_without_scheme_is_read_as_nats_when_a_password_is_added():
    # It was read as a scheme: "localhost://reader:pw@/4222", a URL no client could use.
    settings = Settings.from_env(
        {
            "REGIEKAART_NATS_URL": "localhost:4222,nats://h2:4222",
            "REGIEKAART_NATS_USER": "reader",
            "REGIEKAART_NATS_PASSWORD": "pw",
        }
    )
    assert settings.nats_url == "nats://reader:pw@localhost:4222,nats://reader:pw@h2:4222"


def test_a_nats_url_without_scheme_carrying_a_password_is_refused_as_an_option():
    # Read as the scheme "reader", it carried no password, and went onto the command line.
    with pytest.raises(ValueError, match="must not carry a password"):
        Settings.from_env({}, nats_url="reader:s3cret@h:4222")


def test_a_cluster_of_websocket_and_plain_nats_servers_is_refused():
    # nats-py refuses to mix them ("mixing of websocket and non websocket URLs is not allowed"),
    # on connecting only.
    with pytest.raises(ValueError, match="is not a NATS cluster's URL"):
        Settings.from_env({"REGIEKAART_NATS_URL": "nats://a:4222,ws://b:8080"})
    for cluster in ("nats://a:4222,tls://b:4443", "ws://a:8080,wss://b:443"):
        assert Settings.from_env({"REGIEKAART_NATS_URL": cluster}).nats_url == cluster


@pytest.mark.parametrize("url", ["nats://reader:pw@ho st:4222", "nats://h\tx:4222"])
def test_a_nats_url_holding_a_blank_is_refused(url: str):
    # No host's name holds one: a space passed, and was looked up in vain on every connection
    # attempt; a tab was dropped unsaid by urlsplit (and nats-py), the host read as "hx".
    with pytest.raises(ValueError, match="a blank") as refused:
        Settings.from_env({"REGIEKAART_NATS_URL": url})
    assert "pw" not in str(refused.value)
