"""Dependencies of the routes, as `Annotated` aliases: settings, store, runner, and the API key
with the role a route needs."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Role
from api.db import KeyRecord
from api.errors import ApiError
from api.guard import UNAUTHENTICATED, UNKNOWN_KEY, unauthenticated
from api.jobs import SolveRunner, TaskRunner
from api.settings import Settings
from api.store import Store


class PlanLocks:
    """One lock per plan id, so that two re-plans of one plan do not race (the store's
    version check is the backstop across processes)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._users: dict[str, int] = {}

    @contextmanager
    def hold(self, plan_id: str) -> Iterator[None]:
        """Hold the plan's lock for the block."""
        with self._guard:
            lock = self._locks.setdefault(plan_id, threading.Lock())
            self._users[plan_id] = self._users.get(plan_id, 0) + 1
        try:
            with lock:
                yield
        finally:
            with self._guard:
                self._users[plan_id] -= 1
                if not self._users[plan_id]:
                    del self._users[plan_id], self._locks[plan_id]


def get_settings(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    """The application's store."""
    store: Store = request.app.state.store
    return store


def get_runner(request: Request) -> SolveRunner:
    """The application's solve runner."""
    runner: SolveRunner = request.app.state.runner
    return runner


def get_tasks(request: Request) -> TaskRunner:
    """The application's runner of short tasks (re-plans, recommendations)."""
    tasks: TaskRunner = request.app.state.tasks
    return tasks


def get_plan_locks(request: Request) -> PlanLocks:
    """The application's per-plan locks."""
    locks: PlanLocks = request.app.state.plan_locks
    return locks


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
RunnerDep = Annotated[SolveRunner, Depends(get_runner)]
PlanLocksDep = Annotated[PlanLocks, Depends(get_plan_locks)]
TasksDep = Annotated[TaskRunner, Depends(get_tasks)]

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key made with `dispatch keys create` or `POST /v1/keys`, sent as "
    "`Authorization: Bearer dsp_...`.",
)


def current_key(
    request: Request,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> KeyRecord:
    """The live API key of the request (`RequestGuard` found it before the body was read);
    401 when it is missing, unknown, revoked or expired."""
    found: KeyRecord | None = getattr(request.state, "api_key", None)
    if found is not None:
        return found
    if credentials is None:
        raise unauthenticated(UNAUTHENTICATED, None)
    record = store.authenticate(credentials.credentials)
    if record is None:
        raise unauthenticated(UNKNOWN_KEY, "invalid_token")
    return record


class RequireRole:
    """Dependency: the request's key, which must have at least `role` (else 403)."""

    def __init__(self, role: Role) -> None:
        self.role = role

    def __call__(self, key: Annotated[KeyRecord, Depends(current_key)]) -> KeyRecord:
        """The key, when its role allows what the route does."""
        if not Role(key.role).allows(self.role):
            raise ApiError(403, f"this needs the {self.role} role; the key is a {key.role}")
        return key


ViewerKey = Annotated[KeyRecord, Depends(RequireRole(Role.viewer))]
DispatcherKey = Annotated[KeyRecord, Depends(RequireRole(Role.dispatcher))]
CoordinatorKey = Annotated[KeyRecord, Depends(RequireRole(Role.coordinator))]
AdminKey = Annotated[KeyRecord, Depends(RequireRole(Role.admin))]
