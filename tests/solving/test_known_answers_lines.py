"""Known answers worked by hand for issue 12's rows: a budget line's promise and a target on a selection,
on every backend (objective, allocation and the promise's dual), each plan also passing the verifier.
The scenario-level known answers of the rest of the model are in test_known_answers.py."""

from __future__ import annotations

import pytest
from helpers import backends, base_scenario, shadow_price, solve_and_verify, spend_of, write_scenario

BACKENDS = backends()
DUAL_TOL = 1.5e-4  # as in test_known_answers.py


# --------------------------------------------------------------------------
# Issue 12: a budget line's promise and a target on a selection.
# One channel a (cost per lead 10, conversion 0.1 everywhere) sells to two tiers:
#   n (kind new, order value 100): rps 0.01 * 100 = 1, 0.01 new customers per unit of spend;
#   e (kind existing, order value 500): rps 0.01 * 500 = 5, no new customers.
# Unconstrained, the whole budget of 1000 goes to e (revenue 5000).
# --------------------------------------------------------------------------


def _two_tiers(**overrides) -> dict:
    return base_scenario(tiers=[{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 100},
                                {"name": "e", "kind": "existing", "conversion": 0.1, "order_value": 500}], **overrides)


@pytest.mark.parametrize("solver", BACKENDS)
def test_budget_line_new_customer_promise_binds(tmp_path, solver):
    # Line acquisition = tier n, promising 4 new customers: 0.01 x_n >= 4 -> x_n = 400, x_e = 600.
    # Revenue 400 * 1 + 600 * 5 = 3400. One more promised new customer needs 100 more on n, taken from e:
    # 100 * (5 - 1) = 400 revenue lost -> the promise's dual is -400. The budget's extra unit goes to e: 5.
    data = _two_tiers(budget={"total": 1000, "lines": [
        {"name": "acquisition", "select": {"tier": "n"}, "new_customers": 4}]})
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    assert plan.objective == pytest.approx(3400.0, rel=1e-6)
    alloc = plan.tables["allocation"]
    assert spend_of(alloc, tier="n") == pytest.approx(400.0, rel=1e-6)
    assert spend_of(alloc, tier="e") == pytest.approx(600.0, rel=1e-6)
    assert shadow_price(plan, "line_new_customers[acquisition]") == pytest.approx(-400.0, abs=DUAL_TOL)
    assert shadow_price(plan, "budget_total") == pytest.approx(5.0, abs=DUAL_TOL)
    priced = plan.tables["sensitivity"].set_index("constraint").loc["line_new_customers[acquisition]"]
    assert priced["lever"] == "budget.lines[acquisition].new_customers"
    assert priced["price_per_lever_unit"] == pytest.approx(-400.0, abs=DUAL_TOL)
    assert priced["limit"] == "acquisition: at least 4.00 new customers from its spend"
    assert priced["effect"] == "each extra new customer promised by acquisition costs 400 revenue"


@pytest.mark.parametrize("solver", BACKENDS)
def test_budget_line_roi_promise_binds(tmp_path, solver):
    # Objective min_spend with a new-customer target of 4 (x_n >= 400) and a line "all" (channel a) promising
    # ROI 3 on its spend: x_n + 5 x_e >= 3 (x_n + x_e) -> x_e >= x_n. Least spend 800 (x_n = x_e = 400).
    # For a promise r: x_e = 400 (r - 1) / (5 - r), d x_e / d r = 400 * 4 / (5 - r)^2 = 400 at r = 3:
    # each unit of ROI promised costs 400 of spend (row dual 0.5 per unit of surplus x the line's spend 800).
    data = _two_tiers(objective="min_spend", budget={"lines": [
        {"name": "all", "select": {"channel": "a"}, "min_roi": 3}]}, targets={"new_customers": 4})
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    assert plan.objective == pytest.approx(800.0, rel=1e-6)
    alloc = plan.tables["allocation"]
    assert spend_of(alloc, tier="n") == pytest.approx(400.0, rel=1e-6)
    assert spend_of(alloc, tier="e") == pytest.approx(400.0, rel=1e-6)
    priced = plan.tables["sensitivity"].set_index("constraint").loc["line_min_roi[all]"]
    assert priced["lever"] == "budget.lines[all].min_roi"
    assert priced["price_per_lever_unit"] == pytest.approx(400.0, rel=1e-4)
    assert shadow_price(plan, "line_min_roi[all]") == pytest.approx(0.5, abs=DUAL_TOL)
    # 0.1x more ROI promised: 400 x 0.1 = 40 more spend
    assert priced["effect"] == "each extra 0.1x of ROI promised by all costs 40.0 more spend"


@pytest.mark.parametrize("solver", BACKENDS)
def test_target_on_a_selection_with_buffer_and_baseline(tmp_path, solver):
    # targets.by: tier n revenue >= 1000 committed, buffer 10% -> planned 1100, baseline on n 200 counts:
    # x_n * 1 >= 900 -> x_n = 900, x_e = 100. Incremental revenue 900 + 500 = 1400.
    # One more planned unit needs 1 more on n taken from e: dual -(5 - 1) = -4 per planned unit,
    # -4 * 1.1 = -4.4 per committed unit (the lever's price).
    data = _two_tiers(targets={"buffer": 0.1, "by": [{"select": {"tier": "n"}, "revenue": 1000}]},
                      baseline=[{"channel": "a", "tier": "n", "product": "p", "period": "2027-01", "revenue": 200}])
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    alloc = plan.tables["allocation"]
    assert spend_of(alloc, tier="n") == pytest.approx(900.0, rel=1e-6)
    assert spend_of(alloc, tier="e") == pytest.approx(100.0, rel=1e-6)
    assert alloc["revenue"].sum() == pytest.approx(1400.0, rel=1e-6)
    assert shadow_price(plan, "target_by_revenue[tier=n]") == pytest.approx(-4.0, abs=DUAL_TOL)
    priced = plan.tables["sensitivity"].set_index("constraint").loc["target_by_revenue[tier=n]"]
    assert priced["lever"] == "targets.by[0].revenue"
    assert priced["price_per_lever_unit"] == pytest.approx(-4.4, abs=DUAL_TOL)
    assert priced["effect"] == "each extra 1 of revenue required of targets.by[0] costs 4.40 revenue"
