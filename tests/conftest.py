pytest_plugins = ["tests.fixtures.nats", "tests.fixtures.postgres", "tests.fixtures.sql"]
