"""weekly.csv: each month's plan spread over its working days and grouped into ISO weeks.

Working days are counted here by hand from the calendar (listed dates), not read from the code: the 2027
Spring Festival holidays in China are 5-10 February 2027 (`holidays.country_holidays('CN', years=2027)`),
and 2026 has the official make-up working Saturdays 14 and 28 February.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest
from helpers import EXAMPLE, base_scenario, invoke, write_scenario
from robustness_helpers import assert_one_error_line

import allocator
from allocator.plan.calendar import SPLIT_AMOUNTS, day_split, weekly_table
from allocator.scenario.calendar import Calendar


def _working_days(first: date, last: date, holidays: set[date], make_up: set[date] = frozenset()) -> int:
    """Mon-Fri that are no holiday, plus official make-up days, counted day by day."""
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    return sum(1 for d in days if (d.weekday() < 5 and d not in holidays) or d in make_up)


SPRING_FESTIVAL_2027 = {date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8), date(2027, 2, 9),
                        date(2027, 2, 10)}


def _by_period(amounts: dict[str, float]) -> pd.DataFrame:
    """A by_period table whose every amount of a period is the given number (each column its own multiple)."""
    rows = [{"period": p, **{c: v * (k + 1) for k, c in enumerate(SPLIT_AMOUNTS)}} for p, v in amounts.items()]
    return pd.DataFrame(rows)


def test_february_2027_weeks_by_hand():
    # Feb 2027 starts on a Monday: W05 = 1-7 Feb (Fri 5 is New Year's Eve: Mon-Thu work, 4 days),
    # W06 = 8-14 Feb (Mon 8 - Wed 10 holidays: Thu 11, Fri 12, 2 days), W07 = 15-21 (5), W08 = 22-28 (5): 16.
    by_hand = {"2027-W05": 4, "2027-W06": 2, "2027-W07": 5, "2027-W08": 5}
    assert sum(by_hand.values()) == _working_days(date(2027, 2, 1), date(2027, 2, 28), SPRING_FESTIVAL_2027) == 16
    weekly = weekly_table(day_split(Calendar(country="CN"), ["2027-02"]), _by_period({"2027-02": 1600.0}))
    assert list(weekly["week"]) == list(by_hand)
    assert list(weekly["month"]) == ["2027-02"] * 4
    assert list(weekly["working_days"]) == list(by_hand.values())
    assert list(weekly["days"]) == [7, 7, 7, 7]
    assert list(weekly["share_of_period"]) == pytest.approx([4 / 16, 2 / 16, 5 / 16, 5 / 16], rel=1e-15)
    assert list(weekly["spend"]) == pytest.approx([400, 200, 500, 500], rel=1e-15)  # 1600 x working-day share


def test_a_week_in_two_months_is_two_rows_one_per_month():
    # 2027-W13 runs Mon 29 Mar - Sun 4 Apr: 29-31 Mar (3 working days of March's 23) and 1-2 Apr (2 of April's
    # 21; Mon 5 Apr is Tomb-Sweeping Day, in W14).
    march = _working_days(date(2027, 3, 1), date(2027, 3, 31), set())
    april = _working_days(date(2027, 4, 1), date(2027, 4, 30), {date(2027, 4, 5)})
    assert (march, april) == (23, 21)
    weekly = weekly_table(day_split(Calendar(country="CN"), ["2027-03", "2027-04"]),
                          _by_period({"2027-03": 2300.0, "2027-04": 4200.0}))
    w13 = weekly[weekly["week"] == "2027-W13"]
    assert list(w13["month"]) == ["2027-03", "2027-04"]
    assert list(w13["days"]) == [3, 4]
    assert list(w13["working_days"]) == [3, 2]
    assert list(w13["spend"]) == pytest.approx([2300 * 3 / 23, 4200 * 2 / 21], rel=1e-14)
    w14 = weekly[weekly["week"] == "2027-W14"]
    assert list(w14["working_days"]) == [4] and float(w14["spend"].iloc[0]) == pytest.approx(4200 * 4 / 21)


def test_official_make_up_saturdays_count_and_a_week_of_holidays_gets_nothing():
    # CN 2026: Spring Festival Mon 16 - Mon 23 Feb off; Sat 14 and Sat 28 Feb are official working days.
    # Feb 2026 starts on a Sunday (W05 holds 1 Feb only). W06 2-8: 5; W07 9-15: 5 + Sat 14 = 6; W08 16-22: 0;
    # W09 23 Feb - 1 Mar (February part 23-28): Tue-Fri 4 + Sat 28 = 5. 16 in all.
    off = {date(2026, 2, d) for d in (16, 17, 18, 19, 20, 23)}
    make_up = {date(2026, 2, 14), date(2026, 2, 28)}
    assert _working_days(date(2026, 2, 1), date(2026, 2, 28), off, make_up) == 16
    weekly = weekly_table(day_split(Calendar(country="CN"), ["2026-01", "2026-02"]),
                          _by_period({"2026-01": 100.0, "2026-02": 1600.0}))
    feb = weekly[weekly["month"] == "2026-02"]
    assert list(feb["week"]) == ["2026-W05", "2026-W06", "2026-W07", "2026-W08", "2026-W09"]
    assert list(feb["working_days"]) == [0, 5, 6, 0, 5]
    assert list(feb["spend"]) == pytest.approx([0, 500, 600, 0, 500], abs=1e-9)
    # W05 straddles January and February: 26-31 Jan (Mon-Fri working) and Sunday 1 Feb.
    w05 = weekly[weekly["week"] == "2026-W05"]
    assert list(w05["month"]) == ["2026-01", "2026-02"] and list(w05["days"]) == [6, 1]
    # No leads in the holiday week: its ratios are blank, not 0 or an error.
    assert feb[feb["week"] == "2026-W08"]["conversion"].isna().all()


def test_week_weights_and_holiday_weight_change_the_shares():
    # week_weights {2027-W06: 2}: Feb 2027 weights 4, 2x2, 5, 5 = 18.
    weighted = weekly_table(day_split(Calendar(country="CN", week_weights={"2027-W06": 2}), ["2027-02"]),
                            _by_period({"2027-02": 1800.0}))
    assert list(weighted["spend"]) == pytest.approx([400, 400, 500, 500], rel=1e-14)
    # holiday_weight 0.5: the six holidays 5-10 Feb weigh half (Sat 6 and Sun 7 too, being holidays); other
    # weekend days 0. W05: 4 + 3 x 0.5 = 5.5; W06: 2 + 3 x 0.5 = 3.5; W07 5; W08 5: 19.
    half = weekly_table(day_split(Calendar(country="CN", holiday_weight=0.5), ["2027-02"]),
                        _by_period({"2027-02": 1900.0}))
    assert list(half["spend"]) == pytest.approx([550, 350, 500, 500], rel=1e-14)
    assert list(half["working_days"]) == [4, 2, 5, 5]  # working days are still the official ones


def test_a_plan_on_weeks_gets_its_own_weeks_a_week_across_two_months_split_by_working_days():
    weekly = weekly_table(day_split(Calendar(country="CN"), ["2027-W12", "2027-W13"]),
                          _by_period({"2027-W12": 700.0, "2027-W13": 500.0}))
    assert list(weekly["week"]) == ["2027-W12", "2027-W13", "2027-W13"]
    assert list(weekly["month"]) == ["2027-03", "2027-03", "2027-04"]
    assert list(weekly["spend"]) == pytest.approx([700, 500 * 3 / 5, 500 * 2 / 5], rel=1e-14)


@pytest.fixture(scope="module")
def example_plan():
    return allocator.solve(EXAMPLE)


def test_the_examples_weeks_add_up_to_its_months_exactly(example_plan):
    weekly, by_period = example_plan.weekly, example_plan.by_period.set_index("period")
    assert set(weekly["month"]) == set(by_period.index) == {"2027-01", "2027-02", "2027-03"}
    for month, rows in weekly.groupby("month"):
        for column in SPLIT_AMOUNTS:
            want = float(by_period.loc[month, column])
            assert math.fsum(rows[column]) == pytest.approx(want, rel=1e-12, abs=0), (month, column)
        assert math.fsum(rows["share_of_period"]) == pytest.approx(1.0, rel=1e-12)


def test_the_examples_spring_festival_week_has_fewer_working_days_and_less_spend(example_plan):
    weekly = example_plan.weekly.set_index("week")
    # 2027-01-01 (Fri, New Year) to Sun 3 Jan belong to 2026-W53: no working day, nothing planned.
    assert weekly.loc["2026-W53", "working_days"] == 0 and weekly.loc["2026-W53", "spend"] == 0
    festival, before, after = weekly.loc["2027-W06"], weekly.loc["2027-W05"], weekly.loc["2027-W07"]
    assert (before["working_days"], festival["working_days"], after["working_days"]) == (4, 2, 5)
    assert festival["spend"] < before["spend"] < after["spend"]
    feb_spend = float(example_plan.by_period.set_index("period").loc["2027-02", "spend"])
    assert festival["spend"] == pytest.approx(feb_spend * 2 / 16, rel=1e-14)
    # The ratios are recomputed from the week's sums (here the month's, as the split is proportional).
    assert festival["conversion"] == pytest.approx(festival["customers"] / festival["leads"])
    assert festival["order_value"] == pytest.approx(festival["revenue"] / festival["customers"])


def test_a_scenario_without_calendar_writes_no_weekly_csv(tmp_path):
    out = tmp_path / "out"
    assert invoke("solve", write_scenario(tmp_path, base_scenario()), "--out", out).exit_code == 0
    assert not (out / "weekly.csv").exists()
    assert invoke("solve", write_scenario(tmp_path, base_scenario(calendar={"country": "CN"}), "c.yaml"),
                  "--out", tmp_path / "cal").exit_code == 0
    weekly = pd.read_csv(tmp_path / "cal" / "weekly.csv")
    # January 2027: 1-3 Jan in 2026-W53 (holiday and weekend), then four full weeks of 5 working days.
    assert list(weekly["working_days"]) == [0, 5, 5, 5, 5]
    units = pd.read_csv(tmp_path / "cal" / "units.csv")
    assert set(units.loc[units["file"] == "weekly.csv", "column"]) == set(weekly.columns)
    assert "number" not in set(units.loc[units["file"] == "weekly.csv", "kind"])


@pytest.mark.parametrize("calendar, pieces", [
    ({"country": "XX"}, ["calendar.country", "got 'XX'", "a country code the holidays package knows"]),
    ({"country": "US", "subdivision": "ZZ"}, ["calendar.subdivision", "got 'ZZ'", "a subdivision of US"]),
    ({"country": "CN", "week_weights": {"2027-W20": 2}}, ["calendar.week_weights.2027-W20",
                                                         "a week with a day from 2027-01-01 to 2027-01-31"]),
    ({"country": "CN", "week_weights": {"2027-W54": 2}}, ["calendar.week_weights.2027-W54", "an ISO week"]),
    ({"country": "CN", "week_weights": {"2027-W02": 0}}, ["calendar.week_weights.2027-W02", "greater than 0"]),
    ({"country": "CN", "colour": "red"}, ["calendar.colour", "unknown field"]),
])
def test_a_bad_calendar_is_one_line_exit_2_nothing_written(tmp_path, calendar, pieces):
    out = tmp_path / "out"
    result = invoke("solve", write_scenario(tmp_path, base_scenario(calendar=calendar)), "--out", out)
    text = assert_one_error_line(result, 2)
    for piece in pieces:
        assert piece in text, text
    assert not out.exists()


def test_verify_checks_that_the_weeks_add_up_to_allocation_csv(example_folder, tmp_path):
    import shutil

    folder = tmp_path / "q1"
    shutil.copytree(example_folder, folder)
    assert invoke("verify", EXAMPLE, folder).exit_code == 0
    weekly = pd.read_csv(folder / "weekly.csv")
    row = int(weekly.index[weekly["week"] == "2027-W06"][0])
    weekly.loc[row, "spend"] += 1000.0  # a hand edit: February's weeks no longer add up to February
    weekly.to_csv(folder / "weekly.csv", index=False)
    result = invoke("verify", EXAMPLE, folder)
    assert result.exit_code == 1
    assert "weekly.csv [month 2027-02] spend summed" in result.output
    assert f"weekly.csv line {row + 2} spend" in result.output
    weekly[weekly["month"] != "2027-03"].to_csv(folder / "weekly.csv", index=False)  # March's rows dropped
    assert "weekly.csv [month 2027-03]: no row for this period" in invoke("verify", EXAMPLE, folder).output


def test_a_plan_on_weeks_verifies_with_its_weekly_csv(tmp_path):
    data = base_scenario(periods=["2027-W12", "2027-W13"], calendar={"country": "CN"})
    out, path = tmp_path / "out", write_scenario(tmp_path, data)
    assert invoke("solve", path, "--out", out).exit_code == 0
    weekly = pd.read_csv(out / "weekly.csv")
    assert list(weekly["week"]) == ["2027-W12", "2027-W13", "2027-W13"]
    assert invoke("verify", path, out).exit_code == 0
