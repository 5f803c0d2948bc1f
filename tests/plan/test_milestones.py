"""milestones.csv (cumulative amounts by a date, read off the working-day split) and owners in the outputs.

The plan: one channel capped at 1,000 a month, a 2,000 budget, revenue 5 per unit of spend, so each of
January and February 2027 gets spend 1,000, leads 100, new customers 10 and revenue 5,000. Working days
in China, counted by hand: January 2027 has 20 (Fri 1 Jan is New Year's Day; Mon 4 - Fri 29 Jan, four
weeks of five), February 16 (Spring Festival 5-10 Feb; see test_calendar.py).
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import base_scenario, invoke, write_scenario
from robustness_helpers import assert_one_error_line

MILESTONES = [
    # By Fri 15 Jan: 10 of January's 20 working days -> 5 new customers (met exactly), revenue 2,500 (< 3,000).
    {"name": "launch", "date": "2027-01-15", "owner": "Growth lead", "new_customers": 5, "revenue": 3000},
    # By Wed 10 Feb: all of January, 4 of February's 16 days (1-4 Feb; 5-10 Feb are holidays):
    # spend 1,000 + 1,000 x 4/16 = 1,250 (< 1,300), leads 100 + 100 x 4/16 = 125 (met).
    {"name": "festival", "date": "2027-02-10", "spend": 1300, "leads": 125},
    # By Sun 3 Jan nothing is planned yet (New Year's Day and a weekend).
    {"name": "first lead", "date": "2027-01-03", "leads": 1},
    # By the last day: both months, 20 new customers.
    {"name": "quarter", "date": "2027-02-28", "new_customers": 20},
]


def _scenario(**extra) -> dict:
    return base_scenario(periods=["2027-01", "2027-02"], budget={"total": 2000},
                         channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 1000}], **extra)


def test_milestones_met_and_not_met_against_the_hand_computed_cumulative(tmp_path):
    out = tmp_path / "out"
    path = write_scenario(tmp_path, _scenario(calendar={"country": "CN"}, milestones=MILESTONES))
    result = invoke("solve", path, "--out", out)
    assert result.exit_code == 0
    # The terminal summary says it too, in the user's words.
    assert "Milestones (3 of 6 met by their dates):" in result.output
    assert "  2027-01-15 launch: revenue 2,500 planned, 3,000 required (NOT met)" in result.output
    table = pd.read_csv(out / "milestones.csv", keep_default_na=False)
    assert list(table.columns) == ["name", "date", "owner", "measure", "required", "planned_by_date", "attainment",
                                   "met"]
    rows = [(r.name, r.date, r.owner, r.measure, r.required) for r in table.itertuples()]
    assert rows == [("launch", "2027-01-15", "Growth lead", "new_customers", 5),
                    ("launch", "2027-01-15", "Growth lead", "revenue", 3000),
                    ("festival", "2027-02-10", "", "leads", 125), ("festival", "2027-02-10", "", "spend", 1300),
                    ("first lead", "2027-01-03", "", "leads", 1), ("quarter", "2027-02-28", "", "new_customers", 20)]
    assert list(table["planned_by_date"]) == pytest.approx([5, 2500, 125, 1250, 0, 20], rel=1e-6, abs=1e-9)  # CBC: 1e-9 off
    assert list(table["met"]) == [True, False, True, False, False, True]
    units = pd.read_csv(out / "units.csv")
    assert set(units.loc[units["file"] == "milestones.csv", "column"]) == set(table.columns)
    assert "number" not in set(units.loc[units["file"] == "milestones.csv", "kind"])


def test_a_milestone_on_a_holiday_counts_what_the_days_before_it_planned(tmp_path):
    # Sun 7 Feb and Thu 4 Feb: the same cumulative (5-7 Feb plan nothing).
    milestones = [{"name": "a", "date": "2027-02-04", "leads": 1}, {"name": "b", "date": "2027-02-07", "leads": 1}]
    out = tmp_path / "out"
    assert invoke("solve", write_scenario(tmp_path, _scenario(calendar={"country": "CN"}, milestones=milestones)),
                  "--out", out).exit_code == 0
    table = pd.read_csv(out / "milestones.csv")
    assert list(table["planned_by_date"]) == pytest.approx([125, 125], rel=1e-6)
    assert table["planned_by_date"].iloc[0] == table["planned_by_date"].iloc[1]


@pytest.mark.parametrize("extra, pieces", [
    ({"calendar": {"country": "CN"}, "milestones": [{"name": "late", "date": "2027-03-01", "leads": 1}]},
     ["milestones[late].date", "got '2027-03-01'",
      "a date from 2027-01-01 to 2027-02-28"]),
    ({"calendar": {"country": "CN"}, "milestones": [{"name": "early", "date": "2026-12-31", "leads": 1}]},
     ["milestones[early].date", "got '2026-12-31'"]),
    ({"milestones": [{"name": "m", "date": "2027-01-15", "leads": 1}]},
     ["milestones[m]", "got milestones without a calendar", "a calendar: section"]),
    ({"calendar": {"country": "CN"}, "milestones": [{"name": "m", "date": "2027-01-15"}]},
     ["milestones[m]", "at least one of new_customers, revenue, leads, spend"]),
    ({"calendar": {"country": "CN"}, "milestones": [{"name": "m", "date": 20270115, "leads": 1}]},
     ["milestones[m].date", "got 20270115", "a date YYYY-MM-DD"]),
])
def test_a_bad_milestone_is_one_line_exit_2_nothing_written(tmp_path, extra, pieces):
    out = tmp_path / "out"
    text = assert_one_error_line(invoke("solve", write_scenario(tmp_path, _scenario(**extra)), "--out", out), 2)
    for piece in pieces:
        assert piece in text, text
    assert not out.exists()


def test_a_yaml_date_that_does_not_exist_is_refused_by_its_field(tmp_path):
    # YAML reads 2027-02-30 as a timestamp it cannot build: that was a crash (exit 3), not bad input.
    path = write_scenario(tmp_path, _scenario(calendar={"country": "CN"}))
    path.write_text(path.read_text() + "milestones:\n- {name: m, date: 2027-02-30, leads: 1}\n")
    out = tmp_path / "out"
    text = assert_one_error_line(invoke("solve", path, "--out", out), 2)
    assert "milestones[m].date: got '2027-02-30'; expected a date YYYY-MM-DD that exists" in text
    assert not out.exists()


def test_owners_are_shown_in_targets_and_lines(tmp_path):
    data = _scenario(
        targets={"revenue": 1000, "new_customers": 1, "owners": {"revenue": "Sales VP"},
                 "mix": [{"of": "revenue", "select": {"tier": "n"}, "min_share": 0.5, "owner": "Tier lead"}],
                 "by": [{"select": {"channel": "a"}, "revenue": 100, "owner": "First"},
                        {"select": {"channel": "a"}, "revenue": 200, "leads": 1, "owner": "Second"}]},
    )
    data["budget"] = {"total": 2000, "owner": "CMO",
                      "lines": [{"name": "acquisition", "select": {"tier": "n"}, "new_customers": 1,
                                 "owner": "Acquisition lead"}, {"name": "all", "select": {"channel": "a"}}]}
    out = tmp_path / "out"
    path = write_scenario(tmp_path, data)
    assert invoke("solve", path, "--out", out).exit_code == 0
    targets = pd.read_csv(out / "targets.csv", keep_default_na=False)
    owners = dict(zip(targets["target"] + "#" + targets["committed"].astype(str), targets["owner"]))
    assert owners == {
        "revenue#1000.0": "Sales VP", "new_customers#1.0": "", "budget_total#2000.0": "CMO",
        "mix_min_revenue[tier=n]#0.5": "Tier lead",
        # the same selection twice: each row keeps its own entry's owner, in the scenario's order
        "by_revenue[channel=a]#100.0": "First", "by_revenue[channel=a]#200.0": "Second",
        "by_leads[channel=a]#1.0": "Second",
    }
    lines = pd.read_csv(out / "lines.csv", keep_default_na=False)
    assert list(zip(lines["line"], lines["owner"])) == [("acquisition", "Acquisition lead"), ("all", "")]
    assert invoke("verify", path, out).exit_code == 0  # the owner columns do not disturb the verifier


def test_the_examples_milestones_cumulate_whole_months_and_working_days_of_the_last(example_folder):
    by_period = pd.read_csv(example_folder / "by_period.csv").set_index("period")
    table = pd.read_csv(example_folder / "milestones.csv")
    jan, feb, mar = (by_period.loc[p] for p in ("2027-01", "2027-02", "2027-03"))
    # 4-15 Jan: 10 of January's 20 working days. By 28 Feb: January and February whole. By Mon 15 Mar:
    # 1-5, 8-12 and 15 Mar, 11 of March's 23 working days.
    want = [jan["new_customers"] * 10 / 20, jan["revenue_total"] + feb["revenue_total"],
            jan["revenue_total"] + feb["revenue_total"] + mar["revenue_total"] * 11 / 23]
    assert list(table["measure"]) == ["new_customers", "revenue", "revenue"]
    assert list(table["planned_by_date"]) == pytest.approx(want, rel=1e-12)
    assert list(table["owner"]) == ["Growth lead", "CRM lead", "Key-account director"]
