"""Why a plan is infeasible: the smallest set of demands that cannot hold together, and how far each must move.

1. An irreducible infeasible set (IIS) of business constraints is found with
   QuickXplain (Junker, 2004): divide-and-conquer deletion filtering over the
   rows that come from a scenario number (budgets, caps, floors, targets,
   shares, phasing). Structural rows (definitions, response slices) always
   stay. The set is irreducible: dropping any one member makes the rest
   feasible.
2. For each member, its scenario number (`allocator.scenario.levers.Lever`) is moved
   alone, every other demand of the scenario kept, and the boundary between
   infeasible and feasible is found by search and bisection on the rebuilt
   model. That is the relaxation reported ("budget.total +610,000").

The diagnosis is best effort on top of a result that stands: the plan is
infeasible whatever happens here. It runs within a time budget (checked
between sub-solves and passed down as each sub-solve's time limit) and stops
early, without raising, when the budget runs out or the solver fails on a
sub-problem; it then reports what it found so far, labelled as partial
(`Diagnosis.complete`, `Diagnosis.note`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from solvers import LinearProgram, Sense, SolveOptions, SolverError, Status, solve
from solvers.warm import warmed

from allocator.plan.words import limit_text, money, share
from allocator.analysis.edge import doubling_trials, find_edge
from allocator.errors import SolveFailed
from allocator.model.build import PlanModel, build_model
from allocator.scenario.levers import Lever
from allocator.scenario.schema import Scenario

# Relative precision of a reported relaxation.
PRECISION = 1e-6
# How many doublings of the first step a search for a feasible value may take.
MAX_DOUBLINGS = 40
# Kinds tried first are preferred in the reported conflict when there are several.
KIND_ORDER = ("target", "mix", "roi", "phasing", "budget", "min_spend_if_used", "capacity")
# Seconds a diagnosis may take by default. A fixed wall-clock budget rather than a multiple of the first
# solve: the sub-problems are not like the first solve (proving a MILP infeasible took 0.1 s where one probe
# near the boundary ran for minutes), and what the budget protects is the person waiting for the answer.
# The hand-made conflicts of the tests take well under a second; raise it for large models.
DEFAULT_TIME_BUDGET = 60.0
# A partial conflict set longer than this is summarised; diagnosis.csv holds every member.
SUMMARY_MEMBERS = 20

DIAGNOSIS_COLUMNS = ["constraint", "kind", "limit", "lever", "current", "feasible_at", "change", "enough_alone",
                     "complete", "note"]
STILL_INFEASIBLE = "the plan is still infeasible"


class _Stopped(Exception):
    """The diagnosis cannot go on (budget used up, or the solver failed); the message says why."""


@dataclass
class Oracle:
    """Answers "is this plan feasible?" within the diagnosis's time budget, and counts the solves it took."""

    solver: str
    options: SolveOptions
    time_budget: float = DEFAULT_TIME_BUDGET  # seconds, for every solve together
    solves: int = 0
    build_seconds: float = 0.0  # the longest rebuild of the model so far
    started: float = field(default_factory=lambda: time.perf_counter())  # late-bound: tests run on a fake clock
    rebuild: object = None  # scenario -> PlanModel for the boundary search (default build_model; a re-plan's own)

    def remaining(self) -> float:
        return self.time_budget - (time.perf_counter() - self.started)

    def feasible(self, lp: LinearProgram) -> bool:
        remaining = self._check_budget()
        # The budget left is the sub-solve's time limit, unless the caller asked for less per solve.
        by_budget = self.options.time_limit is None or remaining < self.options.time_limit
        options = replace(self.options, time_limit=remaining) if by_budget else self.options
        self.solves += 1
        try:
            # Through solvers.solve, like every other solve: scaled, checked, a backend's surprise a SolverError.
            result = solve(_feasibility_form(lp), self.solver, options, prices=False)
        except (SolverError, SolveFailed, RuntimeError) as exc:
            raise _Stopped(f"diagnosis stopped: the solver failed on a sub-problem ({_one_line(exc)}); "
                           f"{STILL_INFEASIBLE}") from exc
        if result.status.has_solution:
            return True
        if result.status is Status.INFEASIBLE:
            return False
        if by_budget and self.remaining() <= 0.05 * self.time_budget:
            raise _Stopped(self._out_of_time())
        raise _Stopped(f"diagnosis stopped: a sub-problem ended {result.status.value} "
                       f"({_one_line(result.message)}); {STILL_INFEASIBLE}")

    def scenario_feasible(self, scenario: Scenario) -> bool:
        # A rebuild cannot be cut short and can take longer than its solve (25 s for 3,000 channels): start
        # one only while the budget left covers the longest so far.
        if self._check_budget() <= self.build_seconds:
            raise _Stopped(self._out_of_time())
        building = time.perf_counter()
        lp = (self.rebuild or build_model)(scenario).lp
        self.build_seconds = max(self.build_seconds, time.perf_counter() - building)
        return self.feasible(lp)

    def _check_budget(self) -> float:
        remaining = self.remaining()
        if remaining <= 0:
            raise _Stopped(self._out_of_time())
        return remaining

    def _out_of_time(self) -> str:
        return (f"diagnosis stopped: its time budget of {self.time_budget:g} s ran out after {self.solves} solves; "
                f"{STILL_INFEASIBLE}")


def _one_line(message: object) -> str:
    text = " ".join(str(message).split())
    return text if len(text) <= 200 else text[:197] + "..."


@dataclass(frozen=True)
class Relaxation:
    row: int
    constraint: str
    kind: str
    limit: str
    lever: Lever
    feasible_at: float | None  # the lever's value at which the plan becomes feasible; None: not alone
    searched: bool = True  # False: the diagnosis stopped before looking for feasible_at


@dataclass(frozen=True)
class Diagnosis:
    relaxations: list[Relaxation]
    solves: int
    seconds: float
    remarks: list[str] = field(default_factory=list)
    complete: bool = True  # False: stopped early (budget or solver failure); see note
    reduced: bool = True  # False: the set is infeasible but not yet narrowed to an irreducible one
    note: str = ""  # why the diagnosis stopped early; empty when complete

    def table(self) -> pd.DataFrame:
        rows = []
        for r in self.relaxations:
            row_note = _row_note(self.reduced, r.searched)
            rows.append({
                "constraint": r.constraint, "kind": r.kind, "limit": r.limit, "lever": r.lever.label,
                "current": r.lever.current, "feasible_at": np.nan if r.feasible_at is None else r.feasible_at,
                "change": np.nan if r.feasible_at is None else r.feasible_at - r.lever.current,
                "enough_alone": (r.feasible_at is not None) if r.searched else None,
                "complete": not row_note, "note": row_note,
            })
        return pd.DataFrame(rows, columns=DIAGNOSIS_COLUMNS)

    def summary(self) -> list[str]:
        tail = self.remarks + ([self.note] if self.note else [])
        if not self.relaxations:
            if not self.complete:
                return ["Which demands conflict is not known yet."] + tail
            return ["No single set of scenario limits explains the conflict (see notes)."] + tail
        if self.reduced:
            lines = ["These demands cannot all hold at once:"]
        else:
            lines = ["These demands cannot all hold at once (a partial answer: not yet narrowed down, "
                     "some of them may not be needed):"]
        shown = self.relaxations if self.reduced else self.relaxations[:SUMMARY_MEMBERS]
        lines += [f"  - {r.limit} [{r.constraint}]" for r in shown]
        if len(shown) < len(self.relaxations):
            lines.append(f"  ... and {len(self.relaxations) - len(shown)} more (diagnosis.csv lists them all)")
        fixes = [r for r in self.relaxations if r.feasible_at is not None]
        if fixes:
            lines.append("Relax one of:")
            lines += [f"  - {_fix_text(r)}" for r in fixes]
        stuck = [r for r in self.relaxations if r.searched and r.feasible_at is None]
        if stuck:
            lines.append("Not enough on its own (other demands conflict too): " + ", ".join(r.lever.label for r in stuck))
        unsearched = [r for r in self.relaxations if not r.searched]
        if unsearched and self.reduced:
            lines.append("Not searched before the diagnosis stopped: " + ", ".join(r.lever.label for r in unsearched))
        return lines + tail


def _row_note(reduced: bool, searched: bool) -> str:
    parts = []
    if not reduced:
        parts.append("partial set: not narrowed down, this demand may not be needed")
    if not searched:
        parts.append("relaxation not searched")
    return "; ".join(parts) + (" (the diagnosis stopped early)" if parts else "")


def _fix_text(r: Relaxation) -> str:
    lever, value = r.lever, r.feasible_at
    is_share = lever.is_share
    fmt = share if is_share else money
    delta = value - lever.current
    sign = "+" if delta >= 0 else "-"
    return f"{lever.label}: {fmt(lever.current)} -> {fmt(value)} ({sign}{fmt(abs(delta))})"


def _kind_order(model: PlanModel, row: int) -> tuple[int, int]:
    kind = model.rows[row].family
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else 99, row)


def diagnose(model: PlanModel, solver: str = "cbc", options: SolveOptions | None = None,
             time_budget: float | None = None, rebuild=None) -> Diagnosis:
    """Explain an infeasible model within `time_budget` seconds (None: DEFAULT_TIME_BUDGET). The model must
    be infeasible.

    Never raises because of solver trouble: a failed sub-solve, or the budget running out, ends the
    diagnosis with what it found so far (`complete` False, `note` saying why). `rebuild`: scenario ->
    PlanModel, used when a member's number is moved (default `build_model`; a re-plan passes its own, which
    keeps the actuals fixed).
    """
    oracle = Oracle(solver=solver, options=warmed(options or SolveOptions()),  # its own, unless brought or cold
                    time_budget=DEFAULT_TIME_BUDGET if time_budget is None else time_budget, rebuild=rebuild)
    lp = model.lp
    candidates = sorted((i for i in range(lp.n_rows) if model.rows[i].lever is not None),
                        key=lambda i: _kind_order(model, i))
    background = [i for i in range(lp.n_rows) if model.rows[i].lever is None]

    def feasible(rows: list[int]) -> bool:
        return oracle.feasible(_with_rows(lp, sorted(rows)))

    def finish(conflict: list[int], searched: dict[int, float | None], reduced: bool, note: str,
               remarks: list[str] = ()) -> Diagnosis:
        relaxations = [Relaxation(
            row=row, constraint=lp.row_names[row], kind=model.rows[row].family, limit=limit_text(model, row),
            lever=model.rows[row].lever, feasible_at=searched.get(row), searched=row in searched,
        ) for row in sorted(conflict, key=lambda i: _kind_order(model, i))]
        return Diagnosis(relaxations, oracle.solves, time.perf_counter() - oracle.started, list(remarks),
                         complete=not note, reduced=reduced, note=note)

    smallest: list[int] = []  # the smallest set of candidates known to be infeasible with the background
    try:
        if feasible(background + candidates):  # the LP has plans, but none that follows the concave response curves
            return finish([], {}, True, "", [  # (see pipeline.CURVE_MESSAGE)
                "The limits can all hold only by wasting spend in a less efficient response slice while a better one "
                "has room. Lower the spend that is forced (channels' min_spend or min_spend_if_used, budget minimums, "
                "spend shares) or raise the caps on leads and revenue (max_leads, sales_capacity, phasing, revenue shares)."])
        smallest = list(candidates)

        def known_infeasible(rows: list[int]) -> None:
            nonlocal smallest
            if len(rows) < len(smallest):
                smallest = rows

        conflict = _quickxplain(feasible, background, candidates, known_infeasible)
    except _Stopped as stop:
        # Nothing narrower than every candidate is known when QuickXplain has not got anywhere: say nothing.
        partial = smallest if len(smallest) < len(candidates) else []
        return finish(partial, {}, False, str(stop))
    remarks = [] if conflict else ["the structural rows alone are infeasible"]
    searched: dict[int, float | None] = {}
    for row in sorted(conflict, key=lambda i: _kind_order(model, i)):
        try:
            searched[row] = _boundary(model.scenario, model.rows[row].lever, oracle)
        except _Stopped as stop:
            return finish(conflict, searched, True, str(stop), remarks)
    return finish(conflict, searched, True, "", remarks)


def _quickxplain(feasible, background: list[int], candidates: list[int],
                 known_infeasible=lambda rows: None) -> list[int]:
    """A minimal subset X of candidates such that background + X is infeasible.

    Every call qx(base, rows) starts with base + rows infeasible (Junker's invariant), so the candidates
    among them are an infeasible set, if not yet a minimal one: `known_infeasible` hears of each, so
    that a diagnosis stopped midway can still name one.
    """
    background_rows = set(background)

    def qx(base: list[int], added: bool, rows: list[int]) -> list[int]:
        known_infeasible([i for i in base if i not in background_rows] + rows)
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

    def close_enough(bad: float, good: float) -> bool:
        return abs(good - bad) <= PRECISION * max(1.0, abs(good))

    current = lever.current
    if lever.relax < 0:  # lowering relaxes; 0 is the floor of every such number (or just above, if 0 is refused)
        floor = 0.0 if lever.apply(scenario, 0.0) is not None else current * 1e-9
        trials = [floor]
    else:
        ceiling = 1.0 if lever.is_share else float("inf")
        trials = doubling_trials(current, max(abs(current), 1.0) * 0.01, +1, MAX_DOUBLINGS, high=ceiling)
    edge = find_edge(ok, current, trials, close_enough)
    if edge.far is None:
        return None
    bad, good = edge.near, edge.far
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
