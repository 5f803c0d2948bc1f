"""The independent verifier: passes on solved plans, names the constraint when a plan is tampered with."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import EXAMPLE, backends, base_scenario, invoke, solve_and_verify, spend_of, write_scenario

from allocator.scenario.loader import load_scenario
from allocator.plan.verify import read_allocation, verify


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(EXAMPLE).scenario


@pytest.fixture
def allocation(example_folder):
    return read_allocation(example_folder)


def names(report) -> list[str]:
    return [v.split(":", 1)[0] for v in report.violations]


def refresh_funnel(a: pd.DataFrame, row: int, demand: float = 1.0, efficiency: float = 1.0) -> None:
    """Recompute a row's leads, customers and revenue from its (changed) spend, as the model would."""
    a.loc[row, "leads"] = a.loc[row, "spend"] * demand * efficiency / a.loc[row, "cost_per_lead"]
    a.loc[row, "customers"] = a.loc[row, "leads"] * a.loc[row, "conversion"]
    a.loc[row, "revenue"] = a.loc[row, "customers"] * a.loc[row, "order_value"]
    a.loc[row, "revenue_total"] = a.loc[row, "revenue"] + a.loc[row, "baseline_revenue"]


def row_of(a: pd.DataFrame, **where) -> int:
    mask = pd.Series(True, index=a.index)
    for k, v in where.items():
        mask &= a[k] == v
    hits = a.index[mask]
    assert len(hits) == 1, where
    return int(hits[0])


FUNNEL_CHECKS = ("leads[", "customers[", "revenue[", "revenue_total[")


def busiest_cell(a: pd.DataFrame, channel: str) -> int:
    """Index of the channel's row with the most spend (the LP has ties, so cells are found, not assumed)."""
    mine = a[a["channel"] == channel]
    i = int(mine["spend"].idxmax())
    assert a.loc[i, "spend"] > 0
    return i


def test_example_plan_passes(scenario, allocation):
    report = verify(scenario, allocation)
    assert report.ok, report.violations
    assert len(report.checks) > 1000  # every cell's funnel plus every constraint


def test_in_memory_plan_matches_written_plan(scenario, allocation):
    # The table written to allocation.csv and the table in memory carry the same numbers.
    solved = solve_and_verify(EXAMPLE, "cbc")
    memory = solved.plan.tables["allocation"]
    assert len(memory) == len(allocation)
    for column in ("spend", "leads", "revenue", "baseline_revenue", "revenue_total"):
        assert memory[column].to_numpy() == pytest.approx(allocation[column].to_numpy(), abs=1e-4)


def test_capacity_violation_is_named(scenario, allocation):
    # website may take 450,000 per month; put 500,000 more into one February cell (funnel kept consistent).
    a = allocation.copy()
    i = row_of(a, channel="website", tier="existing_customers", product="growth_line", period="2027-02")
    february = spend_of(a, channel="website", period="2027-02")
    a.loc[i, "spend"] += 500_000.0
    refresh_funnel(a, i, demand=0.85)
    report = verify(scenario, a)
    assert not report.ok
    assert "capacity_spend[website,2027-02]" in names(report)
    assert not any(n.startswith(FUNNEL_CHECKS) for n in names(report))  # the funnel itself still adds up
    line = next(v for v in report.violations if v.startswith("capacity_spend[website,2027-02]"))
    excess = float(line.rsplit("fails by ", 1)[1].replace(",", ""))
    assert excess == pytest.approx(february + 500_000 - 450_000, abs=0.01)


def test_leads_violation_is_named(scenario, allocation):
    a = allocation.copy()
    i = busiest_cell(a, "mini_program")
    a.loc[i, "leads"] *= 1.5  # leads no longer spend * demand / cost per lead
    cell = ",".join(a.loc[i, ["channel", "tier", "product", "period"]])
    report = verify(scenario, a)
    assert f"leads[{cell}]" in names(report)


def test_customers_violation_is_named(scenario, allocation):
    a = allocation.copy()
    i = busiest_cell(a, "marketplace")
    a.loc[i, "customers"] += 10
    cell = ",".join(a.loc[i, ["channel", "tier", "product", "period"]])
    assert f"customers[{cell}]" in names(verify(scenario, a))


def test_spend_on_ineligible_cell_is_named(scenario, allocation):
    # key_accounts may only be served by direct_sales: website x key_accounts has no spend variable.
    a = allocation.copy()
    assert not ((a["channel"] == "website") & (a["tier"] == "key_accounts")).any()
    extra = a.iloc[[0]].copy()
    extra["tier"], extra["kind"], extra["product"], extra["period"] = "key_accounts", "key_account", "core_range", "2027-01"
    extra["spend"], extra["cost_per_lead"], extra["conversion"], extra["order_value"] = 1000.0, 90.0, 0.2, 60000.0
    extra["baseline_revenue"] = 0.0
    a = pd.concat([a, extra], ignore_index=True)
    refresh_funnel(a, len(a) - 1)
    report = verify(scenario, a)
    assert "eligibility[website,key_accounts,core_range,2027-01]" in names(report)


def test_budget_violation_is_named(scenario, allocation):
    # The example spends its whole 3.4M; 1,000 more in a website cell (far below its cap) breaks the budget.
    a = allocation.copy()
    assert a["spend"].sum() == pytest.approx(3_400_000, rel=1e-9)
    i = row_of(a, channel="website", tier="existing_customers", product="growth_line", period="2027-01")
    a.loc[i, "spend"] += 1000.0
    refresh_funnel(a, i)
    report = verify(scenario, a)
    assert "budget_total" in names(report)
    line = next(v for v in report.violations if v.startswith("budget_total:"))
    excess = float(line.rsplit("fails by ", 1)[1].replace(",", ""))
    assert excess == pytest.approx(1000.0, abs=0.01)  # the written rows are rounded to 4 decimals
    assert not any(n.startswith(FUNNEL_CHECKS + ("capacity_spend[",)) for n in names(report))


def test_target_shortfall_is_named(scenario, allocation):
    # Halving every cell's spend (funnel kept consistent) leaves revenue below the planned 22M.
    a = allocation.copy()
    for column in ("spend", "leads", "customers", "new_customers", "revenue"):
        a[column] = a[column] / 2
    a["revenue_total"] = a["revenue"] + a["baseline_revenue"]
    assert a["revenue_total"].sum() < 22_000_000
    assert "target_revenue" in names(verify(scenario, a))


def test_missing_baseline_is_reported(scenario, allocation):
    a = allocation.copy()
    i = row_of(a, channel="website", tier="existing_customers", product="core_range", period="2027-01")
    a = a.drop(index=i).reset_index(drop=True)
    assert any(v.startswith("baseline[website,existing_customers,core_range,2027-01]") for v in verify(scenario, a).violations)


def test_cli_verify_passes_on_solved_folder(example_folder):
    result = invoke("verify", EXAMPLE, example_folder)
    assert result.exit_code == 0, result.output
    assert "checks passed" in result.output


def test_cli_verify_on_tampered_folder_exits_1(tmp_path, example_folder):
    folder = tmp_path / "tampered"
    folder.mkdir()
    a = pd.read_csv(example_folder / "allocation.csv")
    i = row_of(a, channel="website", tier="existing_customers", product="growth_line", period="2027-02")
    a.loc[i, "spend"] += 500_000.0  # leads left as they were: the funnel check fails too
    a.to_csv(folder / "allocation.csv", index=False)
    result = invoke("verify", EXAMPLE, folder)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    violations = [line for line in lines if line.startswith("violation: ")]
    # The copy has no run.json: one note says the inputs cannot be compared, the rest are violations.
    assert lines[0] == "note: no run.json in the plan folder: cannot tell which scenario the plan was solved from"
    assert violations and len(violations) == len(lines) - 2
    assert any(line.startswith("violation: capacity_spend[website,2027-02]:") for line in violations)
    assert any(line.startswith("violation: leads[website,existing_customers,growth_line,2027-02]:") for line in violations)
    assert "violation(s)" in lines[-1]


def test_cli_verify_without_allocation_is_bad_input(tmp_path):
    result = invoke("verify", EXAMPLE, tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and "allocation.csv" in result.output


@pytest.mark.parametrize("solver", backends())
def test_tier_channel_list_survives_funnel_override(tmp_path, solver):
    # Tier k may only be served by a.  A funnel row that merely overrides b x k's conversion must not
    # make b x k eligible.  Only a can be used: rps 1/10 * 0.1 * 500 = 5, budget 1000 -> 5000.
    data = base_scenario(
        channels=[{"name": "a", "cost_per_lead": 10}, {"name": "b", "cost_per_lead": 5}],
        tiers=[{"name": "k", "kind": "key_account", "conversion": 0.1, "order_value": 500, "channels": ["a"]}],
        funnel=[{"channel": "b", "tier": "k", "conversion": 0.2}],
    )
    solved = solve_and_verify(write_scenario(tmp_path, data), solver)
    assert solved.plan.objective == pytest.approx(5000.0, rel=1e-6)
    assert spend_of(solved.plan.tables["allocation"], channel="b") == 0.0


def test_plan_without_a_single_eligible_cell(tmp_path):
    # The funnel table rules out the only cell: the plan is empty (no spend, no revenue), its CSVs hold
    # headers only, and verify passes on both the written folder and an empty in-memory table.
    data = base_scenario(funnel=[{"channel": "a", "tier": "n", "eligible": False}])
    path = write_scenario(tmp_path, data)
    out = tmp_path / "out"
    solved = invoke("solve", path, "--out", out)
    assert solved.exit_code == 0, solved.output
    assert (out / "allocation.csv").read_text().count("\n") == 1
    checked = invoke("verify", path, out)
    assert checked.exit_code == 0, checked.output
    from allocator.plan.verify import REQUIRED_COLUMNS

    empty = pd.DataFrame(columns=REQUIRED_COLUMNS)
    assert verify(load_scenario(path).scenario, empty).ok


# --- Was the plan solved from this scenario? (issue 10 item 5) ---------------------------------------------

def _plan_from_files(tmp_path):
    """variant.yaml extends base.yaml, whose baseline is a file: table; solved into tmp_path/plan."""
    (tmp_path / "baseline.csv").write_text("channel,tier,product,period,revenue\na,n,p,2027-01,100\n")
    write_scenario(tmp_path, base_scenario(baseline={"file": "baseline.csv"}), "base.yaml")
    path = write_scenario(tmp_path, {"extends": "base.yaml", "budget": {"total": 800}}, "variant.yaml")
    out = tmp_path / "plan"
    result = invoke("solve", path, "--out", out)
    assert result.exit_code == 0, result.output
    return path, out


def _input_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("input differs: ")]


def test_verify_is_silent_about_inputs_when_they_are_the_ones_solved(tmp_path):
    path, out = _plan_from_files(tmp_path)
    result = invoke("verify", path, out)
    assert result.exit_code == 0 and "checks passed" in result.output, result.output
    assert not _input_lines(result.output) and "note:" not in result.output


def test_verify_refuses_a_plan_solved_from_another_scenario(tmp_path):
    # The plan (800 spent) holds every row of a scenario with a budget of 1,000 too: only the inputs tell.
    path, out = _plan_from_files(tmp_path)
    other = write_scenario(tmp_path, {"extends": "base.yaml", "budget": {"total": 1000}}, "other.yaml")
    result = invoke("verify", other, out)
    assert result.exit_code == 1, result.output
    assert "violation:" not in result.output
    lines = _input_lines(result.output)
    assert len(lines) == 1 and lines[0].startswith(f"input differs: scenario: {other.absolute()} differs"), lines
    assert str(path.absolute()) in lines[0]  # the file the plan was solved from
    assert "solved from other inputs" in result.output


def test_verify_names_the_base_and_the_table_that_changed(tmp_path):
    # Same numbers, other bytes: only the recorded SHA-256 of each file can tell, and each is named.
    path, out = _plan_from_files(tmp_path)
    (tmp_path / "baseline.csv").write_text("channel,tier,product,period,revenue\na,n,p,2027-01,100.0\n")
    (tmp_path / "base.yaml").write_text((tmp_path / "base.yaml").read_text() + "# edited\n")
    result = invoke("verify", path, out)
    assert result.exit_code == 1, result.output
    lines = sorted(_input_lines(result.output))
    assert len(lines) == 2, result.output
    assert lines[0].startswith(f"input differs: extends[1]: {(tmp_path / 'base.yaml').absolute()} differs")
    assert lines[1].startswith(f"input differs: table:baseline: {(tmp_path / 'baseline.csv').absolute()} differs")


def test_verify_notes_other_set_lines_and_lets_the_checks_decide(tmp_path):
    path, out = _plan_from_files(tmp_path)
    roomy = invoke("verify", path, out, "--set", "budget.total=900")
    assert roomy.exit_code == 0, roomy.output
    assert "note: checked with --set 'budget.total=900'; the plan was solved with no --set" in roomy.output
    assert not _input_lines(roomy.output)
    tight = invoke("verify", path, out, "--set", "budget.total=700")
    assert tight.exit_code == 1 and "violation: budget_total: 800.0" in tight.output, tight.output
    assert "<= 700.0 fails by 100.0" in tight.output


def test_verify_of_an_older_run_json_says_the_inputs_differ_without_naming(tmp_path):
    import json

    path, out = _plan_from_files(tmp_path)
    run = json.loads((out / "run.json").read_text())
    del run["scenario"]["inputs"]
    (out / "run.json").write_text(json.dumps(run))
    assert invoke("verify", path, out).exit_code == 0
    (tmp_path / "baseline.csv").write_text("channel,tier,product,period,revenue\na,n,p,2027-01,100.0\n")
    result = invoke("verify", path, out)
    assert result.exit_code == 1
    assert _input_lines(result.output) == ["input differs: inputs: the scenario's files differ from those the plan was "
                                           "solved from (SHA-256 differs from run.json; this run.json does not say which "
                                           "file)"], result.output
