"""allocator compare: plans side by side, from scenario files or solved folders."""

from pathlib import Path

import pandas as pd
import pytest

from helpers import invoke


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _table(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "comparison.csv", dtype=str, keep_default_na=False)


def test_compare_scenarios_and_folders_agree(tmp_path):
    a, b = SCENARIOS / "example_q1.yaml", SCENARIOS / "example_q1_budget_4m.yaml"
    for src, out in ((a, "fa"), (b, "fb")):
        assert invoke(*["solve", str(src), "--out", str(tmp_path / out)]).exit_code == 0
    from_files = invoke(*["compare", str(a), str(b), "--out", str(tmp_path / "c1")])
    from_folders = invoke(*["compare", str(tmp_path / "fa"), str(tmp_path / "fb"), "--out", str(tmp_path / "c2")])
    assert from_files.exit_code == 0, from_files.output
    assert from_folders.exit_code == 0, from_folders.output
    t1, t2 = _table(tmp_path / "c1"), _table(tmp_path / "c2")
    totals1 = t1[t1["section"] == "totals"].set_index("metric")
    totals2 = t2[t2["section"] == "totals"].set_index("metric")
    for metric in ("spend", "revenue_total", "new_customers"):
        assert float(totals1.loc[metric, "example_q1"]) == float(totals2.loc[metric, "fa"])
        delta = float(totals1.loc[metric, "example_q1_budget_4m"]) - float(totals1.loc[metric, "example_q1"])
        assert float(totals1.loc[metric, "delta_example_q1_budget_4m"]) == pytest.approx(delta, abs=2e-4)
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
    result = invoke(*["compare", str(SCENARIOS / "example_q1.yaml")])
    assert result.exit_code == 2 and result.output.startswith("error: ")


def test_folder_whose_scenario_changed_is_compared_without_its_inputs(tmp_path):
    # A plan folder remembers the SHA-256 of the files it was solved from; when a file has changed
    # since, its parameters would describe another plan, so they are not compared, and the output says why.
    from allocator.examples import write_examples

    write_examples(tmp_path)
    scenario = tmp_path / "example_q1.yaml"
    assert invoke(*["solve", str(scenario), "--out", str(tmp_path / "before")]).exit_code == 0
    assert invoke(*["solve", str(scenario), "--out", str(tmp_path / "same")]).exit_code == 0
    unchanged = invoke(*["compare", str(tmp_path / "before"), str(tmp_path / "same")])
    assert unchanged.exit_code == 0 and "Note on" not in unchanged.output

    scenario.write_text(scenario.read_text().replace("total: 3400000", "total: 3500000"))
    result = invoke(*["compare", str(tmp_path / "before"), str(scenario), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "Note on before:" in result.output and "changed since this plan was solved" in result.output
    table = _table(tmp_path / "c")
    assert not (table["section"] == "parameters").any()
    note = table[table["section"] == "notes"]
    assert len(note) == 1 and "SHA-256 differs" in note["before"].iloc[0] and note["example_q1"].iloc[0] == ""

    (tmp_path / "funnel.csv").unlink()
    result = invoke(*["compare", str(tmp_path / "before"), str(tmp_path / "same")])
    assert result.exit_code == 0 and "no longer a valid scenario" in result.output
