"""How a linear program is solved: simplex or barrier give the same optimum; "auto" picks by size, and its
barrier run with a simplex beside it is deterministic whichever process finishes first."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import backends, invoke, write_generated

import solvers.base as solver_base
import solvers.cbc as cbc
from allocator.solving.pipeline import solve_file
from allocator.plan.verify import verify
from solvers import LinearProgram, Sense, SolveOptions, SolverError, Status
from solvers.base import lp_method


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """A pure LP (no binaries) of 2 products x 12 channels x 3 tiers x 6 periods from the benchmark generator."""
    return write_generated(tmp_path_factory.mktemp("lp") / "generated.yaml", 2, 12, 3, 6, seed=3)


def _solve(path: Path, solver: str = "cbc", overrides: tuple = (), **options):
    solved = solve_file(path, solver=solver, options=SolveOptions(**options), overrides=overrides)
    assert solved.plan.status is Status.OPTIMAL, solved.plan.message
    report = verify(solved.loaded.scenario, solved.plan.tables["allocation"])
    assert report.ok, "\n".join(report.violations)
    return solved


def tiny_lp(integer: bool = False) -> LinearProgram:
    """max x0 + x1 subject to x0 + x1 <= 4, 0 <= x <= 3."""
    return LinearProgram(
        name="tiny", sense=Sense.MAXIMIZE, objective=np.array([1.0, 1.0]), objective_offset=0.0,
        col_names=["x0", "x1"], col_lower=np.zeros(2), col_upper=np.full(2, 3.0),
        col_integer=np.array([integer, False]), row_names=["cap"], row_lower=np.array([-np.inf]),
        row_upper=np.array([4.0]), indptr=np.array([0, 2]), indices=np.array([0, 1]), data=np.array([1.0, 1.0]),
    )


# --- the rule ---------------------------------------------------------------------------------------

def test_auto_picks_the_barrier_from_the_size_threshold_up(monkeypatch):
    lp = tiny_lp()  # 1 row x 2 columns = 2 cells
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 2.0)
    assert lp_method(lp, SolveOptions()) == "barrier"
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 2.5)
    assert lp_method(lp, SolveOptions()) == "simplex"
    assert lp_method(lp, SolveOptions(lp_method="barrier")) == "barrier"
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 0.0)
    assert lp_method(lp, SolveOptions(lp_method="simplex")) == "simplex"
    assert lp_method(tiny_lp(integer=True), SolveOptions(lp_method="barrier")) == "simplex"  # a MIP: branch and cut


def test_the_benchmark_sizes_fall_either_side_of_the_threshold():
    # 4x50x4x12: 1,336 rows x 18,866 columns; 1x200x5x52: 14,293 rows x 63,754 columns (benchmarks/bench_solve.py).
    assert 1_336 * 18_866 < solver_base.BARRIER_MIN_CELLS <= 14_293 * 63_754


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError, match="lp_method must be one of auto, simplex, barrier"):
        SolveOptions(lp_method="interior")


# --- the same optimum either way (real solvers) ------------------------------------------------------

@pytest.mark.parametrize("solver", backends())
def test_simplex_and_barrier_reach_the_same_optimum(generated, solver):
    simplex = _solve(generated, solver, lp_method="simplex")
    barrier = _solve(generated, solver, lp_method="barrier")
    assert barrier.plan.objective == pytest.approx(simplex.plan.objective, rel=1e-9)
    for name in ("revenue_total", "spend"):
        assert barrier.plan.totals[name] == pytest.approx(simplex.plan.totals[name], rel=1e-7)
    assert (simplex.plan.lp_method, barrier.plan.lp_method) == ("simplex", "barrier")


def test_auto_with_a_simplex_beside_the_barrier_gives_the_barrier_plan_bit_for_bit(generated, monkeypatch):
    alone = _solve(generated, lp_method="barrier")
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 0.0)
    raced = _solve(generated)
    assert raced.plan.lp_method == "barrier"
    assert np.array_equal(raced.x, alone.x)
    assert raced.plan.tables["allocation"].equals(alone.plan.tables["allocation"])


def test_auto_reports_no_plan_whichever_method_proves_it(generated, monkeypatch):
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 0.0)
    solved = solve_file(generated, overrides=["targets.revenue=9e12"])
    assert solved.plan.status is Status.INFEASIBLE
    assert solved.plan.lp_method in ("barrier", "simplex (it proved there is no plan before the barrier finished)")


def test_the_tie_break_pass_of_an_auto_solve_uses_the_simplex(generated, monkeypatch):
    seen = []
    original = cbc.solve
    monkeypatch.setattr(cbc, "solve", lambda lp, options: seen.append(lp_method(lp, options)) or original(lp, options))
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 0.0)
    # With more budget than the capped channels can use, the last unit of budget buys nothing.
    solved = _solve(generated, overrides=["budget.total=1e12"])
    assert solved.plan.tie_break.startswith("second pass"), "the generated plan should need the tie-break"
    assert seen == ["barrier", "simplex"]


# --- the race, with stand-in binaries whose timing the test controls -----------------------------------

FAKE = textwrap.dedent("""\
    #!{python}
    import os, struct, sys, time
    args = sys.argv
    method = "barrier" if "-barrier" in args else "simplex"
    sol, values = args[args.index("-solution") + 1], args[args.index("-saveSolution") + 1]
    open(os.path.join({folder!r}, method + ".pid"), "w").write(str(os.getpid()))
    plan = {plan!r}[method]
    time.sleep(plan["sleep"])
    if plan["exit"]:
        sys.exit(plan["exit"])
    open(sol, "w").write(plan["status"] + " - objective value 2\\n")
    v = plan["value"]
    open(values, "wb").write(struct.pack("<iid", 1, 2, 0.0) + struct.pack("<6d", 0, 0, v, v, 0, 0))
    """)


def fake_cbc(monkeypatch, tmp_path: Path, **plan) -> Path:
    """CBC stand-in: per method, how long it takes, its exit code, its status line and the value of both columns."""
    default = {"sleep": 0.0, "exit": 0, "status": "Optimal", "value": 1.0}
    plan = {m: {**default, **plan.get(m, {})} for m in ("simplex", "barrier")}
    path = tmp_path / "cbc"
    path.write_text(FAKE.format(python=sys.executable, folder=str(tmp_path), plan=plan))
    path.chmod(0o755)
    monkeypatch.setattr(cbc, "binary_path", lambda: path)
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 0.0)
    return path


def _gone(tmp_path: Path, method: str) -> bool:
    pid_file = tmp_path / f"{method}.pid"
    # On a busy machine a stand-in may be stopped before its Python even started: then it never writes
    # its pid. One still running (not stopped) writes it within a second.
    deadline = time.monotonic() + 1.0
    while not pid_file.exists():
        if time.monotonic() > deadline:
            return True
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_simplex_proof_of_infeasibility_ends_a_slow_barrier(monkeypatch, tmp_path):
    fake_cbc(monkeypatch, tmp_path, barrier={"sleep": 30}, simplex={"status": "Infeasible"})
    started = time.perf_counter()
    result = cbc.solve(tiny_lp(), SolveOptions())
    assert time.perf_counter() - started < 10
    assert result.status is Status.INFEASIBLE
    assert result.extra["lp_method"] == "simplex (it proved there is no plan before the barrier finished)"
    assert _gone(tmp_path, "barrier")


def test_a_plan_comes_from_the_barrier_even_when_the_simplex_finishes_first(monkeypatch, tmp_path):
    fake_cbc(monkeypatch, tmp_path, barrier={"sleep": 0.5, "value": 2.0}, simplex={"value": 1.0})
    result = cbc.solve(tiny_lp(), SolveOptions())
    assert result.status is Status.OPTIMAL
    assert result.x.tolist() == [2.0, 2.0]
    assert result.extra["lp_method"] == "barrier"


def test_a_barrier_that_finishes_first_ends_the_simplex(monkeypatch, tmp_path):
    fake_cbc(monkeypatch, tmp_path, barrier={"value": 2.0}, simplex={"sleep": 30})
    started = time.perf_counter()
    result = cbc.solve(tiny_lp(), SolveOptions())
    assert time.perf_counter() - started < 10
    assert result.x.tolist() == [2.0, 2.0]
    assert _gone(tmp_path, "simplex")


def test_a_failed_barrier_falls_back_to_the_simplex_answer(monkeypatch, tmp_path):
    fake_cbc(monkeypatch, tmp_path, barrier={"exit": 139}, simplex={"sleep": 0.3, "value": 1.0})
    result = cbc.solve(tiny_lp(), SolveOptions())
    assert result.status is Status.OPTIMAL
    assert result.x.tolist() == [1.0, 1.0]
    assert result.extra["lp_method"].startswith("simplex (the barrier failed: CBC exited with code 139")


def test_a_barrier_optimum_near_cbc_infinity_gives_way_to_the_simplex_proof(monkeypatch, tmp_path):
    # CBC's barrier calls an unbounded program optimal at values near its infinity (1e20).
    fake_cbc(monkeypatch, tmp_path, barrier={"value": 1.8e20}, simplex={"sleep": 0.3, "status": "Unbounded"})
    result = cbc.solve(tiny_lp(), SolveOptions())
    assert result.status is Status.UNBOUNDED
    assert result.extra["lp_method"] == ("simplex (the barrier's answer was not kept: a value of 1.8e+20, which only "
                                         "an unbounded program gives)")


def test_an_asked_for_barrier_whose_plan_breaks_a_row_is_solved_again_by_the_simplex(monkeypatch, tmp_path):
    fake_cbc(monkeypatch, tmp_path, barrier={"value": 3.0}, simplex={"value": 2.0})  # 3 + 3 > 4
    result = cbc.solve(tiny_lp(), SolveOptions(lp_method="barrier"))
    assert result.x.tolist() == [2.0, 2.0]
    assert result.extra["lp_method"].startswith("simplex (the barrier's answer was not kept: cbc returned a solution "
                                                "that violates row cap")


@pytest.mark.parametrize("options", [SolveOptions(lp_method="barrier"), SolveOptions()])
def test_an_unbounded_program_is_unbounded_with_the_real_barrier(monkeypatch, options):
    monkeypatch.setattr(solver_base, "BARRIER_MIN_CELLS", 0.0)
    lp = replace(tiny_lp(), col_upper=np.full(2, np.inf), row_upper=np.array([np.inf]), row_lower=np.array([0.0]))
    result = cbc.solve(lp, options)
    assert result.status is Status.UNBOUNDED
    # The barrier alone would call it optimal at (860858.7, 0); the simplex after it, or beside it, proves otherwise.
    assert result.extra["lp_method"] in ("barrier", "simplex (it proved there is no plan before the barrier finished)")


def test_both_runs_failing_is_a_solver_error(monkeypatch, tmp_path):
    fake_cbc(monkeypatch, tmp_path, barrier={"exit": 139}, simplex={"exit": 3})
    with pytest.raises(SolverError, match="CBC exited with code 139"):
        cbc.solve(tiny_lp(), SolveOptions())


def test_both_runs_hanging_stop_at_the_time_limit(monkeypatch, tmp_path):
    fake_cbc(monkeypatch, tmp_path, barrier={"sleep": 30}, simplex={"sleep": 30})
    monkeypatch.setattr(cbc, "GRACE_SECONDS", 0.5)
    with pytest.raises(SolverError, match="time limit"):
        cbc.solve(tiny_lp(), SolveOptions(time_limit=0.2))
    assert _gone(tmp_path, "barrier") and _gone(tmp_path, "simplex")


@pytest.mark.parametrize("options", [SolveOptions(lp_method="barrier"), SolveOptions(concurrent=False),
                                     SolveOptions(log=True)])
def test_no_simplex_runs_beside_a_barrier_that_was_asked_for_or_shares_the_cores(monkeypatch, tmp_path, options):
    fake_cbc(monkeypatch, tmp_path, barrier={"value": 2.0}, simplex={"value": 1.0})
    result = cbc.solve(tiny_lp(), options)
    assert result.x.tolist() == [2.0, 2.0]
    assert not (tmp_path / "simplex.pid").exists()


# --- the command line ----------------------------------------------------------------------------------

def test_solve_records_the_method_and_refuses_an_unknown_one(generated, tmp_path):
    result = invoke("solve", generated, "--out", tmp_path / "plan", "--lp-method", "barrier")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "plan" / "run.json").read_text())
    assert record["lp_method"] == "barrier"
    bad = invoke("solve", generated, "--out", tmp_path / "other", "--lp-method", "interior")
    assert bad.exit_code == 2
    assert "'interior' is not one of 'auto', 'simplex', 'barrier'" in bad.output
    assert not (tmp_path / "other").exists()


def test_variants_solved_side_by_side_run_no_second_process(monkeypatch):
    from allocator.whatif import sweep
    from allocator.whatif.execute import Executor

    assert Executor(2).parallel(2) and not Executor(2).parallel(1) and not Executor(1).parallel(5)
    seen = []
    options_of = lambda args: next(a for a in args if isinstance(a, SolveOptions))  # noqa: E731
    monkeypatch.setattr(sweep, "solve_variant", lambda *a: seen.append(options_of(a).concurrent) or {"status": "optimal"})
    monkeypatch.setattr(Executor, "map", lambda self, f, args, progress=None: [f(*a) for a in args])
    sweep.run_sweep(Path("unused.yaml"), [sweep.Axis("budget.total", ("1", "2"))], workers=2)
    sweep.run_sweep(Path("unused.yaml"), [sweep.Axis("budget.total", ("1", "2"))], workers=1)
    assert seen == [False, False, True, True]
    assert replace(SolveOptions(), concurrent=False).lp_method == "auto"
