"""Targets anchored outside the quarter: the annual plan split by quarter weights, and growth on a selection
over the same quarter last year, read from the scenario's history file.

The scenario: channel a (cost per lead 10), tiers n (new, conversion 0.1, order value 500: revenue 5 per
unit of spend, 0.01 new customers per unit) and k (key account, conversion 0.2, order value 1,000: revenue
20 per unit of spend). Solved for the least spend, a target's spend follows by hand.
"""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from helpers import REPO, invoke, solve_and_verify, write_scenario
from robustness_helpers import assert_one_error_line

from allocator.errors import ScenarioError
from allocator.history.targets import history_targets
from allocator.scenario.loader import load_scenario

HISTORY = """date,channel,tier,spend,leads,customers,revenue
2025-12-01,a,k,0,10,2,99999
2026-01-01,a,k,100,20,1,1000
2026-02-01,a,k,100,20,1,1000
2026-02-01,z,k,50,10,1,500
2026-03-01,a,k,100,20,1,1500
2026-03-01,a,n,100,20,2,700
2026-04-01,a,k,100,20,1,88888
"""
# Same quarter last year (2026-01..03) for tier k: 1,000 + 1,000 + 500 (channel z, unknown to the scenario:
# it still belongs to tier k) + 1,500 = 4,000; December and April lie outside; tier n's 700 is not k's.
K_LAST_Q1 = 4000.0


def scenario(**targets) -> dict:
    """The scenario with these targets; min_spend needs a quarter target, so growth tests keep 1 new customer."""
    if "annual" not in targets:
        targets = {"new_customers": 1, **targets}
    return {
        "name": "anchored", "periods": ["2027-01", "2027-02", "2027-03"], "objective": "min_spend",
        "channels": [{"name": "a", "cost_per_lead": 10}],
        "tiers": [{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 500},
                  {"name": "k", "kind": "key_account", "conversion": 0.2, "order_value": 1000}],
        "products": [{"name": "p", "stage": "growth"}],
        "budget": {"total": 100000},
        "targets": targets,
    }


def with_history(tmp_path, data: dict, text: str = HISTORY):
    (tmp_path / "history.csv").write_text(text)
    return write_scenario(tmp_path, {**data, "history": {"file": "history.csv"}})


ANNUAL = {"revenue": 100000, "new_customers": 50, "quarter_weights": {"Q1": 0.2, "Q2": 0.3, "Q3": 0.25, "Q4": 0.25},
          "quarter": "Q1"}


def test_annual_plan_sets_the_quarter_targets_and_targets_csv_says_how(tmp_path):
    # 100,000 x 20% = 20,000 revenue; 50 x 20% = 10 new customers. Least spend: 10 customers need
    # 10 / 0.01 = 1,000 on tier n (5,000 revenue), the other 15,000 revenue costs 15,000 / 20 = 750 on k.
    solved = solve_and_verify(write_scenario(tmp_path, scenario(annual=ANNUAL)))
    targets = solved.plan.tables["targets"].set_index("target")
    assert targets.loc["revenue", "committed"] == pytest.approx(20000)
    assert targets.loc["new_customers", "committed"] == pytest.approx(10)
    assert solved.plan.tables["allocation"]["spend"].sum() == pytest.approx(1750)
    assert targets.loc["revenue", "derivation"] == "annual 100,000 x Q1 weight 20% = 20,000"
    assert targets.loc["new_customers", "derivation"] == "annual 50 x Q1 weight 20% = 10"
    assert targets.loc["budget_total", "derivation"] == ""


def test_quarter_weights_as_a_list_of_four(tmp_path):
    annual = {**ANNUAL, "quarter_weights": [0.1, 0.2, 0.3, 0.4], "quarter": "Q3"}
    loaded = load_scenario(write_scenario(tmp_path, scenario(annual=annual)))
    assert loaded.scenario.targets.revenue == pytest.approx(30000)  # 100,000 x Q3's 30%


def test_annual_share_of_new_customers_becomes_the_quarters_revenue_floor(tmp_path):
    annual = {**ANNUAL, "new_customer_share": 0.30, "quarter_new_customer_share": 0.25}
    loaded = load_scenario(write_scenario(tmp_path, scenario(annual=annual)))
    (mix,) = loaded.scenario.targets.mix
    assert (mix.of, mix.select.label(), mix.min_share) == ("revenue", "kind=new|prospect", 0.25)


@pytest.mark.parametrize("stated, says", [
    ({"revenue": 21000}, ["targets.revenue", "got 21000", "the annual plan's 20,000", "100,000 x Q1 weight 20%"]),
    ({"new_customers": 12}, ["targets.new_customers", "got 12", "the annual plan's 10"]),
])
def test_a_stated_target_that_disagrees_with_the_annual_plan_is_refused_naming_both(tmp_path, stated, says):
    path = write_scenario(tmp_path, scenario(annual=ANNUAL, **stated))
    text = assert_one_error_line(invoke("validate", path), 2)
    for part in says:
        assert part in text, text


def test_a_stated_target_that_agrees_with_the_annual_plan_is_kept(tmp_path):
    loaded = load_scenario(write_scenario(tmp_path, scenario(annual=ANNUAL, revenue=20000)))
    assert loaded.scenario.targets.revenue == 20000


@pytest.mark.parametrize("weights, says", [
    ([0.2, 0.2, 0.2, 0.2], "quarter weights that sum to 1 (they sum to 0.8)"),
    ({"Q1": 0.5, "Q2": 0.5}, "a weight for each of the four quarters Q1-Q4 (got 2)"),
])
def test_quarter_weights_must_cover_the_year(tmp_path, weights, says):
    path = write_scenario(tmp_path, scenario(annual={**ANNUAL, "quarter_weights": weights}))
    text = assert_one_error_line(invoke("validate", path), 2)
    assert "targets.annual.quarter_weights" in text and says in text, text


def test_growth_target_commits_last_years_same_quarter_times_one_plus_growth(tmp_path):
    path = with_history(tmp_path, scenario(by=[{"select": {"tier": "k"}, "revenue_growth": 0.30}]))
    solved = solve_and_verify(path)
    targets = solved.plan.tables["targets"].set_index("target")
    assert targets.loc["by_revenue[tier=k]", "committed"] == pytest.approx(K_LAST_Q1 * 1.3)  # 5,200
    assert targets.loc["by_revenue[tier=k]", "derivation"] == "2026-Q1 revenue of tier=k 4,000 x (1 + 30%) = 5,200"
    # The least spend that meets it: 5,200 / 20 revenue per unit of spend on tier k, and 1 / 0.01 = 100 on
    # tier n for the one new customer (whose 500 revenue is tier n's, not k's).
    assert solved.plan.tables["allocation"]["spend"].sum() == pytest.approx(260 + 100)


def test_growth_target_on_a_selection_of_periods_reads_those_months_last_year(tmp_path):
    target = {"select": {"tier": "k", "period": ["2027-02", "2027-03"]}, "revenue_growth": 0.5}
    loaded = history_targets(load_scenario(with_history(tmp_path, scenario(by=[target]))))
    (resolved,) = loaded.scenario.targets.by
    assert resolved.revenue_base == pytest.approx(1000 + 500 + 1500)  # February and March 2026 only
    assert resolved.revenue == pytest.approx(3000 * 1.5)


def test_revenue_base_stated_needs_no_history(tmp_path):
    target = {"select": {"tier": "k"}, "revenue_growth": 0.25, "revenue_base": 800}
    loaded = load_scenario(write_scenario(tmp_path, scenario(by=[target])))
    assert loaded.scenario.targets.by[0].revenue == pytest.approx(1000)


def test_growth_without_history_or_base_is_refused(tmp_path):
    path = write_scenario(tmp_path, scenario(by=[{"select": {"tier": "k"}, "revenue_growth": 0.3}]))
    text = assert_one_error_line(invoke("validate", path), 2)
    assert "targets.by[0].revenue_growth: got 0.3" in text and "history: {file: history.csv}" in text, text


def test_growth_with_no_revenue_last_year_is_refused(tmp_path):
    path = with_history(tmp_path, scenario(by=[{"select": {"tier": "n", "period": "2027-01"}, "revenue_growth": 0.3}]))
    text = assert_one_error_line(invoke("validate", path), 2)
    assert "targets.by[0].revenue_growth" in text and "has none in 2026-Q1" in text, text


def test_stated_revenue_disagreeing_with_growth_is_refused(tmp_path):
    target = {"select": {"tier": "k"}, "revenue_growth": 0.25, "revenue_base": 800, "revenue": 900}
    with pytest.raises(ScenarioError, match=r"targets.by\[0\].revenue: got 900.0; expected 1,000 \(revenue_base 800"):
        load_scenario(write_scenario(tmp_path, scenario(by=[target])))


def test_run_json_records_the_history_file_and_verify_notices_it_changed(tmp_path):
    path = with_history(tmp_path, scenario(by=[{"select": {"tier": "k"}, "revenue_growth": 0.30}]))
    out = tmp_path / "out"
    assert invoke("solve", path, "--out", out).exit_code == 0
    run = json.loads((out / "run.json").read_text())
    (record,) = [r for r in run["scenario"]["inputs"] if r["role"] == "table:history"]
    assert record["sha256"] == hashlib.sha256((tmp_path / "history.csv").read_bytes()).hexdigest()
    assert invoke("verify", path, out).exit_code == 0
    (tmp_path / "history.csv").write_text(HISTORY.replace("1500", "1600"))
    changed = invoke("verify", path, out)
    assert changed.exit_code == 1 and "input differs" in changed.output and "history.csv" in changed.output


def test_history_outside_the_scenarios_folder_needs_allow_outside(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "history.csv").write_text(HISTORY)
    folder = tmp_path / "plan"
    folder.mkdir()
    path = write_scenario(folder, {**scenario(by=[{"select": {"tier": "k"}, "revenue_growth": 0.3}]),
                                   "history": {"file": "../elsewhere/history.csv"}})
    text = assert_one_error_line(invoke("validate", path), 2)
    assert "history.file" in text and "--allow-outside" in text, text
    assert invoke("validate", path, "--allow-outside", elsewhere).exit_code == 0


@pytest.mark.parametrize("text, says", [
    ("date,channel,tier,spend,leads,customers\n2026-01-01,a,k,1,1,1\n", "column revenue: got missing"),
    ("date,channel,tier,spend,leads,customers,revenue\n2026-13-01,a,k,1,1,1,1\n", "line 2, date"),
])
def test_a_bad_history_file_is_one_line_and_nothing_is_written(tmp_path, text, says):
    path = with_history(tmp_path, scenario(by=[{"select": {"tier": "k"}, "revenue_growth": 0.3}]), text)
    out = tmp_path / "out"
    result = invoke("solve", path, "--out", out)
    line = assert_one_error_line(result, 2)
    assert "history.csv" in line and says in line, line
    assert not out.exists()


def test_bundled_annual_example_derives_its_revenue():
    path = REPO / "scenarios" / "example_q1_annual.yaml"
    if not path.exists():
        pytest.skip("example_q1_annual.yaml not written yet")
    solved = solve_and_verify(path)
    targets = solved.plan.tables["targets"].set_index("target")
    assert targets.loc["revenue", "derivation"] == "annual 100,000,000 x Q1 weight 20% = 20,000,000"
    assert isinstance(solved.plan.tables["checks"], pd.DataFrame)


def test_verify_checks_a_plan_against_the_growth_target_resolved_from_history(tmp_path):
    path = with_history(tmp_path, scenario(by=[{"select": {"tier": "k"}, "revenue_growth": 0.30}]))
    out = tmp_path / "out"
    assert invoke("solve", path, "--out", out).exit_code == 0  # least spend: tier k gets 5,200 of revenue
    # Checked against +50% (4,000 x 1.5 = 6,000), the plan's 5,200 falls short: verify must see the target.
    result = invoke("verify", path, out, "--set", "targets.by[0].revenue_growth=0.5")
    assert result.exit_code == 1 and "target_by_revenue[tier=k]: 5200" in result.output, result.output
    assert ">= 6000.0 fails by 799.99" in result.output, result.output


def test_a_sweep_variant_keeps_the_growth_target(tmp_path):
    from solvers import SolveOptions

    from allocator.whatif.sweep import solve_variant

    path = with_history(tmp_path, scenario(by=[{"select": {"tier": "k"}, "revenue_growth": 0.30}]))
    row = solve_variant(str(path), (), None, "cbc", SolveOptions())
    assert row["status"] == "optimal" and row["spend"] == pytest.approx(260 + 100)  # as solved above, not 100
