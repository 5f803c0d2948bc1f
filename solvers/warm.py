"""Warm starts: HiGHS instances kept between solves of programs of one shape, re-solved from the last basis.

A what-if changes a number or two of a program that is otherwise the same (a budget, a cap, a cost per
lead): the optimal basis of the last solve is then a few simplex iterations from the new optimum. A
`WarmStart`, given to `solvers.solve` through ``SolveOptions(warm=...)``, keeps one Highs instance per
program shape (the sparsity pattern of its matrix, its dimensions and its integer columns): a program of
a shape seen before is written into that instance as changes (costs, bounds, matrix entries) and solved
from where the last solve ended; a new shape gets a new instance. The plan is the program's optimum
either way: only the starting point differs, so the answer is a cold solve's (the same optimum within
the solver's tolerances; where optima tie, possibly another of the tied plans).

A MIP whose only integer columns are a few binaries (``min_spend_if_used``) is solved as the best of the
LPs with each combination of them fixed, each warm-started: exact (every combination is an LP solved to
optimality) and far quicker than branch and cut from scratch. Another MIP first tries the last variant's
integer values: the LP with them fixed and the LP relaxation, both warm; when the first is within the MIP
gap of the second's bound it is optimal (branch and cut stops on that test), else branch and cut runs.

Programs are scaled before they reach a backend (solvers.scaling); the scaling of a shape is kept too, so
that a lever change does not re-scale (and so re-write) every entry. It is computed again when a bound moves
by more than a factor of 16, or any number to or from zero or infinity (a bound moved by orders of magnitude,
as in a diagnosis' boundary search, is scaled for its size), or when a cost or matrix entry, scaled, falls
outside the span of its own row's scaled entries (the objective is a row here) widened by a factor of 16.
A matrix entry may move far on its own: a revenue coefficient less an ROI floor nearly cancels, and a 10%
change of an order value moves it by 2**8; what matters to the solver is the spread of its row, which
the rule keeps within 16 times the spread the scaling was made for.
Scaling factors are powers of two: reusing them changes no value of the answer beyond round-off.

CBC runs as a separate process per solve and takes no basis here: with CBC a `WarmStart` is ignored.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from .base import DEFAULT_MIP_GAP, LinearProgram, Sense, SolveOptions, SolveResult, Status
from .scaling import Scaling, equilibrate

ENUMERATE_BINARIES = 3  # a MIP with at most this many binary columns is solved as 2**k warm LPs
MAX_SHAPES = 32  # instances kept at most (the least recently used goes first)
REWRITE_ENTRIES = 2000  # more changed matrix entries than this: pass the whole program, keep the basis
RESCALE_LOG2 = 4.0  # a bound moved by more than a factor 2**4, an entry 2**4 out of its row's span: scale again


@dataclass
class _Shape:
    highs: object  # highspy.Highs holding `lp`
    lp: LinearProgram  # the (scaled) program last written into it
    row_of_entry: np.ndarray
    method: str
    solves: int = 0
    anchor: tuple | None = None  # (program, basis) of the first solve in this instance: a variant's base


class WarmStart:
    """Highs instances by program shape, for re-solves from the last basis (see the module)."""

    def __init__(self) -> None:
        self._shapes: OrderedDict[tuple, _Shape] = OrderedDict()
        self._scalings: dict[tuple, _Kept] = {}  # the scaling and the program it was made for
        self.counts = {"cold": 0, "warm": 0, "enumerated": 0}
        self._incumbents: dict[tuple, np.ndarray] = {}  # a MIP shape's last integer choices

    # Sent to another process (a sweep's or a risk search's worker), a WarmStart arrives as that worker
    # thread's own long-lived one: each worker keeps its instances from task to task.
    def __reduce__(self):
        return (this_thread, ())

    def scaling(self, lp: LinearProgram) -> Scaling:
        """The scaling kept for `lp`'s shape, or a new one when there is none or a number moved too far."""
        key = shape_key(lp)
        kept = self._scalings.get(key)
        if kept is not None and same_pattern(kept.lp, lp) and kept.fits(lp):
            return kept.scaling
        scaling = equilibrate(lp)
        self._scalings[key] = _Kept(scaling, lp)
        return scaling

    def solve(self, lp: LinearProgram, options: SolveOptions) -> SolveResult:
        """Solve `lp` (already scaled) with HiGHS, from the last basis of a program of its shape."""
        key = shape_key(lp)
        binaries = np.flatnonzero(lp.col_integer)
        if 0 < binaries.size <= ENUMERATE_BINARIES and np.all(lp.col_lower[binaries] >= 0) \
                and np.all(lp.col_upper[binaries] <= 1):
            result = self._enumerate(lp, options, key, binaries)
            if result is not None:
                return result
        if not lp.is_mip:
            return self._solve_in(lp, options, key)
        result = self._proven(lp, options, key)
        if result is None:
            result = self._solve_in(lp, options, key)
        if result.x is not None:
            self._incumbents[key] = np.round(result.x[lp.col_integer])
        return result

    def _proven(self, lp: LinearProgram, options: SolveOptions, key: tuple) -> SolveResult | None:
        """The last variant's integer choices, when they are provably optimal for this one too; else None.

        Branch and cut starts from scratch on every run (presolve, then the root LP from no basis: about 2 s
        for the 4x50x4x12 model with its curve-ordering binaries). Two warm LPs often settle it instead: the
        LP with the integers fixed at the last variant's values gives a plan that the MIP allows, and the LP
        relaxation bounds what any plan can reach. When the plan is within the MIP gap of the bound, branch
        and cut could not do better: it stops on that very test. Near the last variant both LPs start from
        their own last basis."""
        last = self._incumbents.get(key)
        integer = lp.col_integer
        if last is None or last.size != int(integer.sum()) or np.any(last < lp.col_lower[integer]) \
                or np.any(last > lp.col_upper[integer]):
            return None
        point = np.zeros(lp.n_cols)
        point[integer] = last
        fixed = self._solve_in(lp.with_fixed_integers(point), options, key + ("last choices",))
        if fixed.status is not Status.OPTIMAL:
            return None
        bound = self._solve_in(replace(lp, col_integer=np.zeros_like(integer)), options, key + ("relaxation",))
        if bound.status is not Status.OPTIMAL:
            return None
        gap = options.mip_gap if options.mip_gap is not None else DEFAULT_MIP_GAP
        if abs(bound.objective - fixed.objective) > gap * max(1.0, abs(fixed.objective)):
            return None
        self.counts["proven"] = self.counts.get("proven", 0) + 1
        x = fixed.x.copy()
        x[integer] = last
        return replace(fixed, x=x, objective=lp.objective_value(x),
                       extra={**fixed.extra, "lp_method": "last integer choices, proven by the LP relaxation "
                              "(warm-started)", "duals_of_fixed_lp": fixed.row_duals is not None})

    def _solve_in(self, lp: LinearProgram, options: SolveOptions, key: tuple) -> SolveResult:
        from . import highs

        shape = self._shapes.get(key)
        if shape is None or not same_pattern(shape.lp, lp):
            h = highs.new_instance(options.log)
            method = highs.configure(h, lp, options)
            highs.pass_program(h, lp)
            self._seed(h, lp)
            shape = _Shape(h, lp, np.repeat(np.arange(lp.n_rows), np.diff(lp.indptr)), method)
            self._shapes[key] = shape
            self.counts["cold"] += 1
            if len(self._shapes) > MAX_SHAPES:
                self._shapes.popitem(last=False)
        else:
            self._shapes.move_to_end(key)
            shape.method = highs.configure(shape.highs, lp, options)
            from_anchor = (shape.anchor is not None and shape.anchor[0] is not shape.lp
                           and _distance(shape.anchor[0], lp) < _distance(shape.lp, lp))
            _update(shape, lp)
            if from_anchor:
                shape.highs.setBasis(shape.anchor[1])
                self.counts["from_anchor"] = self.counts.get("from_anchor", 0) + 1
            self.counts["warm"] += 1
        shape.lp = lp
        shape.solves += 1
        result = highs.run(shape.highs, lp, shape.method)
        if shape.anchor is None and result.status is Status.OPTIMAL:
            basis = shape.highs.getBasis()
            if basis.valid:
                shape.anchor = (lp, basis)
        return replace(result, extra={**result.extra, "warm_start": shape.solves > 1})

    def _seed(self, h, lp: LinearProgram) -> None:
        """Start a new instance from the basis of a kept program that `lp` extends by rows (a tie-break's
        second pass or a goal level adds a row to the program just solved): the new rows' slacks basic."""
        for shape in reversed(self._shapes.values()):
            old = shape.lp
            if old.n_cols != lp.n_cols or old.n_rows > lp.n_rows or shape.solves == 0:
                continue
            end = int(old.indptr[-1])
            if not (np.array_equal(lp.indptr[: old.n_rows + 1], old.indptr)
                    and np.array_equal(lp.indices[:end], old.indices)):
                continue
            basis = shape.highs.getBasis()
            if not basis.valid:
                continue
            from . import highs

            highspy = highs._import()
            basis.row_status = list(basis.row_status) + [highspy.HighsBasisStatus.kBasic] * (lp.n_rows - old.n_rows)
            h.setBasis(basis)
            self.counts["seeded"] = self.counts.get("seeded", 0) + 1
            return

    def _enumerate(self, lp: LinearProgram, options: SolveOptions, key: tuple,
                   binaries: np.ndarray) -> SolveResult | None:
        """The best of the LPs with the binaries fixed each way; None when one of them has no verdict."""
        best: SolveResult | None = None
        seconds, started_warm = 0.0, None  # warm: the first LP started from an earlier solve's basis
        for combo in itertools.product((0.0, 1.0), repeat=binaries.size):
            values = np.asarray(combo)
            if np.any(values < lp.col_lower[binaries]) or np.any(values > lp.col_upper[binaries]):
                continue
            point = np.zeros(lp.n_cols)
            point[binaries] = values
            fixed = lp.with_fixed_integers(point)
            # One instance per assignment: each starts from the same assignment's plan of the last variant
            # (one shared instance would start the LP with a channel off from the plan with it on).
            result = self._solve_in(fixed, options, key + ("fixed", combo))
            seconds += result.solve_seconds
            started_warm = result.extra.get("warm_start") if started_warm is None else started_warm
            if result.status is Status.INFEASIBLE:
                continue
            if result.status is not Status.OPTIMAL:
                return None
            if best is None or _better(lp, result.objective, best.objective):
                best = result
        self.counts["enumerated"] += 1
        method = f"binaries enumerated ({2 ** binaries.size} LPs, warm-started)"
        if best is None:
            return SolveResult(status=Status.INFEASIBLE, solver="highs", solver_version="", message="Infeasible",
                               solve_seconds=seconds, extra={"lp_method": method, "warm_start": bool(started_warm)})
        x = best.x.copy()
        x[binaries] = np.round(x[binaries])
        # The winning LP is the MIP with its integers fixed at the plan's values: its duals are the prices
        # solvers.solve would re-solve that LP for.
        return replace(best, x=x, objective=lp.objective_value(x), solve_seconds=seconds,
                       extra={**best.extra, "lp_method": method, "warm_start": bool(started_warm),
                              "duals_of_fixed_lp": best.row_duals is not None})


_LOCAL = threading.local()


def this_thread() -> WarmStart:
    """The calling thread's own WarmStart (made on first use): what a pickled one becomes elsewhere."""
    if getattr(_LOCAL, "warm", None) is None:
        _LOCAL.warm = WarmStart()
    return _LOCAL.warm


def warmed(options: SolveOptions) -> SolveOptions:
    """`options` for a caller that solves many variants: a new WarmStart, unless the caller asked for cold
    solves (``warm=False``) or brought its own."""
    if options.warm is not None:
        return options
    return replace(options, warm=WarmStart())


def shape_key(lp: LinearProgram) -> tuple:
    """Which instance a program goes to: its dimensions and counts (cheap). Whether the instance can take
    it as changes is decided by `same_pattern`, exactly."""
    return (lp.n_rows, lp.n_cols, lp.n_nonzeros, int(np.count_nonzero(lp.col_integer)))


def same_pattern(a: LinearProgram, b: LinearProgram) -> bool:
    """Whether `b` is `a` with only values changed: the same matrix pattern and integer columns."""
    return (a.n_rows == b.n_rows and a.n_cols == b.n_cols and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and np.array_equal(a.col_integer, b.col_integer))


class _Kept:
    """A shape's scaling, the program it was made for, and the span of each row's scaled entries (log2)."""

    def __init__(self, scaling: Scaling, lp: LinearProgram) -> None:
        self.scaling, self.lp = scaling, lp
        self.row_of_entry = np.repeat(np.arange(lp.n_rows), np.diff(lp.indptr))
        logs = self._logs(lp.data, self.row_of_entry, lp.indices)
        filled = np.diff(lp.indptr) > 0
        starts = lp.indptr[:-1][filled]
        self.low, self.high = np.full(lp.n_rows, np.inf), np.full(lp.n_rows, -np.inf)
        if logs.size:
            self.low[filled] = np.minimum.reduceat(logs, starts)
            self.high[filled] = np.maximum.reduceat(logs, starts)
        cost = self._cost_logs(lp.objective, np.arange(lp.n_cols))
        cost = cost[np.isfinite(cost)]
        self.cost_span = (cost.min(), cost.max()) if cost.size else (np.inf, -np.inf)

    def _logs(self, values, rows, cols) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log2(np.abs(values) * self.scaling.row[rows] * self.scaling.col[cols])

    def _cost_logs(self, values, cols) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.log2(np.abs(values) * self.scaling.col[cols] * self.scaling.objective)

    def fits(self, new: LinearProgram) -> bool:
        """Whether the scaling made for `self.lp` still fits `new` (same pattern; see the module)."""
        for kind, a, b in zip(NUMBERS, _numbers(self.lp), _numbers(new)):
            changed = a != b
            if not changed.any():
                continue
            was, now = a[changed], b[changed]
            if not (np.isfinite(was).all() and np.isfinite(now).all() and (was != 0).all() and (now != 0).all()):
                return False
            if kind == "data":
                entries = np.flatnonzero(changed)
                rows = self.row_of_entry[entries]
                logs = self._logs(now, rows, new.indices[entries])
                if (logs < self.low[rows] - RESCALE_LOG2).any() or (logs > self.high[rows] + RESCALE_LOG2).any():
                    return False
            elif kind == "objective":
                logs = self._cost_logs(now, np.flatnonzero(changed))
                low, high = self.cost_span
                if (logs < low - RESCALE_LOG2).any() or (logs > high + RESCALE_LOG2).any():
                    return False
            elif np.abs(np.log2(np.abs(now)) - np.log2(np.abs(was))).max() > RESCALE_LOG2:
                return False
        return True


def _distance(a: LinearProgram, b: LinearProgram) -> int:
    """How many numbers of two programs of one pattern differ (bounds, costs, matrix entries)."""
    return sum(int(np.count_nonzero(x != y)) for x, y in zip(_numbers(a), _numbers(b)))


NUMBERS = ("row_lower", "row_upper", "col_lower", "col_upper", "objective", "data")  # what a variant may change


def _numbers(lp: LinearProgram) -> tuple[np.ndarray, ...]:
    """The arrays of `lp` that a program of the same pattern can change, in the order of NUMBERS."""
    return tuple(getattr(lp, name) for name in NUMBERS)


def _better(lp: LinearProgram, new: float, old: float) -> bool:
    return new > old if lp.sense is Sense.MAXIMIZE else new < old


def _update(shape: _Shape, lp: LinearProgram) -> None:
    """Write `lp` into the instance that holds `shape.lp` (same pattern) as changes, keeping its basis."""
    from . import highs

    h, old = shape.highs, shape.lp
    entries = np.flatnonzero(lp.data != old.data)
    # One call per changed entry: past a tenth of the matrix (or REWRITE_ENTRIES), passing it whole is quicker.
    if entries.size > max(64, min(REWRITE_ENTRIES, lp.n_nonzeros // 10)):
        basis = h.getBasis()
        highs.pass_program(h, lp)
        if basis.valid:
            h.setBasis(basis)
        return
    if lp.sense is not old.sense:
        h.changeObjectiveSense(highs.objective_sense(lp))
    if lp.objective_offset != old.objective_offset:
        h.changeObjectiveOffset(float(lp.objective_offset))
    cols = np.flatnonzero(lp.objective != old.objective)
    if cols.size:
        h.changeColsCost(cols.size, cols.astype(np.int32), lp.objective[cols].astype(np.float64))
    cols = np.flatnonzero((lp.col_lower != old.col_lower) | (lp.col_upper != old.col_upper))
    if cols.size:
        h.changeColsBounds(cols.size, cols.astype(np.int32), highs.finite_bounds(lp.col_lower[cols]),
                           highs.finite_bounds(lp.col_upper[cols]))
    rows = np.flatnonzero((lp.row_lower != old.row_lower) | (lp.row_upper != old.row_upper))
    if rows.size:
        h.changeRowsBounds(rows.size, rows.astype(np.int32), highs.finite_bounds(lp.row_lower[rows]),
                           highs.finite_bounds(lp.row_upper[rows]))
    for e in entries.tolist():
        h.changeCoeff(int(shape.row_of_entry[e]), int(lp.indices[e]), float(lp.data[e]))
