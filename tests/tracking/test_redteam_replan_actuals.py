"""Red-team regressions: `replan` checks its actuals against the scenario as `track` does against a plan --
a name the scenario does not have, or a day outside it, is one line naming the file's line, even on a row
that spent nothing (such a row once crashed the re-plan: a zero-spend row's revenue was booked to a
cell that does not exist).

The scenario: tests/tracking/test_redteam_replan_folder.py's (channels a and b, tier n, product p,
January and February)."""

from __future__ import annotations

import pytest

from tests.support.helpers import base_scenario, invoke, write_scenario

HEADER = "date,channel,tier,spend,leads,customers,revenue\n"
JANUARY = "2027-01-10,a,n,800,80,6,3000\n"


def _run(tmp_path, extra_rows, rows=None):
    path = write_scenario(tmp_path, base_scenario(
        periods=["2027-01", "2027-02"], objective="min_spend", budget={},
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800}, {"name": "b", "cost_per_lead": 20}],
        targets={"revenue": 10000}))
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(HEADER + (rows if rows is not None else JANUARY + extra_rows))
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", "2027-02-01", "--out", out, "--store", "none")
    return result, out


@pytest.mark.parametrize("row, message", [
    # A typo in a channel on a row that spent nothing: line 3 of the file (the header is line 1).
    ("2027-01-11,aa,n,0,0,0,500\n", "actuals.csv: line 3, channel: got 'aa'; expected one of the plan's channels: a, b"),
    ("2027-01-11,a,nn,10,1,0,0\n", "actuals.csv: line 3, tier: got 'nn'; expected one of the plan's tiers: n"),
    ("2026-12-31,a,n,10,1,0,0\n", "actuals.csv: line 3, date: got 2026-12-31; expected a day inside the plan "
                                  "(2027-01-01 to 2027-02-28)"),
])
def test_a_name_or_day_the_scenario_lacks_is_one_line_with_the_files_line(tmp_path, row, message):
    result, out = _run(tmp_path, row)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and message in result.output, result.output
    assert not out.exists()


def test_a_row_on_or_after_as_of_names_its_line_in_the_file(tmp_path):
    # The reader sorts rows by date; the error names the file's line 2 (above January's line 3), not "row 2".
    result, out = _run(tmp_path, "", rows="2027-02-03,a,n,100,10,1,500\n" + JANUARY)
    assert result.exit_code == 2, result.output
    assert "actuals.csv: line 2, date: got '2027-02-03'; expected a day before --as-of 2027-02-01" in result.output
    assert not out.exists()


@pytest.mark.parametrize("as_of", ["2027-01-01", "2027-03-01"])
def test_an_as_of_outside_the_plan_names_both_ends(tmp_path, as_of):
    # Nothing elapsed (the first day) or everything (after February 28): both ends are in the line.
    path = write_scenario(tmp_path, base_scenario(periods=["2027-01", "2027-02"]))
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(HEADER + JANUARY)
    out = tmp_path / "out"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", as_of, "--out", out, "--store", "none")
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "expected a day after 2027-01-01 and at most the plan's last day, 2027-02-28" in result.output
    assert not out.exists()
