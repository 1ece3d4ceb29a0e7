from __future__ import annotations

import pytest
from granian.constants import HTTPModes

from adapters.settings import Settings
from entrypoints.connection_limits import granian_options


def test_granian_is_started_with_the_bounds_of_the_settings():
    settings = Settings.from_env(
        {
            "REGIEKAART_API_HEADER_TIMEOUT": "2.5",
            "REGIEKAART_API_MAX_HEADER_BYTES": "9000",
            "REGIEKAART_API_MAX_CONNECTIONS_PER_WORKER": "300",
        }
    )
    options = granian_options(settings)
    assert options["http"] is HTTPModes.http1
    assert options["http1_settings"].header_read_timeout == 2500
    assert options["http1_settings"].max_buffer_size == 9000
    assert options["backpressure"] == 300


def test_the_connections_per_worker_stay_within_the_open_files_limit():
    settings = Settings.from_env({})
    assert granian_options(settings, open_files=1024)["backpressure"] == 1024 - 256
    assert granian_options(settings, open_files=100_000)["backpressure"] == 2048


def test_a_header_bound_hyper_cannot_take_is_refused():
    with pytest.raises(ValueError, match="at least 8192"):
        granian_options(Settings.from_env({"REGIEKAART_API_MAX_HEADER_BYTES": "4096"}))
