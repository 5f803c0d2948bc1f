"""One reading of per-period fields (allocator.scenario.periods.value_at) for the model, the cross-checks
and verify: a mapping that leaves a period out sets nothing there, in all three."""

from __future__ import annotations

import pytest
from helpers import base_scenario, write_scenario

from allocator.errors import ScenarioError
from allocator.model.build import build_model
from allocator.plan.verify import verify
from allocator.scenario.loader import load_scenario
from allocator.scenario.periods import value_at
from allocator.scenario.schema import Scenario
from allocator.solving.pipeline import solve_file

PERIODS = ["2027-01", "2027-02"]


def test_value_at():
    assert value_at(None, "2027-01") is None
    assert value_at(300.0, "2027-02") == 300.0
    assert value_at({"2027-01": 300.0}, "2027-01") == 300.0
    assert value_at({"2027-01": 300.0}, "2027-02") is None


def _two_periods(channel: dict) -> dict:
    return base_scenario(periods=PERIODS, channels=[{"name": "a", "cost_per_lead": 10, **channel}])


def test_model_and_verify_agree_on_a_period_left_out(tmp_path):
    # Cap 300 in January only, where spend earns 5 (February's demand index 0.5: 2.5); February is open:
    # the budget of 1,000 goes 300 to January (its cap) and the other 700 to February.
    data = _two_periods({"max_spend": {"2027-01": 300}})
    data["seasonality"] = {"demand_index": {"2027-01": 1.0, "2027-02": 0.5}}
    names = build_model(Scenario.model_validate(data)).lp.row_names
    assert [n for n in names if n.startswith("capacity_spend")] == ["capacity_spend[a,2027-01]"]
    solved = solve_file(write_scenario(tmp_path, data))
    allocation = solved.plan.tables["allocation"].set_index("period")
    assert allocation.loc["2027-01", "spend"] == pytest.approx(300, rel=1e-9)
    assert allocation.loc["2027-02", "spend"] == pytest.approx(700, rel=1e-9)
    report = verify(solved.model.scenario, solved.plan.tables["allocation"])
    assert report.ok
    assert [c.name for c in report.checks if c.name.startswith("capacity_spend")] == ["capacity_spend[a,2027-01]"]


def test_cross_checks_compare_minimum_and_cap_period_by_period(tmp_path):
    # A February minimum of 400 above a January cap of 300 is no conflict; a January one is.
    load_scenario(write_scenario(tmp_path, _two_periods({"max_spend": {"2027-01": 300}, "min_spend": {"2027-02": 400}})))
    with pytest.raises(ScenarioError, match="at most max_spend in 2027-01"):
        load_scenario(write_scenario(tmp_path, _two_periods({"max_spend": 300, "min_spend": {"2027-01": 400}}),
                                     name="bad.yaml"))
