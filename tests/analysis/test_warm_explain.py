"""explain's price ranges and the diagnosis warm-started (HiGHS re-solves from the last basis) give what
the cold path (`cold=True`, ``--cold``: every variant solved from scratch) gives, and the warm runs were
warm: an instance of solvers.warm.WarmStart re-solved from an earlier basis (tests/support/warm_spy.py).

The figures are also worked out by hand on small scenarios, so that warm and cold agreeing is not all
that is checked. A plain solve stays one cold solve: no warm start is made for it.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import base_scenario, invoke, write_scenario
from warm_spy import warm_solves, warm_starts  # noqa: F401 (a fixture)

import allocator

pytest.importorskip("highspy", reason="warm starts need HiGHS (pip install '.[highs]')")

EXAMPLE = "scenarios/example_q1.yaml"
P = "2027-01"  # base_scenario's only period

# Revenue per unit of spend is 50 / cost_per_lead (base_scenario's tier): a 10 -> 5, b 12.5 -> 4.
# Budget 1,000; a capped at 600. The plan: a 600 (3,000), b 400 (1,600): revenue 4,600.
#   budget.total: one more unit goes to b: price 4. It holds while b takes the change: from 600 (b = 0) to
#     1,600 (b at its cap of 1,000); below 600 a unit is worth 5, above 1,600 nothing.
#   a's cap: one more unit moves spend from b to a: price 5 - 4 = 1. It holds down to 0 (all on b: 4,000 =
#     4,600 - 600 x 1) and up to 1,000 (a takes the whole budget: 5,000 = 4,600 + 400 x 1).
TWO_CHANNELS = base_scenario(
    channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 600}, {"name": "b", "cost_per_lead": 12.5, "max_spend": 1000}],
    budget={"total": 1000},
)
# The edges are bisected to 1e-4 of the larger of the lever's value and the edge: within 0.17 here.
EDGE = 0.17


def _explained(path, cold):
    plan, explanation = allocator.explain(path, solver="highs", ranging=5, cold=cold)
    return plan, explanation.tables["sensitivity"].set_index("lever")


def test_price_ranges_by_hand_warm_and_cold(tmp_path, warm_starts):
    path = write_scenario(tmp_path, TWO_CHANNELS)
    _, warm = _explained(path, cold=False)
    assert len(warm_starts) == 1 and warm_solves(warm_starts) > 0  # one warm start for every probe
    warm_starts.clear()
    _, cold = _explained(path, cold=True)
    assert warm_starts == []  # --cold: no warm start at all
    pd.testing.assert_frame_equal(warm, cold, check_exact=True)

    budget, cap = warm.loc["budget.total"], warm.loc[f"channels[a].max_spend[{P}]"]
    assert budget["price_per_lever_unit"] == pytest.approx(4.0, rel=1e-9)
    assert 600.0 <= budget["valid_from"] <= 600.0 + EDGE and 1600.0 - EDGE <= budget["valid_to"] <= 1600.0
    assert cap["price_per_lever_unit"] == pytest.approx(1.0, rel=1e-9)
    assert cap["valid_from"] == 0.0 and 1000.0 - EDGE <= cap["valid_to"] <= 1000.0
    assert not budget["valid_from_open"] and not budget["valid_to_open"] and not cap["valid_to_open"]


def test_example_ranging_csvs_are_byte_identical_warm_and_cold(tmp_path, warm_starts):
    folders = {}
    for flag in ("", "--cold"):
        out = tmp_path / (flag or "warm")
        result = invoke("explain", EXAMPLE, "--solver", "highs", "--out", out, *([flag] if flag else []))
        assert result.exit_code == 0, result.output
        folders[flag] = out
        if flag == "":  # the default: the probes re-solved from the last basis
            assert warm_solves(warm_starts) > 0
            made = len(warm_starts)
    assert len(warm_starts) == made  # --cold made none
    for name in ("sensitivity.csv", "marginal.csv"):
        assert (folders[""] / name).read_bytes() == (folders["--cold"] / name).read_bytes(), name
    solves = [json.loads((folder / "run.json").read_text())["explain_solves"] for folder in folders.values()]
    assert solves[0] == solves[1] > 0


def test_a_plain_solve_makes_no_warm_start(warm_starts):
    plan = allocator.solve(EXAMPLE, solver="highs")
    assert plan.status == "optimal" and warm_starts == []
    assert plan.run_record()["tie_break"] == allocator.solve(EXAMPLE, solver="highs", cold=True).run_record()["tie_break"]


# Infeasible scenarios whose conflict and relaxations are worked out by hand (as in test_diagnose.py):
DIAGNOSED = {
    # One channel at 20 per lead, conversion 0.05: 400 per new customer. A budget of 100,000 buys 250 new
    # customers; the target is 300. Alone: the target down to 250, or the budget up to 300 x 400 = 120,000.
    "budget_vs_new_customers": (
        base_scenario(channels=[{"name": "search", "cost_per_lead": 20}],
                      tiers=[{"name": "fresh", "kind": "new", "conversion": 0.05, "order_value": 1000}],
                      budget={"total": 100000}, targets={"new_customers": 300, "buffer": 0}),
        {"target_new_customers": 250.0, "budget_total": 120000.0},
    ),
    # search (ROI 5) has min_roi 6: unusable. social (ROI 4) is capped at 100 of spend = 400 of revenue;
    # the target is 1,000. Alone: search's floor to 5; social's cap to 1,000 / 4 = 250; the target to 400.
    "channel_roi_floor": (
        base_scenario(channels=[{"name": "search", "cost_per_lead": 10, "min_roi": 6},
                                {"name": "social", "cost_per_lead": 12.5, "max_spend": 100}],
                      targets={"revenue": 1000}),
        {"roi_floor[search]": 5.0, f"capacity_spend[social,{P}]": 250.0, "target_revenue": 400.0},
    ),
    # Premium (served by search only) and social each at least 60% of revenue: no revenue can meet both,
    # and the target of 1,000 forces some. Alone: the target to 0, or either share to 0.4. The search
    # for the target's edge goes from 1,000 towards 0: a program still scaled for a bound of 1,000 let a
    # target of 0.0005 pass within the solver's tolerance (warm, it reported 0.000511 instead of 0).
    "mix_shares_above_100pct": (
        base_scenario(channels=[{"name": "search", "cost_per_lead": 10}, {"name": "social", "cost_per_lead": 10}],
                      tiers=[{"name": "premium", "kind": "existing", "conversion": 0.1, "order_value": 500,
                              "channels": ["search"]},
                             {"name": "basic", "kind": "new", "conversion": 0.1, "order_value": 500}],
                      targets={"revenue": 1000, "mix": [
                          {"of": "revenue", "select": {"tier": "premium"}, "min_share": 0.6},
                          {"of": "revenue", "select": {"channel": "social"}, "min_share": 0.6}]}),
        {"target_revenue": 0.0, "mix_min_revenue[tier=premium]": 0.4, "mix_min_revenue[channel=social]": 0.4},
    ),
}


@pytest.mark.parametrize("name", sorted(DIAGNOSED))
def test_diagnosis_warm_and_cold_finds_the_same_conflict_and_amounts(tmp_path, warm_starts, name):
    scenario, expected = DIAGNOSED[name]
    path = write_scenario(tmp_path, scenario)
    warm = allocator.solve(path, solver="highs").diagnosis
    assert warm_solves(warm_starts) > 0  # the boundary search's rebuilt variants started from a basis
    made = len(warm_starts)
    cold = allocator.solve(path, solver="highs", cold=True).diagnosis
    assert len(warm_starts) == made
    pd.testing.assert_frame_equal(warm, cold, check_exact=False, rtol=1e-9)
    found = dict(zip(warm["constraint"], warm["feasible_at"]))
    assert set(found) == set(expected)
    for constraint, value in expected.items():
        assert found[constraint] == pytest.approx(value, rel=2e-6, abs=1e-4), constraint


def test_solve_cold_diagnosis_csv_is_byte_identical(tmp_path, warm_starts):
    path = write_scenario(tmp_path, DIAGNOSED["channel_roi_floor"][0])
    for flag in ("", "--cold"):
        result = invoke("solve", path, "--solver", "highs", "--out", tmp_path / (flag or "warm"),
                        *([flag] if flag else []))
        assert result.exit_code == 1, result.output  # no plan: diagnosed
        if flag == "":
            made = len(warm_starts)
    assert made == 1 and len(warm_starts) == made
    assert (tmp_path / "warm" / "diagnosis.csv").read_bytes() == (tmp_path / "--cold" / "diagnosis.csv").read_bytes()
