"""The planning guide's checks of a quarter's targets against history (check-targets, and solve's checks.csv).

Every expected number is worked out by hand from the small history below:

- growth: Q1 revenue 100,000 (2024), 115,000 (2025), 132,250 (2026): +15% a year exactly (1.15^2 = 1.3225).
  A target of 158,700 = 132,250 x 1.2 is +20%: 5 points above the trend.
- funnel: 100 new customers + 10% buffer = 110 at conversion 0.1 need 1,100 leads. Tier n's leads by month,
  2025-11..2026-03: 200, 380, 300, 400, 350; the best three months in a row are 2025-12..2026-02, 1,080.
  Caps per month: channel a's max_leads 300 + channel b's max_spend 2,000 / cost per lead 20 = 100 -> 400,
  the sales capacity 350 -> 350 a month, 1,050 in the quarter (the budget 100,000 / 10 = 10,000 is looser).
- order value (2026-01..2026-12): tier n won 105 customers for 42,000 -> 400 (plan 500: +25%); tier k won
  90 customers for 90,250 of which the cell's quiet-month baseline is (9,000 + 11,000) / 2 = 10,000 ->
  80,250 / 90 = 891.67 (plan 1,000: +12%).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import invoke, solve_and_verify, write_scenario
from robustness_helpers import assert_one_error_line

from allocator.history.checks import leads_cap, target_checks
from allocator.history.history_table import read_history
from allocator.scenario.loader import load_scenario

HISTORY = """date,channel,tier,product,spend,leads,customers,revenue
2024-02-01,a,k,p,1000,50,10,100000
2025-02-01,a,k,p,1000,50,10,115000
2025-11-01,a,n,p,100,200,0,0
2025-12-01,a,n,p,100,380,0,0
2026-01-01,a,n,p,100,300,30,12000
2026-02-01,a,n,p,100,400,40,16000
2026-03-01,a,n,p,100,350,35,14000
2026-03-01,a,k,p,1000,450,90,90250
2026-06-01,a,k,p,0,0,0,9000
2026-07-01,a,k,p,0,0,0,11000
"""


def scenario(**changes) -> dict:
    data = {
        "name": "checked", "periods": ["2027-01", "2027-02", "2027-03"],
        "channels": [{"name": "a", "cost_per_lead": 10, "max_leads": 300},
                     {"name": "b", "cost_per_lead": 20, "max_spend": 2000}],
        "tiers": [{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 500},
                  {"name": "k", "kind": "key_account", "conversion": 0.2, "order_value": 1000}],
        "products": [{"name": "p", "stage": "growth"}],
        "budget": {"total": 100000},
        "sales_capacity": 350,
        "targets": {"revenue": 158700, "new_customers": 100, "buffer": 0.10},
    }
    for key, value in changes.items():
        if key in data["targets"] or key in ("drivers", "buffer_reason", "by"):
            data["targets"][key] = value
        else:
            data[key] = value
    return data


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "history.csv").write_text(HISTORY)
    return tmp_path


def checks(folder, margin=0.02, **changes) -> pd.DataFrame:
    loaded = load_scenario(write_scenario(folder, scenario(**changes)))
    table = target_checks(loaded.scenario, read_history(folder / "history.csv"), margin)
    return table


def row(table: pd.DataFrame, check: str, subject: str, nth: int = 0) -> pd.Series:
    return table[(table["check"] == check) & (table["subject"] == subject)].iloc[nth]


def test_growth_of_20_percent_over_a_15_percent_trend_warns(folder):
    growth = row(checks(folder), "growth", "targets.revenue")
    assert growth["value"] == pytest.approx(0.20) and growth["reference"] == pytest.approx(0.15)
    assert growth["status"] == "warn"
    assert "+20% over 2026-Q1 (132,250)" in growth["message"] and "from 2024-Q1 to 2026-Q1" in growth["message"]


def test_growth_above_trend_passes_once_drivers_are_named(folder):
    growth = row(checks(folder, drivers=["livestream channel", "launch_x"]), "growth", "targets.revenue")
    assert growth["status"] == "pass" and "drivers named: livestream channel, launch_x" in growth["message"]


def test_growth_within_the_margin_passes(folder):
    assert row(checks(folder, margin=0.06), "growth", "targets.revenue")["status"] == "pass"  # 20 <= 15 + 6
    assert row(checks(folder, revenue=132250 * 1.16), "growth", "targets.revenue")["status"] == "pass"  # 16 <= 17


def test_funnel_against_history_and_the_caps(folder):
    table = checks(folder)
    history, caps = row(table, "funnel", "targets.new_customers", 0), row(table, "funnel", "targets.new_customers", 1)
    assert history["value"] == pytest.approx(1100) and history["reference"] == pytest.approx(1080)
    assert history["status"] == "warn" and "(best 2025-12..2026-02: 1,080)" in history["message"]
    assert caps["reference"] == pytest.approx(1050) and caps["status"] == "fail"
    assert "sales capacity" in caps["message"]


def test_funnel_passes_when_caps_and_history_allow(folder):
    table = checks(folder, new_customers=90, sales_capacity=400)  # 99 / 0.1 = 990 leads; caps 3 x 400 = 1,200
    history, caps = row(table, "funnel", "targets.new_customers", 0), row(table, "funnel", "targets.new_customers", 1)
    assert history["value"] == pytest.approx(990) and history["status"] == "pass"
    assert caps["reference"] == pytest.approx(1200) and caps["status"] == "pass"


def test_leads_cap_counts_the_budget_when_it_binds():
    loaded = scenario(sales_capacity=None, budget={"total": 5000})
    from allocator.scenario.schema import Scenario
    cap, what = leads_cap(Scenario.model_validate(loaded))
    assert (cap, what) == (pytest.approx(500), "budget total")  # 5,000 / the cheapest cost per lead, 10


def test_order_value_above_history_needs_a_lever(folder):
    table = checks(folder)
    n, k = row(table, "order_value", "tiers[n].order_value"), row(table, "order_value", "tiers[k].order_value")
    assert (n["value"], n["reference"], n["status"]) == (pytest.approx(500), pytest.approx(400), "warn")
    # Tier k: the quiet months' baseline comes off its revenue (without it, 90,250 / 90 = 1,003 would pass).
    assert (k["value"], k["reference"], k["status"]) == (pytest.approx(1000), pytest.approx(80250 / 90), "warn")
    tiers = scenario()["tiers"]
    tiers[0]["order_value_lever"] = "upgrade bundles"
    lever = row(checks(folder, tiers=tiers), "order_value", "tiers[n].order_value")
    assert lever["status"] == "pass" and "lever named: upgrade bundles" in lever["message"]


@pytest.mark.parametrize("changes, status", [
    ({"buffer": 0.10}, "pass"), ({"buffer": 0.15}, "pass"), ({"buffer": 0.05}, "warn"), ({"buffer": 0.2}, "warn"),
    ({"buffer": 0.05, "buffer_reason": "a committed distributor contract"}, "pass"),
])
def test_buffer_within_the_guide_or_explained(folder, changes, status):
    buffer = row(checks(folder, **changes), "buffer", "targets.buffer")
    assert buffer["status"] == status and buffer["value"] == pytest.approx(changes["buffer"])


def test_check_targets_warns_with_exit_0_and_strict_exits_1(folder):
    path = write_scenario(folder, scenario())
    result = invoke("check-targets", path, "--history", folder / "history.csv")
    assert result.exit_code == 0, result.output
    assert "Target checks (" in result.output and "warn  growth  targets.revenue" in result.output
    assert invoke("check-targets", path, "--history", folder / "history.csv", "--strict").exit_code == 1


def test_strict_exits_0_when_every_check_passes(folder):
    tiers = scenario()["tiers"]
    tiers[0]["order_value_lever"] = tiers[1]["order_value_lever"] = "bundles"
    path = write_scenario(folder, scenario(drivers=["new channel b"], new_customers=90, sales_capacity=400,
                                           tiers=tiers, history={"file": "history.csv"}))
    result = invoke("check-targets", path, "--strict")  # the scenario's own history file
    assert result.exit_code == 0, result.output


def test_check_targets_writes_checks_csv(folder):
    path, out = write_scenario(folder, scenario()), folder / "out"
    result = invoke("check-targets", path, "--history", folder / "history.csv", "--out", out)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "checks.csv")
    assert list(table.columns) == ["check", "subject", "value", "reference", "margin", "unit", "status", "message"]
    assert list(table["check"]) == ["growth", "funnel", "funnel", "order_value", "order_value", "buffer"]
    run = json.loads((out / "run.json").read_text())
    assert run["history"] == str((folder / "history.csv").absolute())


@pytest.mark.parametrize("history, says", [
    ("missing.csv", "missing.csv"),
    ("no_revenue.csv", "column revenue: got missing"),
])
def test_a_bad_history_is_one_line_exit_2_and_nothing_written(folder, history, says):
    (folder / "no_revenue.csv").write_text("date,channel,tier,spend,leads,customers\n2026-01-01,a,n,1,1,1\n")
    path, out = write_scenario(folder, scenario()), folder / "out"
    result = invoke("check-targets", path, "--history", folder / history, "--out", out)
    line = assert_one_error_line(result, 2)
    assert says in line, line
    assert not out.exists()


def test_check_targets_without_any_history_is_refused(folder):
    text = assert_one_error_line(invoke("check-targets", write_scenario(folder, scenario())), 2)
    assert "history: got no history file" in text and "--history HISTORY" in text, text


def test_solve_prints_the_checks_and_writes_checks_csv_when_the_scenario_names_history(folder):
    channels = scenario()["channels"]
    channels[0]["max_leads"] = 1000
    path = write_scenario(folder, scenario(channels=channels, sales_capacity=1000, history={"file": "history.csv"}))
    solve_and_verify(path)
    out = folder / "out"
    result = invoke("solve", path, "--out", out)
    assert result.exit_code == 0, result.output
    assert "all in checks.csv):" in result.output and "warn  growth  targets.revenue" in result.output
    assert "pass  buffer" not in result.output  # the short block: what warns or fails
    written = pd.read_csv(out / "checks.csv")
    growth = written[written["check"] == "growth"].iloc[0]
    assert growth["value"] == pytest.approx(0.20) and growth["status"] == "warn"
    units = pd.read_csv(out / "units.csv")
    assert set(units[units["file"] == "checks.csv"]["column"]) == set(written.columns)
    assert invoke("verify", path, out).exit_code == 0


def test_solve_without_history_writes_no_checks(folder):
    channels = scenario()["channels"]
    channels[0]["max_leads"] = 1000
    out = folder / "out"
    result = invoke("solve", write_scenario(folder, scenario(channels=channels, sales_capacity=1000)), "--out", out)
    assert result.exit_code == 0 and "Target checks" not in result.output
    assert not (out / "checks.csv").exists()


def test_a_new_customer_target_on_a_selection_has_its_own_funnel_row(folder):
    # Channel a's tier n: 40 + 10% = 44 new customers / 0.1 = 440 leads; its best three months are 1,080.
    table = checks(folder, by=[{"select": {"channel": "a", "tier": "n"}, "new_customers": 40}])
    funnel = row(table, "funnel", "targets.by[channel=a&tier=n].new_customers")
    assert (funnel["value"], funnel["reference"], funnel["status"]) == (pytest.approx(440), pytest.approx(1080), "pass")
    # Channel b never had a lead: nothing to compare with.
    table = checks(folder, by=[{"select": {"channel": "b"}, "new_customers": 40}])
    assert row(table, "funnel", "targets.by[channel=b].new_customers")["status"] == "warn"


def test_bundled_example_is_flagged_until_drivers_are_named():
    from helpers import REPO

    path = REPO / "scenarios" / "example_q1_annual.yaml"
    # history.csv's Q1 revenue: the 2026 quarter over 2023's, compounded, is the trend (about 15% a year).
    frame = read_history(REPO / "scenarios" / "history.csv")
    q1 = {year: frame.loc[frame["period"].isin([f"{year}-0{m}" for m in (1, 2, 3)]), "revenue"].sum()
          for year in (2023, 2026)}
    trend = (q1[2026] / q1[2023]) ** (1 / 3) - 1
    flagged = invoke("check-targets", path, "--strict")
    assert flagged.exit_code == 1 and "warn  growth  targets.revenue" in flagged.output, flagged.output
    assert f"+{20e6 / q1[2026] * 100 - 100:.3g}% over 2026-Q1" in flagged.output
    assert f"grew +{trend * 100:.3g}% a year" in flagged.output and 0.13 < trend < 0.17
    named = invoke("check-targets", path, "--set", "targets.drivers=[livestream channel, launch_x]")
    assert named.exit_code == 0 and "pass  growth  targets.revenue" in named.output
    assert "drivers named: livestream channel, launch_x" in named.output
