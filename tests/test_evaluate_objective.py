"""Tests of the objective terms and the KPIs (optimizer/evaluate/objective.py).

The base problem and plan are drawn in tests/evaluate_cases.py.
"""

from __future__ import annotations

import pytest

from tests.evaluate_cases import base_plan, base_problem, run, synced, t


def test_objective_terms_are_hand_derived() -> None:
    """Every objective term under the default weights, derived by hand."""
    terms = run(base_problem(), base_plan()).objective.terms
    assert terms == {
        "unassigned": 3000.0,  # U, priority 4
        "lateness": 100.0,  # B starts 09:00, due 08:50: 10 min x 10 (priority 3)
        "overtime": 25.0,  # T1 ends 10:35, shift end 10:30: 5 min x 5
        "travel": 60.0,  # 40 + 20 min x 1
        "idle": 0.0,  # 5 idle minutes x 0
        "technician_used": 0.0,  # 2 routes x 0
        "preference": 60.0,  # C prefers T1; T2's visit x 60
        "max_lateness": 0.0,  # weight 0
    }
    assert run(base_problem(), base_plan()).objective.value == 3245.0
    assert run(base_problem(), base_plan()).objective.bound is None


def test_objective_uses_problem_weights() -> None:
    """Changed weights change the terms: idle and route costs count, lateness by priority."""
    problem = base_problem()
    problem["weights"] = {"idle": 2, "technician_used": 7, "lateness": {"3": 1.5}, "travel": 0.5}
    terms = run(problem, base_plan()).objective.terms
    assert terms["idle"] == 10.0  # T1 waits 08:55-09:00: 5 min x 2
    assert terms["technician_used"] == 14.0  # 2 routes x 7
    assert terms["lateness"] == 15.0  # 10 min x 1.5
    assert terms["travel"] == 30.0  # 60 min x 0.5
    assert "change" not in terms


def test_kpis_are_hand_derived() -> None:
    """Every KPI of the base plan, derived by hand."""
    kpis = run(base_problem(), base_plan()).kpis
    assert kpis["orders_total"] == 4
    assert kpis["orders_served"] == 3
    assert kpis["orders_unassigned"] == 1
    assert kpis["served_by_priority"] == {"1": 1, "2": 1, "3": 1, "4": 0, "5": 0}
    assert kpis["unassigned_by_priority"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0}
    # A (08:10 <= 08:15) and C (09:30 <= 10:00) are met, B (09:00 > 08:50) is missed.
    assert kpis["sla_met_rate"] == pytest.approx(2 / 3)
    assert kpis["sla_met_rate_by_priority"] == {
        "1": 1.0,
        "2": 1.0,
        "3": 0.0,
        "4": None,
        "5": None,
    }
    assert kpis["sla_met_rate_by_kind"] == {
        "installation": 0.0,  # B
        "repair": 1.0,  # A
        "maintenance": None,
        "emergency": 1.0,  # C
        "other": None,  # U has no due
    }
    # Responses (first arrival - created) of the repair A (08:10 - 07:00) and the emergency C
    # (09:30 - 06:00): 70 and 210 min; B is an installation and has none.
    # p90 of [70, 210] = 70 + 0.9 x 140.
    assert kpis["response_time_mean_minutes"] == pytest.approx(140.0)
    assert kpis["response_time_p90_minutes"] == pytest.approx(196.0)
    # Restores (end - created): A 08:40 - 07:00 = 100, C 10:10 - 06:00 = 250 min.
    assert kpis["restore_time_mean_minutes"] == pytest.approx(175.0)
    assert kpis["restore_time_p90_minutes"] == pytest.approx(235.0)
    assert kpis["response_time_by_kind"] == {
        "repair": {"mean_minutes": 70.0, "p90_minutes": 70.0},
        "emergency": {"mean_minutes": 210.0, "p90_minutes": 210.0},
    }
    assert kpis["restore_time_by_kind"] == {
        "repair": {"mean_minutes": 100.0, "p90_minutes": 100.0},
        "emergency": {"mean_minutes": 250.0, "p90_minutes": 250.0},
    }
    # B starts 09:00, due 08:50: 10 min late, priority 3.
    assert kpis["lateness_minutes_by_priority"] == {
        "1": 0.0,
        "2": 0.0,
        "3": 10.0,
        "4": 0.0,
        "5": 0.0,
    }
    assert kpis["max_lateness_minutes"] == 10.0
    assert kpis["travel_minutes"] == 60.0
    assert kpis["service_minutes"] == 130.0  # 90 (T1) + 40 (T2)
    assert kpis["working_minutes"] == 215.0  # 155 + 60
    assert kpis["idle_minutes"] == 5.0
    assert kpis["overtime_minutes"] == 5.0
    assert kpis["break_minutes"] == 15.0
    assert kpis["depot_minutes"] == 5.0
    # Service over shift length: T1 90 / 150, T2 40 / 180, all 130 / 330.
    assert kpis["utilisation_by_technician"] == pytest.approx({"T1": 0.6, "T2": 40 / 180})
    assert kpis["utilisation"] == pytest.approx(130 / 330)
    assert kpis["routes_used"] == 2


def test_max_lateness_term_weighs_the_latest_start() -> None:
    """The max_lateness term is its weight times the largest lateness over served orders."""
    problem = base_problem()
    problem["weights"] = {"max_lateness": 2}
    problem["orders"][0]["due"] = t("08:00")  # A starts 08:10: 10 min late, priority 2
    problem["orders"][1]["due"] = t("08:45")  # B starts 09:00: 15 min late, priority 3
    result = run(problem, base_plan())
    assert result.objective.terms["max_lateness"] == 30.0  # 15 min x 2
    assert result.objective.terms["lateness"] == 450.0  # 10 x 30 + 15 x 10
    assert result.kpis["max_lateness_minutes"] == 15.0
    assert result.kpis["lateness_minutes_by_priority"] == {
        "1": 0.0,
        "2": 10.0,
        "3": 15.0,
        "4": 0.0,
        "5": 0.0,
    }
    problem["orders"][1]["due"] = t("09:00")  # B on time: A's 10 min are the largest
    assert run(problem, base_plan()).objective.terms["max_lateness"] == 20.0


def test_response_time_counts_the_first_arrival_of_a_crew() -> None:
    """A crew order's response is its first technician's arrival, not the service start."""
    problem, plan = base_problem(), base_plan()
    # T2 leaves at 09:00 and waits at C from 09:10: C's response is 09:10 - 06:00 = 190 min.
    plan["routes"][1]["items"][0]["time"] = t("09:00")
    plan["routes"][1]["items"][1]["arrival"] = t("09:10")
    kpis = run(problem, synced(problem, plan)).kpis
    assert kpis["response_time_by_kind"]["emergency"]["mean_minutes"] == 190.0
    assert kpis["restore_time_by_kind"]["emergency"]["mean_minutes"] == 250.0
