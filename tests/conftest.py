"""Fixtures shared by the service tests: a fresh database and a running service (from
tests/test_api.py, where they are defined); tests that need a PostgreSQL server run only when
DISPATCH_TEST_POSTGRES names one (.ci/run's PostgreSQL stage), deselected otherwise."""

from __future__ import annotations

import os

import pytest

from tests.test_api import db_url, service

__all__ = ["db_url", "service"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without DISPATCH_TEST_POSTGRES, leave out the tests marked `postgres` (counted as
    deselected, like the slow ones), rather than skipping them in every default run."""
    if os.environ.get("DISPATCH_TEST_POSTGRES"):
        return
    kept, left = [], []
    for item in items:
        (left if item.get_closest_marker("postgres") else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
