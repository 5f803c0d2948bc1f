"""The library's front door: scenario file -> model -> solver -> plan, timed, and the run record."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from allocator.errors import SolveFailed, UsageError
from allocator.io.provenance import versions
from allocator.model.build import PlanModel, build_model
from allocator.model.ordering import ordered_model
from allocator.plan.tables import Plan, make_plan
from allocator.scenario.inputs import input_records
from allocator.scenario.loader import LoadedScenario, load_scenario
from allocator.solving.checking import plan_checks, with_history
from allocator.solving.goals import solve_with_goals
from allocator.solving.tiebreak import refine, slices_out_of_order
from solvers import (
    BACKENDS,
    OPTIONAL_EXTRAS,
    SolveOptions,
    SolverError,
    SolveResult,
    Status,
    describe,
)

# Ordering binaries for a channel with no spend cap: bound its open last slice at this multiple of the LP
# plan's total spend, raised tenfold (at most this many tries) while the plan's spend reaches half of it.
UNCAPPED_BOUND_FACTOR, UNCAPPED_BOUND_TRIES = 100.0, 4

@dataclass(frozen=True)
class SolvedScenario:
    loaded: LoadedScenario
    model: PlanModel
    plan: Plan
    timings: dict[str, float]  # seconds: load, build, solve, tables
    x: object = None  # the solved column values (numpy array), None without a plan


def require_solver(solver: str) -> None:
    """Refuse, before any work, a solver name that is no backend or an optional one not installed here.

    Bad input (UsageError, exit 2) with the install hint, not a solver failure: the remedy is another
    --solver or installing the extra. A core backend that is broken (CBC's binary missing) still fails
    when it runs (SolveFailed, exit 3).
    """
    if solver not in BACKENDS:
        raise UsageError("--solver", "", solver, f"one of {', '.join(BACKENDS)}")
    if solver in OPTIONAL_EXTRAS:
        info = describe(solver)
        if not info.available:
            raise UsageError("--solver", "", solver, f"a solver installed here ({info.note})")


def solve_file(path: str | Path, solver: str = "cbc", objective: str | None = None,
               options: SolveOptions | None = None, overrides: tuple | list = (),
               allow_outside: tuple | list = ()) -> SolvedScenario:
    """Load the scenario file at `path` (with ``--set`` overrides) and solve it."""
    require_solver(solver)
    started = time.perf_counter()
    loaded = load_scenario(path, overrides, allow_outside)  # allow_outside: folders beyond the scenario's own
    loaded_at = time.perf_counter()
    return solve_loaded(loaded, solver, objective, options, load_seconds=loaded_at - started)


def solve_loaded(loaded: LoadedScenario, solver: str = "cbc", objective: str | None = None,
                 options: SolveOptions | None = None, load_seconds: float = 0.0) -> SolvedScenario:
    """Build the model of a loaded scenario, solve it and make the plan's tables, timing each stage.

    A scenario that names a history file has its growth targets resolved first and gets checks.csv."""
    require_solver(solver)
    loaded, history = with_history(loaded)
    objective = objective or loaded.scenario.objective
    started = time.perf_counter()
    model = build_model(loaded.scenario, objective)
    built = time.perf_counter()
    options = options or SolveOptions()
    try:
        result = solve_model(model, solver, options)
    except SolverError as exc:
        raise SolveFailed(f"solver {solver} failed: {exc}") from None
    solved = time.perf_counter()
    plan = make_plan(model, result, objective)
    plan = replace(plan, tables={**plan.tables, **plan_checks(loaded, history)})
    tabled = time.perf_counter()
    timings = {"load": load_seconds, "build": built - started, "solve": solved - built, "tables": tabled - solved}
    return SolvedScenario(loaded=loaded, model=model, plan=plan, timings=timings, x=result.x)


def solve_model(model: PlanModel, solver: str, options: SolveOptions) -> SolveResult:
    """Soft targets in priority order, then the objective, then the tie-break; row duals of the model's rows.

    When the LP's plan breaks a response curve's slice order (forced spend, capped outputs), the model is
    solved again with ordering binaries (allocator.model.ordering), which follow the curve exactly.
    """
    result = _solve_once(model, solver, options)
    if result.status.has_solution and slices_out_of_order(model, result.x):
        # A channel without any spend cap (no budget total either) gets a bound of many times the LP plan's
        # whole spend on its open last slice, raised while the plan reaches half of it.
        bound = UNCAPPED_BOUND_FACTOR * max(1.0, float(result.x[model.total_spend_col]))
        for _ in range(UNCAPPED_BOUND_TRIES):
            ordered = ordered_model(model, bound)
            attempt = _solve_once(ordered, solver, options)
            if not (attempt.status.has_solution and attempt.x[model.total_spend_col] >= 0.5 * bound):
                break
            bound *= 10.0
        result = attempt
        if result.status.has_solution:
            n_cols, n_rows = model.lp.n_cols, model.lp.n_rows
            result = replace(
                result, x=result.x[:n_cols],
                row_duals=None if result.row_duals is None else result.row_duals[:n_rows],
                reduced_costs=None if result.reduced_costs is None else result.reduced_costs[:n_cols],
                extra={**result.extra, "curve": "slices ordered with binaries"},
            )
        elif result.status is Status.INFEASIBLE:
            result = replace(result, message=CURVE_MESSAGE)
    return result


def _solve_once(model: PlanModel, solver: str, options: SolveOptions) -> SolveResult:
    lp, result = solve_with_goals(model, solver, options)
    result = refine(model, result, solver, options, lp=lp)
    n_rows = model.lp.n_rows
    duals = None if result.row_duals is None else result.row_duals[:n_rows]
    reduced = result.reduced_costs
    objective = None if result.x is None else model.objective_value(result.x)
    return replace(result, row_duals=duals, reduced_costs=reduced, objective=objective)


CURVE_MESSAGE = ("no plan follows the response curves: the spend that minimums force could only be placed in a "
                 "less efficient slice while a better one has room, because leads or revenue are capped")


def explain_status(plan: Plan) -> str:
    """One line saying what the status means for the user."""
    from solvers import Status

    meaning = {
        Status.OPTIMAL: "an optimal plan was found",
        Status.TIME_LIMIT_WITH_SOLUTION: "the time limit was reached; the best plan found so far is written (it may not be optimal)",
        Status.INFEASIBLE: "no plan meets every target and limit at once; loosen a target, a floor or a cap, or raise the budget",
        Status.UNBOUNDED: "the objective can grow without limit; add a budget total or channel caps",
        Status.NO_SOLUTION: "the solver stopped (time limit) before finding any plan; allow more time with --time-limit",
        Status.ERROR: "the solver reported an error",
    }[plan.status]
    if plan.status is Status.OPTIMAL:
        return f"{plan.status.value}: {meaning}"
    return f"{plan.status.value}: {meaning} ({plan.solver} said: {plan.message})"


def run_record(solved: SolvedScenario, out: str | Path | None = None) -> dict:
    """The contents of run.json: enough to trace every number back to its inputs and tools.

    Paths are absolute (a relative one would depend on the folder the command ran in); with ``out``, the
    plan folder, the scenario's path from that folder too, which still leads to it when both move together.
    """
    plan, lp = solved.plan, solved.model.lp
    in_memory = not solved.loaded.sources  # given as a mapping or a Scenario: no file to name or hash
    scenario_file = None if in_memory else Path(solved.loaded.path).absolute()
    from_plan = None if out is None or in_memory else os.path.relpath(scenario_file, Path(out).absolute())
    return {
        "status": plan.status.value,
        "explanation": explain_status(plan),
        "objective": plan.objective,
        "objective_kind": plan.objective_kind,
        "solver": plan.solver,
        "solver_version": plan.solver_version,
        "duals_from": plan.duals_from,
        "tie_break": plan.tie_break,
        "lp_method": plan.lp_method,
        "currency": solved.loaded.scenario.currency,
        "scenario": {
            "name": solved.loaded.scenario.name,
            "file": None if in_memory else str(scenario_file),
            "file_from_plan": from_plan,
            "extends": [str(Path(p).absolute()) for p in solved.loaded.sources[:-1]],
            "overrides": list(solved.loaded.overrides),
            "tables": {k: str(Path(v).absolute()) for k, v in solved.loaded.tables.items()},
            "sha256": solved.loaded.sha256,
            "inputs": [] if in_memory else input_records(solved.loaded),  # per file: verify names what changed
        },
        "model": {"variables": lp.n_cols, "constraints": lp.n_rows, "nonzeros": lp.n_nonzeros,
                  "binaries": int(lp.col_integer.sum())},
        "seconds": {k: round(v, 6) for k, v in solved.timings.items()},
        "totals": {k: (round(v, 6) if v == v else None) for k, v in plan.totals.items()},
        "versions": versions(),
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
