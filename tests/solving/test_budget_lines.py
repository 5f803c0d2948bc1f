"""Budget lines (`budget.lines`) and targets on selections (`targets.by`), issue 12 section 3.

The scenario: one channel a (cost per lead 10, conversion 0.1) selling to tier n (kind new, order value 100:
revenue 1 and 0.01 new customers per unit of spend) and tier e (existing, order value 500: revenue 5 per unit
of spend, no new customers), budget 1000. Every figure below is worked out from those rates by hand.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import EXAMPLE, backends, base_scenario, invoke, shadow_price, solve_and_verify, spend_of, write_scenario

from allocator.plan.verify import verify
from allocator.scenario.schema import Scenario
from solvers import Status

BACKENDS = backends()
DUAL_TOL = 1.5e-4


def _scenario(lines=(), by=(), **overrides) -> dict:
    data = base_scenario(tiers=[{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 100},
                                {"name": "e", "kind": "existing", "conversion": 0.1, "order_value": 500}], **overrides)
    data["budget"] = {"total": 1000, "lines": list(lines)}
    data.setdefault("targets", {})["by"] = list(by)
    return data


ACQUISITION = {"name": "acquisition", "select": {"tier": "n"}, "new_customers": 4}


@pytest.mark.parametrize("solver", BACKENDS)
def test_an_impossible_line_promise_is_diagnosed_by_its_lever(tmp_path, solver):
    # 20 new customers need 2000 on tier n; the budget is 1000, which buys at most 10.
    data = _scenario(lines=[{**ACQUISITION, "new_customers": 20}])
    out = tmp_path / "out"
    result = invoke("solve", write_scenario(tmp_path, data), "--out", out, "--solver", solver)
    assert result.exit_code == 1, result.output
    diagnosis = pd.read_csv(out / "diagnosis.csv").set_index("lever")
    promise = diagnosis.loc["budget.lines[acquisition].new_customers"]
    assert promise["constraint"] == "line_new_customers[acquisition]"
    assert promise["feasible_at"] == pytest.approx(10.0, rel=1e-6)
    assert promise["limit"] == "acquisition: at least 20.0 new customers from its spend"
    assert diagnosis.loc["budget.total", "feasible_at"] == pytest.approx(2000.0, rel=1e-6)


@pytest.mark.parametrize("solver", BACKENDS)
def test_an_impossible_selection_target_is_diagnosed_by_its_lever(tmp_path, solver):
    # Customers of tier n: 0.01 per unit of spend, at most 10 with the budget; 30 committed + 10% buffer = 33
    # need 3300 of budget; the target itself can be met up to 10 / 1.1 committed.
    data = _scenario(by=[{"select": {"tier": "n"}, "customers": 30}], targets={"buffer": 0.1})
    out = tmp_path / "out"
    result = invoke("solve", write_scenario(tmp_path, data), "--out", out, "--solver", solver)
    assert result.exit_code == 1, result.output
    diagnosis = pd.read_csv(out / "diagnosis.csv").set_index("lever")
    assert diagnosis.loc["targets.by[0].customers", "constraint"] == "target_by_customers[tier=n]"
    assert diagnosis.loc["targets.by[0].customers", "feasible_at"] == pytest.approx(10 / 1.1, rel=1e-4)
    assert diagnosis.loc["budget.total", "feasible_at"] == pytest.approx(3300.0, rel=1e-4)


def test_set_moves_a_line_promise_by_its_lever_label(tmp_path):
    # --set budget.lines[acquisition].new_customers=6: x_n = 600, x_e = 400, revenue 600 + 2000 = 2600.
    out = tmp_path / "out"
    path = write_scenario(tmp_path, _scenario(lines=[ACQUISITION]))
    result = invoke("solve", path, "--out", out, "--set", "budget.lines[acquisition].new_customers=6")
    assert result.exit_code == 0, result.output
    allocation = pd.read_csv(out / "allocation.csv")
    assert spend_of(allocation, tier="n") == pytest.approx(600.0, rel=1e-6)
    assert allocation["revenue"].sum() == pytest.approx(2600.0, rel=1e-6)
    assert invoke("verify", path, out, "--set", "budget.lines[acquisition].new_customers=6").exit_code == 0


@pytest.mark.parametrize("solver", BACKENDS)
def test_overlapping_lines_each_keep_their_promise(tmp_path, solver):
    # "everything" (channel a) overlaps acquisition on tier n; it promises 2000 revenue from all of its spend:
    # x_n + 5 x_e >= 2000 holds at the acquisition optimum (400 + 3000), so only acquisition binds.
    everything = {"name": "everything", "select": {"channel": "a"}, "revenue": 2000, "min": 900}
    plan = solve_and_verify(write_scenario(tmp_path, _scenario(lines=[ACQUISITION, everything])), solver).plan
    lines = plan.tables["lines"].set_index("line")
    assert lines.loc["acquisition", "spend"] == pytest.approx(400.0, rel=1e-6)
    assert lines.loc["everything", "spend"] == pytest.approx(1000.0, rel=1e-6)
    assert lines.loc["everything", "revenue"] == pytest.approx(3400.0, rel=1e-6)
    assert lines.loc["acquisition", "statement"] == "acquisition: 400 -> 4.00 new customers (promised 4.00: met)"
    assert lines.loc["everything", "statement"] == "everything: 1,000 -> 3,400 revenue (promised 2,000: met)"
    assert lines["met"].all()
    assert shadow_price(plan, "line_revenue[everything]") == pytest.approx(0.0, abs=DUAL_TOL)
    assert shadow_price(plan, "line_new_customers[acquisition]") == pytest.approx(-400.0, abs=DUAL_TOL)


@pytest.mark.parametrize("solver", BACKENDS)
def test_a_spend_ceiling_on_a_selection_binds(tmp_path, solver):
    # targets.by: tier e spend at most 300 -> x_e = 300, x_n = 700, revenue 1500 + 700 = 2200.
    # One more unit allowed on e moves one unit from n: dual 5 - 1 = 4 (no buffer on a ceiling).
    data = _scenario(by=[{"select": {"tier": "e"}, "max_spend": 300}], targets={"buffer": 0.2})
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    assert plan.objective == pytest.approx(2200.0, rel=1e-6)
    assert spend_of(plan.tables["allocation"], tier="e") == pytest.approx(300.0, rel=1e-6)
    assert shadow_price(plan, "target_by_max_spend[tier=e]") == pytest.approx(4.0, abs=DUAL_TOL)
    targets = plan.tables["targets"].set_index("target")
    assert targets.loc["by_max_spend[tier=e]", "planned"] == 300.0
    assert targets.loc["by_max_spend[tier=e]", "achieved"] == pytest.approx(300.0, rel=1e-6)


def test_verify_recomputes_line_promises_and_selection_targets(tmp_path):
    # A plan with 400 on n and 600 on e: 4 new customers, 400 revenue (ROI 1) on n, 40 leads, 4 customers on n.
    allocation = solve_and_verify(write_scenario(tmp_path, _scenario(lines=[ACQUISITION]))).plan.tables["allocation"]
    raised = _scenario(lines=[{**ACQUISITION, "new_customers": 5, "leads": 41, "min_roi": 1.5}],
                       by=[{"select": {"tier": "n"}, "customers": 4, "leads": 40, "max_spend": 399}])
    report = verify(Scenario.model_validate(raised), allocation)
    failed = {v.split(":")[0] for v in report.violations}
    assert failed == {"line_new_customers[acquisition]", "line_leads[acquisition]", "line_min_roi[acquisition]",
                      "target_by_max_spend[tier=n]"}
    buffered = _scenario(lines=[ACQUISITION], by=[{"select": {"tier": "n"}, "customers": 4}], targets={"buffer": 0.01})
    failed = {v.split(":")[0] for v in verify(Scenario.model_validate(buffered), allocation).violations}
    assert failed == {"target_by_customers[tier=n]"}  # 4 < 4 x 1.01


@pytest.mark.parametrize("solver", BACKENDS)
def test_a_soft_target_on_a_selection_falls_short_by_what_cannot_be_bought(tmp_path, solver):
    # soft: [by]: 30 customers of n + 10% buffer = 33 planned; the budget buys at most 0.01 x 1000 = 10 there.
    # The shortfall (23) is minimised first: all 1000 on n (revenue 1000), then revenue has nothing left to move.
    data = _scenario(by=[{"select": {"tier": "n"}, "customers": 30}], targets={"soft": ["by"], "buffer": 0.1})
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    assert spend_of(plan.tables["allocation"], tier="n") == pytest.approx(1000.0, rel=1e-6)
    assert plan.objective == pytest.approx(1000.0, rel=1e-6)
    shortfall = plan.tables["shortfalls"].set_index("goal").loc["target_by_customers[tier=n]"]
    assert shortfall["rhs"] == pytest.approx(33.0, rel=1e-9)
    assert shortfall["shortfall"] == pytest.approx(23.0, rel=1e-6)
    assert shortfall["shortfall_share"] == pytest.approx(23.0 / 33.0, rel=1e-6)
    assert not shortfall["met"]
    hard = _scenario(by=[{"select": {"tier": "n"}, "customers": 30}], targets={"buffer": 0.1})
    assert not solve_and_verify(write_scenario(tmp_path, hard, "hard.yaml"), solver, status=Status.INFEASIBLE).plan.solved

def test_the_bundled_budget_line_variant_keeps_its_promises(tmp_path):
    # example_q1 alone buys 1,145 new customers on kinds new + prospect; the variant's acquisition line
    # promises 1,200 from its own spend, so the promise binds exactly and costs revenue.
    solved = solve_and_verify(EXAMPLE.with_name("example_q1_budget_lines.yaml"))
    lines = solved.plan.tables["lines"].set_index("line")
    assert list(lines.index) == ["acquisition", "key_account_programme", "livestream_test"]
    assert lines.loc["acquisition", "new_customers"] == pytest.approx(1200.0, rel=1e-6)
    assert lines.loc["acquisition", "spend"] >= 1_000_000
    assert lines.loc["acquisition", "statement"].endswith("-> 1,200 new customers (promised 1,200: met)")
    assert lines["met"].all()
    assert shadow_price(solved.plan, "line_new_customers[acquisition]") < 0
    targets = solved.plan.tables["targets"].set_index("target")
    assert targets.loc["by_revenue[tier=key_accounts]", "planned"] == pytest.approx(5_500_000.0)


def test_the_notebook_plan_has_the_lines_table():
    import allocator

    plan = allocator.solve(str(EXAMPLE.with_name("example_q1_budget_lines.yaml")))
    assert list(plan.lines["line"]) == ["acquisition", "key_account_programme", "livestream_test"]
    assert plan.lines.loc[0, "new_customers"] == pytest.approx(1200.0, rel=1e-6)
    assert allocator.solve(str(EXAMPLE)).lines.empty  # no budget.lines: no table


def test_verify_checks_lines_csv_and_the_selection_rows_of_targets_csv(tmp_path):
    # acquisition spends 400 (x_n) and buys 4 new customers; targets.csv's by_customers[tier=n] achieves 4.
    path = write_scenario(tmp_path, _scenario(lines=[ACQUISITION], by=[{"select": {"tier": "n"}, "customers": 3}]))
    out = tmp_path / "out"
    assert invoke("solve", path, "--out", out).exit_code == 0
    assert invoke("verify", path, out).exit_code == 0
    lines_csv, targets_csv = out / "lines.csv", out / "targets.csv"
    lines_text = lines_csv.read_text()
    lines_csv.write_text(lines_text.replace(",True,", ",False,"))
    result = invoke("verify", path, out)
    assert result.exit_code == 1 and "lines.csv line 2 [acquisition] met: False but allocation.csv gives True" in result.output
    lines_csv.write_text(lines_text)
    table = pd.read_csv(targets_csv)
    table.loc[table["target"] == "by_customers[tier=n]", "achieved"] = 5.0
    table.to_csv(targets_csv, index=False)
    result = invoke("verify", path, out)
    assert result.exit_code == 1 and "targets.csv line 3 [by_customers[tier=n]] achieved: 5.0 = 4.0" in result.output


@pytest.mark.parametrize("solver", BACKENDS)
def test_a_soft_spend_ceiling_on_a_selection_is_exceeded_only_as_far_as_a_hard_line_forces(tmp_path, solver):
    # A hard line puts at least 500 on e; the soft ceiling on e is 300: shortfall 200 (the ceiling's shortfall
    # is subtracted from its <= row). Held at 200, the rest goes to n: x_e = 500, x_n = 500, revenue 3000.
    data = _scenario(lines=[{"name": "retention", "select": {"tier": "e"}, "min": 500}],
                     by=[{"select": {"tier": "e"}, "max_spend": 300}], targets={"mode": "soft"})
    plan = solve_and_verify(write_scenario(tmp_path, data), solver).plan
    assert spend_of(plan.tables["allocation"], tier="e") == pytest.approx(500.0, rel=1e-6)
    assert plan.objective == pytest.approx(3000.0, rel=1e-6)
    shortfall = plan.tables["shortfalls"].set_index("goal").loc["target_by_max_spend[tier=e]"]
    assert shortfall["shortfall"] == pytest.approx(200.0, rel=1e-6)
