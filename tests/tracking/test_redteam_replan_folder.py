"""Red-team regressions: a re-plan's folder is a plan the other commands read (track, report, compare,
verify), checked against its actuals rather than refused as "changed after the solve".

The scenario (tests/tracking/test_replan.py's): one tier (conversion 0.1, order value 500), channels a
(cost per lead 10, at most 800 a month) and b (cost per lead 20), January and February, min spend for a
revenue of 10,000. January's actuals: a spent 800 for 80 leads, 6 customers, revenue 3,000.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support.helpers import base_scenario, invoke, write_scenario

JANUARY = "date,channel,tier,spend,leads,customers,revenue\n2027-01-10,a,n,800,80,6,3000\n"


def _scenario(tmp_path):
    return write_scenario(tmp_path, base_scenario(
        periods=["2027-01", "2027-02"], objective="min_spend", budget={},
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 800}, {"name": "b", "cost_per_lead": 20}],
        targets={"revenue": 10000}))


def _replan(tmp_path, actuals_text=JANUARY):
    path = _scenario(tmp_path)
    actuals = tmp_path / "actuals.csv"
    actuals.write_text(actuals_text)
    out = tmp_path / "replan"
    result = invoke("replan", path, "--actuals", actuals, "--as-of", "2027-02-01", "--out", out, "--store", "none")
    assert result.exit_code == 0, result.output
    return path, actuals, out


def test_track_against_a_replan_folder(tmp_path):
    # January is over and fixed at its actuals, so the plan to date IS the actuals: spend 800, revenue 3,000.
    _, actuals, folder = _replan(tmp_path)
    out = tmp_path / "track"
    result = invoke("track", folder, actuals, "--as-of", "2027-02-01", "--out", out, "--store", "none")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "tracking.csv")
    total = table[(table["level"] == "all") & (table["name"] == "all")].set_index("measure")
    assert total.loc["spend", "plan_to_date"] == pytest.approx(800)
    assert total.loc["spend", "actual_to_date"] == pytest.approx(800)
    assert total.loc["revenue", "plan_to_date"] == pytest.approx(3000)


def test_report_and_compare_read_a_replan_folder(tmp_path):
    path, _, folder = _replan(tmp_path)
    result = invoke("report", folder)
    assert result.exit_code == 0, result.output
    assert "verified" in result.output
    solved = tmp_path / "solved"
    assert invoke("solve", path, "--out", solved, "--store", "none").exit_code == 0
    # The fresh plan: a 800 + 800 (8,000 at 5 per unit), b 800 for 2,000 at 2.5: 2,400. The re-plan: 2,800.
    result = invoke("compare", solved, folder)
    assert result.exit_code == 0, result.output


def test_verify_reads_the_actuals_as_the_replan_did(tmp_path):
    # Padded names are stripped by the actuals reader; verify must read them the same way, not as cells
    # " a " the re-plan does not list.
    padded = "date,channel,tier,spend,leads,customers,revenue\n2027-01-10, a , n ,800,80,6,3000\n"
    path, _, folder = _replan(tmp_path, padded)
    result = invoke("verify", path, folder)
    assert result.exit_code == 0, result.output
    assert "elapsed_" not in result.output
