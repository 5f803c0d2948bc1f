"""`allocator track`: attainment to date, forecasts, KPIs and flags, each against numbers worked out by hand.

The tiny plan: one month (2027-01, 31 days, no calendar: spread evenly), one tier (new, conversion 0.1,
order value 500), channel a (cost per lead 10) and b (cost per lead 20), each spending its cap of 1,550:

    per day   a: spend 50, leads 5,   customers 0.5,  revenue 250
              b: spend 50, leads 2.5, customers 0.25, revenue 125      (all: revenue 375, spend 100)
    month     revenue 11,625, new customers 23.25, spend 3,100; committed revenue 10,000, new customers 20

Actuals 1-17 January (as of 18 January: 17 of 31 days elapsed):

    a: spend 50, leads 5 each day; customers 2 on 2 Jan, 1 on 4, 6, 8, 11, 13, 15 Jan (8); revenue 500 each
    b: spend 40, leads 2 each day; customers 1 on 5 and 12 Jan (2); revenue 500 each
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest
from helpers import EXAMPLE, REPO, invoke, write_scenario

from allocator.plan.units import COLUMN_KINDS
from allocator.tracking.forecast import forecast

TINY = {
    "name": "tiny tracking plan", "periods": ["2027-01"], "objective": "max_revenue",
    "channels": [{"name": "a", "cost_per_lead": 10, "max_spend": 1550},
                 {"name": "b", "cost_per_lead": 20, "max_spend": 1550}],
    "tiers": [{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 500}],
    "products": [{"name": "p", "stage": "growth"}],
    "budget": {"total": 4000}, "targets": {"revenue": 10000, "new_customers": 20},
}
A_CUSTOMERS = {2: 2, 4: 1, 6: 1, 8: 1, 11: 1, 13: 1, 15: 1}
B_CUSTOMERS = {5: 1, 12: 1}
ACTUALS_DATA = REPO / "scenarios" / "actuals_q1.csv"


def _rows() -> list[str]:
    rows = []
    for day in range(1, 18):
        a, b = A_CUSTOMERS.get(day, 0), B_CUSTOMERS.get(day, 0)
        rows.append(f"2027-01-{day:02d},a,n,50,5,{a},{500 * a}")
        rows.append(f"2027-01-{day:02d},b,n,40,2,{b},{500 * b}")
    return rows


def _actuals(tmp_path: Path, rows: list[str], name: str = "actuals.csv") -> Path:
    path = tmp_path / name
    path.write_text("date,channel,tier,spend,leads,customers,revenue\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    out = root / "plan"
    assert invoke("solve", write_scenario(root, TINY), "--out", out, "--store", "none").exit_code == 0
    return out


def _track(plan: Path, actuals: Path, out: Path, *options, as_of: str = "2027-01-18"):
    return invoke("track", plan, actuals, "--as-of", as_of, "--out", out, "--store", "none", *options)


def _row(tracking: pd.DataFrame, level: str, name: str, measure: str) -> pd.Series:
    found = tracking[(tracking["level"] == level) & (tracking["name"] == name) & (tracking["measure"] == measure)]
    assert len(found) == 1, (level, name, measure)
    return found.iloc[0]


def test_attainment_and_forecasts_to_date(tiny_plan, tmp_path):
    result = _track(tiny_plan, _actuals(tmp_path, _rows()), tmp_path / "out")
    assert result.exit_code == 0, result.output
    tracking = pd.read_csv(tmp_path / "out" / "tracking.csv", keep_default_na=False, na_values=[""])
    revenue = _row(tracking, "target", "revenue", "revenue")
    assert revenue["committed"] == 10000 and revenue["sense"] == ">="
    assert revenue["plan_to_date"] == pytest.approx(375 * 17, rel=1e-6)
    assert revenue["actual_to_date"] == 8 * 500 + 2 * 500
    assert revenue["attainment"] == pytest.approx(5000 / 6375, rel=1e-6)
    # Run-rate 5,000 x 31 / 17; plan-based 5,000 + (11,625 - 6,375) x 5,000 / 6,375: the same number when the
    # plan is spread evenly over the one month (the elapsed share of days is the share of the plan).
    assert revenue["forecast_run_rate"] == pytest.approx(5000 * 31 / 17, rel=1e-9)
    assert revenue["forecast_plan_based"] == pytest.approx(5000 + 5250 * 5000 / 6375, rel=1e-6)
    daily = [500.0 * (A_CUSTOMERS.get(d, 0) + B_CUSTOMERS.get(d, 0)) for d in range(1, 18)]
    half = 1.6448536269514722 * statistics.stdev(daily) * math.sqrt(14 + 14**2 / 17)
    assert revenue["run_rate_low"] == pytest.approx(5000 * 31 / 17 - half, rel=1e-9)
    assert revenue["run_rate_high"] == pytest.approx(5000 * 31 / 17 + half, rel=1e-9)
    assert revenue["plan_based_low"] < revenue["forecast_plan_based"] < revenue["plan_based_high"]
    assert revenue["gap_run_rate"] == pytest.approx(5000 * 31 / 17 - 10000, rel=1e-9)
    assert revenue["on_course"] is not None and not revenue["on_course"]  # read back as a bool
    new = _row(tracking, "target", "new_customers", "new_customers")
    assert (new["actual_to_date"], new["plan_to_date"]) == (10, pytest.approx(23.25 * 17 / 31, rel=1e-6))
    assert new["forecast_run_rate"] == pytest.approx(10 * 31 / 17)
    budget = _row(tracking, "target", "budget_total", "spend")
    assert budget["sense"] == "<=" and budget["actual_to_date"] == 17 * 90
    assert budget["forecast_plan_based"] == pytest.approx(1530 + (3100 - 1700) * 1530 / 1700, rel=1e-6)
    a_revenue, b_spend = _row(tracking, "channel", "a", "revenue"), _row(tracking, "channel", "b", "spend")
    assert (a_revenue["actual_to_date"], a_revenue["plan_to_date"]) == (4000, pytest.approx(250 * 17, rel=1e-6))
    assert b_spend["attainment"] == pytest.approx(680 / 850, rel=1e-6)
    assert _row(tracking, "tier", "n", "customers")["actual_to_date"] == 10
    assert not (tracking["level"] == "product").any()  # the actuals have no product column
    assert "Tracking tiny tracking plan at 2027-01-18: 17 of 31 days elapsed" in result.output


def test_kpis_at_three_levels(tiny_plan, tmp_path):
    assert _track(tiny_plan, _actuals(tmp_path, _rows()), tmp_path / "out").exit_code == 0
    daily = pd.read_csv(tmp_path / "out" / "kpis_daily.csv").set_index(["date", "channel"])
    day = daily.loc[("2027-01-02", "a")]
    assert (day["leads"], day["conversion"], day["order_value"]) == (5, 0.4, 500)
    assert day["plan_conversion"] == pytest.approx(0.1) and day["revenue_attainment"] == pytest.approx(1000 / 250)
    assert daily.loc[("2027-01-05", "all"), "spend_pacing"] == pytest.approx(90 / 100, rel=1e-6)
    weekly = pd.read_csv(tmp_path / "out" / "kpis_weekly.csv").set_index(["week", "channel"])
    week = weekly.loc[("2027-W01", "a")]
    assert (week["leads"], week["new_customers"], week["days"], bool(week["complete"])) == (35, 3, 7, True)
    assert week["conversion_change"] == pytest.approx(-1 / 7) and week["cost_per_lead_change"] == pytest.approx(0)
    assert weekly.loc[("2027-W02", "b"), "conversion_change"] == pytest.approx(1 / 14 / 0.1 - 1, rel=1e-6)
    assert weekly.loc[("2027-W02", "all"), "repeat_rate"] == 0  # one tier, of kind new: no repeat customers
    assert weekly.loc[("2027-W02", "all"), "revenue"] == 2000  # 11, 12, 13, 15 January
    monthly = pd.read_csv(tmp_path / "out" / "kpis_monthly.csv").set_index(["month", "channel"])
    month = monthly.loc[("2027-01", "all")]
    assert month["completion"] == pytest.approx(5000 / 11625, rel=1e-6) and month["days"] == 17
    assert month["roi"] == pytest.approx(5000 / 1530) and month["plan_roi"] == pytest.approx(6375 / 1700, rel=1e-6)
    assert month["lifetime_value"] == pytest.approx(5000)  # value_multiplier 1 (the default)


def _flags(folder: Path) -> set[tuple[str, str, str]]:
    flags = pd.read_csv(folder / "flags.csv")
    return {(f.flag, f.subject, f.measure) for f in flags.itertuples()}


def test_cut_or_fix_fires_just_above_the_threshold_not_just_below(tiny_plan, tmp_path):
    actuals = _actuals(tmp_path, _rows())
    # a's conversion: 3/35 against 0.1 in W01 and W02, a change of -1/7 = -14.29%; b's 1/14: -28.6% (W53 -100%).
    assert _track(tiny_plan, actuals, tmp_path / "below", "--threshold", "0.142").exit_code == 0
    flags = pd.read_csv(tmp_path / "below" / "flags.csv")
    cut = flags[flags["flag"] == "cut_or_fix"].set_index("subject")
    assert set(cut.index) == {"a", "b"} and cut.loc["a", "weeks"] == 2 and cut.loc["b", "weeks"] == 3
    assert cut.loc["a", "relative_change"] == pytest.approx(-1 / 7)
    assert "a: conversion 8.6% against 10.0% planned in 2027-W02, below plan by more than 14% for 2 weeks" \
        in cut.loc["a", "statement"] and "cut or fix" in cut.loc["a", "statement"]
    assert _track(tiny_plan, actuals, tmp_path / "above", "--threshold", "0.143").exit_code == 0
    assert {s for f, s, m in _flags(tmp_path / "above") if f == "cut_or_fix"} == {"b"}
    assert _track(tiny_plan, actuals, tmp_path / "weeks", "--threshold", "0.142", "--weeks", "3").exit_code == 0
    assert {s for f, s, m in _flags(tmp_path / "weeks") if f == "cut_or_fix"} == {"b"}


def test_pacing_and_target_flags(tiny_plan, tmp_path):
    actuals = _actuals(tmp_path, _rows())
    # Spend 1,530 against 1,700 planned to date: -10%; b alone 680 against 850: -20%.
    assert _track(tiny_plan, actuals, tmp_path / "a", "--pacing", "0.1001").exit_code == 0
    flags = _flags(tmp_path / "a")
    assert ("pacing_behind", "b", "spend") in flags and ("pacing_behind", "all channels", "spend") not in flags
    assert ("target_miss", "revenue", "revenue") in flags  # 9,118 forecast against 10,000 committed
    assert ("target_miss", "new_customers", "new_customers") in flags  # 10 x 31/17 = 18.2 against 20
    assert _track(tiny_plan, actuals, tmp_path / "b", "--pacing", "0.0999").exit_code == 0
    assert ("pacing_behind", "all channels", "spend") in _flags(tmp_path / "b")


def test_a_corrected_row_replaces_the_earlier_one(tiny_plan, tmp_path):
    rows = _rows() + ["2027-01-04,a,n,50,5,1,400", "2027-01-09,b,n,40,2,1,500"]  # returns; a late order
    result = _track(tiny_plan, _actuals(tmp_path, rows), tmp_path / "out")
    assert result.exit_code == 0, result.output
    tracking = pd.read_csv(tmp_path / "out" / "tracking.csv")
    assert _row(tracking, "target", "revenue", "revenue")["actual_to_date"] == 5000 - 100 + 500
    assert _row(tracking, "target", "new_customers", "new_customers")["actual_to_date"] == 11
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["actuals"]["rows_read"] == 36 and run["actuals"]["rows_replaced"] == 2
    assert run["actuals"]["corrections"] == ["line 8 replaced by line 36", "line 19 replaced by line 37"]
    assert "2 replaced by a later row" in result.output


def test_with_a_product_column_attainment_by_product(tiny_plan, tmp_path):
    path = tmp_path / "by_product.csv"
    path.write_text("date,channel,tier,product,spend,leads,customers,revenue\n"
                    + "\n".join(r.replace(",n,", ",n,p,") for r in _rows()) + "\n")
    assert _track(tiny_plan, path, tmp_path / "out").exit_code == 0
    tracking = pd.read_csv(tmp_path / "out" / "tracking.csv")
    product = _row(tracking, "product", "p", "revenue")
    assert (product["actual_to_date"], product["plan_to_date"]) == (5000, pytest.approx(6375, rel=1e-6))
    assert json.loads((tmp_path / "out" / "run.json").read_text())["actuals"]["by_product"] is True


def test_actuals_that_stop_before_the_as_of_date_are_said_so(tiny_plan, tmp_path):
    actuals = _actuals(tmp_path, _rows())  # 1-17 January
    result = _track(tiny_plan, actuals, tmp_path / "late", as_of="2027-01-20")
    assert result.exit_code == 0
    assert "Note: the actuals end on 2027-01-17; 2 planned day(s) after it count as zero" in result.output
    revenue = _row(pd.read_csv(tmp_path / "late" / "tracking.csv"), "target", "revenue", "revenue")
    assert revenue["forecast_run_rate"] == pytest.approx(5000 * 31 / 19)
    early = _track(tiny_plan, actuals, tmp_path / "early", as_of="2027-01-02")  # only 1 January counted
    assert early.exit_code == 0 and "Note" not in early.output
    first = _row(pd.read_csv(tmp_path / "early" / "tracking.csv"), "target", "revenue", "revenue")
    assert (first["actual_to_date"], first["forecast_run_rate"]) == (0, 0)
    assert math.isnan(first["run_rate_low"])  # one elapsed day: no day-to-day variation to measure


def test_targets_on_a_selection_and_channel_roi_floors(tmp_path):
    with_by = {**TINY, "channels": [{**TINY["channels"][0], "min_roi": 2.0}, TINY["channels"][1]],
               "targets": {**TINY["targets"], "by": [{"select": {"channel": "a"}, "revenue": 5000},
                                                     {"select": {"channel": "b"}, "max_spend": 1600}],
                           "mix": [{"of": "revenue", "select": {"channel": "b"}, "min_share": 0.25}]}}
    plan = tmp_path / "plan"
    assert invoke("solve", write_scenario(tmp_path, with_by), "--out", plan, "--store", "none").exit_code == 0
    result = _track(plan, _actuals(tmp_path, _rows()), tmp_path / "out")
    assert result.exit_code == 0, result.output
    tracking = pd.read_csv(tmp_path / "out" / "tracking.csv").set_index("name")
    by_a = tracking.loc["by_revenue[channel=a]"]
    assert (by_a["actual_to_date"], by_a["plan_to_date"]) == (4000, pytest.approx(250 * 17, rel=1e-6))
    assert by_a["forecast_plan_based"] == pytest.approx(4000 + (7750 - 4250) * 4000 / 4250, rel=1e-6)
    assert bool(by_a["on_course"]) is True  # 4000 x 31/17 = 7,294 and 7,294 against 5,000
    spend_b = tracking.loc["by_max_spend[channel=b]"]
    assert spend_b["sense"] == "<=" and spend_b["forecast_run_rate"] == pytest.approx(680 * 31 / 17)
    roi_a = tracking.loc["min_roi[a]"]
    assert roi_a["actual_to_date"] == pytest.approx(4000 / 850) and roi_a["plan_to_date"] == pytest.approx(5.0)
    assert roi_a["forecast_run_rate"] == pytest.approx(4000 / 850)  # both forecasts scale by 31/17
    assert "by_revenue[channel=a]" in result.output
    # b's share of revenue: 1,000 / 5,000 to date (plan 2,125 / 6,375); plan-based: b's forecast over all's.
    share = tracking.loc["mix_min_revenue[channel=b]"]
    assert (share["actual_to_date"], share["plan_to_date"]) == (0.2, pytest.approx(1 / 3, rel=1e-6))
    b_forecast = 1000 + (3875 - 2125) * 1000 / 2125
    assert share["forecast_plan_based"] == pytest.approx(b_forecast / (5000 + 5250 * 5000 / 6375), rel=1e-6)
    assert math.isnan(share["gap_run_rate"]) and not share["on_course"]  # 1,823.5 / 9,117.6 = 0.2 < 0.25
    flags = pd.read_csv(tmp_path / "out" / "flags.csv").set_index("subject")
    assert "plan-based short by 5.0%" in flags.loc["mix_min_revenue[channel=b]", "statement"]


def test_plan_based_follows_the_plans_phasing_run_rate_does_not(tmp_path):
    two_months = {**TINY, "periods": ["2027-01", "2027-02"], "budget": {"total": 10000},
                  "channels": [{"name": "a", "cost_per_lead": 10, "max_spend": {"2027-01": 1550, "2027-02": 2800}},
                               {"name": "b", "cost_per_lead": 20, "max_spend": 1550}]}
    plan = tmp_path / "plan"
    assert invoke("solve", write_scenario(tmp_path, two_months), "--out", plan, "--store", "none").exit_code == 0
    assert _track(plan, _actuals(tmp_path, _rows()), tmp_path / "out").exit_code == 0
    revenue = _row(pd.read_csv(tmp_path / "out" / "tracking.csv"), "target", "revenue", "revenue")
    total = 4350 * 5 + 3100 * 2.5  # a: 1,550 + 2,800 at 5x; b: 1,550 a month at 2.5x
    assert revenue["plan_total"] == pytest.approx(total, rel=1e-6)
    assert revenue["forecast_run_rate"] == pytest.approx(5000 * 59 / 17)
    assert revenue["forecast_plan_based"] == pytest.approx(5000 + (total - 6375) * 5000 / 6375, rel=1e-6)


def test_forecast_intervals_collapse_without_variation():
    found = forecast([20.0] * 5, [10.0] * 5, plan_total=100.0, quarter_days=10)
    assert (found.run_rate, found.run_rate_low, found.run_rate_high) == (200, 200, 200)
    assert (found.plan_based, found.plan_based_low, found.plan_based_high) == (200, 200, 200)  # 100 + 50 x 2
    nothing_planned = forecast([3.0, 0.0], [0.0, 0.0], plan_total=40.0, quarter_days=4)
    assert nothing_planned.plan_based == 43  # the rest at plan: no ratio observed


@pytest.mark.parametrize("row, as_of, message", [
    ("2027-01-05,c,n,1,1,0,0", "2027-01-18", "line 36, channel: got 'c'; expected one of the plan's channels: a, b"),
    ("2027-02-01,a,n,1,1,0,0", "2027-01-18",
     "line 36, date: got 2027-02-01; expected a day inside the plan (2027-01-01 to 2027-01-31)"),
    ("2027-01-05,a,n,-1,1,0,0", "2027-01-18", "line 36, spend: got '-1'; expected a number >= 0"),
    ("2027-01-05,a,n,1,1,2,0", "2027-01-18", "line 36, customers: got 2; expected at most the row's leads (1)"),
    ("2027-01-05,a,n,1,1,0,0", "2027-01-01", ("--as-of: got 2027-01-01; expected a day after the plan's first "
                                             "day (2027-01-01) and at most the day after its last (2027-02-01)")),
    ("2027-01-05,a,n,1,1,0,0", "2027-02-02", "--as-of: got 2027-02-02; expected a day after the plan's first day"),
    ("2027-01-05,a,n,1,1,0,0", "18/01/2027", "--as-of: got '18/01/2027'; expected a date YYYY-MM-DD"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tiny_plan, tmp_path, row, as_of, message):
    actuals = _actuals(tmp_path, _rows() + [row])
    result = _track(tiny_plan, actuals, tmp_path / "out", as_of=as_of)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_a_plan_is_refused(tmp_path):
    (tmp_path / "notaplan").mkdir()
    result = _track(tmp_path / "notaplan", _actuals(tmp_path, _rows()), tmp_path / "out")
    assert result.exit_code == 2 and "expected a plan folder written by allocator solve" in result.output


def test_a_plan_folder_alone_is_not_taken_for_the_actuals(tiny_plan, tmp_path):
    result = invoke("track", tiny_plan, "--as-of", "2027-01-18", "--out", tmp_path / "out", "--store", "none")
    assert result.exit_code == 2
    assert result.output == (f"error: {tiny_plan}: ACTUALS: got a folder; expected an actuals table (CSV or Parquet) "
                             "as the last argument, after PLAN_DIR: allocator track PLAN_DIR ACTUALS ...\n")


def test_help_has_an_example():
    result = invoke("track", "--help")
    assert result.exit_code == 0
    assert "allocator track out/q1 scenarios/actuals_q1.csv --as-of 2027-02-01 --out out/track" in result.output


# --- the bundled example ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example_tracked(tmp_path_factory):
    root = tmp_path_factory.mktemp("example")
    assert invoke("solve", EXAMPLE, "--out", root / "plan", "--store", "none").exit_code == 0
    result = invoke("track", root / "plan", ACTUALS_DATA, "--as-of", "2027-02-01", "--out", root / "track",
                    "--store", "none")
    assert result.exit_code == 0, result.output
    return root / "track", result.output


def _actuals_by_hand(as_of: str = "2027-02-01") -> dict[tuple, dict]:
    """The bundled file read with csv: the last row of each date, channel, tier and product kept."""
    kept = {}
    with open(ACTUALS_DATA, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["date"] < as_of:
                kept[(row["date"], row["channel"], row["tier"], row["product"])] = row
    return kept


def test_example_totals_are_the_files_sums(example_tracked):
    folder, _ = example_tracked
    tracking = pd.read_csv(folder / "tracking.csv")
    kept = _actuals_by_hand().values()
    for target, column in (("revenue", "revenue"), ("budget_total", "spend")):
        expected = math.fsum(float(r[column]) for r in kept)
        assert _row(tracking, "target", target, column)["actual_to_date"] == pytest.approx(expected, rel=1e-12)
    new = math.fsum(float(r["customers"]) for r in kept if r["tier"] in ("new_customers", "prospects"))
    assert _row(tracking, "target", "new_customers", "new_customers")["actual_to_date"] == new
    marketplace = math.fsum(float(r["spend"]) for r in kept if r["channel"] == "marketplace")
    assert _row(tracking, "channel", "marketplace", "spend")["actual_to_date"] == pytest.approx(marketplace)
    by_product = tracking[(tracking["level"] == "product") & (tracking["measure"] == "revenue")]
    total = _row(tracking, "all", "all", "revenue")["actual_to_date"]
    assert by_product["actual_to_date"].sum() == pytest.approx(total)


def test_example_flags_marketplace_cut_or_fix(example_tracked):
    folder, output = example_tracked
    flags = pd.read_csv(folder / "flags.csv")
    cut = flags[flags["flag"] == "cut_or_fix"]
    assert cut["subject"].tolist() == ["marketplace"] and cut["measure"].tolist() == ["conversion"]
    assert cut["weeks"].iloc[0] >= 2 and cut["relative_change"].iloc[0] < -0.15
    assert "cut_or_fix: marketplace: conversion" in output
    run = json.loads((folder / "run.json").read_text())
    assert run["actuals"]["rows_replaced"] == 3 and run["days"] == {"elapsed": 31, "quarter": 90}


def test_the_bundled_actuals_are_what_the_generator_writes(example_tracked, tmp_path):
    import actuals_synth

    folder, _ = example_tracked
    out = tmp_path / "actuals.csv"
    actuals_synth.main(["--example", "--plan", str(folder.parent / "plan"), "--seed", "2027", "--out", str(out)])
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(ACTUALS_DATA), rtol=1e-9)


def test_example_units_name_every_column(example_tracked):
    folder, _ = example_tracked
    units = pd.read_csv(folder / "units.csv")
    named = set(zip(units["file"], units["column"]))
    for path in sorted(folder.glob("*.csv")):
        if path.name == "units.csv":
            continue
        for column in pd.read_csv(path, nrows=0).columns:
            assert (path.name, column) in named and column in COLUMN_KINDS, f"{path.name}: {column}"


# --- the run store ------------------------------------------------------------------------------------------


def test_the_approved_plan_or_a_named_run_from_the_store_and_the_track_run_recorded(tmp_path):
    from allocator.tracking.store import open_store

    store = tmp_path / "runs.sqlite"
    solved = invoke("solve", write_scenario(tmp_path, TINY), "--out", tmp_path / "plan", "--store", store)
    run_id = solved.output.split("Recorded run ")[1].split()[0]
    actuals = _actuals(tmp_path, _rows())
    nothing = invoke("track", actuals, "--as-of", "2027-01-18", "--out", tmp_path / "none", "--store", store)
    assert nothing.exit_code == 2 and "approved plan: got none for any quarter" in nothing.output
    assert not (tmp_path / "none").exists()
    assert invoke("runs", "approve", run_id, "--store", store).exit_code == 0
    approved = invoke("track", actuals, "--as-of", "2027-01-18", "--out", tmp_path / "approved", "--store", store)
    named = invoke("track", actuals, "--as-of", "2027-01-18", "--out", tmp_path / "named", "--run", run_id,
                   "--store", store)
    assert approved.exit_code == 0 and named.exit_code == 0, approved.output + named.output
    for folder in ("approved", "named"):
        tracking = pd.read_csv(tmp_path / folder / "tracking.csv")
        assert _row(tracking, "target", "revenue", "revenue")["plan_to_date"] == pytest.approx(6375, rel=1e-6)
        run = json.loads((tmp_path / folder / "run.json").read_text())
        assert Path(run["plan"]["folder"]) == (tmp_path / "plan").resolve()
    with open_store(store) as opened:
        tracks = opened.list(kind="track")
        assert len(tracks) == 2
        assert {t.folder for t in tracks} == {(tmp_path / f).resolve() for f in ("approved", "named")}
        assert all(t.quarter == opened.get(run_id).quarter for t in tracks)
    both = invoke("track", tmp_path / "plan", actuals, "--as-of", "2027-01-18", "--out", tmp_path / "x",
                  "--run", run_id)
    assert both.exit_code == 2 and "either --run RUN or a PLAN_DIR, not both" in both.output
