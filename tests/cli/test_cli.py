"""The command line: files and columns written, exit codes, help texts, init, validate, solvers."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from helpers import PLAN_FILES, EXAMPLE, backends, base_scenario, invoke, write_scenario


ALLOCATION_COLUMNS = ["spend", "leads", "customers", "revenue", "baseline_revenue", "revenue_total", "roi",
                      "cost_per_lead", "conversion", "order_value"]
CONSTRAINT_COLUMNS = ["name", "kind", "lhs", "sense", "rhs", "slack", "binding", "shadow_price"]
AMOUNTS = ["spend", "leads", "customers", "new_customers", "revenue", "baseline_revenue", "revenue_total"]


@pytest.fixture(scope="module")
def solved_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "q1"
    result = invoke("solve", EXAMPLE, "--out", out)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_solve_writes_all_files(solved_folder):
    out, output = solved_folder
    assert {p.name for p in out.iterdir()} == PLAN_FILES
    assert "optimal" in output and f"Wrote {out}" in output
    # No staging folders left next to the output.
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]


def test_allocation_columns(solved_folder):
    out, _ = solved_folder
    a = pd.read_csv(out / "allocation.csv")
    for column in ["channel", "tier", "product", "period", *ALLOCATION_COLUMNS]:
        assert column in a.columns, column
    assert not a[["spend", "leads", "customers", "revenue", "revenue_total"]].isna().any().any()
    assert (a["spend"] >= 0).all()
    # revenue_total = revenue from spend + baseline, per row (4 decimals as written).
    assert (a["revenue_total"] - a["revenue"] - a["baseline_revenue"]).abs().max() <= 1.5e-4
    # One row per channel x tier x product x period at most.
    assert not a.duplicated(["channel", "tier", "product", "period"]).any()


def test_constraints_columns(solved_folder):
    out, _ = solved_folder
    c = pd.read_csv(out / "constraints.csv")
    assert list(c.columns) == CONSTRAINT_COLUMNS
    assert c["name"].is_unique
    assert set(c["sense"]) <= {"<=", ">=", "="}
    assert "budget_total" in set(c["name"]) and "capacity_spend[website,2027-02]" in set(c["name"])
    budget = c.set_index("name").loc["budget_total"]
    assert budget["sense"] == "<=" and budget["rhs"] == pytest.approx(3_400_000)
    assert bool(budget["binding"]) and budget["shadow_price"] > 0
    assert (c["slack"] >= -1e-4).all()


def test_run_json(solved_folder):
    out, _ = solved_folder
    run = json.loads((out / "run.json").read_text())
    for key in ("status", "objective", "objective_kind", "solver", "solver_version", "seconds", "scenario", "versions"):
        assert key in run, key
    assert run["status"] == "optimal" and run["objective_kind"] == "max_revenue" and run["solver"] == "cbc"
    assert isinstance(run["objective"], float) and run["objective"] > 22_000_000
    assert run["versions"]["python"] and "pulp" in run["versions"] and "allocator" in run["versions"]
    # The digest covers the scenario file followed by its tables, in the order they are read.
    digest = hashlib.sha256(EXAMPLE.read_bytes())
    for name in ("funnel.csv", "baseline.csv"):
        digest.update((EXAMPLE.parent / name).read_bytes())
    assert run["scenario"]["sha256"] == digest.hexdigest()
    assert set(run["seconds"]) >= {"load", "build", "solve", "tables"}


@pytest.mark.parametrize("stem, dim", [("by_channel", "channel"), ("by_tier", "tier"), ("by_product", "product"),
                                       ("by_period", "period")])
def test_breakdowns_are_sums_of_allocation_rows(solved_folder, stem, dim):
    out, _ = solved_folder
    a = pd.read_csv(out / "allocation.csv", dtype={"period": str})
    b = pd.read_csv(out / f"{stem}.csv", dtype={"period": str}).set_index(dim)
    sums = a.groupby(dim)[AMOUNTS].sum()
    assert set(b.index) == set(sums.index)
    for column in AMOUNTS:
        for name in sums.index:
            assert b.loc[name, column] == pytest.approx(sums.loc[name, column], abs=1e-4), (name, column)
        assert b[column].sum() == pytest.approx(a[column].sum(), abs=1e-3)
    # Each share is written rounded to 4 decimals, so their sum may be off by half a unit per row.
    assert b["share_of_spend"].sum() == pytest.approx(1.0, abs=0.5e-4 * len(b))
    assert b["share_of_revenue"].sum() == pytest.approx(1.0, abs=0.5e-4 * len(b))


def test_budget_lines_are_sums_of_allocation_rows(solved_folder):
    out, _ = solved_folder
    a = pd.read_csv(out / "allocation.csv")
    lines = pd.read_csv(out / "budget_lines.csv").set_index(["channel", "tier"])
    sums = a.groupby(["channel", "tier"])[["spend", "customers", "revenue"]].sum()
    sums = sums[sums["spend"] > 0]
    assert set(lines.index) == set(sums.index)
    for key in sums.index:
        assert lines.loc[key, "spend"] == pytest.approx(sums.loc[key, "spend"], abs=1e-4)
        assert lines.loc[key, "revenue"] == pytest.approx(sums.loc[key, "revenue"], abs=1e-4)
        assert f"{key[0]} x {key[1]}: budget " in lines.loc[key, "statement"]


def test_targets_all_met(solved_folder):
    out, _ = solved_folder
    t = pd.read_csv(out / "targets.csv")
    assert t["met"].all(), t[~t["met"]]
    assert {"revenue", "new_customers", "budget_total"} <= set(t["target"])


def test_infeasible_exits_1_with_one_explanation(tmp_path):
    # rps 5 and budget 1000 buy at most 5000 revenue: a 6000 target cannot be met.
    path = write_scenario(tmp_path, base_scenario(targets={"revenue": 6000}))
    result = invoke("solve", path, "--out", tmp_path / "out", "--no-diagnose")
    assert result.exit_code == 1, result.output
    explaining = [line for line in result.output.splitlines() if not line.startswith(("Wrote ", "Recorded run "))]
    assert len(explaining) == 1
    assert explaining[0].startswith("tiny: infeasible: no plan meets every target")
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["status"] == "infeasible" and run["objective"] is None
    assert not (tmp_path / "out" / "allocation.csv").exists()
    assert not (tmp_path / "out" / "diagnosis.csv").exists()


def test_infeasible_is_diagnosed(tmp_path):
    # The same conflict, diagnosed: the target and the budget cannot both hold.  Alone, the target can
    # drop to what 1000 buys (5000), or the budget can rise to what 6000 needs (6000 / 5 = 1200).
    path = write_scenario(tmp_path, base_scenario(targets={"revenue": 6000}))
    result = invoke("solve", path, "--out", tmp_path / "out")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("tiny: infeasible: no plan meets every target")
    assert "These demands cannot all hold at once:" in lines
    assert any("targets.revenue: 6,000 -> 5,000" in line for line in lines), result.output
    assert any("budget.total: 1,000 -> 1,200" in line for line in lines), result.output
    diagnosis = pd.read_csv(tmp_path / "out" / "diagnosis.csv").set_index("constraint")
    assert set(diagnosis.index) == {"target_revenue", "budget_total"}
    assert diagnosis.loc["target_revenue", "feasible_at"] == pytest.approx(5000, rel=1e-5)
    assert diagnosis.loc["budget_total", "feasible_at"] == pytest.approx(1200, rel=1e-5)
    assert diagnosis["enough_alone"].all()
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["diagnosis"]["summary"][0] == "These demands cannot all hold at once:"


@pytest.mark.parametrize("command", ["solve", "validate", "verify", "explain", "solvers", "init"])
def test_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    assert "allocator " in result.output.split("Example", 1)[1]


def test_group_help_lists_commands_and_how_to_start():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("solve", "validate", "verify", "solvers", "init"):
        assert command in result.output
    assert "allocator solve" in result.output


def test_solvers_lists_cbc():
    result = invoke("solvers")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert rows["cbc"][1] == "yes"
    assert "highs" in rows


def test_init_writes_example_and_refuses_to_overwrite(tmp_path):
    folder = tmp_path / "plan"
    result = invoke("init", folder)
    assert result.exit_code == 0, result.output
    assert (folder / "example_q1.yaml").read_bytes() == EXAMPLE.read_bytes()
    for name in ("funnel.csv", "baseline.csv"):
        assert (folder / name).is_file()
    # The copy is usable as it is: every bundled scenario, the history one with its history.csv.
    for scenario in sorted(EXAMPLE.parent.glob("*.yaml")):
        assert (folder / scenario.name).read_bytes() == scenario.read_bytes()
        assert invoke("validate", folder / scenario.name).exit_code == 0, scenario.name
    for name in ("actuals_q1.csv", "incentives/rules.yaml", "incentives/people.csv", "incentives/attainment_q1.csv"):
        assert (folder / name).read_bytes() == (EXAMPLE.parent / name).read_bytes(), name

    (folder / "example_q1.yaml").write_text("edited")
    again = invoke("init", folder)
    assert again.exit_code == 2
    assert again.output.startswith("error: ") and "--force" in again.output
    assert (folder / "example_q1.yaml").read_text() == "edited"

    forced = invoke("init", folder, "--force")
    assert forced.exit_code == 0
    assert (folder / "example_q1.yaml").read_bytes() == EXAMPLE.read_bytes()


def test_validate_example():
    result = invoke("validate", EXAMPLE)
    assert result.exit_code == 0
    assert "valid" in result.output and "7 channels, 4 tiers, 4 products, 3 periods" in result.output


@pytest.mark.filterwarnings("ignore:Constructing LpVariable:DeprecationWarning")
def test_export_model(tmp_path):
    out = tmp_path / "out"
    result = invoke("solve", EXAMPLE, "--out", out, "--export-model")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == PLAN_FILES | {"model.lp", "model.mps", "model_names.csv"}
    lp_text = (out / "model.lp").read_text()
    mps_text = (out / "model.mps").read_text()
    assert "budget_total" in lp_text and "Maximize" in lp_text.splitlines()[0] + lp_text.splitlines()[1]
    assert "ROWS" in mps_text and "ENDATA" in mps_text and "budget_total" in mps_text
    # The auditor's path in docs/model.md: CBC on model.mps with -max finds the plan's objective (the
    # baseline revenue is the objective row's constant; tests/io/test_export.py checks HiGHS too).
    import json
    import re
    import subprocess

    from solvers.cbc import binary_path

    log = subprocess.run([str(binary_path()), str(out / "model.mps"), "-max", "-solve"], capture_output=True,
                         text=True, timeout=120).stdout
    found = float(re.search(r"Objective value:\s*(\S+)", log).group(1))
    run = json.loads((out / "run.json").read_text())
    assert found == pytest.approx(run["objective"], rel=1e-7)


def test_force_replaces_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.txt").write_text("old")
    (out / "run.json").write_text('{"status": "optimal", "write_seconds": 0.1}')  # a plan folder (--force replaces only those)
    result = invoke("solve", EXAMPLE, "--out", out, "--force")
    assert result.exit_code == 0
    assert {p.name for p in out.iterdir()} == PLAN_FILES


def test_objective_override(tmp_path):
    # min_spend meets the example's targets with less than its 3.4M budget.
    out = tmp_path / "out"
    result = invoke("solve", EXAMPLE, "--out", out, "--objective", "min_spend")
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["objective_kind"] == "min_spend"
    spent = pd.read_csv(out / "allocation.csv")["spend"].sum()
    assert run["objective"] == pytest.approx(spent, rel=1e-6)
    assert spent < 3_400_000


@pytest.mark.skipif("highs" not in backends(), reason="highspy is not installed")
def test_solve_with_highs(tmp_path):
    out = tmp_path / "out"
    result = invoke("solve", EXAMPLE, "--out", out, "--solver", "highs")
    assert result.exit_code == 0, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["solver"] == "highs" and run["status"] == "optimal"
    assert invoke("verify", EXAMPLE, out).exit_code == 0


def test_unknown_solver_is_a_usage_error(tmp_path):
    result = invoke("solve", EXAMPLE, "--out", tmp_path / "out", "--solver", "gurobi")
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


def test_names_that_look_like_formulas_are_neutralised_and_verified(tmp_path):
    # OWASP CSV injection: text cells starting with = + - @ are written with a leading apostrophe;
    # `verify` reads them back.  The baseline sits in a cell with no spend variable (k is served by b only).
    data = base_scenario(
        periods=["2027-W01", "2027-W02"],
        channels=[{"name": "=cmd", "group": "-grp", "cost_per_lead": 10}, {"name": "b", "cost_per_lead": 20}],
        tiers=[
            {"name": "+t", "kind": "new", "conversion": 0.1, "order_value": 500},
            {"name": "k", "kind": "key_account", "conversion": 0.1, "order_value": 500, "channels": ["b"]},
        ],
        products=[{"name": "@p", "stage": "growth"}],
        baseline=[{"channel": "=cmd", "tier": "k", "product": "@p", "period": "2027-W02", "revenue": 300}],
    )
    path = write_scenario(tmp_path, data)
    out = tmp_path / "out"
    result = invoke("solve", path, "--out", out)
    assert result.exit_code == 0, result.output
    text = (out / "allocation.csv").read_text()
    assert "\n'=cmd,'-grp,'+t,new,'@p," in text
    assert not any(line.startswith("=") for line in text.splitlines())
    a = pd.read_csv(out / "allocation.csv")
    baseline_row = a[a["baseline_revenue"] > 0].iloc[0]
    assert baseline_row["tier"] == "k" and not baseline_row["eligible"] and baseline_row["spend"] == 0
    run = json.loads((out / "run.json").read_text())
    assert run["objective"] == pytest.approx(5300.0, rel=1e-6)  # 1000 x rps 5 + baseline 300
    check = invoke("verify", path, out)
    assert check.exit_code == 0, check.output


def test_json_scenario_solves_like_yaml(tmp_path):
    import yaml

    from allocator.scenario.examples import write_examples

    data = yaml.safe_load(EXAMPLE.read_text())
    write_examples(tmp_path)  # the tables the scenario names
    path = tmp_path / "example.json"
    path.write_text(json.dumps(data, default=str))
    result = invoke("solve", path, "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    ours = json.loads((tmp_path / "out" / "run.json").read_text())["objective"]
    assert ours == pytest.approx(27_931_296.440646846, rel=1e-6)


def test_cli_keeps_blas_to_one_thread_unless_told_otherwise():
    # numpy's spinning BLAS threads would take cores from CBC and from the other workers of a sweep.
    import os
    import subprocess
    import sys

    code = "import allocator.cli.app, numpy, os; print(os.environ['OPENBLAS_NUM_THREADS'])"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "1"
    env["OPENBLAS_NUM_THREADS"] = "3"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "3"
