"""The roster contract: a valid problem parses; bad input reports every error with its path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from models import InvalidInput
from models.roster import load_roster_problem


def problem_doc() -> dict[str, Any]:
    """A small valid roster problem document."""
    return {
        "id": "east-2027-01",
        "start_date": "2027-01-04",
        "days": 14,
        "timezone": "+08:00",
        "shift_types": [
            {"id": "D", "start": "08:00", "duration": "PT9H"},
            {"id": "N", "start": "22:00", "duration": "PT9H", "cannot_follow": ["D"]},
        ],
        "staff": [
            {
                "id": "T01",
                "skills": {"fiber": 3},
                "region": "east",
                "home": {"lat": 1.3, "lon": 103.8},
                "max_shifts": {"N": 6},
                "max_minutes": 9600,
                "min_consecutive_shifts": 2,
                "max_consecutive_shifts": 5,
                "days_off": [0, 13],
                "requests": [{"day": 3, "shift": "D", "on": True, "weight": 2}],
            }
        ],
        "cover": [{"day": 0, "shift": "N", "skill": "fiber", "min_level": 3, "required": 1}],
    }


def errors_of(doc: dict[str, Any]) -> dict[str, str]:
    """The errors of loading `doc`, path -> message."""
    with pytest.raises(InvalidInput) as info:
        load_roster_problem(doc)
    return {e.path: e.message for e in info.value.errors}


def test_valid_problem_parses() -> None:
    """The contract's example loads with its defaults filled in."""
    problem = load_roster_problem(problem_doc())
    assert problem.shift_types[1].cannot_follow == ["D"]
    assert problem.shift_types[0].minutes == 540
    assert problem.staff[0].min_consecutive_days_off == 1
    assert problem.cover[0].weight_under == 100


def test_every_error_at_once_with_paths() -> None:
    """Field errors and cross-field errors are reported together, each at its path."""
    doc = problem_doc()
    doc["start_date"] = "2027-01-05"
    doc["timezone"] = "8 hours"
    doc["shift_types"][1]["cannot_follow"] = ["X"]
    doc["staff"][0]["days_off"] = [0, 14]
    doc["staff"][0]["requests"][0]["shift"] = "E"
    doc["staff"].append(copy.deepcopy(doc["staff"][0]))
    doc["staff"][1]["skills"] = {"fiber": 9}
    doc["staff"].append({**copy.deepcopy(doc["staff"][0]), "min_minutes": 10000})
    doc["cover"].append({"day": 20, "shift": "Q", "required": 1})
    errors = errors_of(doc)
    assert "start_date" in errors and "Monday" in errors["start_date"]
    assert "timezone" in errors
    assert errors["shift_types[1].cannot_follow[0]"] == "unknown shift type 'X'"
    assert "outside" in errors["staff[0].days_off[1]"]
    assert errors["staff[0].requests[0].shift"] == "unknown shift type 'E'"
    assert "staff[1].skills.fiber" in errors
    assert "staff[2].min_minutes" in errors
    assert "duplicate staff id 'T01'" in errors["staff[2].id"]
    assert "outside" in errors["cover[1].day"]
    assert errors["cover[1].shift"] == "unknown shift type 'Q'"


def test_days_must_be_whole_weeks() -> None:
    """A horizon of 10 days is refused at `days`."""
    doc = problem_doc()
    doc["days"] = 10
    assert "whole number of weeks" in errors_of(doc)["days"]


def test_unknown_field_is_an_error() -> None:
    """A misspelt field is reported with its path, not ignored."""
    doc = problem_doc()
    doc["staff"][0]["max_weekend"] = 2
    assert "staff[0].max_weekend" in errors_of(doc)
