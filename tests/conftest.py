pytest_plugins = [
    "tests.fixtures.nats",
    "tests.fixtures.nats_cluster",
    "tests.fixtures.postgres",
    "tests.fixtures.processes",
    "tests.fixtures.sql",
]
