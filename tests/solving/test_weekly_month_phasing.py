"""A plan on ISO weeks with its revenue phased by month: the weeks of a month share the month's weight."""

from __future__ import annotations

import pytest
from helpers import backends, base_scenario, invoke, solve_and_verify, write_scenario

from allocator.scenario.periods import month_of_week, phasing_groups

WEEKS = [f"2027-W{w:02d}" for w in range(1, 10)]  # Thursdays: W01-W04 in January, W05-W08 February, W09 March


def test_each_week_counts_toward_the_month_of_its_thursday():
    assert month_of_week("2027-W04") == "2027-01"  # Mon 25 Jan, Thu 28 Jan
    assert month_of_week("2027-W05") == "2027-02"  # Mon 1 Feb
    assert month_of_week("2026-W53") == "2026-12"  # Mon 28 Dec 2026, Thu 31 Dec
    assert month_of_week("2027-W09") == "2027-03"  # Mon 1 Mar
    groups, of = phasing_groups(WEEKS, {"2027-01": 0.4, "2027-02": 0.4, "2027-03": 0.2})
    assert groups == ["2027-01", "2027-02", "2027-03"] and of == [0, 0, 0, 0, 1, 1, 1, 1, 2]


def _weekly(**season):
    return base_scenario(periods=WEEKS, seasonality={"demand_index": {"2027-W09": 2}, **season})


@pytest.mark.parametrize("solver", backends())
def test_month_weights_bind_the_sum_of_their_weeks(tmp_path, solver):
    # Revenue per unit of spend is 5, and 10 in W09 (demand x2). Without phasing all 1,000 would go to W09.
    # Weights Jan 40%, Feb 40%, Mar 20%, tolerance 0, total revenue R:
    #   March: 10 s_M = 0.2 R; January + February: 5 s_JF = 0.8 R -> s_M = 0.02 R, s_JF = 0.16 R;
    #   0.18 R = 1000 -> R = 5,555.56; spend Jan 444.44, Feb 444.44, Mar 111.11.
    data = _weekly(target_weights={"2027-01": 0.4, "2027-02": 0.4, "2027-03": 0.2}, tolerance=0)
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    assert plan.objective == pytest.approx(1000 / 0.18, rel=1e-6)
    alloc = plan.tables["allocation"]
    spend = alloc.groupby(alloc["period"].map(month_of_week))["spend"].sum()
    assert spend["2027-01"] == pytest.approx(0.16 * 1000 / 0.18 / 2, rel=1e-6)
    assert spend["2027-02"] == pytest.approx(0.16 * 1000 / 0.18 / 2, rel=1e-6)
    assert spend["2027-03"] == pytest.approx(0.02 * 1000 / 0.18, rel=1e-6)
    names = set(plan.tables["constraints"]["name"])
    assert {"phasing_min[2027-01]", "phasing_max[2027-03]"} <= names and "phasing_min[2027-W01]" not in names


@pytest.mark.parametrize("weights, expected", [
    ({"2027-01": 0.5, "2027-02": 0.5}, "no weight for 2027-03"),
    ({"2027-01": 0.4, "2027-02": 0.4, "2027-03": 0.1, "2027-04": 0.1}, "weights for 2027-04"),
    ({"2027-01": 0.4, "2027-02": 0.4, "2027-W09": 0.2}, "one of the scenario's periods"),  # months and weeks mixed
])
def test_month_weights_must_cover_the_months_of_the_weeks_and_no_more(tmp_path, weights, expected):
    path = write_scenario(tmp_path, _weekly(target_weights=weights))
    result = invoke("validate", str(path))
    assert result.exit_code == 2 and expected in result.output and result.output.count("\n") == 1
