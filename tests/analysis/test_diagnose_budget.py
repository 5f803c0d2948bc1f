"""A diagnosis that cannot finish (the solver fails on a sub-problem, or its time budget runs out) leaves the
infeasible result standing and says what it found so far, labelled as partial (issue 10, item 14).

The solver is a stand-in around the real `solvers.solve` (monkeypatched into `allocator.analysis.diagnose`, as
tests/test_solver_failures.py does for CBC): it can fail on its Nth call, and each call can cost a fixed
number of seconds on a fake clock, so budgets run out at a solve worked out by hand, not at the mercy of the
machine's load.

The scenario (test_diagnose.py, case "channel_roi_floor"): search has ROI 5 but a floor of 6, so it cannot
be used; social (ROI 4) is capped at 100 of spend = 400 of revenue; the target is 1,000; the budget of
1,000 is ample. The irreducible conflict is {roi_floor[search], capacity_spend[social,2027-01],
target_revenue}; alone, the target can drop to 400. The four candidate rows add budget_total, which is
not in the conflict.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import base_scenario, invoke, write_scenario

import allocator.analysis.diagnose as diagnose_module
from allocator.analysis.diagnose import diagnose
from allocator.errors import SolveFailed
from allocator.solving.pipeline import solve_file
from solvers import SolveOptions, SolveResult, SolverError, Status
from solvers import solve as real_solve

SCENARIO = base_scenario(
    channels=[{"name": "search", "cost_per_lead": 10, "min_roi": 6},
              {"name": "social", "cost_per_lead": 12.5, "max_spend": 100}],
    targets={"revenue": 1000},
)
CONFLICT = {"roi_floor[search]", "capacity_spend[social,2027-01]", "target_revenue"}
TARGET_FEASIBLE_AT = 400.0  # social's 100 of spend x ROI 4
STILL_INFEASIBLE = "the plan is still infeasible"


class Clock:
    """Stands in for the `time` module inside allocator.analysis.diagnose: seconds pass only when a solve costs them."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now


class StandIn:
    """The real solver, except that call `fail_on` raises `error`, and each call costs `cost` seconds of
    `clock`; a call whose time limit is shorter than that stops at the limit without an answer."""

    def __init__(self, fail_on=None, error=None, clock=None, cost=1.0):
        self.fail_on, self.error, self.clock, self.cost = fail_on, error, clock, cost
        self.calls = 0
        self.limits = []  # the time limit each call was given

    def __call__(self, lp, solver, options, **kwargs):
        self.calls += 1
        self.limits.append(options.time_limit)
        if self.calls == self.fail_on:
            raise self.error
        if self.clock is not None:
            if options.time_limit is not None and options.time_limit < self.cost:
                self.clock.now += options.time_limit
                return SolveResult(Status.NO_SOLUTION, "stand-in", "0", "stopped on the time limit", options.time_limit)
            self.clock.now += self.cost
        return real_solve(lp, solver, options, **kwargs)


@pytest.fixture
def model(tmp_path):
    solved = solve_file(write_scenario(tmp_path, SCENARIO))
    assert solved.plan.status is Status.INFEASIBLE
    return solved.model


def _use(monkeypatch, stand_in: StandIn, clock: Clock | None = None) -> StandIn:
    monkeypatch.setattr(diagnose_module, "solve", stand_in)
    if clock is not None:
        monkeypatch.setattr(diagnose_module, "time", clock)
    return stand_in


def _phase_starts(model) -> list[int]:
    """Solves done before each relaxation search began, in a clean run (where the conflict phase ends)."""
    starts = []
    search = diagnose_module._boundary

    def spy(scenario, lever, oracle):
        starts.append(oracle.solves)
        return search(scenario, lever, oracle)

    diagnose_module._boundary = spy
    try:
        clean = diagnose(model)
    finally:
        diagnose_module._boundary = search
    assert clean.complete and {r.constraint for r in clean.relaxations} == CONFLICT
    return starts


def _infeasible_with(model, names: set[str]) -> bool:
    """Second opinion on a partial set: the structural rows and only these rows, solved by the real CBC."""
    lp = model.lp
    rows = [i for i in range(lp.n_rows) if model.rows[i].lever is None or lp.row_names[i] in names]
    return real_solve(diagnose_module._with_rows(lp, rows), "cbc", SolveOptions()).status is Status.INFEASIBLE


# --------------------------------------------------------------------------------------------
# the solver fails on a sub-problem


@pytest.mark.parametrize("error", [SolverError("cbc exited with code -6 (SIGABRT)"), SolveFailed("cbc crashed"),
                                   RuntimeError("highs: Solve error")],
                         ids=["SolverError", "SolveFailed", "RuntimeError"])
def test_a_solver_failure_on_the_first_sub_solve_leaves_an_empty_labelled_diagnosis(monkeypatch, model, error):
    stand_in = _use(monkeypatch, StandIn(fail_on=1, error=error))
    result = diagnose(model)  # before the fix: the exception escaped and the CLI exited 3 with nothing written
    assert not result.complete and result.relaxations == [] and result.solves == 1 == stand_in.calls
    assert result.note.startswith("diagnosis stopped: the solver failed on a sub-problem (")
    assert str(error) in result.note and result.note.endswith(STILL_INFEASIBLE)
    assert result.summary() == ["Which demands conflict is not known yet.", result.note]
    assert result.table().empty


def test_a_failure_after_the_conflict_is_found_keeps_it_with_its_relaxations_unsearched(monkeypatch, model):
    conflict_solves = _phase_starts(model)[0]
    _use(monkeypatch, StandIn(fail_on=conflict_solves + 1, error=SolverError("cbc exited with code -6")))
    result = diagnose(model)
    assert not result.complete and result.reduced
    assert {r.constraint for r in result.relaxations} == CONFLICT
    assert not any(r.searched for r in result.relaxations)
    table = result.table()
    assert not table["complete"].any() and table["enough_alone"].isna().all() and table["feasible_at"].isna().all()
    assert (table["note"] == "relaxation not searched (the diagnosis stopped early)").all()
    lines = result.summary()
    assert lines[0] == "These demands cannot all hold at once:"
    assert "Relax one of:" not in lines
    assert lines[-2].startswith("Not searched before the diagnosis stopped: ") and "targets.revenue" in lines[-2]
    assert lines[-1] == result.note and "cbc exited with code -6" in result.note


def test_a_failure_in_the_second_search_keeps_the_first_relaxation(monkeypatch, model):
    second = _phase_starts(model)[1]
    _use(monkeypatch, StandIn(fail_on=second + 1, error=SolverError("cbc exited with code -6")))
    result = diagnose(model)
    assert not result.complete and result.reduced
    searched = {r.constraint: r for r in result.relaxations if r.searched}
    assert set(searched) == {"target_revenue"}  # targets come first in the search order
    assert searched["target_revenue"].feasible_at == pytest.approx(TARGET_FEASIBLE_AT, rel=2e-6)
    table = result.table().set_index("constraint")
    assert table.loc["target_revenue", "complete"] and table.loc["target_revenue", "note"] == ""
    assert not table.drop("target_revenue")["complete"].any()
    assert any(line.startswith("  - targets.revenue: 1,000 -> 400") for line in result.summary())


def test_a_sub_solve_ending_without_an_answer_stops_the_diagnosis(monkeypatch, model):
    # The caller's own per-solve limit (2 s) is shorter than the 3 s a solve takes here; the budget (60 s) is
    # not what stopped it, so the note gives the sub-problem's status and message.
    clock = Clock()
    _use(monkeypatch, StandIn(clock=clock, cost=3.0), clock)
    result = diagnose(model, options=SolveOptions(time_limit=2.0))
    assert not result.complete and result.solves == 1
    assert result.note == ("diagnosis stopped: a sub-problem ended no_solution (stopped on the time limit); "
                           + STILL_INFEASIBLE)


# --------------------------------------------------------------------------------------------
# the time budget


def test_the_budget_is_each_sub_solves_time_limit_and_a_partial_set_is_labelled(monkeypatch, model):
    # Each solve costs 1 s. Budget 5.5 s: solves 1-5 get limits 5.5, 4.5 ... 1.5 and finish; the 6th gets
    # the 0.5 s left, stops on it without an answer, and the diagnosis ends there (6 solves, 5.5 s).
    assert _phase_starts(model)[0] > 6  # so the budget runs out inside the search for the conflict
    clock = Clock()
    stand_in = _use(monkeypatch, StandIn(clock=clock, cost=1.0), clock)
    result = diagnose(model, time_budget=5.5)
    assert stand_in.limits == [5.5, 4.5, 3.5, 2.5, 1.5, 0.5]
    assert result.solves == 6 and result.seconds == 5.5
    assert not result.complete and not result.reduced
    assert result.note == f"diagnosis stopped: its time budget of 5.5 s ran out after 6 solves; {STILL_INFEASIBLE}"
    names = {r.constraint for r in result.relaxations}
    # What it found is a true conflict (checked by a separate solve), holds the minimal one, and is not all
    # four candidates (which would say nothing).
    assert names >= CONFLICT and len(names) < 4 and _infeasible_with(model, names)
    table = result.table()
    assert not table["complete"].any() and table["enough_alone"].isna().all()
    assert table["note"].str.startswith("partial set: not narrowed down").all()
    lines = result.summary()
    assert lines[0].startswith("These demands cannot all hold at once (a partial answer")
    assert lines[-1] == result.note


def test_a_shorter_per_solve_limit_is_kept_within_the_budget(monkeypatch, model):
    # Limit 2 s a solve, budget 5.5 s, 1 s a solve: 2, 2, 2, 2 (4 s used), then 1.5 and 0.5 from the budget.
    clock = Clock()
    stand_in = _use(monkeypatch, StandIn(clock=clock, cost=1.0), clock)
    result = diagnose(model, options=SolveOptions(time_limit=2.0), time_budget=5.5)
    assert stand_in.limits == [2.0, 2.0, 2.0, 2.0, 1.5, 0.5]
    assert not result.complete and "time budget of 5.5 s" in result.note


def test_a_budget_spent_in_the_searches_keeps_the_whole_conflict(monkeypatch, model):
    conflict_solves = _phase_starts(model)[0]
    clock = Clock()
    _use(monkeypatch, StandIn(clock=clock, cost=1.0), clock)
    result = diagnose(model, time_budget=conflict_solves + 2.5)  # the conflict, then 2 probes and a half
    assert result.solves == conflict_solves + 3 and not result.complete and result.reduced
    assert {r.constraint for r in result.relaxations} == CONFLICT
    assert not any(r.searched for r in result.relaxations)
    assert "time budget" in result.note


def test_a_rebuild_is_not_started_unless_the_budget_covers_the_longest_so_far(monkeypatch, model):
    # Each relaxation probe rebuilds the model (here 3 s on the fake clock) and cannot be cut short. Budget
    # q + 5.5 (q: the conflict's solves, 1 s each): the first probe builds (q + 3) and solves (q + 4); with
    # 1.5 s left the second would build past the budget, so the diagnosis stops at q + 4, not at q + 7.
    conflict_solves = _phase_starts(model)[0]
    clock = Clock()
    _use(monkeypatch, StandIn(clock=clock, cost=1.0), clock)
    build = diagnose_module.build_model

    def slow_build(*args, **kwargs):
        clock.now += 3.0
        return build(*args, **kwargs)

    monkeypatch.setattr(diagnose_module, "build_model", slow_build)
    result = diagnose(model, time_budget=conflict_solves + 5.5)
    assert result.solves == conflict_solves + 1 and result.seconds == conflict_solves + 4
    assert not result.complete and "time budget" in result.note


def test_a_large_budget_changes_nothing(monkeypatch, model):
    clock = Clock()
    _use(monkeypatch, StandIn(clock=clock, cost=1.0), clock)
    result = diagnose(model, time_budget=1e6)
    assert result.complete and result.note == "" and result.reduced
    assert {r.constraint for r in result.relaxations} == CONFLICT
    assert result.table()["complete"].all()


# --------------------------------------------------------------------------------------------
# the command line


def test_solve_writes_the_infeasible_result_when_the_diagnosis_fails(monkeypatch, tmp_path):
    # Before: the diagnosis's SolverError reached the CLI, which exited 3 and wrote nothing.
    _use(monkeypatch, StandIn(fail_on=3, error=SolverError("cbc exited with code -6 (SIGABRT)")))
    out = tmp_path / "out"
    result = invoke("solve", write_scenario(tmp_path, SCENARIO), "--out", out, "--store", "none")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("tiny: infeasible")
    note = ("diagnosis stopped: the solver failed on a sub-problem (cbc exited with code -6 (SIGABRT)); "
            + STILL_INFEASIBLE)
    assert note in lines and lines[-1].startswith(f"Wrote {out}")
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "infeasible"
    assert run["diagnosis"]["complete"] is False and run["diagnosis"]["note"] == note
    assert run["diagnosis"]["solves"] == 3
    diagnosis = pd.read_csv(out / "diagnosis.csv")
    assert list(diagnosis.columns)[-2:] == ["complete", "note"]
    assert not diagnosis["complete"].any()


@pytest.mark.parametrize("command", ["solve", "explain"])
def test_diagnose_seconds_is_the_budget(tmp_path, command):
    out = tmp_path / "out"
    result = invoke(command, write_scenario(tmp_path, SCENARIO), "--out", out, "--diagnose-seconds", "1e-9")
    assert result.exit_code == 1, result.output
    note = f"diagnosis stopped: its time budget of 1e-09 s ran out after 0 solves; {STILL_INFEASIBLE}"
    assert "Which demands conflict is not known yet." in result.output.splitlines()
    assert note in result.output.splitlines()
    run = json.loads((out / "run.json").read_text())
    assert run["diagnosis"]["complete"] is False and run["diagnosis"]["note"] == note
    assert run["diagnosis"]["solves"] == 0


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "soon"])
def test_diagnose_seconds_must_be_a_positive_finite_number(tmp_path, value):
    out = tmp_path / "out"
    result = invoke("solve", write_scenario(tmp_path, SCENARIO), "--out", out, "--diagnose-seconds", value)
    assert result.exit_code == 2, result.output
    assert "Invalid value for '--diagnose-seconds'" in result.output
    assert not out.exists()


def test_the_default_diagnosis_is_complete(tmp_path):
    out = tmp_path / "out"
    result = invoke("solve", write_scenario(tmp_path, SCENARIO), "--out", out)
    assert result.exit_code == 1, result.output
    run = json.loads((out / "run.json").read_text())
    assert run["diagnosis"]["complete"] is True and run["diagnosis"]["note"] == ""
    table = pd.read_csv(out / "diagnosis.csv").set_index("constraint")
    assert set(table.index) == CONFLICT and table["complete"].all()
    assert float(table.loc["target_revenue", "feasible_at"]) == pytest.approx(TARGET_FEASIBLE_AT, rel=2e-6)
    assert float(table.loc["roi_floor[search]", "feasible_at"]) == pytest.approx(5.0, rel=2e-6)  # search's ROI
