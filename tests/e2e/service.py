"""The service under test now lives in tests/fixtures/processes.py; this name stays for the imports of
existing tests and benchmarks."""

from tests.fixtures.processes import Service, free_port, start_service

__all__ = ["Service", "free_port", "start_service"]
