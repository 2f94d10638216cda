"""Request and response bodies of the HTTP API, named by their role.

Contract documents (problem, plan, order) travel as the contract defines them. A problem or
an order in a request is received as plain JSON and validated by `models.load_problem`, so a
bad one is answered with every error at once, cross-field ones included; the OpenAPI schema
still documents it as the contract model (`DocumentedAs`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

from api.auth import Role
from models import Change, Event, Objective, Order, Plan, Problem, Recommendation
from models.common import Duration, Instant

PlanStatus = Literal["queued", "solving", "done", "failed", "cancelled"]
VersionKind = Literal["solve", "replan"]


class DocumentedAs:
    """Annotation for a JSON object that the endpoint validates itself but that the OpenAPI
    schema documents as `model`."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        """Accept any JSON object; the endpoint validates it with every error at once."""
        return core_schema.dict_schema(core_schema.str_schema(), core_schema.any_schema())

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The contract model's schema."""
        return handler(self.model.__pydantic_core_schema__)


ProblemDocument = Annotated[dict[str, Any], DocumentedAs(Problem)]
"""A problem in the contract format, validated by the endpoint."""

OrderDocument = Annotated[dict[str, Any], DocumentedAs(Order)]
"""An order in the contract format, validated by the endpoint."""

PlanDocument = Annotated[dict[str, Any], DocumentedAs(Plan)]
"""A plan in the contract format, validated by the endpoint."""


def _not_a_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true or false")
    return value


NoBool = BeforeValidator(_not_a_bool)
"""A number field refuses true and false (which pydantic would read as 1 and 0)."""

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
"""A name for people: 1 to 200 characters, no NUL."""


class Body(BaseModel):
    """Base of request bodies: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- errors


class ErrorItem(BaseModel):
    """One input error: where it is and what is wrong."""

    path: str = Field(
        description="JSON path into the request body (`problem.orders[3].duration`), or "
        "`query.NAME` / `path.NAME` for a URL parameter."
    )
    message: str = Field(description="What is wrong, in one line.")


class ProblemDetails(BaseModel):
    """An error answer in the RFC 9457 format (`application/problem+json`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        default="about:blank",
        description="URI naming the kind of problem; about:blank for plain HTTP errors.",
    )
    title: str = Field(description="Short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong this time.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[ErrorItem] | None = Field(
        default=None, description="Invalid input only: every error found, each with its path."
    )


# --------------------------------------------------------------------------- plans


class SolveOptions(Body):
    """How to solve; each option left out is taken from the problem's `options`."""

    time_limit: Duration | None = Field(
        default=None,
        description="Wall-clock limit of the solve (ISO 8601 or seconds); capped at the "
        "service's maximum.",
    )
    seed: Annotated[int | None, NoBool] = Field(
        default=None, ge=0, le=2**31 - 1, description="Random seed."
    )
    workers: Annotated[int | None, NoBool] = Field(
        default=None, ge=1, le=64, description="CP-SAT search workers."
    )
    deterministic_limit: Annotated[float | None, NoBool] = Field(
        default=None,
        gt=0,
        le=1e6,
        description="Budget in CP-SAT deterministic seconds; with one worker and a seed the "
        "plan is reproducible (and published only when the solve ends).",
    )


class SolveRequest(Body):
    """A problem to solve, and how."""

    problem: ProblemDocument = Field(description="The problem, in the contract format.")
    options: SolveOptions = Field(
        default_factory=SolveOptions, description="Overrides of the problem's solver options."
    )


class EffectiveOptions(BaseModel):
    """The solver options a job runs with."""

    time_limit: Duration = Field(description="Wall-clock limit of the solve.")
    seed: int = Field(description="Random seed.")
    workers: int = Field(description="CP-SAT search workers.")
    deterministic_limit: float | None = Field(
        default=None, description="Budget in CP-SAT deterministic seconds, if any."
    )


class AuthorPublic(BaseModel):
    """Who did something: the API key, its name and role."""

    key_id: str | None = Field(description="Id of the API key used.")
    name: str | None = Field(default=None, description="Name given to that key.")
    role: str | None = Field(default=None, description="Role of that key.")


class PlanJob(BaseModel):
    """A submitted problem, the state of its solve and its latest plan."""

    id: str = Field(description="Plan id.")
    status: PlanStatus = Field(
        description="queued, solving, done, failed or cancelled (the job's state; the plan "
        "has its own `status`)."
    )
    version: int = Field(description="Latest stored version; 0 while there is none.")
    problem_id: str | None = Field(default=None, description="The problem's own `id`.")
    plan: Plan | None = Field(
        default=None,
        description="The latest version's plan; while solving, the best plan found so far.",
    )
    kpis: dict[str, Any] | None = Field(default=None, description="That plan's KPIs.")
    error: str | None = Field(default=None, description="Why the solve failed.")
    options: EffectiveOptions = Field(description="The solver options of the job.")
    author: AuthorPublic = Field(description="Who submitted the problem.")
    cancelled_by: str | None = Field(default=None, description="Key id that cancelled it.")
    created_at: datetime = Field(description="When the problem was submitted.")
    updated_at: datetime = Field(description="Last change of the job or of its versions.")
    started_at: datetime | None = Field(default=None, description="When the solve started.")
    finished_at: datetime | None = Field(default=None, description="When the solve ended.")


class PlanSummary(BaseModel):
    """A plan in a listing (without the plan document; fetch it by id)."""

    id: str = Field(description="Plan id.")
    status: PlanStatus = Field(description="queued, solving, done, failed or cancelled.")
    version: int = Field(description="Latest stored version; 0 while there is none.")
    problem_id: str | None = Field(default=None, description="The problem's own `id`.")
    author: AuthorPublic = Field(description="Who submitted the problem.")
    created_at: datetime = Field(description="When the problem was submitted.")
    updated_at: datetime = Field(description="Last change of the job or of its versions.")
    finished_at: datetime | None = Field(default=None, description="When the solve ended.")


class PlanPage(BaseModel):
    """One page of plans, newest first."""

    items: list[PlanSummary] = Field(description="The plans of this page.")
    total: int = Field(description="Plans matching the filters, on all pages.")
    limit: int = Field(description="Page size asked for.")
    offset: int = Field(description="Plans skipped before this page.")


# --------------------------------------------------------------------------- versions


class VersionPublic(BaseModel):
    """One version of a plan, as the service record keeps it."""

    plan_id: str = Field(description="The plan this version belongs to.")
    number: int = Field(description="Version number, from 1.")
    kind: VersionKind = Field(description="solve (version 1) or replan (after events).")
    created_at: datetime = Field(description="When the version was stored.")
    author: AuthorPublic = Field(description="Who submitted the problem or posted the events.")
    input: dict[str, Any] = Field(
        description="The request that made it: the submitted problem and options (solve), "
        "or `now`, the events and the limits (replan)."
    )
    problem: ProblemDocument = Field(
        description="The problem this version's plan answers (after the events, for a replan)."
    )
    plan: Plan = Field(description="The plan.")
    changes: list[Change] = Field(
        description="What the re-plan changed against the version before (empty for a solve)."
    )


class VersionList(BaseModel):
    """Every version of a plan, oldest first."""

    plan_id: str = Field(description="The plan.")
    items: list[VersionPublic] = Field(description="Its versions.")


class EventsRequest(Body):
    """Things that happened during the day, to re-plan from the latest version."""

    now: Instant = Field(description="The current instant; work started before it is frozen.")
    events: list[Event] = Field(max_length=10_000, description="The events, all known at `now`.")
    time_limit: Duration | None = Field(
        default=None,
        description="Wall-clock limit of the re-plan; default 5 s (the service's setting), "
        "capped at the service's maximum.",
    )
    tolerance: Duration = Field(
        default=timedelta(minutes=15),
        description="How far a start may move without counting as a change.",
    )
    version: Annotated[int | None, NoBool] = Field(
        default=None,
        ge=1,
        description="The version these events apply to; default the latest. When another "
        "version was stored since, the answer is 409.",
    )


class ReplanResponse(BaseModel):
    """The new version made by a re-plan."""

    plan_id: str = Field(description="The plan.")
    version: int = Field(description="The new version's number.")
    plan: Plan = Field(description="The new plan.")
    changes: list[Change] = Field(description="Every change against the version before.")


class RecommendRequest(Body):
    """One new order to fit into the latest version of a plan."""

    order: OrderDocument = Field(description="The new order, in the contract format.")
    now: Instant = Field(description="The current instant; work started before it is frozen.")
    k: Annotated[int, NoBool] = Field(
        default=5, ge=1, le=50, description="How many options to return at most."
    )


class RecommendationList(BaseModel):
    """The best ways to fit one new order, best first."""

    plan_id: str = Field(description="The plan.")
    version: int = Field(description="The version the options apply to.")
    order: str = Field(description="The new order's id.")
    items: list[Recommendation] = Field(description="The options, best first.")


# --------------------------------------------------------------------------- checks


class ValidateRequest(Body):
    """A problem to check against the contract."""

    problem: ProblemDocument = Field(description="The problem, in the contract format.")


class ValidationReport(BaseModel):
    """A valid problem's counts (an invalid one is answered 422 with every error)."""

    valid: bool = Field(description="Always true: an invalid problem is answered 422.")
    problem_id: str | None = Field(default=None, description="The problem's own `id`.")
    technicians: int = Field(description="Number of technicians.")
    shifts: int = Field(description="Number of shifts.")
    orders: int = Field(description="Number of orders.")
    depots: int = Field(description="Number of depots.")
    travel_model: str = Field(description="The travel model.")


class EvaluateRequest(Body):
    """A plan to score against its problem."""

    problem: ProblemDocument = Field(description="The problem, in the contract format.")
    plan: PlanDocument = Field(description="Any plan for it, in the contract format.")


class ViolationPublic(BaseModel):
    """One broken rule of the contract."""

    code: str = Field(description="Short machine code of the rule.")
    where: str = Field(description="JSON path into the plan.")
    message: str = Field(description="What is broken, in one line.")


class EvaluationPublic(BaseModel):
    """What the evaluator finds about a plan, recomputed from scratch."""

    feasible: bool = Field(description="Whether the plan breaks no rule.")
    violations: list[ViolationPublic] = Field(description="Every broken rule.")
    objective: Objective = Field(description="The plan's cost under the problem's weights.")
    kpis: dict[str, Any] = Field(description="Service-quality KPIs.")


# --------------------------------------------------------------------------- keys


class KeyCreate(Body):
    """A new API key to make."""

    role: Role = Field(description="viewer, dispatcher, coordinator or admin.")
    name: Name | None = Field(default=None, description="Who or what the key is for.")
    expires_in_days: Annotated[float | None, NoBool] = Field(
        default=None,
        gt=0,
        le=36_600,
        description="The key stops working this many days from now; default the service's "
        "key lifetime (`DISPATCH_KEY_LIFETIME_DAYS`), else never.",
    )


class KeyPublic(BaseModel):
    """An API key as listed (never its secret)."""

    id: str = Field(description="Key id, public; the key text starts with `dsp_<id>_`.")
    name: str | None = Field(default=None, description="Who or what the key is for.")
    role: Role = Field(description="viewer, dispatcher, coordinator or admin.")
    created_at: datetime = Field(description="When the key was made.")
    revoked_at: datetime | None = Field(default=None, description="When it was revoked.")
    expires_at: datetime | None = Field(
        default=None, description="When it stops working; null = never."
    )


class KeyCreated(KeyPublic):
    """A new key, with its text: shown only in this answer."""

    key: str = Field(description="The key to send as `Authorization: Bearer <key>`.")


class KeyList(BaseModel):
    """Every API key, revoked ones included."""

    items: list[KeyPublic] = Field(description="The keys, oldest first.")


# --------------------------------------------------------------------------- health


class Health(BaseModel):
    """Liveness: the process answers."""

    status: Literal["ok"] = Field(description="Always ok.")


class Readiness(BaseModel):
    """Readiness: the database answers and the solver pool takes jobs."""

    status: Literal["ready"] = Field(description="Always ready (not ready is answered 503).")
    database: Literal["ok"] = Field(description="The database answered.")
    pool_size: int = Field(description="Solver worker processes.")
    running: int = Field(description="Solves running.")
    queued: int = Field(description="Solves waiting for a worker.")
