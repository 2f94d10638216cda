"""Diffs: what changed between two versions of a plan (orders moved, added and dropped; the
objective and every KPI before and after)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import StoreDep, ViewerKey
from api.errors import not_found, responses
from api.routers.plans import PlanId, get_or_404
from models import Change, Plan
from models.plan import VisitItem

router = APIRouter(prefix="/v1/plans/{plan_id}", tags=["versions"])


class Delta(BaseModel):
    """One number before and after."""

    name: str = Field(description="What is measured: `objective` or a KPI's dotted path.")
    before: float | None = Field(description="Its value in the first version.")
    after: float | None = Field(description="Its value in the second version.")
    delta: float | None = Field(description="after - before (null when either is missing).")


class VersionDiff(BaseModel):
    """What changed from one version to another."""

    plan_id: str = Field(description="The plan.")
    before: int = Field(description="The first version compared.")
    after: int = Field(description="The second version compared.")
    moved: list[Change] = Field(
        description="Orders served in both whose lead technician or start differs."
    )
    added: list[Change] = Field(description="Orders served in the second version only.")
    dropped: list[Change] = Field(description="Orders served in the first version only.")
    objective: Delta = Field(description="The objective value before and after.")
    terms: list[Delta] = Field(description="Each objective term before and after.")
    kpis: list[Delta] = Field(description="Every numeric KPI before and after, by dotted path.")


@router.get("/diff", summary="Compare two versions", responses=responses(401, 403, 404, 422))
def diff_versions(
    plan_id: PlanId,
    key: ViewerKey,
    store: StoreDep,
    before: Annotated[int, Query(ge=1, le=2**31 - 1, description="The first version.")],
    after: Annotated[int, Query(ge=1, le=2**31 - 1, description="The second version.")],
) -> VersionDiff:
    """Orders moved (technician or start), added and dropped from version `before` to
    version `after`, with the objective, its terms and the KPIs before and after."""
    get_or_404(store, plan_id)
    plans = []
    for number in (before, after):
        record = store.get_version(plan_id, number)
        if record is None:
            raise not_found(f"version of plan '{plan_id}'", number)
        plans.append(Plan.model_validate(record.plan))
    return diff(plan_id, before, after, plans[0], plans[1])


def diff(plan_id: str, before: int, after: int, old: Plan, new: Plan) -> VersionDiff:
    """The difference of two plans."""
    was, now = served(old), served(new)
    moved, added, dropped = [], [], []
    for order, (tech, start) in now.items():
        if order not in was:
            added.append(Change(order=order, to_technician=tech, new_start=start))
        elif was[order] != (tech, start):
            old_tech, old_start = was[order]
            moved.append(
                Change(
                    order=order,
                    from_technician=old_tech,
                    to_technician=tech,
                    old_start=old_start,
                    new_start=start,
                )
            )
    for order, (tech, start) in was.items():
        if order not in now:
            dropped.append(Change(order=order, from_technician=tech, old_start=start))
    old_terms, new_terms = old.objective.terms, new.objective.terms
    return VersionDiff(
        plan_id=plan_id,
        before=before,
        after=after,
        moved=moved,
        added=added,
        dropped=dropped,
        objective=delta("objective", old.objective.value, new.objective.value),
        terms=[
            delta(name, old_terms.get(name), new_terms.get(name))
            for name in sorted(set(old_terms) | set(new_terms))
        ],
        kpis=[
            delta(name, a, b)
            for name, (a, b) in sorted(_pairs(numbers(old.kpis), numbers(new.kpis)).items())
        ],
    )


def served(plan: Plan) -> dict[str, tuple[str, datetime]]:
    """Order id -> (lead technician, start) of every served order, in route order."""
    out: dict[str, tuple[str, datetime]] = {}
    for route in plan.routes:
        for item in route.items:
            if isinstance(item, VisitItem) and item.order not in out:
                out[item.order] = (item.crew[0] if item.crew else route.technician, item.start)
    return out


def delta(name: str, before: float | None, after: float | None) -> Delta:
    """A number before and after."""
    change = None if before is None or after is None else after - before
    return Delta(name=name, before=before, after=after, delta=change)


def numbers(data: Any, prefix: str = "") -> dict[str, float]:
    """Every number in nested KPI data, by dotted path (`sla_met_rate.1`)."""
    out: dict[str, float] = {}
    if isinstance(data, bool):
        return out
    if isinstance(data, int | float):
        out[prefix] = float(data)
    elif isinstance(data, dict):
        for k, v in data.items():
            out |= numbers(v, f"{prefix}.{k}" if prefix else str(k))
    return out


def _pairs(
    old: dict[str, float], new: dict[str, float]
) -> dict[str, tuple[float | None, float | None]]:
    return {k: (old.get(k), new.get(k)) for k in set(old) | set(new)}
