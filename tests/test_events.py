"""Re-planning events applied to the problem: unknown ids and wrong kinds are input errors;
a cancelled order takes its links with it."""

from __future__ import annotations

import pytest

from models import InvalidInput, Plan, Problem, parse_model
from optimizer.replan import replan
from tests.factory import at
from tests.replan_cases import NOW, checked, day, events, solved_day, visit


@pytest.fixture(scope="module")
def base() -> tuple[Problem, Plan]:
    """The day solved at dawn."""
    return solved_day()


def test_unknown_ids_in_events_are_input_errors(base):
    """Events naming unknown orders or technicians are reported with their paths."""
    p, plan = base
    with pytest.raises(InvalidInput) as err:
        replan(
            p,
            plan,
            NOW,
            events(
                {"type": "order_cancelled", "order": "NOPE"},
                {
                    "type": "technician_unavailable",
                    "technician": "Z",
                    "from": at("10:00"),
                    "until": at("11:00"),
                },
            ),
        )
    assert [e.path for e in err.value.errors] == ["events[0].order", "events[1].technician"]


def test_position_of_the_wrong_kind_is_an_input_error(base):
    """A lat/lon position on a planar (euclidean) day is reported with its path."""
    p, plan = base
    with pytest.raises(InvalidInput) as err:
        replan(
            p,
            plan,
            NOW,
            events(
                {
                    "type": "technician_position",
                    "technician": "W",
                    "location": {"lat": 1, "lon": 2},
                    "at": at("09:00"),
                }
            ),
        )
    assert [e.path for e in err.value.errors] == ["events[0].location"]


def test_cancelling_one_of_a_linked_pair_drops_the_link(base):
    """Cancelling W3, to which W2 is linked, removes the link: W2 is planned on its own."""
    data = day().model_dump(mode="json", exclude_none=True)
    data["orders"][1]["linked"] = [{"order": "W3", "min_gap": "-PT3H", "max_gap": "PT3H"}]
    p = parse_model(Problem, data)
    _, plan = base
    res = checked(p, plan, events({"type": "order_cancelled", "order": "W3"}))
    w2 = next(o for o in res.problem.orders if o.id == "W2")
    assert w2.linked == []
    assert visit(res.plan, "W2") is not None
