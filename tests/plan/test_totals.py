"""One computation of a plan's totals: run.json, a sweep's frontier row and the risk table's "as planned".

Before, each worked them out its own way (the sweep from the defined-total columns, the plan from the
allocation rows, risk from dot products), and the three disagreed in the last digits on the bundled
examples; a person comparing a frontier row with the plan solved alone saw two numbers for one plan.
"""

from __future__ import annotations

import pytest
from helpers import EXAMPLE, LIVESTREAM_PUSH, base_scenario, write_scenario

from allocator.solving.pipeline import solve_file
from allocator.whatif.risk import risk_table
from allocator.whatif.sweep import solve_variant
from solvers import SolveOptions

BUDGET_4M = EXAMPLE.with_name("example_q1_budget_4m.yaml")
SHARED = ("spend", "revenue_total", "new_customers", "leads", "roi")


def _three_ways(path):
    solved = solve_file(path)
    row = solve_variant(str(path), (), None, "cbc", SolveOptions())
    planned = risk_table(solved.model, solved.x, 10, seed=1).set_index("metric")["as_planned"]
    return solved.plan.totals, row, planned


def test_tiny_plan_totals_by_hand(tmp_path):
    # Budget 1,000 at 10 per lead: 100 leads, 10% convert -> 10 customers (tier kind new: all new),
    # order value 500 -> revenue 5,000; ROI 5.
    totals, row, planned = _three_ways(write_scenario(tmp_path, base_scenario()))
    expected = {"spend": 1000.0, "leads": 100.0, "customers": 10.0, "new_customers": 10.0, "revenue": 5000.0,
                "baseline_revenue": 0.0, "revenue_total": 5000.0, "roi": 5.0}
    assert totals == pytest.approx(expected, rel=1e-9)
    assert {k: row[k] for k in SHARED} == pytest.approx({k: expected[k] for k in SHARED}, rel=1e-9)
    assert dict(planned) == pytest.approx({k: expected[k] for k in ("revenue_total", "new_customers", "leads")},
                                          rel=1e-9)


@pytest.mark.parametrize("path", [EXAMPLE, BUDGET_4M, LIVESTREAM_PUSH], ids=lambda p: p.stem)
def test_run_record_sweep_and_risk_state_the_same_totals(path):
    totals, row, planned = _three_ways(path)
    assert {k: row[k] for k in SHARED} == {k: totals[k] for k in SHARED}  # to the last bit
    for metric in ("revenue_total", "new_customers", "leads"):
        assert planned[metric] == totals[metric]
