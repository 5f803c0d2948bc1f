"""The solver-neutral linear program and the one small interface every backend implements.

A `LinearProgram` is a sparse matrix in CSR form with row and column names,
bounds and an objective. A row with a finite lower bound and an infinite upper
bound is ``>=``, the reverse is ``<=``, equal finite bounds are ``=``, two
different finite bounds a range, and two infinite bounds a free row (priced 0).
Backends never see scenario concepts.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np


class Status(str, enum.Enum):
    """Project-wide solve status; every backend maps its own codes into this."""

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    TIME_LIMIT_WITH_SOLUTION = "time_limit_with_solution"
    NO_SOLUTION = "no_solution"
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.TIME_LIMIT_WITH_SOLUTION)


class Sense(str, enum.Enum):
    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"


@dataclass(frozen=True)
class LinearProgram:
    """A (mixed-integer) linear program in CSR form.

    ``indptr``, ``indices`` and ``data`` describe the constraint matrix A
    (rows x columns). Row i reads ``row_lower[i] <= A[i] @ x <= row_upper[i]``.
    The objective is ``objective @ x + objective_offset``, optimised in ``sense``.
    """

    name: str
    sense: Sense
    objective: np.ndarray
    objective_offset: float
    col_names: Sequence[str]  # any sequence: a builder may produce the names lazily
    col_lower: np.ndarray
    col_upper: np.ndarray
    col_integer: np.ndarray
    row_names: list[str]
    row_lower: np.ndarray
    row_upper: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @property
    def n_cols(self) -> int:
        return len(self.col_names)

    @property
    def n_rows(self) -> int:
        return len(self.row_names)

    @property
    def n_nonzeros(self) -> int:
        return int(self.data.size)

    @property
    def is_mip(self) -> bool:
        return bool(self.col_integer.any())

    def row_activity(self, x: np.ndarray) -> np.ndarray:
        """A @ x computed from the CSR arrays (no solver involved)."""
        return self.row_sums(self.data * x[self.indices])

    def row_sums(self, entries: np.ndarray) -> np.ndarray:
        """Per row, the sum of `entries` (one value per matrix entry, in CSR order); 0 for an empty row."""
        out = np.zeros(self.n_rows)
        starts = self.indptr[:-1]
        filled = starts < self.indptr[1:]
        if entries.size:
            out[filled] = np.add.reduceat(entries, starts[filled])
        return out

    def objective_value(self, x: np.ndarray) -> float:
        return float(self.objective @ x + self.objective_offset)

    def to_csc(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The matrix in CSC form: (column pointers, row indices, values)."""
        rows = np.repeat(np.arange(self.n_rows, dtype=np.int64), np.diff(self.indptr))
        order = np.argsort(self.indices, kind="stable")
        col_counts = np.bincount(self.indices, minlength=self.n_cols)
        colptr = np.concatenate(([0], np.cumsum(col_counts))).astype(np.int64)
        return colptr, rows[order], self.data[order]

    def with_rows(self, names: list[str], rows: list[tuple[np.ndarray, np.ndarray]], lower, upper) -> "LinearProgram":
        """This program with rows appended: ``rows[i]`` is (columns, coefficients) of row ``names[i]``."""
        if not names:
            return self
        lengths = [len(cols) for cols, _ in rows]
        orders = [np.argsort(cols, kind="stable") for cols, _ in rows]
        return replace(
            self, row_names=list(self.row_names) + list(names),
            row_lower=np.append(self.row_lower, lower), row_upper=np.append(self.row_upper, upper),
            indptr=np.append(self.indptr, self.indptr[-1] + np.cumsum(lengths)),
            indices=np.concatenate([self.indices] + [np.asarray(c, dtype=np.int64)[o] for (c, _), o in zip(rows, orders)]),
            data=np.concatenate([self.data] + [np.asarray(v, dtype=float)[o] for (_, v), o in zip(rows, orders)]),
        )

    def with_only_rows(self, keep: np.ndarray) -> "LinearProgram":
        """This program with only the rows whose indices are in `keep` (ascending)."""
        starts, ends = self.indptr[keep], self.indptr[keep + 1]
        lengths = ends - starts
        first = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        entries = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()))
        return replace(
            self, row_names=[self.row_names[i] for i in keep.tolist()],
            row_lower=self.row_lower[keep], row_upper=self.row_upper[keep],
            indptr=np.concatenate(([0], np.cumsum(lengths))).astype(np.int64),
            indices=self.indices[entries], data=self.data[entries],
        )

    def with_fixed_integers(self, x: np.ndarray) -> "LinearProgram":
        """The LP left when every integer column is fixed at its (rounded) value in x."""
        lower = self.col_lower.copy()
        upper = self.col_upper.copy()
        fixed = np.round(x[self.col_integer])
        lower[self.col_integer] = fixed
        upper[self.col_integer] = fixed
        return LinearProgram(
            name=self.name, sense=self.sense, objective=self.objective,
            objective_offset=self.objective_offset, col_names=self.col_names,
            col_lower=lower, col_upper=upper,
            col_integer=np.zeros_like(self.col_integer),
            row_names=self.row_names, row_lower=self.row_lower, row_upper=self.row_upper,
            indptr=self.indptr, indices=self.indices, data=self.data,
        )


# Solvers' own defaults differ (HiGHS stops at 1e-4, CBC proves optimality): one project default instead,
# so that "optimal" means the same plan whichever backend ran.
DEFAULT_MIP_GAP = 1e-9


# How a linear program (not a MIP) is solved: "simplex" (dual simplex), "barrier" (interior point, then
# crossover to a vertex, so plans and shadow prices are those of a vertex like the simplex's) or "auto".
LP_METHODS = ("auto", "simplex", "barrier")
# "auto" picks the barrier from this many rows x columns up. Below it CBC's dual simplex is faster; above it
# the simplex's iterations grow with the rows while each costs more: 1.8-8.8x slower than the barrier on the
# benchmark models (benchmarks/bench_lp_method.py prints the figures behind this number).
BARRIER_MIN_CELLS = 4e8


@dataclass(frozen=True)
class SolveOptions:
    """What a caller may ask of any backend."""

    time_limit: float | None = None  # seconds of wall time
    mip_gap: float | None = None  # relative gap, 0-1; None: DEFAULT_MIP_GAP for every backend
    threads: int | None = None
    log: bool = False  # stream the solver's own log to stderr
    lp_method: str = "auto"  # one of LP_METHODS
    # When "auto" picks the barrier, a dual simplex may run beside it. It can only end the solve early with
    # proof that no plan exists (the barrier is slow to prove that); a plan always comes from the barrier, so
    # results are the same with or without it. Off where processes already share the cores (sweep workers).
    concurrent: bool = True
    # A solvers.warm.WarmStart: HiGHS re-solves a program of a shape it has seen from the last basis (CBC
    # ignores it). None: cold, unless a caller that solves many variants adds one (solvers.warm.warmed);
    # False: cold always (the user's --cold). Not part of the options' identity.
    warm: object = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.lp_method not in LP_METHODS:
            raise ValueError(f"lp_method must be one of {', '.join(LP_METHODS)}, not {self.lp_method!r}")


def lp_method(lp: LinearProgram, options: SolveOptions) -> str:
    """The method a backend should use for `lp`: "simplex" or "barrier" (a MIP's relaxations: "simplex")."""
    if lp.is_mip:
        return "simplex"
    if options.lp_method != "auto":
        return options.lp_method
    return "barrier" if float(lp.n_rows) * float(lp.n_cols) >= BARRIER_MIN_CELLS else "simplex"


@dataclass(frozen=True)
class Capabilities:
    mip: bool
    duals: bool


@dataclass(frozen=True)
class SolveResult:
    """What every backend returns.

    ``row_duals`` and ``reduced_costs`` are in the objective's own sense:
    the change in the objective per unit increase of the row's bound (or the
    column's value). They are ``None`` when the solver gave none.
    """

    status: Status
    solver: str
    solver_version: str
    message: str
    solve_seconds: float
    x: np.ndarray | None = None
    objective: float | None = None
    row_duals: np.ndarray | None = None
    reduced_costs: np.ndarray | None = None
    extra: dict = field(default_factory=dict)


def improving_column(lp: LinearProgram, result: SolveResult) -> str | None:
    """For an "optimal" LP, a column whose reduced cost still improves the objective towards an infinite
    bound (so the program is not proven bounded; None: there is none). Says which, for a message."""
    if result.reduced_costs is None or result.status is not Status.OPTIMAL:
        return None
    # Reduced costs are in the problem's own sense: d(objective)/d(x_j); "improving" is that sense's way.
    gain = result.reduced_costs if lp.sense is Sense.MAXIMIZE else -result.reduced_costs
    tol = 1e-7 * np.maximum(1.0, np.abs(lp.objective))
    up = (gain > tol) & ~np.isfinite(lp.col_upper)
    down = (gain < -tol) & ~np.isfinite(lp.col_lower)
    bad = np.flatnonzero(up | down)
    if bad.size == 0:
        return None
    j = int(bad[0])
    return f"column {lp.col_names[j]} would improve it without end (reduced cost {result.reduced_costs[j]:g})"
