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
