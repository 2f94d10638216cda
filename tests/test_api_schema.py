"""Schemathesis against the service's own OpenAPI schema: generated requests, valid and
invalid, to every operation; no answer may be a 5xx or break the documented responses.

Bounded: a fixed number of examples per operation, derandomized, and a service whose solves
and re-plans are capped at a second. The default run takes 5 examples per operation and mode;
`pytest -m slow` (CI) takes 10, the count the default run took until its time mattered (the
cost is per example: 10 took twice the CPU of 5, 28 s against 14 s).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.auth import Role
from api.settings import Settings
from api.store import Store

MAX_EXAMPLES = int(os.environ.get("DISPATCH_SCHEMATHESIS_EXAMPLES", "5"))
"""Examples per operation and mode in the default run (more for a longer run:
`DISPATCH_SCHEMATHESIS_EXAMPLES=30`)."""

SLOW_EXAMPLES = 10
"""Examples per operation and mode in the `slow` run."""

MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]

SHARE = {"POST /v1/validate": 0.5, "POST /v1/evaluate": 0.4}
"""Operations whose bodies repeat a schema that another covers get this share of the examples:
both take the problem that POST /v1/plans gets every example of (evaluate, with its plan, took
about a CPU second an example to generate: a third of the run's generation at the full count)."""

EXCLUDED = [positive_data_acceptance]
"""Every check runs but this one: the contract has rules across fields that a JSON schema
cannot state (windows that end after they start, unique ids, references to known orders),
so a schema-valid problem may rightly be 422."""


@pytest.fixture(scope="module")
def service_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A service on a fresh database with every limit small."""
    folder = tmp_path_factory.mktemp("schemathesis")
    return Settings(
        db=f"sqlite:///{folder / 'dispatch.db'}",
        pool_size=1,
        queue_size=2,
        max_time_limit=1.0,
        max_wait=0.0,
        replan_time_limit=0.5,
        max_replan_time_limit=1.0,
        first_stage_seconds=0,
    )


@pytest.fixture(scope="module")
def admin_headers(service_settings: Settings) -> dict[str, str]:
    """The Authorization header of an admin key (every route is open to it)."""
    store = Store.open(service_settings.db)
    try:
        return {"Authorization": f"Bearer {store.create_key(Role.admin, 'schemathesis')[1]}"}
    finally:
        store.close()


@pytest.fixture(scope="module")
def api_schema(service_settings: Settings, admin_headers: dict[str, str]) -> Iterator[Any]:
    """The app's OpenAPI schema, loaded through the app itself (which starts it)."""
    app = create_app(service_settings)
    # Starting the app (its solver pool) can take more than the loader's 10 s when loaded.
    yield schemathesis.openapi.from_asgi("/openapi.json", app, timeout=120)
    from schemathesis.python import asgi

    asgi.shutdown_lifespans()  # stop the app's solver pool now, not at interpreter exit


def fuzz(api_schema: Any, admin_headers: dict[str, str], mode: Any, examples: int) -> None:
    """Send `examples` generated requests of the mode to every operation (fewer to those of
    `SHARE`); each answer must be documented and not a 5xx."""
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=max(1, round(examples * SHARE.get(operation.label, 1))),
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=admin_headers, excluded_checks=EXCLUDED)

        try:
            check()
        except Unsatisfiable:
            # Nothing to make invalid: an operation without parameters or body.
            assert mode is GenerationMode.NEGATIVE and not operation.body, operation.label


@pytest.mark.parametrize("mode", MODES)
def test_no_server_errors(api_schema: Any, admin_headers: dict[str, str], mode: Any) -> None:
    """Generated requests to every operation get documented, non-5xx answers."""
    fuzz(api_schema, admin_headers, mode, MAX_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_no_server_errors_on_more_examples(
    api_schema: Any, admin_headers: dict[str, str], mode: Any
) -> None:
    """`SLOW_EXAMPLES` generated requests to every operation get documented, non-5xx answers."""
    fuzz(api_schema, admin_headers, mode, SLOW_EXAMPLES)


def test_schema_lists_every_route(api_schema: Any) -> None:
    """The schema under test has every operation of the service (so the run above covers
    them all)."""
    operations = {
        (op.method.upper(), op.path) for op in (r.ok() for r in api_schema.get_all_operations())
    }
    assert ("POST", "/v1/plans") in operations and ("GET", "/readyz") in operations
    assert ("POST", "/v1/rosters") in operations
    assert len(operations) == 28  # 15 + the board's 4 + the booking's 6 + the rosters' 3
    assert set(SHARE) <= {f"{method} {path}" for method, path in operations}
