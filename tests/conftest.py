pytest_plugins = [
    "tests.fixtures.nats",
    "tests.fixtures.nats_cluster",
    "tests.fixtures.postgres",
    "tests.fixtures.sql",
]

def pytest_collection_modifyitems(config, items):
    """Benchmarks are measured runs, not tests: they run only when `-m benchmark` asks for them."""
    if "benchmark" in (config.getoption("markexpr") or ""):
        return
    import pytest

    skip = pytest.mark.skip(reason="benchmark: run with `make bench`")
    for item in items:
        if "benchmark" in item.keywords:
            item.add_marker(skip)
