"""The API of many plans: compare, sweep, risk (what the commands of those names do)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from allocator.analysis.solution import Plan
from allocator.api.planning import Source, solve
from allocator.io.output import prepare_target
from allocator.scenario.memory import assignments, folders as allowed_folders
from allocator.solving import arguments as check

if TYPE_CHECKING:  # what compare, sweep and risk return: imported when those run
    from allocator.whatif.compare import Comparison
    from allocator.whatif.studies import Progress, RiskStudy, Study

def compare(*plans: str | Path | Plan, solver: str = "cbc",
            allow_outside: str | Path | Iterable[str | Path] | None = None,
            out: str | Path | None = None, force: bool = False, cold: bool = False) -> Comparison:
    """Plans side by side: totals, attainment, breakdowns, limits that start or stop binding, inputs that differ.

    Parameters
    ----------
    *plans : str, Path or Plan
        Two or more: scenario files (solved here), plan folders (read back and verified) or solved plans.
        Differences are against the first.
    solver : {"cbc", "highs"}, default "cbc"
        The solver for scenario files.
    allow_outside : path or list of paths, optional
        Folders beyond each scenario's own that ``extends:`` and ``file:`` may read.
    out, force : optional
        Also write comparison.csv, differences.csv and run.json into `out` (checked before any solve).
    cold : bool, default False
        Solve every scenario file from scratch, as before warm starts (for comparison). Otherwise, with
        HiGHS, each starts from the last one's basis.

    Returns
    -------
    Comparison
        ``table`` (long form: section, item, metric, one column per plan, deltas), ``labels``, ``summary()``.

    Raises
    ------
    UsageError
        Fewer than two plans.
    PlanFolderError
        A folder that is not a readable plan, or whose numbers fail its scenario.

    Examples
    --------
    >>> import allocator
    >>> c = allocator.compare("scenarios/example_q1.yaml", "scenarios/example_q1_livestream_push.yaml")
    >>> list(c.labels)
    ['example_q1', 'example_q1_livestream_push']
    """
    from allocator.whatif.compare import compare_plans
    plans = [plan if isinstance(plan, Plan) else check.path("plans", plan, False) for plan in plans]
    return compare_plans(plans, solver, check.solve_options(solver, None, cold=cold), allowed_folders(allow_outside),
                         check.path("out", out), force)


def sweep(scenario: str | Path, vary: str | Iterable[str], *, set: Mapping | Iterable[str] | None = None,
          objective: str | None = None, solver: str = "cbc", time_limit: float | None = None,
          lp_method: str = "auto", workers: int | None = None, scheduler: str | None = None,
          allow_outside: str | Path | Iterable[str | Path] | None = None, out: str | Path | None = None,
          force: bool = False, progress: Progress | None = None, cold: bool = False) -> Study:
    """Solve a scenario for every combination of some parameters' values: the frontier.

    Parameters
    ----------
    scenario : str or Path
        A scenario file.
    vary : str or list of str
        ``PATH=start:stop:count`` (evenly spaced) or ``PATH=a,b,c``; several make a grid.
    set, objective, solver, time_limit, lp_method, allow_outside :
        As for `solve`, applied to every variant.
    workers : int, optional
        Local processes (default: all cores).
    scheduler : str, optional
        A Dask scheduler's address (``tcp://host:8786``) to run on instead.
    out, force : optional
        Also write frontier.csv, frontier.png and run.json into `out` (checked before any solve).
    progress : callable, optional
        ``progress(done, total)`` as variants finish.
    cold : bool, default False
        Solve every variant from scratch, as before warm starts (for comparison). Otherwise, with HiGHS,
        each worker re-solves its run of neighbouring variants from the last basis.

    Returns
    -------
    Study: ``tables["frontier"]``, one row per variant (its values, status, objective, totals, the budget's
    shadow price, the channels it funds); ``record``: what run.json holds; ``write(folder, force)``.

    Raises
    ------
    UsageError (an unreadable `vary`, a grid too large, an unreachable scheduler); ScenarioError (the base
    scenario is unusable; an invalid variant is a row, not an error).

    Examples
    --------
    >>> import allocator
    >>> frontier = allocator.sweep("scenarios/example_q1.yaml", "budget.total=3e6,4e6").tables["frontier"]
    >>> list(frontier["status"])  # doctest: +SKIP
    ['optimal', 'optimal']
    """
    options = check.solve_options(solver, objective, time_limit, lp_method=lp_method, cold=cold)
    check.study(workers=workers, scheduler=scheduler)
    from allocator.whatif.studies import sweep_study
    return sweep_study(check.path("scenario", scenario, False), check.texts("vary", vary), overrides=assignments(set),
                       objective=objective, solver=solver, options=options, workers=workers, scheduler=scheduler,
                       allow_outside=allowed_folders(allow_outside), out=check.path("out", out), force=force,
                       progress=progress)


def risk(source: Source | Plan, *, samples: int = 2000, seed: int = 7, confidence: float | None = None,
         solver: str = "cbc", objective: str | None = None, set: Mapping | Iterable[str] | None = None,
         time_limit: float | None = None, lp_method: str = "auto", workers: int | None = None, scheduler: str | None = None,
         allow_outside: str | Path | Iterable[str | Path] | None = None, out: str | Path | None = None,
         force: bool = False, progress: Progress | None = None, cold: bool = False) -> RiskStudy:
    """Monte Carlo the optimal plan under the scenario's ``uncertainty`` entries.

    Parameters
    ----------
    source : str, Path, Scenario, dict, LoadedScenario or Plan
        The scenario to solve (as `solve` takes it), or a plan already solved.
    samples : int, default 2000
        Monte Carlo samples (in seeded blocks of 250: the same seed gives the same numbers anywhere).
    seed : int, default 7
        Random seed, 0 or more.
    confidence : float, optional
        Also find the smallest planning buffer whose plan meets committed revenue with this probability.
    solver, objective, set, time_limit, lp_method, allow_outside :
        As for `solve` (ignored for a `Plan`).
    workers, scheduler :
        Local processes, or a Dask scheduler's address, as for `sweep`.
    out, force : optional
        Also write risk.csv (buffer_search.csv) and run.json into `out` (checked before the solve).
    progress : callable, optional
        ``progress(done, total)`` as sample blocks finish.
    cold : bool, default False
        Solve every buffer of the `confidence` search from scratch, as before warm starts (for comparison).
        Otherwise, with HiGHS, each re-solve starts from the last basis.

    Returns
    -------
    RiskStudy: ``study.tables["risk"]``, P10/P50/P90 of revenue, new customers and leads and the chance of
    meeting each committed target (``study`` is None without a plan); ``smallest_buffer`` with `confidence`.

    Raises
    ------
    UsageError (`confidence` without a committed revenue target; an unreachable scheduler); ScenarioError.

    Examples
    --------
    >>> import allocator
    >>> run = allocator.risk("scenarios/example_q1.yaml", samples=500, seed=7)
    >>> list(run.study.tables["risk"]["metric"])
    ['revenue_total', 'new_customers', 'leads']
    """
    check.study(workers=workers, samples=samples, seed=seed, confidence=confidence, scheduler=scheduler)
    check.flag("cold", cold)
    target = check.path("out", out)
    if not isinstance(source, Plan):
        if target is not None:
            prepare_target(target, force, [Path(source)] if isinstance(source, (str, Path)) else [])
        source = solve(source, solver=solver, objective=objective, set=set, time_limit=time_limit,
                       lp_method=lp_method, diagnose=False, allow_outside=allow_outside, cold=cold)
    elif target is not None:
        prepare_target(target, force, source.inputs())
    from allocator.whatif.studies import risk_study
    return risk_study(source, samples=samples, seed=seed, confidence=confidence, objective=objective,
                      workers=workers, scheduler=scheduler, out=target, force=force, progress=progress, cold=cold)
