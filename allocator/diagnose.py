"""Why a plan is infeasible: the smallest set of demands that cannot hold together, and how far each must move.

1. An irreducible infeasible set (IIS) of business constraints is found with
   QuickXplain (Junker, 2004): divide-and-conquer deletion filtering over the
   rows that come from a scenario number (budgets, caps, floors, targets,
   shares, phasing). Structural rows (definitions, response slices) always
   stay. The set is irreducible: dropping any one member makes the rest
   feasible.
2. For each member, its scenario number (`allocator.params.Lever`) is moved
   alone, every other demand of the scenario kept, and the boundary between
   infeasible and feasible is found by search and bisection on the rebuilt
   model. That is the relaxation reported ("budget.total +610,000").
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solvers import LinearProgram, Sense, SolveOptions, Status, backend

from .describe import limit_text, money, share
from .model import PlanModel, build_model
from .params import Lever
from .schema import Scenario

# Relative precision of a reported relaxation.
PRECISION = 1e-6
# How many doublings of the first step a search for a feasible value may take.
MAX_DOUBLINGS = 40
# Kinds tried first are preferred in the reported conflict when there are several.
KIND_ORDER = ("target", "mix", "roi", "phasing", "budget", "min_spend_if_used", "capacity")

DIAGNOSIS_COLUMNS = ["constraint", "kind", "limit", "lever", "current", "feasible_at", "change", "enough_alone"]


@dataclass
class Oracle:
    """Answers "is this plan feasible?" and counts the solves it took."""

    solver: str
    options: SolveOptions
    solves: int = 0

    def feasible(self, lp: LinearProgram) -> bool:
        self.solves += 1
        result = backend(self.solver).solve(_feasibility_form(lp), self.options)
        if result.status is Status.OPTIMAL or result.status is Status.TIME_LIMIT_WITH_SOLUTION:
            return True
        if result.status is Status.INFEASIBLE:
            return False
        raise RuntimeError(f"feasibility check ended {result.status.value}: {result.message}")

    def scenario_feasible(self, scenario: Scenario) -> bool:
        return self.feasible(build_model(scenario).lp)


@dataclass(frozen=True)
class Relaxation:
    row: int
    constraint: str
    kind: str
    limit: str
    lever: Lever
    feasible_at: float | None  # the lever's value at which the plan becomes feasible; None: not alone


@dataclass(frozen=True)
class Diagnosis:
    relaxations: list[Relaxation]
    solves: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        rows = []
        for r in self.relaxations:
            rows.append({
                "constraint": r.constraint, "kind": r.kind, "limit": r.limit, "lever": r.lever.label,
                "current": r.lever.current, "feasible_at": np.nan if r.feasible_at is None else r.feasible_at,
                "change": np.nan if r.feasible_at is None else r.feasible_at - r.lever.current,
                "enough_alone": r.feasible_at is not None,
            })
        return pd.DataFrame(rows, columns=DIAGNOSIS_COLUMNS)

    def summary(self) -> list[str]:
        if not self.relaxations:
            return ["No single set of scenario limits explains the conflict (see notes)."] + self.notes
        lines = ["These demands cannot all hold at once:"]
        lines += [f"  - {r.limit} [{r.constraint}]" for r in self.relaxations]
        fixes = [r for r in self.relaxations if r.feasible_at is not None]
        if fixes:
            lines.append("Relax one of:")
            lines += [f"  - {_fix_text(r)}" for r in fixes]
        stuck = [r for r in self.relaxations if r.feasible_at is None]
        if stuck:
            lines.append("Not enough on its own (other demands conflict too): " + ", ".join(r.lever.label for r in stuck))
        return lines + self.notes


def _fix_text(r: Relaxation) -> str:
    lever, value = r.lever, r.feasible_at
    is_share = lever.is_share
    fmt = share if is_share else money
    delta = value - lever.current
    sign = "+" if delta >= 0 else "-"
    return f"{lever.label}: {fmt(lever.current)} -> {fmt(value)} ({sign}{fmt(abs(delta))})"


def diagnose(model: PlanModel, solver: str = "cbc", options: SolveOptions | None = None) -> Diagnosis:
    """Explain an infeasible model. The model must be infeasible."""
    started = time.perf_counter()
    oracle = Oracle(solver=solver, options=options or SolveOptions())
    lp = model.lp
    candidates = [i for i in range(lp.n_rows) if model.row_levers[i] is not None]
    candidates.sort(key=lambda i: (KIND_ORDER.index(model.row_kinds[i]) if model.row_kinds[i] in KIND_ORDER else 99, i))
    background = [i for i in range(lp.n_rows) if model.row_levers[i] is None]

    def feasible(rows: list[int]) -> bool:
        return oracle.feasible(_with_rows(lp, sorted(rows)))

    notes = []
    if not feasible(background + candidates):
        conflict = _quickxplain(feasible, background, candidates)
    else:  # the LP has plans, but none that follows the concave response curves (see pipeline.CURVE_MESSAGE)
        return Diagnosis([], oracle.solves, time.perf_counter() - started, [
            "The limits can all hold only by wasting spend in a less efficient response slice while a better one "
            "has room. Lower the spend that is forced (channels' min_spend or min_spend_if_used, budget minimums, "
            "spend shares) or raise the caps on leads and revenue (max_leads, sales_capacity, phasing, revenue shares)."])
    if not conflict:
        notes.append("the structural rows alone are infeasible")
    relaxations = []
    for row in sorted(conflict, key=lambda i: (KIND_ORDER.index(model.row_kinds[i]) if model.row_kinds[i] in KIND_ORDER else 99, i)):
        lever = model.row_levers[row]
        relaxations.append(Relaxation(
            row=row, constraint=lp.row_names[row], kind=model.row_kinds[row], limit=limit_text(model, row), lever=lever,
            feasible_at=_boundary(model.scenario, lever, oracle),
        ))
    return Diagnosis(relaxations, oracle.solves, time.perf_counter() - started, notes)


def _quickxplain(feasible, background: list[int], candidates: list[int]) -> list[int]:
    """A minimal subset X of candidates such that background + X is infeasible."""

    def qx(base: list[int], added: bool, rows: list[int]) -> list[int]:
        if added and not feasible(base):
            return []
        if len(rows) == 1:
            return rows
        half = len(rows) // 2
        first, second = rows[:half], rows[half:]
        d2 = qx(base + first, bool(first), second)
        d1 = qx(base + d2, bool(d2), first)
        return d1 + d2

    return qx(list(background), False, list(candidates)) if candidates else []


def _boundary(scenario: Scenario, lever: Lever, oracle: Oracle) -> float | None:
    """The value of `lever` nearest its current value at which the scenario becomes feasible."""

    def ok(value: float) -> bool:
        changed = lever.apply(scenario, value)
        return changed is not None and oracle.scenario_feasible(changed)

    current = lever.current
    if lever.relax < 0:  # lowering relaxes; 0 is the floor of every such number (or just above, if 0 is refused)
        floor = 0.0 if lever.apply(scenario, 0.0) is not None else current * 1e-9
        if not ok(floor):
            return None
        bad, good = current, floor
    else:
        ceiling = 1.0 if lever.is_share else None
        step = max(abs(current), 1.0) * 0.01
        bad, good = current, None
        for _ in range(MAX_DOUBLINGS):
            trial = current + step
            if ceiling is not None:
                trial = min(trial, ceiling)
            if ok(trial):
                good = trial
                break
            bad = trial
            if ceiling is not None and trial >= ceiling:
                return None
            step *= 2.0
        if good is None:
            return None
    while abs(good - bad) > PRECISION * max(1.0, abs(good)):
        middle = (good + bad) / 2.0
        if ok(middle):
            good = middle
        else:
            bad = middle
    # Bisection stops just inside the feasible side; the round figure next to it usually is feasible too.
    rounded = float(f"{good:.6g}")
    if rounded != good and abs(rounded - good) <= abs(bad - good) * 2 and ok(rounded):
        return rounded
    return good


def _with_rows(lp: LinearProgram, rows: list[int]) -> LinearProgram:
    """The LP restricted to the given rows (in order)."""
    index = np.asarray(rows, dtype=np.int64)
    starts, ends = lp.indptr[index], lp.indptr[index + 1]
    counts = ends - starts
    take = np.concatenate([np.arange(a, b) for a, b in zip(starts.tolist(), ends.tolist())]) if len(rows) else np.zeros(0, np.int64)
    return LinearProgram(
        name=lp.name, sense=lp.sense, objective=lp.objective, objective_offset=lp.objective_offset,
        col_names=lp.col_names, col_lower=lp.col_lower, col_upper=lp.col_upper, col_integer=lp.col_integer,
        row_names=[lp.row_names[i] for i in rows], row_lower=lp.row_lower[index], row_upper=lp.row_upper[index],
        indptr=np.concatenate(([0], np.cumsum(counts))).astype(np.int64), indices=lp.indices[take], data=lp.data[take],
    )


def _feasibility_form(lp: LinearProgram) -> LinearProgram:
    """The same rows with a zero objective: only feasibility is asked."""
    return LinearProgram(
        name=lp.name, sense=Sense.MINIMIZE, objective=np.zeros(lp.n_cols), objective_offset=0.0,
        col_names=lp.col_names, col_lower=lp.col_lower, col_upper=lp.col_upper, col_integer=lp.col_integer,
        row_names=lp.row_names, row_lower=lp.row_lower, row_upper=lp.row_upper,
        indptr=lp.indptr, indices=lp.indices, data=lp.data,
    )
