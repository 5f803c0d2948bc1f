"""Re-plans with hand-solved answers (allocator.tracking.replan).

The scenario: one tier (conversion 0.1, order value 500), two channels, January and February, min spend
for a quarter revenue of 10,000 (no buffer, no baseline). Channel a: cost per lead 10, so revenue per unit
of spend 0.1 x 0.1 x 500 = 5, capped at 800 a month; channel b: cost per lead 20, revenue per spend 2.5.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from allocator.scenario.loader import load_scenario
from allocator.tracking.replan import replan
from allocator.tracking.learn import PRIOR_CUSTOMERS, PRIOR_LEADS
from tests.support.helpers import REPO, backends, base_scenario, invoke, shadow_price, write_scenario


def scenario(tmp_path, **b):
    data = base_scenario(periods=["2027-01", "2027-02"], objective="min_spend", budget={},
                         channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800},
                                   {"name": "b", "cost_per_lead": 20, **b}],
                         targets={"revenue": 10000})
    return load_scenario(write_scenario(tmp_path, data))


# January: a spent its 800 but converted worse (6 customers of 80 leads): revenue 3,000, not 4,000.
JANUARY = [{"date": "2027-01-10", "channel": "a", "tier": "n", "spend": 800, "leads": 80, "customers": 6,
            "revenue": 3000}]


def cell(allocation, channel, period, column="spend"):
    row = allocation[(allocation["channel"] == channel) & (allocation["period"] == period)]
    return float(row[column].sum())


@pytest.mark.parametrize("solver", backends())
def test_february_reoptimised_after_a_short_january(tmp_path, solver):
    # Left for February: 10,000 - 3,000 = 7,000. a at its cap: 800 x 5 = 4,000; b: 3,000 / 2.5 = 1,200.
    # Quarter spend 800 + 800 + 1,200 = 2,800; revenue exactly 10,000 (target binding).
    result = replan(scenario(tmp_path), pd.DataFrame(JANUARY), date(2027, 2, 1), solver=solver)
    plan = result.plan
    a = plan.tables["allocation"]
    assert plan.objective == pytest.approx(2800, rel=1e-9)
    assert cell(a, "a", "2027-01") == pytest.approx(800) and cell(a, "a", "2027-01", "revenue") == pytest.approx(3000)
    assert cell(a, "a", "2027-01", "customers") == pytest.approx(6)
    assert cell(a, "a", "2027-02") == pytest.approx(800)
    assert cell(a, "b", "2027-02") == pytest.approx(1200)
    assert cell(a, "b", "2027-01") == pytest.approx(0, abs=1e-9)
    assert a.loc[a["period"] == "2027-01", "fixed"].all() and not a.loc[a["period"] == "2027-02", "fixed"].any()
    assert cell(a, "a", "2027-01", "fixed_spend") == 800 and cell(a, "a", "2027-02", "fixed_spend") == 0
    assert float(a["revenue_total"].sum()) == pytest.approx(10000, rel=1e-9)
    # One more unit of revenue comes from b in February at 1 / 2.5 = 0.4 of spend; a's February cap is worth
    # 5 x 0.4 - 1 = 1 per unit (a unit of a replaces 2 of b).
    assert shadow_price(plan, "target_revenue") == pytest.approx(0.4, abs=1e-9)
    assert shadow_price(plan, "capacity_spend[a,2027-02]") == pytest.approx(-1.0, abs=1e-9)
    # January is over: its cap binds nothing (a's 800 there are actuals), and no price is quoted for it.
    constraints = plan.tables["constraints"].set_index("name")
    assert not constraints.loc["capacity_spend[a,2027-01]", "binding"]
    assert "capacity_spend[a,2027-01]" not in set(plan.tables["sensitivity"]["constraint"])
    # Against the fresh plan (a 800 + 800, b 800 in all): b gets 400 more over the quarter.
    delta = result.delta.groupby("channel")[["approved_spend", "new_spend"]].sum()
    assert delta.loc["b", "approved_spend"] == pytest.approx(800)
    assert delta.loc["b", "new_spend"] == pytest.approx(1200)


@pytest.mark.parametrize("solver", backends())
def test_remainder_that_cannot_meet_the_target_shows_the_shortfall_and_diagnosis(tmp_path, solver):
    # b capped at 1,000 a month: February gives at most 4,000 + 2,500 = 6,500 of the 7,000 left: short 500.
    result = replan(scenario(tmp_path, max_spend=1000), pd.DataFrame(JANUARY), date(2027, 2, 1), solver=solver)
    assert result.softened
    shortfalls = result.plan.tables["shortfalls"]
    assert float(shortfalls["shortfall"].sum()) == pytest.approx(500, rel=1e-6)
    # Each number alone, the actuals held: revenue 10,000 -> 9,500; a's February cap 800 -> 900 (+100 x 5 =
    # 500); b's 1,000 -> 1,200 (+200 x 2.5 = 500). (Rebuilt without the actuals, 10,000 would already hold.)
    found = dict(zip(result.diagnosis.table()["constraint"], result.diagnosis.table()["feasible_at"]))
    assert found == pytest.approx({"target_revenue": 9500, "capacity_spend[a,2027-02]": 900,
                                   "capacity_spend[b,2027-02]": 1200}, rel=1e-6)


@pytest.mark.parametrize("solver", backends())
def test_period_cut_by_as_of_is_split_by_days(tmp_path, solver):
    # As of 2027-02-15: 14 of February's 28 days are past. Feb 1-14: a spent 300 for 1,500 of revenue.
    # Left: 10,000 - 3,000 - 1,500 = 5,500. a's cap for the days left: 800 x 14/28 = 400 -> 2,000;
    # b: 3,500 / 2.5 = 1,400. February: a 300 + 400 = 700, b 1,400; quarter spend 800 + 700 + 1,400 = 2,900.
    rows = JANUARY + [{"date": "2027-02-03", "channel": "a", "tier": "n", "spend": 300, "leads": 30,
                       "customers": 3, "revenue": 1500}]
    result = replan(scenario(tmp_path), pd.DataFrame(rows), date(2027, 2, 15), solver=solver)
    a = result.plan.tables["allocation"]
    assert result.plan.objective == pytest.approx(2900, rel=1e-9)
    assert cell(a, "a", "2027-02") == pytest.approx(700)
    assert cell(a, "b", "2027-02") == pytest.approx(1400)
    assert cell(a, "a", "2027-02", "fixed_spend") == 300 and not a.loc[a["period"] == "2027-02", "fixed"].any()
    assert result.record["elapsed_share"]["2027-02"] == pytest.approx(0.5)


def test_learn_updates_the_funnel_by_hand(tmp_path):
    # a: 80 leads, 6 customers, 800 spent, 3,000 revenue. Prior: conversion 0.1, cost per lead 10, value 500.
    n0, m0 = PRIOR_LEADS, PRIOR_CUSTOMERS
    result = replan(scenario(tmp_path), pd.DataFrame(JANUARY), date(2027, 2, 1), learn=True)
    learned = result.learned.set_index("funnel_number")
    assert learned.loc["conversion", "learned"] == pytest.approx((n0 * 0.1 + 6) / (n0 + 80))
    assert learned.loc["cost_per_lead", "learned"] == pytest.approx((n0 * 10 + 800) / (n0 + 80))
    assert learned.loc["order_value", "learned"] == pytest.approx((m0 * 500 + 3000) / (m0 + 6))
    assert learned.loc["conversion", "plan_value"] == pytest.approx(0.1)
    # February's a: revenue per spend = conversion'/cpl' x value' with n0=100, m0=10: (16/180)/10 x 500 = 4.444.
    per_spend = (learned.loc["conversion", "learned"] / learned.loc["cost_per_lead", "learned"]
                 * learned.loc["order_value", "learned"])
    a = result.plan.tables["allocation"]
    assert cell(a, "a", "2027-02", "revenue") == pytest.approx(cell(a, "a", "2027-02") * per_spend)


def test_cli_writes_the_replan_folder(tmp_path):
    path = write_scenario(tmp_path, base_scenario(
        periods=["2027-01", "2027-02"], objective="min_spend", budget={},
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800}, {"name": "b", "cost_per_lead": 20}],
        targets={"revenue": 10000}))
    actuals = tmp_path / "actuals.csv"
    pd.DataFrame(JANUARY).to_csv(actuals, index=False)
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", "2027-02-01", "--out", out,
                    "--store", tmp_path / "runs.sqlite")
    assert result.exit_code == 0, result.output
    assert "Against the scenario solved fresh" in result.output and "2027-02: add 1,200 to b" in result.output
    run = json.loads((out / "run.json").read_text())
    assert run["kind"] == "replan" and run["as_of"] == "2027-02-01" and len(run["actuals"]["sha256"]) == 64
    assert (out / "replan_delta.csv").is_file() and (out / "allocation.csv").is_file()


def test_cli_refuses_actuals_on_or_after_as_of(tmp_path):
    path = write_scenario(tmp_path, base_scenario(periods=["2027-01", "2027-02"]))
    actuals = tmp_path / "actuals.csv"
    pd.DataFrame([{**JANUARY[0], "date": "2027-02-02"}]).to_csv(actuals, index=False)
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", "2027-02-01", "--out", out)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "expected a day before --as-of 2027-02-01" in result.output
    assert not out.exists()


def _replan_folder(tmp_path, rows, as_of, *extra):
    path = write_scenario(tmp_path, base_scenario(
        periods=["2027-01", "2027-02"], objective="min_spend", budget={},
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800}, {"name": "b", "cost_per_lead": 20}],
        targets={"revenue": 10000}))
    actuals = tmp_path / "actuals.csv"
    pd.DataFrame(rows).to_csv(actuals, index=False)
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", as_of, "--out", out, "--store", "none", *extra)
    assert result.exit_code == 0, result.output
    return path, out


@pytest.mark.parametrize("as_of, rows, extra", [
    ("2027-02-01", JANUARY, ()),
    ("2027-02-15", JANUARY + [{"date": "2027-02-03", "channel": "a", "tier": "n", "spend": 300, "leads": 30,
                               "customers": 3, "revenue": 1500}], ()),
    ("2027-02-01", JANUARY, ("--learn",)),
])
def test_verify_passes_a_replan(tmp_path, as_of, rows, extra):
    path, out = _replan_folder(tmp_path, rows, as_of, *extra)
    result = invoke("verify", path, out)
    assert result.exit_code == 0, result.output


def test_verify_catches_an_elapsed_cell_changed(tmp_path):
    path, out = _replan_folder(tmp_path, JANUARY, "2027-02-01")
    allocation = pd.read_csv(out / "allocation.csv")
    january_a = (allocation["channel"] == "a") & (allocation["period"] == "2027-01")
    allocation.loc[january_a, "leads"] = 90.0  # the actuals say 80
    allocation.to_csv(out / "allocation.csv", index=False)
    result = invoke("verify", path, out)
    assert result.exit_code == 1
    assert "elapsed_leads[a,n,p,2027-01]: 90.0 = 80.0" in result.output


def test_verify_catches_actuals_changed_after_the_replan(tmp_path):
    path, out = _replan_folder(tmp_path, JANUARY, "2027-02-01")
    pd.DataFrame([{**JANUARY[0], "revenue": 3500}]).to_csv(tmp_path / "actuals.csv", index=False)
    result = invoke("verify", path, out)
    assert result.exit_code == 1
    assert "changed since the re-plan" in result.output


def test_replan_compares_with_the_stores_approved_plan(tmp_path):
    # The approved plan: b capped at 500 a month, so a 800 + 800 (8,000) and b 500 + 300 (2,000) -- or any
    # split of b's 800; what counts here is that the delta's approved spend is that run's: 2,400 in all.
    store = tmp_path / "runs.sqlite"
    path = write_scenario(tmp_path, base_scenario(
        periods=["2027-01", "2027-02"], objective="min_spend", budget={},
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800}, {"name": "b", "cost_per_lead": 20}],
        targets={"revenue": 10000}))
    approved = tmp_path / "approved"
    solved = invoke("solve", path, "--out", approved, "--store", store)
    assert solved.exit_code == 0, solved.output
    run_id = solved.output.split("Recorded run ")[1].split()[0]
    assert invoke("runs", "approve", run_id, "--store", store).exit_code == 0
    actuals = tmp_path / "actuals.csv"
    pd.DataFrame(JANUARY).to_csv(actuals, index=False)
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", "2027-02-01", "--out", out, "--store", store)
    assert result.exit_code == 0, result.output
    assert f"Against {approved}" in result.output
    delta = pd.read_csv(out / "replan_delta.csv")
    assert delta["approved_spend"].sum() == pytest.approx(2400) and delta["new_spend"].sum() == pytest.approx(2800)


def test_replan_help_has_an_example():
    result = invoke("replan", "--help")
    assert result.exit_code == 0 and "allocator replan scenarios/example_q1.yaml --actuals" in result.output


@pytest.mark.parametrize("row, as_of, message", [
    ({"spend": 0, "leads": 5, "customers": 1}, "2027-02-01",
     "a/n/p/2027-01: spend: got 0; expected spend above 0 where leads or customers are recorded"),
    ({}, "2027-03-01", "--as-of: got '2027-03-01'; expected a day after 2027-01-01 and at most the plan's last day"),
])
def test_bad_actuals_or_as_of_one_line_nothing_written(tmp_path, row, as_of, message):
    path = write_scenario(tmp_path, base_scenario(periods=["2027-01", "2027-02"]))
    actuals = tmp_path / "actuals.csv"
    pd.DataFrame([{**JANUARY[0], **row}]).to_csv(actuals, index=False)
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", as_of, "--out", out, "--store", "none")
    assert result.exit_code == 2 and result.output.count("\n") == 1 and message in result.output, result.output
    assert not out.exists()


def test_cut_period_share_follows_the_calendars_working_days(tmp_path):
    # March 2027 in China: 31 days, 8 weekend days, no public holiday -> 23 working days (weekends weigh 0).
    # As of Monday 15 March: 1-14 March hold 10 working days -> 10/23 of March is past; by calendar days 14/31.
    from allocator.tracking.replan_scenario import elapsed_shares

    periods = ["2027-02", "2027-03"]
    with_calendar = load_scenario(write_scenario(tmp_path, base_scenario(periods=periods, calendar={"country": "CN"}),
                                                 "calendar.yaml")).scenario
    plain = load_scenario(write_scenario(tmp_path, base_scenario(periods=periods))).scenario
    assert elapsed_shares(with_calendar, date(2027, 3, 15)) == pytest.approx({"2027-02": 1.0, "2027-03": 10 / 23})
    assert elapsed_shares(plain, date(2027, 3, 15)) == pytest.approx({"2027-02": 1.0, "2027-03": 14 / 31})


def test_bundled_example_replans_and_verifies(tmp_path):
    # The bundled January actuals (scenarios/actuals_q1.csv) against the example: the re-plan is checked by
    # the independent verifier, and January's spend in allocation.csv is the file's own total.
    example = REPO / "scenarios" / "example_q1.yaml"
    actuals = REPO / "scenarios" / "actuals_q1.csv"
    out = tmp_path / "out"
    result = invoke("replan", example, "--actuals", actuals, "--as-of", "2027-02-01", "--out", out, "--store", "none")
    assert result.exit_code == 0, result.output
    assert invoke("verify", example, out).exit_code == 0
    raw = pd.read_csv(actuals)
    kept = raw.drop_duplicates([c for c in ("date", "channel", "tier", "product") if c in raw], keep="last")
    allocation = pd.read_csv(out / "allocation.csv")
    january = allocation[allocation["period"] == "2027-01"]
    assert january["spend"].sum() == pytest.approx(kept["spend"].sum(), rel=1e-12) and january["fixed"].all()


def test_api_replan_writes_the_folder_and_refuses_a_bad_day(tmp_path):
    from allocator.api.tracking_replan import replan as api_replan
    from allocator.errors import UsageError

    path = write_scenario(tmp_path, base_scenario(
        periods=["2027-01", "2027-02"], objective="min_spend", budget={},
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800}, {"name": "b", "cost_per_lead": 20}],
        targets={"revenue": 10000}))
    actuals = tmp_path / "actuals.csv"
    pd.DataFrame(JANUARY).to_csv(actuals, index=False)
    result = api_replan(path, actuals, "2027-02-01", out=tmp_path / "out")
    assert result.plan.objective == pytest.approx(2800, rel=1e-9)
    assert json.loads((tmp_path / "out" / "run.json").read_text())["kind"] == "replan"
    with pytest.raises(UsageError, match="as_of: got '1 Feb'; expected a day as YYYY-MM-DD"):
        api_replan(path, actuals, "1 Feb")


def test_actuals_beyond_the_budget_leave_no_plan_and_say_why(tmp_path):
    # January alone spent 800 of a budget of 700: no plan, whatever February does; the diagnosis moves the
    # budget to the 800 already spent. Exit 1, the folder holds diagnosis.csv and run.json.
    path = write_scenario(tmp_path, base_scenario(
        periods=["2027-01", "2027-02"], budget={"total": 700},
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800}, {"name": "b", "cost_per_lead": 20}]))
    actuals = tmp_path / "actuals.csv"
    pd.DataFrame(JANUARY).to_csv(actuals, index=False)
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", "2027-02-01", "--out", out, "--store", "none")
    assert result.exit_code == 1, result.output
    assert "budget.total: 700 -> 800 (+100)" in result.output and "Against" not in result.output
    diagnosis = pd.read_csv(out / "diagnosis.csv")
    assert list(diagnosis["constraint"]) == ["budget_total"] and diagnosis["feasible_at"].iloc[0] == pytest.approx(800)
    assert not (out / "replan_delta.csv").exists()


def test_delta_pairs_the_largest_cut_with_the_largest_rise():
    # February: a 500 -> 200 (cut 300), b 100 -> 350 (+250), c 0 -> 50 (+50): 250 of a's 300 go to b, 50 to c.
    # January is over: its change (a 100 -> 120) is in the table, not in the moves.
    from allocator.tracking.replan_delta import delta_sentences, delta_table

    def frame(rows):
        return pd.DataFrame(rows, columns=["channel", "period", "spend"])

    approved = frame([("a", "2027-01", 100), ("a", "2027-02", 500), ("b", "2027-02", 100)])
    new = frame([("a", "2027-01", 120), ("a", "2027-02", 200), ("b", "2027-02", 350), ("c", "2027-02", 50)])
    table = delta_table(approved, new)
    moves = delta_sentences(table, over={"2027-01"})
    assert moves == ["2027-02: move 250 from a to b", "2027-02: move 50.0 from a to c"]  # figure(): 3 digits
    first = table.set_index(["channel", "period"])
    assert first.loc[("a", "2027-01"), "spend_change"] == 20 and first.loc[("c", "2027-02"), "approved_spend"] == 0
    assert first.loc[("a", "2027-01"), "sentence"] == "a: down 280 over the quarter (600 -> 320)"
