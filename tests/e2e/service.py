"""The service under test now lives in tests/fixtures/processes.py; this module stays for the
imports of tests written against its old place."""

from tests.fixtures.processes import Service, free_port, start_service

__all__ = ["Service", "free_port", "start_service"]
