"""Under min_spend, prices say in words whether one more unit saves or costs spend, and gains name their unit."""

from __future__ import annotations

import pytest

from allocator.solving.pipeline import solve_file
from tests.support.helpers import base_scenario, invoke, write_scenario


def _min_spend(tmp_path):
    # Revenue 5 per unit of spend and a revenue target of 1,000: the least spend is 200, and each extra unit
    # of target costs 1/5 = 0.2 more spend; relaxing the target 10% (100 less revenue) saves 20 spend.
    return write_scenario(tmp_path, base_scenario(objective="min_spend", targets={"revenue": 1000}))


def test_min_spend_prices_say_costs_more_spend_and_the_gain_is_spend_saved(tmp_path):
    plan = solve_file(_min_spend(tmp_path)).plan
    assert plan.objective == pytest.approx(200, rel=1e-9)
    row = plan.tables["sensitivity"].set_index("constraint").loc["target_revenue"]
    assert row["effect"] == "each extra 1 of targets.revenue costs 0.200 more spend"
    assert row["gain_if_relaxed_10pct"] == pytest.approx(20, rel=1e-9)
    assert row["gain_unit"] == "spend saved"


def test_max_revenue_gains_name_revenue(tmp_path):
    plan = solve_file(write_scenario(tmp_path, base_scenario())).plan
    assert set(plan.tables["sensitivity"]["gain_unit"]) == {"revenue"}


def test_min_spend_summary_says_relaxing_saves_spend(tmp_path):
    result = invoke("solve", _min_spend(tmp_path), "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "relaxing targets.revenue by 10% would save about 20.0 spend [target_revenue]" in result.output


def test_a_lever_whose_next_unit_lowers_spend_says_saves():
    from allocator.plan.prices import effect_words

    assert effect_words("1 of", "budget.total", -2.5, "min_spend") == "each extra 1 of budget.total saves 2.50 spend"
