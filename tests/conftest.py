import pytest

pytest_plugins = [
    # First: the other fixture modules import its free_port, and pytest rewrites the asserts only
    # of plugin modules it imports itself.
    "tests.fixtures.processes",
    "tests.fixtures.nats",
    "tests.fixtures.nats_cluster",
    "tests.fixtures.postgres",
    "tests.fixtures.sql",
]


def pytest_sessionstart(session: pytest.Session) -> None:
    """Names the seed of the random test order (pytest-randomly) even under -q, where pytest shows no
    header: a failure that depends on the order is replayed with `-p randomly --randomly-seed=N`."""
    seed = getattr(session.config.option, "randomly_seed", None)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if isinstance(seed, int) and reporter is not None:
        reporter.write_line(f"random test order: -p randomly --randomly-seed={seed} replays it")
