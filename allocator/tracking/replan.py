"""Re-plan the rest of the quarter: elapsed days fixed at their actuals, the days left re-optimised.

`replan(loaded, actuals, as_of, ...)` returns a `Replan`: the plan (an `allocator.analysis.solution.Plan`
over the whole quarter, allocation.csv with a `fixed` column), the change against the approved plan
(replan_delta.csv and sentences), and, with ``learn``, the funnel numbers updated from the actuals
(learned.csv). When the committed targets cannot be met any more, the targets are made goals (soft) and
the best plan is returned with its shortfalls, together with the diagnosis of what blocks the hard plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.analysis.diagnose import Diagnosis, diagnose
from allocator.analysis.solution import Plan
from allocator.errors import SolveFailed
from allocator.io.output import write_folder
from allocator.io.provenance import file_sha256
from allocator.plan.tables import make_plan
from allocator.plan.units import with_units
from allocator.scenario.loader import LoadedScenario
from allocator.solving.pipeline import SolvedScenario, solve_loaded, solve_model
from allocator.tracking.learn import learned_scenario
from allocator.tracking.replan_delta import delta_sentences, delta_table
from allocator.tracking.replan_scenario import elapsed_cells, replan_model
from solvers import SolveOptions, SolverError, Status


@dataclass
class Replan:
    plan: Plan  # the whole quarter: elapsed cells at their actuals, the rest re-optimised
    delta: pd.DataFrame  # channel x period: approved spend, new spend, change
    sentences: list[str]  # what moved where, in words
    approved_from: str  # where the approved plan came from (a folder, or "the scenario solved fresh")
    softened: bool  # True when the hard targets could not be met and the plan shows shortfalls
    diagnosis: Diagnosis | None  # what blocks the hard re-plan (when softened or infeasible)
    learned: pd.DataFrame | None  # old and new funnel numbers (with learn)
    record: dict  # the run.json additions: kind, actuals file + SHA-256, as-of

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        tables = {**self.plan.tables, **({"replan_delta": self.delta} if self.plan.solved else {})}
        if self.diagnosis is not None:
            tables["diagnosis"] = self.diagnosis.table()
        if self.learned is not None:
            tables["learned"] = self.learned
        return tables


def replan(loaded: LoadedScenario, actuals: pd.DataFrame, as_of: date, *, solver: str = "cbc",
           options: SolveOptions | None = None, approved: pd.DataFrame | None = None, approved_from: str = "",
           learn: bool = False, actuals_file: str | Path | None = None,
           diagnose_seconds: float | None = None) -> Replan:
    """Re-plan `loaded`'s quarter from daily `actuals` (date, channel, tier, [product], spend, leads, customers,
    revenue; days before `as_of`). `approved`: the approved plan's allocation.csv (None: the scenario is
    solved fresh and that plan stands for it)."""
    options = options or SolveOptions()
    source = str(actuals_file or "actuals")
    scenario = loaded.scenario
    elapsed = elapsed_cells(scenario, actuals, as_of, source)
    learned = None
    if learn:
        scenario, learned = learned_scenario(scenario, elapsed)
    if approved is None:
        fresh = solve_loaded(loaded, solver, options=options)
        if not fresh.plan.solved:
            raise SolveFailed(f"the approved plan cannot be made: the scenario alone is {fresh.plan.status.value}")
        approved, approved_from = fresh.plan.tables["allocation"], "the scenario solved fresh (no approved plan given)"

    def build(s):
        return replan_model(s, elapsed, source=source)[0]

    solved, fixed = _solve(replace(loaded, scenario=scenario), elapsed, solver, options, source)
    diagnosis, softened = None, False
    if solved.plan.status is Status.INFEASIBLE:
        diagnosis = diagnose(solved.model, solver, options, time_budget=diagnose_seconds, rebuild=build)
        soft = scenario.model_copy(update={"targets": scenario.targets.model_copy(update={"mode": "soft"})})
        attempt, attempt_fixed = _solve(replace(loaded, scenario=soft), elapsed, solver, options, source)
        if attempt.plan.solved:
            solved, fixed, softened = attempt, attempt_fixed, True
    plan = Plan(_with_fixed_column(solved, fixed), solver, options)
    delta = delta_table(approved, plan.tables["allocation"]) if plan.solved else pd.DataFrame()
    record = {
        "kind": "replan", "as_of": as_of.isoformat(), "learned": learn, "softened": softened,
        "approved_from": approved_from,
        "actuals": {"file": None if actuals_file is None else str(Path(actuals_file).absolute()),
                    "sha256": None if actuals_file is None else file_sha256(Path(actuals_file))},
        "elapsed_share": elapsed.elapsed_share,
    }
    over = {p for p, f in elapsed.elapsed_share.items() if f >= 1.0}
    return Replan(plan=plan, delta=delta, sentences=delta_sentences(delta, over) if plan.solved else [],
                  approved_from=approved_from, softened=softened, diagnosis=diagnosis, learned=learned,
                  record=record)


def _solve(loaded: LoadedScenario, elapsed, solver: str, options: SolveOptions, source: str):
    started = time.perf_counter()
    model, fixed = replan_model(loaded.scenario, elapsed, source=source)
    built = time.perf_counter()
    try:
        result = solve_model(model, solver, options)
    except SolverError as exc:
        raise SolveFailed(f"solver {solver} failed: {exc}") from None
    solved = time.perf_counter()
    plan = make_plan(model, result, loaded.scenario.objective)
    timings = {"load": 0.0, "build": built - started, "solve": solved - built,
               "tables": time.perf_counter() - solved}
    return SolvedScenario(loaded=loaded, model=model, plan=plan, timings=timings, x=result.x), fixed


def _with_fixed_column(solved: SolvedScenario, fixed: np.ndarray) -> SolvedScenario:
    """allocation.csv gets `fixed` (True: the cell's period is over, all of it is actuals) and `fixed_spend`
    (the actual spend held in the cell: all of its spend in a period that is over, part of it in a cut one)."""
    plan = solved.plan
    if not plan.solved:
        return solved
    model = solved.model
    cells, d = model.cells, model.cells.dims
    actual = np.bincount(model.spend.cell[fixed], weights=model.lp.col_lower[: model.spend.size][fixed],
                         minlength=cells.size)
    spent = {(d.channels[c], d.tiers[t], d.products[p], d.periods[m]): v for c, t, p, m, v in zip(
        cells.channel.tolist(), cells.tier.tolist(), cells.product.tolist(), cells.period.tolist(), actual.tolist())}
    over = {p for p, ended in _period_over(model).items() if ended}
    allocation = plan.tables["allocation"].copy()
    keys = list(zip(allocation["channel"], allocation["tier"], allocation["product"], allocation["period"]))
    allocation["fixed"] = [k[3] in over for k in keys]
    allocation["fixed_spend"] = [spent.get(k, 0.0) for k in keys]
    return replace(solved, plan=replace(plan, tables={**plan.tables, "allocation": allocation}))


def _period_over(model) -> dict[str, bool]:
    """Per period: True when none of the plan's own spend columns there may take spend (the period is over)."""
    spend = model.spend
    period = model.cells.period[spend.cell]
    lower, upper = model.lp.col_lower[: spend.size], model.lp.col_upper[: spend.size]
    free = (upper > 0) & (lower != upper)
    return {p: not free[period == m].any() for m, p in enumerate(model.cells.dims.periods)}


def replan_run_record(result: Replan, out: str | Path) -> dict:
    """run.json of a re-plan: the solve's record plus kind "replan", the actuals file and its SHA-256, as-of."""
    return {**result.plan.run_record(out), **result.record}


def write_replan(result: Replan, out: str | Path, inputs: list[Path], force: bool = False) -> list[str]:
    """Write the re-plan's folder (all at once or nothing): the plan's files, replan_delta.csv, learned.csv,
    diagnosis.csv when there is one, units.csv, scenario.json, run.json. Returns the names written."""
    tables = with_units(result.tables, result.plan.scenario.currency)
    write_folder(Path(out), tables, replan_run_record(result, out), inputs=inputs,
                 extra_files={"scenario.json": result.plan.scenario_record()}, force=force)
    return [f"{stem}.csv" for stem in tables] + ["scenario.json", "run.json"]
