"""The API of one scenario's plan: load, solve, explain, verify (what the commands of those names do)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from solvers import Status

from allocator.analysis.solution import Plan
from allocator.history.targets import history_targets
from allocator.io.output import prepare_target, protect_inputs
from allocator.scenario.loader import LoadedScenario, load_scenario
from allocator.scenario.memory import assignments, folders as allowed_folders, load_mapping
from allocator.scenario.schema import Scenario
from allocator.solving import arguments as check, pipeline

if TYPE_CHECKING:  # what explain and verify return: imported when those run
    from allocator.analysis.explain import Explanation
    from allocator.plan.folder_check import Verification

Source = str | Path | Scenario | Mapping | LoadedScenario


def load(source: Source, *, set: Mapping | Iterable[str] | None = None,
         allow_outside: str | Path | Iterable[str | Path] | None = None) -> LoadedScenario:
    """Read and validate a scenario without solving it.

    Parameters
    ----------
    source : str, Path, Scenario, dict or LoadedScenario
        A scenario file (YAML or JSON, with its ``extends:`` bases and ``file:`` tables), a mapping of
        scenario fields (what such a file holds; ``file:`` tables are read from the working folder), or a
        `Scenario` already built.
    set : mapping or list of str, optional
        Overrides by field path: ``{"budget.total": 4e6}`` or ``["budget.total=4e6"]``.
    allow_outside : path or list of paths, optional
        Folders beyond the scenario's own from which ``extends:`` and ``file:`` may read.

    Returns
    -------
    LoadedScenario
        ``.scenario`` (the validated `Scenario`), ``.path``, ``.sha256`` of every input, ``.tables``.

    Raises
    ------
    ScenarioError
        The scenario, a file it names or an override is unusable (the message names file, field and value).

    Examples
    --------
    >>> import allocator
    >>> loaded = allocator.load("scenarios/example_q1.yaml", set={"budget.total": 4e6})
    >>> loaded.scenario.budget.total
    4000000.0
    """
    source, overrides, folders = check.source(source), assignments(set), allowed_folders(allow_outside)
    if isinstance(source, LoadedScenario):
        if not overrides:
            return source
        if source.sources:  # a file: loaded again with its overrides and these
            source, overrides = source.path, tuple(source.overrides) + overrides
        else:
            source = source.scenario
    read = load_scenario if isinstance(source, (str, Path)) else load_mapping
    return history_targets(read(source, overrides, folders))  # growth targets: last year's revenue from history


def solve(source: Source, *, solver: str = "cbc", objective: str | None = None,
          set: Mapping | Iterable[str] | None = None, time_limit: float | None = None, mip_gap: float | None = None,
          threads: int | None = None, lp_method: str = "auto", diagnose: bool = True,
          allow_outside: str | Path | Iterable[str | Path] | None = None, diagnose_seconds: float | None = None,
          log: bool = False, out: str | Path | None = None, force: bool = False, export_model: bool = False,
          report: bool = False, cold: bool = False) -> Plan:
    """Solve a scenario: the budget and targets split across channel x tier x product x period.

    Parameters
    ----------
    source : str, Path, Scenario, dict or LoadedScenario
        What `load` takes: a scenario file, a mapping of its fields, or a `Scenario`.
    solver : {"cbc", "highs"}, default "cbc"
        The solver backend (``highs`` needs the ``highs`` extra).
    objective : str, optional
        Overrides the scenario's objective (``max_revenue``, ``min_spend``, ...).
    set : mapping or list of str, optional
        Overrides by field path, as `load` takes them.
    time_limit, mip_gap, threads : optional
        Seconds each solve may run; the relative MIP gap (0-1) at which to stop; solver threads.
    lp_method : {"auto", "simplex", "barrier"}, default "auto"
        How a linear program is solved (auto: barrier from 4e8 rows x columns).
    diagnose, cold : bool, default True, False
        When no plan exists, find the demands that conflict (``plan.diagnosis``; re-solves, from the last
        basis with HiGHS unless `cold`: then from scratch, as before warm starts, for comparison).
    allow_outside : path or list of paths, optional
        Folders beyond the scenario's own that ``extends:`` and ``file:`` may read.
    diagnose_seconds : float, optional
        Seconds the diagnosis may take in all (default 60).
    log : bool, default False
        Show the solver's own log on stderr.
    out, force, export_model, report : optional
        Also write the plan's folder, as ``plan.write(out, force, export_model)`` does (the folder is
        checked before the solve); `report` adds plan.xlsx and report.html to it (the ``report`` extra).

    Returns
    -------
    Plan
        ``status``, ``objective`` and the tables as DataFrames (``plan.allocation``, ``plan.by_channel``...).

    Raises
    ------
    ScenarioError
        The scenario is unusable.
    UsageError
        An unknown solver, or an optional one that is not installed (the message says how to install it).
    OutputError
        `out` must not or cannot be written.
    SolveFailed
        The solver crashed, hung or returned garbage.

    Examples
    --------
    >>> import allocator
    >>> plan = allocator.solve("scenarios/example_q1.yaml")
    >>> plan.status
    'optimal'
    >>> round(float(plan.by_channel["spend"].sum()))
    3400000
    """
    options = check.solve_options(solver, objective, time_limit, mip_gap, threads, lp_method, log, diagnose_seconds, cold)
    source, out, overrides = check.source(source), check.path("out", out), assignments(set)
    folders = allowed_folders(allow_outside)
    if report:  # the extra is needed: say so before any work
        check.report_extra()
    if out is not None:
        prepare_target(Path(out), force, [Path(source)] if isinstance(source, (str, Path)) else [])
    if isinstance(source, (str, Path)):  # through solve_file: loading is timed with the rest
        solved = pipeline.solve_file(source, solver=solver, objective=objective, options=options,
                                     overrides=overrides, allow_outside=folders)
    else:
        solved = pipeline.solve_loaded(load(source, set=overrides, allow_outside=folders), solver, objective, options)
    plan = Plan(solved, solver, options)
    if out is not None:
        protect_inputs(Path(out), plan.inputs())  # its extends: and file: inputs, before any diagnosis
    if diagnose and solved.plan.status is Status.INFEASIBLE:
        plan.diagnose(diagnose_seconds)
    if out is not None:
        plan.write(out, force=force, export_model=export_model, extra_files=_review_pack(plan, out) if report else None)
    return plan


def _review_pack(plan: Plan, out) -> dict[str, bytes]:
    """plan.xlsx and report.html for ``solve --report``: the review's writers load only then."""
    from allocator.review.pack import plan_files
    return plan_files(plan, out)


def explain(source: Source, *, solver: str = "cbc", objective: str | None = None,
            set: Mapping | Iterable[str] | None = None, time_limit: float | None = None, lp_method: str = "auto",
            ranging: int = 5, diagnose_seconds: float | None = None,
            allow_outside: str | Path | Iterable[str | Path] | None = None, out: str | Path | None = None,
            force: bool = False, cold: bool = False) -> tuple[Plan, Explanation]:
    """Solve a scenario and explain its plan: what binds, what each limit is worth and over which range.

    Parameters
    ----------
    source, solver, objective, set, time_limit, lp_method, diagnose_seconds, allow_outside :
        As for `solve`.
    ranging : int, default 5
        How many of the costliest limits get a price range (a few dozen re-solves each).
    cold : bool, default False
        Solve every variant from scratch, as before warm starts (for comparison). Otherwise, with HiGHS,
        the re-solves of the ranging and the diagnosis start from the last basis (same results, sooner).
    out, force : optional
        Also write sensitivity.csv and marginal.csv (or diagnosis.csv) and run.json into `out`.

    Returns
    -------
    (Plan, Explanation): the plan, and ``lines`` (the explanation in words) with its ``tables``.

    Raises
    ------
    InputError, SolveFailed as `solve` raises them.

    Examples
    --------
    >>> import allocator
    >>> plan, explanation = allocator.explain("scenarios/example_q1.yaml", ranging=0)
    >>> explanation.lines[0]  # doctest: +SKIP
    'Objective max_revenue = 27,931,296'
    """
    check.number("ranging", ranging, 0, 1000, integer=True, optional=False)
    target = check.path("out", out)
    if target is not None:
        prepare_target(target, force, [Path(source)] if isinstance(source, (str, Path)) else [])
    plan = solve(source, solver=solver, objective=objective, set=set, time_limit=time_limit, lp_method=lp_method,
                 diagnose=False, allow_outside=allow_outside, cold=cold)
    if target is not None:
        protect_inputs(target, plan.inputs())  # its extends: and file: inputs, before the re-solves
    explanation = plan.explain(ranging, diagnose_seconds)
    if target is not None:
        plan.write_explanation(target, explanation, force)
    return plan, explanation


def verify(scenario: Source, folder: str | Path, *, set: Mapping | Iterable[str] | None = None,
           allow_outside: str | Path | Iterable[str | Path] | None = None) -> Verification:
    """Re-check a written plan against its scenario, independently of the model builder.

    Parameters
    ----------
    scenario : str, Path, Scenario, dict or LoadedScenario
        The scenario the plan should satisfy (what `load` takes).
    folder : str or Path
        A plan folder written by ``allocator solve`` or `Plan.write`.
    set : mapping or list of str, optional
        Overrides, as the plan was solved with (others are only noted).
    allow_outside : path or list of paths, optional
        Folders beyond the scenario's own that ``extends:`` and ``file:`` may read.

    Returns
    -------
    Verification
        ``ok``, ``report.violations``, ``differences`` (input files changed since the solve), ``notes``.

    Raises
    ------
    ScenarioError
        The scenario is unusable.
    PlanFolderError
        The folder has no readable allocation.csv (or its run.json is unreadable).

    Examples
    --------
    >>> import allocator
    >>> allocator.solve("scenarios/example_q1.yaml").write("out/q1", force=True)  # doctest: +SKIP
    >>> allocator.verify("scenarios/example_q1.yaml", "out/q1").ok  # doctest: +SKIP
    True
    """
    from allocator.plan.folder_check import verify_folder
    return verify_folder(load(scenario, set=set, allow_outside=allow_outside), check.path("folder", folder, False))
