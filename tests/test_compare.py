"""allocator compare: plans side by side, from scenario files or solved folders."""

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from allocator.cli import main

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "comparison.csv", dtype=str, keep_default_na=False)


def test_compare_scenarios_and_folders_agree(tmp_path):
    runner = CliRunner()
    a, b = SCENARIOS / "example_q1.yaml", SCENARIOS / "example_q1_budget_4m.yaml"
    for src, out in ((a, "fa"), (b, "fb")):
        assert runner.invoke(main, ["solve", str(src), "--out", str(tmp_path / out)]).exit_code == 0
    from_files = runner.invoke(main, ["compare", str(a), str(b), "--out", str(tmp_path / "c1")])
    from_folders = runner.invoke(main, ["compare", str(tmp_path / "fa"), str(tmp_path / "fb"), "--out", str(tmp_path / "c2")])
    assert from_files.exit_code == 0, from_files.output
    assert from_folders.exit_code == 0, from_folders.output
    t1, t2 = _table(tmp_path / "c1"), _table(tmp_path / "c2")
    totals1 = t1[t1["section"] == "totals"].set_index("metric")
    totals2 = t2[t2["section"] == "totals"].set_index("metric")
    for metric in ("spend", "revenue_total", "new_customers"):
        assert float(totals1.loc[metric, "example_q1"]) == float(totals2.loc[metric, "fa"])
        delta = float(totals1.loc[metric, "example_q1_budget_4m"]) - float(totals1.loc[metric, "example_q1"])
        assert float(totals1.loc[metric, "delta_example_q1_budget_4m"]) == __import__("pytest").approx(delta, abs=2e-4)
    # The inputs that differ are exactly the variant's overrides (and its name).
    params = t1[t1["section"] == "parameters"].set_index("item")
    assert set(params.index) == {"name", "budget.total", "channels[livestream].max_spend",
                                 "channels[livestream].min_spend_if_used"}
    assert params.loc["budget.total", "example_q1_budget_4m"] == "4000000.0"
    # The budget binds in the first plan only: with 4M the key-account share caps revenue first.
    binding = t1[t1["section"] == "binding"].set_index("item")
    assert binding.loc["budget_total", "example_q1"] == "True"
    assert binding.loc["budget_total", "example_q1_budget_4m"] == "False"
    assert "Inputs that differ (4):" in from_files.output


def test_compare_needs_two_plans(tmp_path):
    result = CliRunner().invoke(main, ["compare", str(SCENARIOS / "example_q1.yaml")])
    assert result.exit_code == 2 and result.output.startswith("error: ")
