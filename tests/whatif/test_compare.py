"""allocator compare: plans side by side, from scenario files or solved folders."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers import invoke


SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _table(out: Path, name: str = "comparison") -> pd.DataFrame:
    return pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)


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
    d1 = _table(tmp_path / "c1", "differences")
    params = d1[d1["section"] == "parameters"].set_index("item")
    assert set(params.index) == {"name", "budget.total", "channels[livestream].max_spend",
                                 "channels[livestream].min_spend_if_used"}
    assert params.loc["budget.total", "example_q1_budget_4m"] == "4000000.0"
    # The budget binds in the first plan only: with 4M the key-account share caps revenue first.
    binding = d1[d1["section"] == "binding"].set_index("item")
    assert binding.loc["budget_total", "example_q1"] == "True"
    assert binding.loc["budget_total", "example_q1_budget_4m"] == "False"
    assert "Inputs that differ (4):" in from_files.output


def test_compare_needs_two_plans(tmp_path):
    result = invoke(*["compare", str(SCENARIOS / "example_q1.yaml")])
    assert result.exit_code == 2 and result.output.startswith("error: ")


def test_folder_whose_scenario_changed_is_compared_without_its_inputs(tmp_path):
    # A plan folder remembers the SHA-256 of the files it was solved from; when a file has changed
    # since, its parameters would describe another plan, so they are not compared, and the output says why.
    from allocator.scenario.examples import write_examples

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
    table = _table(tmp_path / "c", "differences")
    assert not (table["section"] == "parameters").any()
    note = table[table["section"] == "notes"]
    assert len(note) == 1 and "SHA-256 differs" in note["before"].iloc[0] and note["example_q1"].iloc[0] == ""

    (tmp_path / "funnel.csv").unlink()
    result = invoke(*["compare", str(tmp_path / "before"), str(tmp_path / "same")])
    assert result.exit_code == 0 and "no longer a valid scenario" in result.output


@pytest.fixture(scope="module")
def plan_folder(tmp_path_factory):
    """The example solved once; each test edits a copy of the folder."""
    folder = tmp_path_factory.mktemp("plan") / "q1"
    assert invoke("solve", SCENARIOS / "example_q1.yaml", "--out", folder).exit_code == 0
    return folder


def _edit_allocation(text: str, edit: str) -> bytes:
    lines = text.splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    spend = header.index("spend")
    if edit == "text cell":
        first[spend] = "lots"
    elif edit == "ragged row":
        lines[2] += ",1,2"
    elif edit == "renamed column":
        header[spend] = "budget"
    elif edit == "latin-1":
        first[0] = "caf\xe9"
        return "\n".join([",".join(header), ",".join(first), *lines[2:]]).encode("latin-1") + b"\n"
    elif edit == "empty":
        return b""
    return ("\n".join([",".join(header), ",".join(first), *lines[2:]]) + "\n").encode()


@pytest.mark.parametrize("edit, says", [
    ("text cell", "allocation.csv: line 2, column spend: got 'lots'; expected a finite number"),
    ("ragged row", "allocation.csv: line 3: got 21 cells; expected 19 cells"),
    ("latin-1", "can't decode byte 0xe9"),
    ("empty", "No columns to parse from file"),
    ("renamed column", "allocation.csv: header: got"),
])
def test_hand_edited_allocation_is_one_error_line(tmp_path, plan_folder, edit, says):
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(plan_folder, folder)
    path = folder / "allocation.csv"
    path.write_bytes(_edit_allocation(path.read_text(), edit))
    result = invoke("compare", plan_folder, folder)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {path}") and result.output.count("\n") == 1, result.output
    assert says in result.output


@pytest.mark.parametrize("content, says", [
    ("[1, 2]", "run.json: got a JSON list; expected a JSON object"),
    ('{"status": 7}', "run.json: status: got a status allocator does not write"),
    ('{"status": "SECRET_' + "x" * 5000 + '"}', "run.json: status: got a status allocator does not write"),
    ('{"status": "Optimal!"}', "expected optimal, infeasible, unbounded"),
    ('{"status": "optimal", "scenario": "q1.yaml"}', "run.json: scenario: got a changed record"),
])
def test_hand_edited_run_json_is_one_error_line(tmp_path, plan_folder, content, says):
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(plan_folder, folder)
    (folder / "run.json").write_text(content)
    result = invoke("compare", plan_folder, folder)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1 and says in result.output, result.output


def test_a_breakdown_file_is_not_read(tmp_path, plan_folder):
    # The breakdowns are summed from the verified allocation.csv: a text cell in by_channel.csv is neither
    # an error nor shown (it once was a traceback, then an error line for a file compare need not read).
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(plan_folder, folder)
    path = folder / "by_channel.csv"
    rows = path.read_text().splitlines()
    cells = rows[1].split(",")
    channel, revenue_column = cells[0], rows[0].split(",").index("revenue_total")
    cells[revenue_column] = "n/a"
    path.write_text("\n".join([rows[0], ",".join(cells), *rows[2:]]) + "\n")
    result = invoke("compare", plan_folder, folder, "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv").set_index(["section", "item", "metric"])
    allocation = pd.read_csv(folder / "allocation.csv")
    assert table.loc[("channel", channel, "revenue_total"), "edited"] == pytest.approx(
        allocation.loc[allocation["channel"] == channel, "revenue_total"].sum(), rel=1e-12)


def test_doctored_spend_is_refused_as_failing_verification(tmp_path, plan_folder):
    # The first cell's spend raised by 1,000,000: the plan spends 4.4M of a 3.4M budget. Compare must not
    # present it as a plan: the folder fails verification against its (unchanged) scenario.
    import shutil

    folder = tmp_path / "doctored"
    shutil.copytree(plan_folder, folder)
    allocation = pd.read_csv(folder / "allocation.csv", dtype=str, keep_default_na=False)
    allocation.loc[0, "spend"] = repr(float(allocation.loc[0, "spend"]) + 1e6)
    allocation.to_csv(folder / "allocation.csv", index=False)
    assert pd.to_numeric(allocation["spend"]).sum() == pytest.approx(4.4e6)
    result = invoke("compare", plan_folder, folder)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {folder / 'allocation.csv'}: got ") and result.output.count("\n") == 1
    assert "violation(s) of its scenario" in result.output and "allocator verify" in result.output


def _copy_example(folder: Path) -> Path:
    from allocator.scenario.examples import write_examples

    write_examples(folder)
    return folder / "example_q1.yaml"


def test_folder_solved_with_a_relative_path_is_compared_from_another_folder(tmp_path, monkeypatch):
    # run.json recorded the scenario as given on the command line (relative to the folder the command
    # ran in): from any other folder, compare said "not found" and left the inputs out.
    _copy_example(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    for name, budget in (("a", "3400000"), ("b", "4000000")):
        result = invoke("solve", "proj/example_q1.yaml", "--out", f"proj/out/{name}", "--set", f"budget.total={budget}")
        assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "proj" / "out" / "a" / "run.json").read_text())
    assert run["scenario"]["file"] == str(tmp_path / "proj" / "example_q1.yaml")
    assert run["scenario"]["file_from_plan"] == "../../example_q1.yaml"
    monkeypatch.chdir(tmp_path / "proj" / "out")
    result = invoke("compare", "a", "b", "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    assert "not found" not in result.output
    params = _table(tmp_path / "cmp", "differences").query("section == 'parameters'").set_index("item")
    assert list(params.index) == ["budget.total"] and params.loc["budget.total", "b"] == "4000000.0"


def test_folder_moved_with_its_scenario_finds_it_from_the_plan_folder(tmp_path, monkeypatch):
    import shutil

    _copy_example(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    for name, budget in (("a", "3400000"), ("b", "4000000")):
        assert invoke("solve", "proj/example_q1.yaml", "--out", f"proj/out/{name}",
                      "--set", f"budget.total={budget}").exit_code == 0
    shutil.move(tmp_path / "proj", tmp_path / "moved")
    result = invoke("compare", "moved/out/a", "moved/out/b", "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    assert "not found" not in result.output
    assert "Inputs that differ (1):" in result.output


def _example_data(factor: float, budget: float) -> dict:
    """The example with inline tables, budget `budget`, every amount of money times `factor`."""
    from money import scale_money

    from allocator.scenario.loader import load_scenario

    data = load_scenario(SCENARIOS / "example_q1.yaml").scenario.model_dump()
    data["budget"]["total"] = budget
    return scale_money(data, factor)


@pytest.mark.parametrize("factor", [1e-9, 1.0])
def test_comparison_csv_holds_every_number_as_a_float_at_full_precision(tmp_path, factor):
    # comparison.csv had 4 decimals whatever the scale (spend 0.0000 at money x1e-9) and negative numbers
    # as text ('-0.0377, a formula-guard apostrophe): it must read back as floats, equal to the plans' own sums.
    import allocator

    plans = [allocator.solve(_example_data(factor, budget)) for budget in (3.4e6, 4e6)]
    comparison = allocator.compare(*plans, out=tmp_path / "cmp")
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv")
    label_a, label_b = comparison.labels
    numeric = [c for c in table.columns if c not in ("section", "item", "metric")]
    assert numeric == [label_a, label_b, f"delta_{label_b}"]
    assert all(table[c].dtype == np.float64 for c in numeric), table.dtypes
    totals = table[table["section"] == "totals"].set_index("metric")
    for metric in ("spend", "revenue_total", "new_customers"):
        a, b = (float(p.tables["allocation"][metric].sum()) for p in plans)
        assert totals.loc[metric, label_a] == a and totals.loc[metric, label_b] == b
        assert totals.loc[metric, f"delta_{label_b}"] == b - a
    assert totals.loc["spend", label_a] == pytest.approx(3.4e6 * factor, rel=1e-9)  # the budget binds
    assert (table[f"delta_{label_b}"] < 0).any()  # e.g. the ROI falls: negative numbers read as numbers
    # The terminal rounds for people, with 3 significant digits whatever the scale (0.00340, not 0).
    spend_line = next(line for line in comparison.summary() if line.startswith("spend "))
    assert spend_line.split()[1] == ("0.00340" if factor == 1e-9 else "3,400,000")


def _edited_copy(tmp_path, plan_folder, name="edited"):
    import shutil

    folder = tmp_path / name
    shutil.copytree(plan_folder, folder)
    return folder


def test_numbers_are_derived_from_the_verified_allocation_not_the_other_files(tmp_path, plan_folder):
    # by_channel.csv, targets.csv and run.json were read unchecked: edited, they were shown as if true.
    folder = _edited_copy(tmp_path, plan_folder)
    by_channel = pd.read_csv(folder / "by_channel.csv")
    by_channel.loc[by_channel["channel"] == "website", "spend"] = 1e6
    by_channel.to_csv(folder / "by_channel.csv", index=False)
    targets = pd.read_csv(folder / "targets.csv")
    targets["achieved"] = 1.0
    targets.to_csv(folder / "targets.csv", index=False)
    run = json.loads((folder / "run.json").read_text())
    assert run["objective_kind"] == "max_revenue"
    run["objective"] = 99e6
    (folder / "run.json").write_text(json.dumps(run))

    result = invoke("compare", plan_folder, folder, "--out", tmp_path / "cmp")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv").set_index(["section", "item", "metric"])
    allocation = pd.read_csv(folder / "allocation.csv")
    website = allocation.loc[allocation["channel"] == "website", "spend"].sum()
    assert table.loc[("channel", "website", "spend"), "edited"] == pytest.approx(website, rel=1e-12)
    assert website < 1e6
    # max_revenue: the objective is the plan's total revenue, baseline included.
    revenue_total = allocation["revenue_total"].sum()
    assert table.loc[("totals", "plan", "objective"), "edited"] == pytest.approx(revenue_total, rel=1e-12)
    assert table.loc[("targets", "revenue", "achieved"), "edited"] == pytest.approx(revenue_total, rel=1e-12)
    assert table.loc[("targets", "new_customers", "achieved"), "edited"] == pytest.approx(
        allocation["new_customers"].sum(), rel=1e-12)
    assert (table["delta_edited"].abs() <= 1e-6 * table["q1"].abs()).all()  # the same plan as the original
    assert "99,000,000" not in result.output


def test_folder_without_allocation_is_one_error_line(tmp_path, plan_folder):
    folder = _edited_copy(tmp_path, plan_folder)
    (folder / "allocation.csv").unlink()
    result = invoke("compare", plan_folder, folder)
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {folder / 'allocation.csv'}: got no such file") and result.output.count("\n") == 1


@pytest.mark.parametrize("name", ["allocation.csv", "constraints.csv"])
def test_a_short_row_is_one_error_line(tmp_path, plan_folder, name):
    # pandas fills a short row with blanks: the last cells (eligible, order_value, ...) were read as missing.
    folder = _edited_copy(tmp_path, plan_folder)
    path = folder / name
    lines = path.read_text().splitlines()
    width = len(lines[0].split(","))
    lines[2] = ",".join(lines[2].split(",")[:-1])
    path.write_text("\n".join(lines) + "\n")
    result = invoke("compare", plan_folder, folder)
    assert result.exit_code == 2, result.output
    assert result.output == f"error: {path}: line 3: got {width - 1} cells; expected {width} cells, as many as the header has\n"


@pytest.mark.parametrize("kind", ["max_revenue", "min_spend", "max_profit", "max_new_customers"])
def test_a_folders_objective_summed_from_its_allocation_is_the_solvers(tmp_path, kind):
    # compare no longer reads run.json's objective: what it sums from allocation.csv for the plan's objective
    # kind (profit with the products' margins) must be what the solver reported for the untouched plan.
    import allocator

    folder = tmp_path / kind
    assert invoke("solve", SCENARIOS / "example_q1.yaml", "--objective", kind, "--out", folder).exit_code == 0
    recorded = json.loads((folder / "run.json").read_text())["objective"]
    table = allocator.compare(folder, folder).table.set_index(["section", "item", "metric"])
    assert table.loc[("totals", "plan", "objective"), kind] == pytest.approx(recorded, rel=1e-9)
