"""`allocator incentives` (issue 14 §4): bonus tiers, commission, awards and consequences from attainment.

Every expected number is worked out by hand in the test (the planning guide's: pay 20,000, 10% at 100%,
20% at 120%, 1% commission, an improvement plan after 2 missed months, a role review after 3).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import REPO, invoke

from allocator.plan.units import COLUMN_KINDS
from allocator.tracking.attainment_table import read_attainment
from allocator.tracking.incentive_rules import IncentiveError, load_rules
from allocator.tracking.incentives import pay_incentives

BUNDLED = REPO / "scenarios" / "incentives"
GUIDE = {
    "bonus": {"tiers": [{"id": "bonus_100", "at": 1.0, "pay_share": 0.10},
                        {"id": "bonus_120", "at": 1.2, "pay_share": 0.20}]},
    "commission": {"id": "commission", "rate": 0.01},
    "consequences": [{"id": "improvement_plan", "after_misses": 2, "action": "improvement plan"},
                     {"id": "role_review", "after_misses": 3, "action": "role review"}],
    "people": [{"name": "ana", "monthly_pay": 20000}, {"name": "bo", "monthly_pay": 20000}],
}
HEADER = "person,month,target,actual"


def _pay(tmp_path: Path, rows: list[str], rules: dict | None = None, header: str = HEADER):
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules or GUIDE, sort_keys=False))
    (tmp_path / "table.csv").write_text("\n".join([header, *rows]) + "\n")
    loaded = load_rules(tmp_path / "rules.yaml")
    return pay_incentives(loaded, read_attainment(tmp_path / "table.csv", loaded.people)).payouts


def _row(payouts: pd.DataFrame, person: str, month: str) -> pd.Series:
    found = payouts[(payouts["person"] == person) & (payouts["month"] == month)]
    assert len(found) == 1, (person, month)
    return found.iloc[0]


# --- bonus ---------------------------------------------------------------------------------------------------------

def test_119_9_percent_earns_the_100_tier_only_2000(tmp_path):
    row = _row(_pay(tmp_path, ["ana,2027-01,1000000,1199000"]), "ana", "2027-01")
    assert row["attainment"] == 1.199
    assert row["bonus"] == 2000.0  # 10% x 20,000: 119.9% is not rounded up to 120%
    assert row["rule_ids"].split(";")[0] == "bonus_100"
    assert "attainment 119.9%" in row["rules"]


def test_exactly_120_percent_earns_the_120_tier_4000_not_both(tmp_path):
    row = _row(_pay(tmp_path, ["ana,2027-01,1000000,1200000"]), "ana", "2027-01")
    assert row["bonus"] == 4000.0  # 20% x 20,000; tiers do not stack
    assert "bonus_100" not in row["rule_ids"].split(";") and "bonus_120" in row["rule_ids"].split(";")


def test_tiers_stack_when_the_rules_say_so(tmp_path):
    rules = {**GUIDE, "bonus": {**GUIDE["bonus"], "stack": True}}
    payouts = _pay(tmp_path, ["ana,2027-01,1000000,1200000", "bo,2027-01,1000000,1100000"], rules)
    assert _row(payouts, "ana", "2027-01")["bonus"] == 6000.0  # (10% + 20%) x 20,000
    assert _row(payouts, "bo", "2027-01")["bonus"] == 2000.0  # only the 100% tier reached


def test_a_threshold_is_compared_exactly_not_in_floating_point(tmp_path):
    # A plan kept in millions: 0.99 / 0.9 is 110% exactly, but 1.0999999999999999 in floating point.
    rules = {**GUIDE, "bonus": {"tiers": [{"id": "bonus_110", "at": 1.1, "pay_share": 0.15}]}}
    row = _row(_pay(tmp_path, ["ana,2027-01,0.9,0.99"], rules), "ana", "2027-01")
    assert row["bonus"] == pytest.approx(3000.0, rel=1e-15)  # 15% x 20,000
    assert not row["missed"]


def test_below_the_first_tier_no_bonus_and_a_miss(tmp_path):
    row = _row(_pay(tmp_path, ["ana,2027-01,1000000,999999"]), "ana", "2027-01")
    assert row["bonus"] == 0.0 and row["missed"]
    assert "no bonus: attainment 99.9999% is below the first tier (100%)" in row["rules"]


# --- commission ----------------------------------------------------------------------------------------------------

def test_commission_is_1_percent_of_1_2_million_12000(tmp_path):
    payouts = _pay(tmp_path, ["ana,2027-01,1000000,900000,1200000"], header=HEADER + ",sales")
    row = _row(payouts, "ana", "2027-01")
    assert row["commission"] == 12000.0  # paid on attributed sales, whatever the attainment (90%)
    assert row["bonus"] == 0.0
    assert row["incentive_total"] == 12000.0


def test_commission_by_channel_first_matching_rate(tmp_path):
    rules = {**GUIDE, "commission": {"rate": 0.01, "by": [{"id": "live", "channel": "livestream", "rate": 0.015}]}}
    payouts = _pay(tmp_path, ["ana,2027-01,600000,650000,store", "ana,2027-01,300000,340000,livestream"], rules,
                   header=HEADER + ",channel")
    row = _row(payouts, "ana", "2027-01")
    assert row["commission"] == pytest.approx(6500 + 5100, rel=1e-15)  # 1% x 650,000 + 1.5% x 340,000
    assert row["attainment"] == pytest.approx(990000 / 900000, rel=1e-15)  # rows of the month summed
    assert row["bonus"] == 2000.0


# --- consequences --------------------------------------------------------------------------------------------------

def test_misses_in_january_and_february_flag_an_improvement_plan_in_march(tmp_path):
    payouts = _pay(tmp_path, ["bo,2027-01,1000000,900000", "bo,2027-02,1000000,800000",
                              "bo,2027-03,1000000,1050000"])
    assert list(payouts["flag"]) == ["", "", "improvement plan"]
    march = _row(payouts, "bo", "2027-03")
    assert "improvement_plan" in march["rule_ids"].split(";")
    assert "missed 2 months in a row (2027-01, 2027-02" in march["rules"]
    assert march["bonus"] == 2000.0  # March itself is met: the flag does not cancel its bonus


def test_three_misses_flag_a_role_review_in_the_month_after(tmp_path):
    payouts = _pay(tmp_path, ["bo,2027-01,1000000,900000", "bo,2027-02,1000000,800000",
                              "bo,2027-03,1000000,999000"])
    assert list(payouts["month"]) == ["2027-01", "2027-02", "2027-03", "2027-04"]
    assert list(payouts["flag"]) == ["", "", "improvement plan", "role review"]
    april = _row(payouts, "bo", "2027-04")
    assert april["rule_ids"] == "role_review" and april["incentive_total"] == 0.0 and pd.isna(april["attainment"])


def test_a_met_month_or_a_gap_ends_the_run_of_misses(tmp_path):
    payouts = _pay(tmp_path, ["bo,2027-01,100,90", "bo,2027-02,100,100", "bo,2027-03,100,90",
                              "ana,2027-01,100,90", "ana,2027-03,100,90"])
    assert (payouts["flag"] == "").all()


def test_a_miss_is_below_miss_below_when_stated(tmp_path):
    rules = {**GUIDE, "miss_below": 0.9}
    payouts = _pay(tmp_path, ["bo,2027-01,100,90", "bo,2027-02,100,95", "bo,2027-03,100,50"], rules)
    assert list(payouts["missed"]) == [False, False, True] and (payouts["flag"] == "").all()


# --- awards --------------------------------------------------------------------------------------------------------

AWARDS = [{"id": "top", "name": "top new-customer acquirer of the quarter", "rule": "most",
           "measure": "new_customers", "period": "quarter", "prize": 5000},
          {"id": "first", "name": "first to 100% in a month", "rule": "first_to", "period": "month", "prize": 1000}]


def test_award_winner_and_a_tie_splits_the_prize(tmp_path):
    people = [{"name": n, "monthly_pay": 1000} for n in ("ana", "bo", "chen")]
    rules = {**GUIDE, "people": people, "awards": AWARDS[:1]}
    payouts = _pay(tmp_path, ["ana,2027-01,1,1,20", "ana,2027-02,1,1,40", "bo,2027-01,1,1,60", "bo,2027-03,1,1,0",
                              "chen,2027-02,1,1,59"], rules, header=HEADER + ",new_customers")
    # ana 60 and bo 60 tie (chen 59): each wins in their last month of the quarter, 5,000 / 2 each.
    won = payouts[payouts["award"] != ""]
    assert list(zip(won["person"], won["month"], won["award_amount"])) == [("ana", "2027-02", 2500.0),
                                                                          ("bo", "2027-03", 2500.0)]
    assert "tied 2 ways: prize 5,000 split, 2,500 each" in won["rules"].iloc[0]


def test_first_to_100_goes_to_the_earliest_reached_on_and_ties_without_one(tmp_path):
    rules = {**GUIDE, "awards": AWARDS[1:]}
    payouts = _pay(tmp_path, ["ana,2027-01,100,100,2027-01-22", "bo,2027-01,100,130,2027-01-20",
                              "ana,2027-02,100,100,", "bo,2027-02,100,120,", "ana,2027-03,100,99,"],
                   rules, header=HEADER + ",reached_on")
    amounts = {(r.person, r.month): r.award_amount for r in payouts.itertuples()}
    assert amounts[("bo", "2027-01")] == 1000.0 and amounts[("ana", "2027-01")] == 0.0  # 20 Jan before 22 Jan
    assert amounts[("ana", "2027-02")] == 500.0 and amounts[("bo", "2027-02")] == 500.0  # no dates: a tie
    assert amounts[("ana", "2027-03")] == 0.0  # nobody reached 100% in March: no award


def test_an_award_on_new_customers_needs_the_column(tmp_path):
    with pytest.raises(IncentiveError, match=r"awards\[top\]\.measure: got 'new_customers'"):
        _pay(tmp_path, ["ana,2027-01,1,1"], {**GUIDE, "awards": AWARDS[:1]})


# --- the bundled quarter -------------------------------------------------------------------------------------------

def test_bundled_quarter_pays_the_hand_worked_totals(tmp_path):
    out = tmp_path / "out"
    result = invoke("incentives", "--rules", BUNDLED / "rules.yaml", "--attainment", BUNDLED / "attainment_q1.csv",
                    "--out", out, "--as-budget-line")
    assert result.exit_code == 0, result.output
    totals = pd.read_csv(out / "totals.csv", keep_default_na=False)
    quarter = totals[totals["month"] == "all"].set_index("name")
    # ana: bonus 2,000 (119.9%) + 4,000 (120%); commission 1% of 1,199,000 + 1,200,000 + 950,000;
    # awards: first to 100% in February 1,000, top acquirer (60, tied with dara) 2,500.
    assert quarter.loc["ana", ["bonus", "commission", "award_amount"]].tolist() == [6000, 33490, 3500]
    # bo: 90%, 80%, 105% -> 2,000; commission 9,000 + 8,000 + 10,500.
    assert quarter.loc["bo", ["bonus", "commission", "award_amount"]].tolist() == [2000, 27500, 0]
    # chen (pay 15,000): 87.5%, 75%, 95% -> no bonus; commission 7,000 + 6,000 + 7,600.
    assert quarter.loc["chen", ["bonus", "commission", "award_amount"]].tolist() == [0, 20600, 0]
    # dara (pay 18,000): 110% -> 1,800; 95.6%; 122.2% -> 3,600; commission store 1% and livestream 1.5%:
    # 6,500 + 5,100, 5,000 + 5,400, 7,000 + 6,000; first to 100% in January (20th) and March (10th before bo's
    # 12th) 2 x 1,000, top acquirer 2,500.
    assert quarter.loc["dara", ["bonus", "commission"]].tolist() == pytest.approx([5400, 35000], rel=1e-12)
    assert quarter.loc["dara", "award_amount"] == 4500
    assert quarter.loc["north", "incentive_total"] == 42990 + 29500
    assert quarter.loc["all", "incentive_total"] == pytest.approx(137990, rel=1e-12)
    payouts = pd.read_csv(out / "payouts.csv", keep_default_na=False)
    flags = payouts[payouts["flag"] != ""]
    assert list(zip(flags["person"], flags["month"], flags["flag"])) == [
        ("bo", "2027-03", "improvement plan"), ("chen", "2027-03", "improvement plan"),
        ("chen", "2027-04", "role review")]
    # At 100% of every target: 10% of (20,000 + 20,000 + 15,000 + 18,000) x 3 months = 21,900; commission
    # 1% x (3M + 3M + 2.4M + 1.8M) + 1.5% x 0.9M = 115,500; prizes 5,000 + 3 x 1,000 = 8,000.
    expected = pd.read_csv(out / "expected_cost.csv").set_index("part")["amount"]
    assert expected.tolist() == pytest.approx([21900, 115500, 8000, 145400], rel=1e-12)
    budget = yaml.safe_load((out / "incentive_budget.yaml").read_text())
    assert budget["incentive_reserve"]["total"] == pytest.approx(145400, rel=1e-12)
    run = json.loads((out / "run.json").read_text())
    assert [Path(i["path"]).name for i in run["inputs"]] == ["rules.yaml", "people.csv", "attainment_q1.csv"]
    assert run["paid"]["incentive_total"] == pytest.approx(137990, rel=1e-12)


def test_every_column_written_has_a_unit(tmp_path):
    out = tmp_path / "out"
    invoke("incentives", "--rules", BUNDLED / "rules.yaml", "--attainment", BUNDLED / "attainment_q1.csv",
           "--out", out)
    units = pd.read_csv(out / "units.csv")
    assert set(units["file"]) == {"payouts.csv", "totals.csv", "expected_cost.csv"}
    assert all(column in COLUMN_KINDS for column in units["column"]), units[~units["column"].isin(list(COLUMN_KINDS))]
    money = set(units.loc[units["kind"] == "money", "column"])
    assert {"bonus", "commission", "award_amount", "incentive_total", "monthly_pay", "sales", "amount"} <= money
    assert (units.loc[units["kind"] == "money", "unit"] == "CNY").all()


def test_track_monthly_kpis_are_read_with_channels_as_payees(tmp_path):
    rules = {**GUIDE, "people": [{"name": "livestream", "monthly_pay": 20000}]}
    header = "month,channel,days,month_days,revenue,plan_month_revenue"
    payouts = _pay(tmp_path, ["2027-01,livestream,31,31,1200000,1000000", "2027-01,website,31,31,5,10",
                              "2027-01,all,31,31,1200005,1000010", "2027-02,livestream,10,28,90,1000000"],
                   rules, header=header)
    # January only (February is not over); website is no payee; all is their sum.
    assert list(zip(payouts["person"], payouts["month"])) == [("livestream", "2027-01")]
    assert payouts["bonus"].iat[0] == 4000.0 and payouts["commission"].iat[0] == 12000.0


# --- the command line ----------------------------------------------------------------------------------------------

def test_help_shows_the_bundled_example():
    result = invoke("incentives", "--help")
    assert result.exit_code == 0
    assert "--rules scenarios/incentives/rules.yaml" in result.output and "attainment_q1.csv" in result.output


def test_without_out_prints_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("incentives", "--rules", BUNDLED / "rules.yaml", "--attainment", BUNDLED / "attainment_q1.csv",
                    "--as-budget-line")
    assert result.exit_code == 0, result.output
    assert "flag 2027-04 chen: role review" in result.output and "incentive_reserve:" in result.output
    assert list(tmp_path.iterdir()) == []


BAD = [
    ("rules.yaml", "bonus:\n  tiers:\n    - {id: b100, at: 1.0, pay_shar: 0.1}\npeople: [{name: ana, monthly_pay: 1}]\n",
     "rules.yaml: bonus.tiers[b100].pay_shar: got unknown field 'pay_shar'; expected a field of the rules format"),
    ("rules.yaml", ("bonus:\n  tiers: [{id: a, at: 1.2, pay_share: 0.2}, {id: b, at: 1.0, pay_share: 0.1}]\n"
                    "people: [{name: ana, monthly_pay: 1}]\n"),
     "rules.yaml: bonus.tiers: got at 1.2, 1; expected tiers in strictly increasing order of at"),
    ("rules.yaml", "people: [{name: ana, monthly_pay: -5}]\n",
     "rules.yaml: people[ana].monthly_pay: got -5; expected greater than or equal to 0"),
    ("table.csv", "person,month,target,actual\nana,2027-01,100,12x\n",
     "table.csv: line 2, actual: got '12x'; expected a number >= 0 (write 0 for none)"),
    ("table.csv", "person,month,target,actual\nzoe,2027-01,100,1\n",
     "table.csv: line 2, person: got 'zoe'; expected a payee of the rules' people (ana)"),
    ("table.csv", "person,month,target,actual\nana,2027-1,100,1\n",
     "table.csv: line 2, month: got '2027-1'; expected a month YYYY-MM"),
    ("table.csv", "person,month,target,actual\nana,2027-01,0,1\n",
     "table.csv: line 2, target: got 0 in all for ana in 2027-01; expected a target above 0"),
    ("table.csv", "person,month,actual\nana,2027-01,1\n", "table.csv: column target: got missing; expected the columns"),
]


@pytest.mark.parametrize("name, text, message", BAD, ids=[b[2].split(":")[1].strip() for b in BAD])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, name, text, message):
    (tmp_path / "rules.yaml").write_text("people: [{name: ana, monthly_pay: 20000}]\n")
    (tmp_path / "table.csv").write_text("person,month,target,actual\nana,2027-01,100,100\n")
    (tmp_path / name).write_text(text)
    out = tmp_path / "out"
    result = invoke("incentives", "--rules", tmp_path / "rules.yaml", "--attainment", tmp_path / "table.csv",
                    "--out", out)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output
    assert not out.exists()


def test_an_out_holding_an_input_is_refused(tmp_path):
    result = invoke("incentives", "--rules", BUNDLED / "rules.yaml", "--attainment", BUNDLED / "attainment_q1.csv",
                    "--out", BUNDLED)
    assert result.exit_code == 2 and "holds the input" in result.output
    assert sorted(p.name for p in BUNDLED.iterdir()) == ["attainment_q1.csv", "people.csv", "rules.yaml"]


def test_a_track_runs_kpis_monthly_csv_pays_its_finished_months(tmp_path):
    """End to end: solve the example, track the bundled actuals to 2027-02-15, pay three channels' teams."""
    import csv
    from decimal import Decimal

    plan, track = tmp_path / "plan", tmp_path / "track"
    assert invoke("solve", REPO / "scenarios" / "example_q1.yaml", "--out", plan, "--store", "none").exit_code == 0
    result = invoke("track", plan, REPO / "scenarios" / "actuals_q1.csv", "--as-of", "2027-02-15", "--out", track,
                    "--store", "none")
    assert result.exit_code == 0, result.output
    teams = ("community_groupbuy", "marketplace", "mini_program")
    rules = {**GUIDE, "people": [{"name": name, "monthly_pay": 10000} for name in teams]}
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rules))
    out = tmp_path / "pay"
    result = invoke("incentives", "--rules", tmp_path / "rules.yaml", "--attainment", track / "kpis_monthly.csv",
                    "--out", out)
    assert result.exit_code == 0, result.output
    # The same numbers read with the csv module: January only (February's days < month_days).
    expected = {}
    with open(track / "kpis_monthly.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["channel"] in teams and row["days"] == row["month_days"]:
                revenue, plan_revenue = Decimal(row["revenue"]), Decimal(row["plan_month_revenue"])
                share = Decimal("0.2") if revenue >= Decimal("1.2") * plan_revenue else (
                    Decimal("0.1") if revenue >= plan_revenue else Decimal(0))
                expected[(row["channel"], row["month"])] = (float(share * 10000), float(revenue * Decimal("0.01")))
    assert {month for _, month in expected} == {"2027-01"}
    assert sorted(bonus for bonus, _ in expected.values()) == [0, 1000, 2000]  # each case: none, 100%, 120%
    payouts = pd.read_csv(out / "payouts.csv")
    found = {(r.person, r.month): (r.bonus, r.commission) for r in payouts.itertuples()}
    assert found.keys() == expected.keys()
    for key, (bonus, commission) in expected.items():
        assert found[key][0] == bonus and found[key][1] == pytest.approx(commission, rel=1e-12), key
    assert "left out (channels of the track output that are no payee)" in result.output


def test_a_bad_people_table_names_its_line_and_column(tmp_path):
    (tmp_path / "people.csv").write_text("name,monthly_pay,team\nana,20000,north\nbo,20k,north\n")
    (tmp_path / "rules.yaml").write_text("people: {file: people.csv}\n")
    (tmp_path / "table.csv").write_text("person,month,target,actual\nana,2027-01,100,100\n")
    result = invoke("incentives", "--rules", tmp_path / "rules.yaml", "--attainment", tmp_path / "table.csv",
                    "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {tmp_path / 'people.csv'}: line 3, monthly_pay: got '20k'; expected ")
    assert not (tmp_path / "out").exists()
