"""risk --confidence, compare and sweep warm-started (HiGHS re-solves from the last basis) give what the
cold path (`cold=True`, ``--cold``: every variant from scratch) gives, and the warm runs were warm (an
instance of solvers.warm.WarmStart re-solved from an earlier basis; tests/support/warm_spy.py).
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import base_scenario, write_scenario
from warm_spy import warm_solves, warm_starts  # noqa: F401 (a fixture)

import allocator
from allocator.errors import UsageError

pytest.importorskip("highspy", reason="warm starts need HiGHS (pip install '.[highs]')")

EXAMPLE = "scenarios/example_q1.yaml"
# The least spend for committed revenue of 20M (x (1 + buffer)): the plan grows with the buffer, and so
# does the chance of meeting 20M under the example's uncertainty, so the search has a real answer.
RISK = {"objective": "min_spend", "set": {"targets.revenue": 20e6}, "samples": 1000, "seed": 7,
        "confidence": 0.9}


def _search(cold: bool, workers: int = 1):
    run = allocator.risk(EXAMPLE, solver="highs", workers=workers, cold=cold, **RISK)
    return run.smallest_buffer, run.study.tables["buffer_search"]


def test_risk_buffer_search_warm_and_cold_agree(warm_starts):
    buffer, trail = _search(cold=False)
    assert warm_solves(warm_starts) > 0
    made = len(warm_starts)
    cold_buffer, cold_trail = _search(cold=True)
    assert len(warm_starts) == made
    assert buffer == cold_buffer
    pd.testing.assert_frame_equal(trail, cold_trail, check_exact=False, rtol=1e-9)
    # The answer is the search's own: the least buffer tried that meets 0.9, every smaller one tried misses.
    met = trail[trail["probability"] >= RISK["confidence"]]
    assert buffer == met["buffer"].min() and 0 < buffer < 0.2
    assert (trail.loc[trail["buffer"] < buffer, "probability"] < RISK["confidence"]).all()


def test_risk_buffer_search_on_two_workers_matches_the_cold_search():
    # Each worker process gets its own warm start (a WarmStart pickled arrives as the worker's own).
    buffer, trail = _search(cold=False, workers=2)
    cold_buffer, cold_trail = _search(cold=True)
    assert buffer == cold_buffer
    pd.testing.assert_frame_equal(trail, cold_trail, check_exact=False, rtol=1e-9)


# Three variants of one base with one optimal plan each (revenue per unit of spend 50 / cost_per_lead:
# a 10 -> 5, b 12.5 -> 4; a capped at 600, b at 1,000):
#   budget 1,000: a 600, b 400 -> revenue 3,000 + 1,600 = 4,600
#   budget 1,200: a 600, b 600 -> 5,400
#   budget   500: a 500       -> 2,500
BUDGETS = {1000: 4600.0, 1200: 5400.0, 500: 2500.0}


def _variants(tmp_path) -> list:
    paths = []
    for total in BUDGETS:
        data = base_scenario(name=f"budget_{total}", budget={"total": total},
                             channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 600},
                                       {"name": "b", "cost_per_lead": 12.5, "max_spend": 1000}])
        paths.append(write_scenario(tmp_path, data, f"budget_{total}.yaml"))
    return paths


def test_compare_warm_and_cold_give_the_same_tables(tmp_path, warm_starts):
    paths = _variants(tmp_path)
    warm = allocator.compare(*paths, solver="highs")
    assert len(warm_starts) == 1
    counts = dict(warm_starts[0].counts)
    # The later files have the first one's shape: each re-solved in its instance, none built anew.
    first_alone = allocator.compare(paths[0], paths[0], solver="highs")
    assert counts["cold"] == warm_starts[1].counts["cold"] and counts["warm"] > warm_starts[1].counts["warm"]
    warm_starts.clear()
    cold = allocator.compare(*paths, solver="highs", cold=True)
    assert warm_starts == []
    pd.testing.assert_frame_equal(warm.table, cold.table, check_exact=False, rtol=1e-9)
    pd.testing.assert_frame_equal(warm.differences, cold.differences)
    revenue = warm.table[(warm.table["item"] == "plan") & (warm.table["metric"] == "revenue")]
    assert revenue[[p.stem for p in paths]].iloc[0].tolist() == pytest.approx(list(BUDGETS.values()), rel=1e-9)
    assert first_alone.statuses == ["optimal", "optimal"]


def test_sweep_cold_makes_no_warm_start_and_agrees(warm_starts):
    vary = "budget.total=3e6,3.4e6,4e6"
    warm = allocator.sweep(EXAMPLE, vary, solver="highs", workers=1).tables["frontier"]
    assert warm_solves(warm_starts) > 0
    made = len(warm_starts)
    cold = allocator.sweep(EXAMPLE, vary, solver="highs", workers=1, cold=True).tables["frontier"]
    assert len(warm_starts) == made
    numbers = ["objective", "spend", "revenue_total", "budget_shadow_price"]
    pd.testing.assert_frame_equal(warm[numbers], cold[numbers], check_exact=False, rtol=1e-9)
    assert list(warm["status"]) == list(cold["status"]) == ["optimal"] * 3


def test_cold_must_be_true_or_false():
    with pytest.raises(UsageError, match="cold"):
        allocator.explain(EXAMPLE, ranging=0, cold="no")
