"""Known answers for channels whose response is a media-mix curve, on every backend.

Revenue per unit of effective spend is 1/10 (cost per lead) x 0.1 (conversion) x 500 (order value) = 5
(tests/support/helpers.py base_scenario). The curve's slices lie below it by at most max_error x max_effect
per period (docs/model.md), so the LP's optimum is below the curve's by at most that much per period,
and never above it. The analytic values are worked out here from the formulas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import backends, base_scenario, invoke, solve_and_verify, spend_of, write_scenario

BACKENDS = backends()
RPS = 1 / 10 * 0.1 * 500  # revenue per unit of effective spend


def _scenario(response: dict, periods: list[str], **overrides) -> dict:
    return base_scenario(periods=periods, channels=[{"name": "a", "cost_per_lead": 10, "response": response}],
                         **overrides)


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("response,analytic", [
    # Michaelis-Menten, E x / (H + x): each month gets 500 of the 1000: 2 x 400 x 500 / (500 + 500) = 400.
    ({"curve": "michaelis_menten", "half_saturation": 500, "max_effect": 400, "max_error": 0.005}, 400.0),
    # Hill slope 0.5, E x^0.5 / (H^0.5 + x^0.5) at x = 500, H = 40000: 100 x 22.3607 / (200 + 22.3607) each.
    ({"curve": "hill", "half_saturation": 40000, "slope": 0.5, "max_effect": 100, "max_error": 0.005},
     2 * 100 * 500**0.5 / (200 + 500**0.5)),
    # Logistic, E (1 - 3^(-x/H)) / (1 + 3^(-x/H)) at x = H = 500: E / 2 each month.
    ({"curve": "logistic", "half_saturation": 500, "max_effect": 400, "max_error": 0.002}, 400.0),
])
def test_budget_split_over_two_months_is_the_curves_optimum(tmp_path, solver, response, analytic):
    # A concave curve, the same in both months: the best split of 1000 is 500 each (Jensen), worth
    # 2 f(500) in effective spend; the LP's slices are within max_error x max_effect of f in each month.
    path = write_scenario(tmp_path, _scenario(response, ["2027-01", "2027-02"]))
    plan = solve_and_verify(path, solver).plan
    bound = 2 * response["max_error"] * response["max_effect"] * RPS
    assert analytic * RPS - bound - 1e-6 <= plan.objective <= analytic * RPS + 1e-6
    allocation = plan.tables["allocation"]
    assert spend_of(allocation) == pytest.approx(1000, rel=1e-9)


@pytest.mark.parametrize("solver", BACKENDS)
def test_one_month_at_the_budget_is_on_the_curve(tmp_path, solver):
    # The budget ends the last slice, where slices and curve meet: 400 x 1000 / (500 + 1000) x 5 = 1333.33.
    response = {"curve": "michaelis_menten", "half_saturation": 500, "max_effect": 400, "max_error": 0.005}
    plan = solve_and_verify(write_scenario(tmp_path, _scenario(response, ["2027-01"])), solver).plan
    assert plan.objective == pytest.approx(400 * 1000 / 1500 * RPS, rel=1e-9)


@pytest.mark.parametrize("solver", BACKENDS)
def test_least_spend_for_a_revenue_target_is_the_curves_inverse(tmp_path, solver):
    # Revenue 1000 needs effective spend 200: E x / (H + x) = 200 at x = H 200 / (E - 200) = 500.
    # The slices give at most f(x) and at least f(x) - 0.005 x 400 = f(x) - 2, so the least spend x* has
    # 200 <= f(x*) <= 202: 500 <= x* <= 500 x 202 / 198 = 510.10.
    response = {"curve": "michaelis_menten", "half_saturation": 500, "max_effect": 400, "max_error": 0.005}
    data = _scenario(response, ["2027-01"], objective="min_spend", budget={},
                     targets={"revenue": 1000})
    data["channels"][0]["max_spend"] = 5000
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    spend = spend_of(plan.tables["allocation"])
    assert 500 - 1e-6 <= spend <= 500 * 202 / 198 + 1e-6
    assert plan.tables["allocation"]["revenue"].sum() == pytest.approx(1000, rel=1e-7)
    fit = plan.tables["response_fit"].iloc[0]
    assert fit["spend_range"] == 5000 and fit["achieved_error"] <= 0.005


def test_cli_solve_writes_the_achieved_error_and_verify_passes(tmp_path):
    # Two channels from a media-mix model, one Hill and one logistic, over a quarter: solve, verify, read the fit.
    data = base_scenario(periods=["2027-01", "2027-02", "2027-03"], budget={"total": 30000}, channels=[
        {"name": "search", "cost_per_lead": 10, "max_spend": 8000, "response": {
            "curve": "hill", "half_saturation": 90000, "slope": 0.6, "max_effect": 1500, "max_error": 0.004}},
        {"name": "social", "cost_per_lead": 12, "response": {
            "curve": "logistic", "half_saturation": 6000, "max_effect": 9000, "max_error": 0.01}}])
    path, out = write_scenario(tmp_path, data), tmp_path / "out"
    assert invoke("solve", path, "--out", out).exit_code == 0
    assert invoke("verify", path, out).exit_code == 0
    fit = pd.read_csv(out / "response_fit.csv").set_index("channel")
    # search is capped at 8000 a month, social only by the budget of 30000.
    assert fit.loc["search", "spend_range"] == 8000 and fit.loc["social", "spend_range"] == 30000
    assert fit.loc["search", "slope"] == 0.6 and np.isnan(fit.loc["social", "slope"])
    assert (fit["achieved_error"] <= fit["max_error"] * (1 + 1e-9)).all() and (fit["achieved_error"] > 0).all()
