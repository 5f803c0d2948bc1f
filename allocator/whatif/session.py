"""A what-if session: one scenario, many variants, each solved from where the last one ended.

A planner asks "and with 3.6M?", "and if livestream's cost per lead is 55?" dozens of times in a meeting.
A `Session` keeps what stays the same between those questions: the scenario's files (read and validated
once per distinct set of changes), and the solver's state (solvers.warm: HiGHS keeps the optimal basis of
each program shape and starts the next solve there). A variant is the scenario with ``--set PATH=VALUE``
changes, loaded exactly as the command line loads it, then built and solved by the same pipeline as
`allocator solve`: the plan is a cold solve's (same objective; where optima tie, possibly another of the
tied plans). The base scenario itself (no changes) is solved cold, so its plan is exactly the command
line's, and once more warm to start the variants from. A change that alters the model's shape (another
channel, period or binary) gets a new solver instance, transparently.

Warm starts need HiGHS (the default solver of a session when it is installed); with CBC each variant is
a cold solve, still without re-reading unchanged files.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from solvers import SolveOptions, SolverError, Status, describe
from solvers.warm import WarmStart

from allocator.errors import SolveFailed, UsageError
from allocator.model.build import PlanModel, build_model
from allocator.plan.totals import plan_totals
from allocator.scenario.loader import LoadedScenario, load_scenario
from allocator.solving.pipeline import SolvedScenario, require_solver, solve_model

CACHED_VARIANTS = 256  # loaded variants kept per session (a variant revisited is not read again)


def default_solver() -> str:
    """HiGHS when installed (it re-solves from the last basis), else CBC."""
    return "highs" if describe("highs").available else "cbc"


@dataclass(frozen=True)
class Outcome:
    """One solved variant: status, headline numbers and what is needed to make its full plan."""

    status: str
    changes: tuple[tuple[str, str], ...]  # (path, value) as applied, in the order given
    overrides: tuple[str, ...]  # every --set line of the variant (the session's own first)
    objective: float | None
    totals: dict[str, float]  # as run.json states them: spend, revenue_total, new_customers, leads, roi...
    budget_price: float | None  # revenue (the objective) per unit of budget, when a budget total binds
    channels_used: tuple[str, ...]
    message: str
    seconds: float
    warm: bool  # whether the solver started from an earlier basis
    loaded: LoadedScenario = field(repr=False)
    model: PlanModel = field(repr=False)
    result: object = field(repr=False)  # solvers.SolveResult
    solver: str = "highs"
    options: SolveOptions = field(default_factory=SolveOptions, repr=False)
    objective_kind: str | None = None  # the objective asked of the session (None: the scenario's own)

    @property
    def has_plan(self) -> bool:
        return self.status in (Status.OPTIMAL.value, Status.TIME_LIMIT_WITH_SOLUTION.value)

    def solved(self) -> SolvedScenario:
        """The variant as `allocator.solve` returns it inside a Plan: every table made (tens of ms)."""
        from allocator.plan.tables import make_plan
        from allocator.solving.checking import plan_checks, with_history

        loaded, history = with_history(self.loaded)
        plan = make_plan(self.model, self.result, self.objective_kind or loaded.scenario.objective)
        plan = replace(plan, tables={**plan.tables, **plan_checks(loaded, history)})
        return SolvedScenario(loaded=loaded, model=self.model, plan=plan,
                              timings={"load": 0.0, "build": 0.0, "solve": self.seconds, "tables": 0.0},
                              x=self.result.x)

    def diagnosis(self, seconds: float | None = None) -> list[str]:
        """For a variant with no plan: the demands that conflict and how far each must move, in words."""
        from allocator.analysis.diagnose import diagnose

        if self.status != Status.INFEASIBLE.value:
            return []
        return diagnose(self.model, self.solver, self.options, time_budget=seconds).summary()


class Session:
    """What-ifs on one scenario at interactive speed (see the module).

    Parameters
    ----------
    scenario : str or Path
        A scenario file.
    solver : {"highs", "cbc"}, optional
        Default: HiGHS when installed (warm re-solves), else CBC (each variant solved cold).
    objective, set, options, allow_outside :
        As for `allocator.solve`: applied to every variant (``set``: the session's own overrides).
    warm : bool, default True
        False: every variant from scratch (for comparison; same plans).
    serial : bool, default True
        Set numpy's BLAS to one thread for the process, as the command line does (see `serial_blas`).

    Examples
    --------
    >>> import allocator
    >>> s = allocator.Session("scenarios/example_q1.yaml")
    >>> base = s.solve()
    >>> more = s.solve({"budget.total": 3.6e6})
    >>> more.totals["revenue_total"] > base.totals["revenue_total"]
    True
    >>> more.overrides
    ('budget.total=3600000.0',)
    """

    def __init__(self, scenario: str | Path, *, solver: str | None = None, objective: str | None = None,
                 set: Mapping | Iterable[str] | None = None, options: SolveOptions | None = None,
                 allow_outside: Iterable[str | Path] = (), warm: bool = True, serial: bool = True) -> None:
        from allocator.scenario.memory import assignments

        if serial:
            serial_blas()
        self.path = Path(scenario)
        self.solver = solver or default_solver()
        require_solver(self.solver)
        self.objective = objective
        self.base_overrides = assignments(set)
        self.allow_outside = tuple(str(folder) for folder in allow_outside)
        self.warm = WarmStart() if warm else None
        self.options = replace(options or SolveOptions(), warm=self.warm if warm else False)
        self.changes: dict[str, str] = {}
        self._primed = False  # whether the warm start holds the base scenario's programs
        self._lock = threading.Lock()
        self._load = functools.lru_cache(maxsize=CACHED_VARIANTS)(self._load_uncached)
        self.base = self._load(self.base_overrides)  # a bad scenario fails here, as `allocator solve` would

    # -- the variant being looked at -------------------------------------------------------------------
    def set(self, path: str, value) -> None:
        """Change one number (any ``--set`` path); the next `solve` uses it."""
        self.changes[_path(path)] = _text(value)

    def unset(self, path: str) -> None:
        self.changes.pop(_path(path), None)

    def reset(self) -> None:
        self.changes.clear()

    @property
    def overrides(self) -> tuple[str, ...]:
        return self.base_overrides + tuple(f"{p}={v}" for p, v in self.changes.items())

    # -- solving ------------------------------------------------------------------------------------------
    def solve(self, changes: Mapping | Iterable[tuple[str, object]] | None = None) -> Outcome:
        """Solve the variant: the session's changes, or `changes` (which then become the session's).

        Raises ScenarioError (one line, as the command line says it) for a variant that is not a valid
        scenario, SolveFailed when the solver fails; the session keeps its earlier changes then.
        """
        started = time.perf_counter()
        wanted = self.changes if changes is None else {
            _path(p): _text(v) for p, v in (changes.items() if isinstance(changes, Mapping) else changes)}
        overrides = self.base_overrides + tuple(f"{p}={v}" for p, v in wanted.items())
        with self._lock:  # one solve at a time: the solver's instances are not thread-safe
            loaded = self._load(overrides)
            model = build_model(loaded.scenario, self.objective)
            try:
                result = self._solve(model, base=not wanted)
            except SolverError as exc:
                raise SolveFailed(f"solver {self.solver} failed: {exc}") from None
            self.changes = dict(wanted)  # only once solved: a refused variant or a failed solve keeps the last
        return _outcome(self, loaded, model, result, tuple(wanted.items()), overrides, started)

    def _solve(self, model: PlanModel, base: bool):
        """The base scenario is solved cold, so that its plan is the one `allocator solve` gives (where
        optima tie, a warm start may end on another of them), then warm, to give the next variants a start."""
        if not base or self.warm is None:
            return solve_model(model, self.solver, self.options)
        result = solve_model(model, self.solver, replace(self.options, warm=False))
        if not self._primed:
            solve_model(model, self.solver, self.options)
            self._primed = True
        return result

    def _load_uncached(self, overrides: tuple[str, ...]) -> LoadedScenario:
        return load_variant(self.path, overrides, self.allow_outside)


def _outcome(session: Session, loaded, model, result, changes, overrides, started) -> Outcome:
    totals: dict[str, float] = {}
    used: tuple[str, ...] = ()
    objective = price = None
    if result.status.has_solution:
        x = result.x
        totals = plan_totals(model, x)
        objective = model.objective_value(x)
        price = model.budget_price(result.row_duals)
        used = tuple(channels_used(model, x))
    return Outcome(
        status=result.status.value, changes=changes, overrides=overrides, objective=objective, totals=totals,
        budget_price=price, channels_used=used, message="" if result.status.has_solution else result.message,
        seconds=time.perf_counter() - started, warm=bool(result.extra.get("warm_start")), loaded=loaded,
        model=model, result=result, solver=session.solver, options=session.options,
        objective_kind=session.objective,
    )


def load_variant(scenario: str | Path, overrides: tuple, allow_outside: tuple = ()) -> LoadedScenario:
    """The scenario with ``--set`` overrides, as `allocator solve` loads it: growth targets read from history."""
    from allocator.history.targets import history_targets

    return history_targets(load_scenario(scenario, list(overrides), allow_outside))


def channels_used(model: PlanModel, x) -> list[str]:
    """The channels that plan x spends on (more than solver noise)."""
    spend = np.bincount(model.cells.channel[model.spend.cell], weights=x[: model.spend.size],
                        minlength=len(model.cells.dims.channels))
    return [name for name, amount in zip(model.cells.dims.channels, spend.tolist()) if amount > 1e-6]


def serial_blas() -> None:
    """numpy's BLAS on one thread, for the whole process, as the command line sets it before numpy loads.

    Its threads spin after each vector product and take the cores from HiGHS and from Python: a re-solve of
    the 4x50x4x12 benchmark model took 0.14 s with them and 0.06 s without. Limiting them only around each
    solve does not help (they are woken when the limit is lifted). Needs threadpoolctl (the highs extra)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1, user_api="blas")


def _path(path: str) -> str:
    text = str(path).strip()
    if not text or "=" in text:
        raise UsageError("--set", "", text, "a field path such as budget.total")
    return text


def _text(value) -> str:
    """A value as a --set line writes it (floats in full precision)."""
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else f"{value:.1f}"
    return str(value)
