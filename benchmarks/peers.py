"""Peer solvers on the VRPTW suites: PyVRP and OR-Tools routing, on the suite's own terms.

Each peer gets the case in the whole units our solver gets (`Case.scale` per instance time
unit): travel is `floor(10 d)` for `solomon` (scale 10, exactly the truncated distance) and
`ceil(1000 d)` for `solomon-hier` and `gh200` (scale 1000; rounding up keeps the routes feasible
when re-checked with exact distances). Service times and windows (clipped to the depot's, as in
`solomon.to_problem`) scale exactly; the fleet is the instance's K vehicles of capacity Q. For
the hierarchical suites every route costs more than any solution's total travel, so routes are
minimised first.

A peer returns routes in the instance's customer ids; `run_peer` times them into a plan with
`Case.to_plan` and assesses it with `benchmarks.run.assess`, so `feasible`, `objective` and
`gap` mean exactly what they mean for our solver (evaluator and double-precision re-check).

Neither peer is a runtime dependency: PyVRP comes with the `peers` extra
(`pip install -e '.[peers]'`) and both are imported when a peer runs. There is no TRSP peer.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks.run import assess, unsolved_record
from benchmarks.solomon import VrptwInstance
from benchmarks.suites import Case
from benchmarks.timing import ceil_seconds, trunc1_seconds
from models import SolveStatus

PEERS = ("pyvrp", "ortools")
"""Peer solvers `python -m benchmarks run --solver` accepts besides `ours`."""


NO_PYVRP = "pyvrp is not installed; install the peers extra: pip install -e '.[peers]'"
"""The one-line error when PyVRP is missing."""


class PeerUnavailable(RuntimeError):
    """A peer cannot run here (its package is missing, or it has no model of the suite)."""


@dataclass(frozen=True)
class PeerResult:
    """What a peer found: routes in instance customer ids, or none."""

    solver: str
    status: str
    """`feasible` or `infeasible` (by the peer's own account), or `no_solution`."""
    routes: list[list[int]] | None
    """Non-empty routes, customers in visiting order; None without a solution."""
    cost: int | None
    """The peer's own objective in its integer units (travel x scale, plus route costs)."""


@dataclass(frozen=True)
class VrptwData:
    """A VRPTW case in whole units of the suite's scale; index 0 is the depot."""

    ids: tuple[int, ...]
    x: tuple[int, ...]
    y: tuple[int, ...]
    travel: list[list[int]]
    service: list[int]
    ready: list[int]
    due: list[int]
    demand: list[int]
    capacity: int
    num_vehicles: int
    route_cost: int
    """Cost of each route used: 0 for distance-only suites, above any total travel otherwise."""


def vrptw_data(case: Case) -> VrptwData:
    """The case in the integer units our solver uses (see the module docstring)."""
    inst = case.instance
    if not isinstance(inst, VrptwInstance):
        raise PeerUnavailable(
            f"no peer for suite {case.suite!r}: PyVRP and OR-Tools routing run on the VRPTW "
            "suites only (solomon, solomon-hier, gh200)"
        )
    scale = case.scale
    if case.metric == "trunc1":
        travel = trunc1_seconds(inst.x, inst.y, scale)
    else:
        travel = ceil_seconds(inst.x, inst.y, scale)
    open_, close = inst.ready[0], inst.due[0]
    route_cost = 0
    if case.hierarchical:
        longest = [max(row) for row in travel]
        route_cost = sum(longest[1:]) + inst.num_vehicles * longest[0] + 1
    return VrptwData(
        ids=inst.ids,
        x=inst.x,
        y=inst.y,
        travel=travel,
        service=[s * scale for s in inst.service],
        ready=[max(r, open_) * scale for r in inst.ready],
        due=[min(d, close) * scale for d in inst.due],
        demand=list(inst.demand),
        capacity=inst.capacity,
        num_vehicles=inst.num_vehicles,
        route_cost=route_cost,
    )


def solve_pyvrp(
    case: Case, time_limit: float, seed: int, iterations: int | None = None
) -> PeerResult:
    """Solve a VRPTW case with PyVRP's iterated local search for `time_limit` seconds (or
    `iterations`, when given, with the time limit as a safety stop: reproducible).

    Raises
    ------
    PeerUnavailable
        When PyVRP is not installed, or the suite is not a VRPTW suite.
    """
    try:
        from pyvrp import Model
        from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion
    except ImportError as exc:
        raise PeerUnavailable(NO_PYVRP) from exc
    data = vrptw_data(case)
    model = Model()
    locations = [model.add_location(x, y) for x, y in zip(data.x, data.y, strict=True)]
    depot = model.add_depot(locations[0], tw_early=data.ready[0], tw_late=data.due[0])
    model.add_vehicle_type(
        num_available=data.num_vehicles,
        capacity=data.capacity,
        start_depot=depot,
        end_depot=depot,
        fixed_cost=data.route_cost,
        tw_early=data.ready[0],
        tw_late=data.due[0],
    )
    for i in range(1, len(data.ids)):
        model.add_client(
            locations[i],
            delivery=data.demand[i],
            service_duration=data.service[i],
            tw_early=data.ready[i],
            tw_late=data.due[i],
            name=str(data.ids[i]),
        )
    for i, frm in enumerate(locations):
        for j, to in enumerate(locations):
            if i != j:
                model.add_edge(frm, to, distance=data.travel[i][j], duration=data.travel[i][j])
    stop: StoppingCriterion = MaxRuntime(time_limit)
    if iterations is not None:
        stop = MultipleCriteria([MaxIterations(iterations), stop])
    result = model.solve(stop, seed=seed, collect_stats=False, display=False)
    # Client activities count the clients from 0; the instance's customers follow the depot.
    routes = [
        [data.ids[act.idx + 1] for act in route if act.is_client()]
        for route in result.best.routes()
    ]
    feasible = result.is_feasible()
    return PeerResult(
        solver="pyvrp",
        status="feasible" if feasible else "infeasible",
        routes=[r for r in routes if r],
        cost=round(result.cost()) if feasible else None,
    )


def solve_ortools(
    case: Case, time_limit: float, seed: int, workers: int = 1, iterations: int | None = None
) -> PeerResult:
    """Solve a VRPTW case with OR-Tools routing for `time_limit` seconds (or `iterations`
    solutions, when given, with the time limit as a safety stop: reproducible).

    The first solution is PATH_CHEAPEST_ARC, improved by GUIDED_LOCAL_SEARCH; a time dimension
    carries the windows (waiting allowed) and a load dimension the capacity. The routing search
    is single-threaded and takes no seed: `seed` and `workers` are accepted for a uniform
    interface and have no effect.
    """
    from datetime import timedelta

    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del seed, workers  # see the docstring
    data = vrptw_data(case)
    n, k = len(data.ids), data.num_vehicles
    manager = pywrapcp.RoutingIndexManager(n, k, 0)
    routing = pywrapcp.RoutingModel(manager)
    travel = routing.RegisterTransitMatrix(data.travel)
    routing.SetArcCostEvaluatorOfAllVehicles(travel)
    if data.route_cost:
        routing.SetFixedCostOfAllVehicles(data.route_cost)
    # Time from i to j: service at i, then the leg.
    duration = routing.RegisterTransitMatrix(
        [[data.service[i] + leg for leg in row] for i, row in enumerate(data.travel)]
    )
    horizon = data.due[0]
    routing.AddDimension(duration, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for i in range(1, n):
        time_dim.CumulVar(manager.NodeToIndex(i)).SetRange(data.ready[i], data.due[i])
    for v in range(k):
        time_dim.CumulVar(routing.Start(v)).SetRange(data.ready[0], data.due[0])
        time_dim.CumulVar(routing.End(v)).SetRange(data.ready[0], data.due[0])
    load = routing.RegisterUnaryTransitVector(data.demand)
    routing.AddDimension(load, 0, data.capacity, True, "load")

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromTimedelta(timedelta(seconds=time_limit))
    if iterations is not None:
        params.solution_limit = iterations
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return PeerResult(solver="ortools", status="no_solution", routes=None, cost=None)
    routes = []
    for v in range(k):
        route, index = [], routing.Start(v)
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            route.append(data.ids[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    return PeerResult(
        solver="ortools", status="feasible", routes=routes, cost=solution.ObjectiveValue()
    )


def check_available(solver: str) -> None:
    """Raise `PeerUnavailable` (one sentence) when the peer's package is missing."""
    if solver == "pyvrp":
        try:
            import pyvrp  # noqa: F401
        except ImportError as exc:
            raise PeerUnavailable(NO_PYVRP) from exc
    elif solver != "ortools":
        raise ValueError(f"unknown peer {solver!r}; one of {', '.join(PEERS)}")


def run_peer(
    case: Case,
    solver: str,
    time_limit: float,
    seed: int = 0,
    workers: int = 1,
    iterations: int | None = None,
) -> dict[str, Any]:
    """Solve one case with a peer and assess its routes exactly as `run_case` assesses ours
    (for `iterations` when given: see `solve_pyvrp` and `solve_ortools`).

    The record has the fields of ours (`benchmarks.run.assess`), with `solver`, the peer's
    `status` and own `peer_cost`, `wall_time` (model building included) and `params`.
    """
    solvers: dict[str, Callable[[], PeerResult]] = {
        "pyvrp": lambda: solve_pyvrp(case, time_limit, seed, iterations),
        "ortools": lambda: solve_ortools(case, time_limit, seed, workers, iterations),
    }
    if solver not in solvers:
        raise ValueError(f"unknown peer {solver!r}; one of {', '.join(PEERS)}")
    began = time.perf_counter()
    result = solvers[solver]()
    wall = time.perf_counter() - began
    if result.routes is None:
        record = unsolved_record(case, result.status, violations=[f"{solver} found no solution"])
    else:
        plan = case.to_plan(result.routes)
        if result.status != "feasible":
            plan = plan.model_copy(update={"status": SolveStatus.infeasible})
        record = assess(case, plan)
    record = {"solver": solver, **record, "peer_cost": result.cost, "wall_time": wall}
    record["params"] = {
        "time_limit": time_limit,
        "seed": seed,
        "workers": 1,  # both peers search on one thread
    }
    if iterations is not None:
        record["params"]["iterations"] = iterations
    return record
