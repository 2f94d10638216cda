"""Fixtures shared by the service tests: a fresh database and a running service (from
tests/test_api.py, where they are defined)."""

from tests.test_api import db_url, service

__all__ = ["db_url", "service"]
