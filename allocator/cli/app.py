"""Command line: a thin click layer that turns library results and errors into messages and exit codes.

Exit codes: 0 solved; 1 infeasible, unbounded or no solution (or verify found
violations); 2 bad input; 3 solver failure (or any unexpected error, named on one
line); 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Before numpy loads: its BLAS would start a thread per core that spins after every vector product and
# takes a core from CBC (and from the other workers of a sweep or risk run); the planner's arithmetic is
# sparse and gains nothing from it. A value the user set is kept.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

import click  # noqa: E402

from allocator.errors import AllocatorError, OutputError, ScenarioError, SolveFailed  # noqa: E402

from allocator.cli.options import (  # noqa: E402
    CONFIDENCE_OPTION, MIP_GAP_OPTION, OBJECTIVE_OPTION, SCHEDULER_OPTION, SEED_OPTION, SOLVER_OPTION,
    THREADS_OPTION, TIME_LIMIT_OPTION, WORKERS_OPTION, OutFolder,
)

EXIT_SOLVED, EXIT_NO_PLAN, EXIT_BAD_INPUT, EXIT_SOLVER, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
LP_METHOD_OPTION = click.option(
    "--lp-method", default="auto", show_default=True, type=click.Choice(["auto", "simplex", "barrier"]),
    help="How a linear program is solved: dual simplex, or barrier then crossover to a vertex; auto picks the "
         "barrier for programs of at least 4e8 rows x columns (docs/model.md, 'Solving').")
# click splits the environment variable's value at os.pathsep (":" on Unix), as PATH is split; an empty
# entry ("a::b", a trailing ":") is dropped, where PATH would read it as the working folder.
ALLOW_OUTSIDE_OPTION = click.option(
    "--allow-outside", "allow_outside", multiple=True, envvar="ALLOCATOR_ALLOW_OUTSIDE", metavar="FOLDER",
    type=click.Path(file_okay=False), callback=lambda ctx, param, value: tuple(Path(v) for v in value if v),
    help="Let extends: and file: read from FOLDER too (by default only from the scenario's own folder tree). "
         "Repeatable; default: the folders in ALLOCATOR_ALLOW_OUTSIDE.")
from allocator.cli.options import MAX_SECONDS, FiniteFloat  # noqa: E402

DIAGNOSE_SECONDS_OPTION = click.option(
    "--diagnose-seconds", "diagnose_seconds", metavar="SECONDS",
    type=FiniteFloat(min=0, min_open=True, max=MAX_SECONDS),
    help="Seconds the diagnosis of an infeasible plan may take in all (default 60); when they run out it "
         "reports what it found so far, marked as partial.")


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _guard(func):
    """Map the library's exceptions onto exit codes, with one line and no traceback."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from solvers.errors import SolverError

        try:
            return func(*args, **kwargs)
        except (ScenarioError, OutputError) as exc:
            _fail(str(exc), EXIT_BAD_INPUT)
        except (SolveFailed, SolverError) as exc:
            _fail(str(exc), EXIT_SOLVER)
        except AllocatorError as exc:  # pragma: no cover - every subclass is listed above
            _fail(str(exc), EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            # write_folder replaces --out only with a complete folder: the old one stays until then.
            _fail("interrupted; no partial plan was written", EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: a usage error or an exit it reports itself
        except Exception as exc:
            # Not an error the library raises on purpose (a solver library's own exception, or a bug): one
            # line naming the exception's type, so that it stays visible without a traceback.
            _fail(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())}", EXIT_SOLVER)
    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="allocator")
def main() -> None:
    """Split a quarter's marketing budget and sales targets across channels, customer tiers,
    product stages and periods with a linear program (solved by CBC).

    \b
    Example:
      allocator init my-plan
      allocator solve my-plan/example_q1.yaml --out out/q1
      allocator verify my-plan/example_q1.yaml out/q1
    """


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--out", "out", required=True, type=OutFolder(), help="Folder to write the plan into.")
@SOLVER_OPTION
@OBJECTIVE_OPTION
@TIME_LIMIT_OPTION
@MIP_GAP_OPTION
@THREADS_OPTION
@click.option("--log/--no-log", default=False, show_default=True, help="Show the solver's own log on stderr.")
@LP_METHOD_OPTION
@click.option("--export-model", is_flag=True, help="Also write model.lp and model.mps (readable names) for auditors; with CBC run "
              "`cbc model.mps -max -solve` for a maximisation (see docs/model.md).")
@click.option("--force", is_flag=True, help="Replace an existing, non-empty --out folder.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set budget.total=3.5e6 --set 'channels[livestream].max_spend=400000'.")
@click.option("--diagnose/--no-diagnose", "diagnose_infeasible", default=True, show_default=True,
              help="When no plan exists, find the conflicting demands and how far each must move (re-solves).")
@DIAGNOSE_SECONDS_OPTION
@ALLOW_OUTSIDE_OPTION
@_guard
def solve(scenario, out, solver, objective, time_limit, mip_gap, threads, log, lp_method, export_model, force,
          overrides, diagnose_infeasible, diagnose_seconds, allow_outside):
    """Solve SCENARIO and write the budget and target breakdown to --out.

    \b
    Writes allocation.csv (one row per channel x tier x product x period),
    by_channel/by_tier/by_product/by_period.csv, targets.csv, budget_lines.csv,
    constraints.csv (slack, binding, shadow price), sensitivity.csv (what
    binds and what relaxing it is worth), marginal.csv and run.json. When no
    plan exists it writes diagnosis.csv: the demands that conflict and how far
    each must move. The folder is written whole or not at all.

    \b
    Example:
      allocator solve scenarios/example_q1.yaml --out out/q1
      allocator solve scenarios/example_q1.yaml --out out/q1-min --objective min_spend --force
      allocator solve scenarios/example_q1.yaml --out out/q1-4m --set budget.total=4e6
    """
    from solvers import SolveOptions, Status

    from allocator.io.output import prepare_target, protect_inputs, run_inputs, write_folder
    from allocator.solve.pipeline import explain_status, run_record, solve_file
    from allocator.cli.summary import summary_text

    prepare_target(out, force, [scenario])  # refuse before spending time solving
    options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads, log=log, lp_method=lp_method)
    solved = solve_file(scenario, solver=solver, objective=objective, options=options, overrides=overrides,
                        allow_outside=allow_outside)
    protect_inputs(out, run_inputs(solved.loaded))  # its extends: and file: inputs, before any diagnosis
    plan = solved.plan
    extra = {}
    if export_model:
        from allocator.io.export import export_texts

        extra = export_texts(solved.model.lp)
    record = run_record(solved, out)
    tables = dict(plan.tables)
    summary_lines = []
    if plan.status is Status.INFEASIBLE and diagnose_infeasible:
        from allocator.analysis.diagnose import diagnose

        diagnosis = diagnose(solved.model, solver, options, time_budget=diagnose_seconds)
        tables["diagnosis"] = diagnosis.table()
        summary_lines = diagnosis.summary()  # ends with the note when the diagnosis stopped early
        record["diagnosis"] = {"summary": summary_lines, "solves": diagnosis.solves,
                               "seconds": round(diagnosis.seconds, 3), "complete": diagnosis.complete,
                               "note": diagnosis.note}
    write_folder(out, tables, record, inputs=run_inputs(solved.loaded), extra_files=extra, force=force)
    if not plan.solved:
        click.echo(f"{solved.loaded.scenario.name}: {explain_status(plan)}")
        for line in summary_lines:
            click.echo(line)
        click.echo(f"Wrote {out}/: " + ", ".join([f"{k}.csv" for k in tables] + ["run.json"]))
        sys.exit(EXIT_NO_PLAN)
    click.echo(summary_text(solved))
    click.echo(f"Wrote {out}/: {', '.join(f'{k}.csv' for k in plan.tables)}, run.json" + (", model.lp, model.mps" if extra else ""))


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set budget.total=3.5e6 --set 'channels[livestream].max_spend=400000'.")
@ALLOW_OUTSIDE_OPTION
@_guard
def validate(scenario, overrides, allow_outside):
    """Check SCENARIO (and the CSV tables it references) without solving.

    \b
    Example:
      allocator validate scenarios/example_q1.yaml
    """
    from allocator.model.cells import build_cells
    from allocator.scenario.loader import load_scenario

    loaded = load_scenario(scenario, overrides, allow_outside)
    s = loaded.scenario
    cells = build_cells(s)
    click.echo(
        f"{scenario}: valid. {len(s.channels)} channels, {len(s.tiers)} tiers, {len(s.products)} products, "
        f"{len(s.periods)} periods, {cells.size} eligible cells; objective {s.objective}."
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="The same overrides the plan was solved with.")
@ALLOW_OUTSIDE_OPTION
@_guard
def verify(scenario, folder, overrides, allow_outside):
    """Re-check every constraint of SCENARIO against FOLDER/allocation.csv.

    The check recomputes leads, customers and revenue from each cell's spend
    and every budget, capacity, ROI, target, mix and phasing constraint with
    plain arithmetic, independently of the model builder. Prints each
    violation; exits 1 if there is any. It also compares the SHA-256 that
    FOLDER/run.json records for the scenario file, each extends: base and
    each file: table with those files now, and names each one that differs
    (exit 1 too); --set lines other than the plan's are only noted.

    \b
    Example:
      allocator verify scenarios/example_q1.yaml out/q1
    """
    from allocator.scenario.loader import load_scenario
    from allocator.plan.verify import check_inputs, read_allocation
    from allocator.plan.verify import verify as run_verify

    loaded = load_scenario(scenario, overrides, allow_outside)
    report = run_verify(loaded.scenario, read_allocation(folder))
    differences, notes = check_inputs(loaded, folder)
    for line in notes:
        click.echo(f"note: {line}")
    for line in differences:
        click.echo(f"input differs: {line}")
    for line in report.shortfalls:
        click.echo(f"soft target not met (allowed): {line}")
    if report.ok and not differences:
        click.echo(f"{folder}: all {len(report.checks)} checks passed against {scenario}.")
        return
    for line in report.violations:
        click.echo(f"violation: {line}")
    if differences:
        click.echo(f"{folder}: solved from other inputs than {scenario} ({len(differences)} difference(s)); "
                   f"{len(report.violations)} violation(s) in {len(report.checks) + len(report.problems)} checks.")
    else:
        click.echo(f"{folder}: {len(report.violations)} violation(s) in {len(report.checks) + len(report.problems)} checks.")
    sys.exit(EXIT_NO_PLAN)


@main.command("explain")
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--out", "out", type=OutFolder(), help="Also write sensitivity.csv and marginal.csv here.")
@SOLVER_OPTION
@OBJECTIVE_OPTION
@click.option("--ranging", default=5, show_default=True, type=click.IntRange(min=0),
              help="How many of the costliest limits get a price range (each takes a few dozen re-solves).")
@TIME_LIMIT_OPTION
@LP_METHOD_OPTION
@click.option("--force", is_flag=True, help="Replace an existing, non-empty --out folder.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="Override a scenario field, e.g. --set budget.total=3.5e6 --set 'channels[livestream].max_spend=400000'.")
@DIAGNOSE_SECONDS_OPTION
@ALLOW_OUTSIDE_OPTION
@_guard
def explain_command(scenario, out, solver, objective, ranging, time_limit, lp_method, force, overrides,
                    diagnose_seconds, allow_outside):
    """Explain SCENARIO's plan: what binds, what one more unit of each limit is
    worth and over which range, and each channel's return at the margin. When
    no plan exists: which demands conflict and how far each must move.

    \b
    Example:
      allocator explain scenarios/example_q1.yaml
      allocator explain scenarios/example_q1.yaml --out out/q1-explain --ranging 10
    """
    from solvers import SolveOptions

    from allocator.analysis.explain import explain
    from allocator.io.output import prepare_target, protect_inputs, run_inputs, write_folder
    from allocator.solve.pipeline import explain_status, run_record, solve_file

    if out is not None:
        prepare_target(out, force, [scenario])
    options = SolveOptions(time_limit=time_limit, lp_method=lp_method)
    solved = solve_file(scenario, solver=solver, objective=objective, options=options, overrides=overrides,
                        allow_outside=allow_outside)
    if out is not None:
        protect_inputs(out, run_inputs(solved.loaded))  # its extends: and file: inputs, before anything is printed
    result = explain(solved, solver, options, ranged=ranging, diagnose_seconds=diagnose_seconds)
    click.echo(f"{solved.loaded.scenario.name}: {explain_status(solved.plan)}")
    for line in result.lines:
        click.echo(line)
    if out is not None:
        record = {**run_record(solved, out), "explain_solves": result.solves}
        if result.diagnosis is not None:
            record["diagnosis"] = {"solves": result.diagnosis.solves, "seconds": round(result.diagnosis.seconds, 3),
                                   "complete": result.diagnosis.complete, "note": result.diagnosis.note}
        write_folder(out, result.tables, record, inputs=run_inputs(solved.loaded), force=force)
        click.echo(f"Wrote {out}/: " + ", ".join([f"{k}.csv" for k in result.tables] + ["run.json"]))
    if not solved.plan.solved:
        sys.exit(EXIT_NO_PLAN)


@main.command()
@click.argument("plans", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@click.option("--out", "out", type=OutFolder(), help="Write comparison.csv (and run.json) here.")
@SOLVER_OPTION
@click.option("--force", is_flag=True, help="Replace an existing, non-empty --out folder.")
@ALLOW_OUTSIDE_OPTION
@_guard
def compare(plans, out, solver, force, allow_outside):
    """Compare plans side by side: totals, target attainment, per channel /
    tier / product / period, limits that start or stop binding, and the inputs
    that differ. Each PLAN is a scenario file (solved here) or a folder written
    by `allocator solve`; differences are against the first. A folder's inputs
    are compared only while its scenario files are still the ones its run.json
    hashed; otherwise a note says why they are left out.

    \b
    Example:
      allocator compare scenarios/example_q1.yaml scenarios/example_q1_livestream_push.yaml --out out/cmp
      allocator compare out/q1 out/q1-4m
    """
    from solvers import SolveOptions

    from allocator.whatif.compare import comparison_table, summary_lines, unique_labels, view_of
    from allocator.io.output import plan_inputs, prepare_target, write_folder

    if len(plans) < 2:
        raise ScenarioError("compare", "PLANS", len(plans), "at least two scenario files or plan folders")
    if out is not None:
        inputs = plan_inputs(plans, allow_outside)
        prepare_target(out, force, inputs)
    views = [view_of(p, solver, SolveOptions(), allow_outside) for p in plans]
    table = comparison_table(views)
    labels = unique_labels(views)
    for line in summary_lines(table, labels):
        click.echo(line)
    if out is not None:
        record = {"plans": [str(Path(p).absolute()) for p in plans], "labels": labels, "statuses": [v.status for v in views]}
        write_folder(out, {"comparison": table}, record, inputs=inputs, force=force)
        click.echo(f"Wrote {out}/: comparison.csv, run.json")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH=start:stop:count|a,b,c",
              help="A parameter and its values; several --vary make a grid.")
@click.option("--out", "out", required=True, type=OutFolder(), help="Write frontier.csv (and frontier.png) here.")
@SOLVER_OPTION
@OBJECTIVE_OPTION
@WORKERS_OPTION
@SCHEDULER_OPTION
@TIME_LIMIT_OPTION
@LP_METHOD_OPTION
@click.option("--force", is_flag=True, help="Replace an existing, non-empty --out folder.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a field in every variant.")
@ALLOW_OUTSIDE_OPTION
@_guard
def sweep(scenario, vary, out, solver, objective, workers, scheduler, time_limit, lp_method, force, overrides, allow_outside):
    """Solve SCENARIO for every combination of the --vary values and write the
    frontier: one row per variant with its parameters, status, objective,
    totals, the marginal ROI of budget (its shadow price) and the channels it
    funds. Infeasible variants are rows with their diagnosis.

    \b
    Example:
      allocator sweep scenarios/example_q1.yaml --vary budget.total=2e6:5e6:13 --out out/frontier
      allocator sweep scenarios/example_q1.yaml --vary budget.total=3e6,4e6 --vary targets.buffer=0.1,0.15 --out out/grid
    """
    import time as _time

    from solvers import SolveOptions

    from allocator.whatif.execute import describe as describe_executor
    from allocator.io.output import prepare_target, run_inputs, write_folder
    from allocator.scenario.loader import load_scenario
    from allocator.whatif.sweep import frontier_chart, grid, parse_axes, run_sweep

    axes = parse_axes(vary)
    loaded = load_scenario(scenario, overrides, allow_outside)  # a bad base file is reported once, before any work
    prepare_target(out, force, run_inputs(loaded))
    total = len(grid(axes))
    started = _time.perf_counter()
    with _progress(total, "sweep") as progress:
        options = SolveOptions(time_limit=time_limit, lp_method=lp_method)
        frame = run_sweep(scenario, axes, tuple(overrides), objective, solver, options, workers, scheduler, progress,
                          allow_outside)
    seconds = _time.perf_counter() - started
    chart = frontier_chart(frame, axes)
    extra = {"frontier.png": chart} if chart is not None else {}
    counts = frame["status"].value_counts().to_dict()
    per_variant = frame.attrs.get("seconds") or [0.0]
    slowest = int(max(range(len(per_variant)), key=per_variant.__getitem__))
    record = {"scenario": str(Path(scenario).absolute()), "vary": list(vary), "overrides": list(overrides), "variants": total,
              "statuses": counts, "seconds": round(seconds, 3), "solver": solver,
              "variant_seconds": {"mean": round(sum(per_variant) / len(per_variant), 4),
                                  "slowest": round(per_variant[slowest], 4), "slowest_row": slowest},
              "executor": describe_executor(workers, scheduler, total)}
    write_folder(out, {"frontier": frame}, record, inputs=run_inputs(loaded), extra_files=extra, force=force)
    click.echo(f"{total} variants in {seconds:.1f}s: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if "frontier.png" not in extra:
        click.echo("(no chart: install matplotlib, e.g. pip install 'allocator[charts]')")
    click.echo(f"Wrote {out}/: frontier.csv" + (", frontier.png" if extra else "") + ", run.json")


class _progress:
    """A rich progress bar with ETA when rich is installed and stderr is a terminal; else silent."""

    def __init__(self, total: int, label: str):
        self.total = total
        self.label = label
        self._bar = None

    def __enter__(self):
        if self.total >= 20 and sys.stderr.isatty():
            try:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

                self._bar = Progress(self.label, BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
                self._bar.start()
                self._task = self._bar.add_task(self.label, total=self.total)
            except ImportError:
                self._bar = None
        return self.update

    def update(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--samples", default=2000, show_default=True, type=click.IntRange(min=10, max=1_000_000), help="Monte Carlo samples.")
@SEED_OPTION
@CONFIDENCE_OPTION
@click.option("--out", "out", type=OutFolder(), help="Write risk.csv (and run.json) here.")
@SOLVER_OPTION
@OBJECTIVE_OPTION
@click.option("--force", is_flag=True, help="Replace an existing, non-empty --out folder.")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="Override a scenario field.")
@WORKERS_OPTION
@SCHEDULER_OPTION
@LP_METHOD_OPTION
@ALLOW_OUTSIDE_OPTION
@_guard
def risk(scenario, samples, seed, confidence, out, solver, objective, force, overrides, workers, scheduler, lp_method, allow_outside):
    """Monte Carlo the optimal plan of SCENARIO under its `uncertainty` entries:
    P10/P50/P90 of revenue, new customers and leads, and the probability of
    meeting each committed target. With --confidence, the smallest planning
    buffer that meets committed revenue with that probability. Samples and
    the buffers of the search run on all local cores, or on a Dask cluster
    with --scheduler; the numbers are the same either way.

    \b
    Example:
      allocator risk scenarios/example_q1.yaml --samples 2000 --seed 7
      allocator risk scenarios/example_q1.yaml --confidence 0.9 --out out/risk
      allocator risk scenarios/example_q1.yaml --samples 200000 --scheduler tcp://10.0.0.5:8786
    """
    from solvers import SolveOptions

    from allocator.whatif.execute import describe as describe_executor
    from allocator.io.output import prepare_target, protect_inputs, run_inputs, write_folder
    from allocator.solve.pipeline import explain_status, solve_file
    from allocator.whatif.risk import BLOCK, TASK_BLOCKS, risk_table, smallest_buffer

    if out is not None:
        prepare_target(out, force, [scenario])
    options = SolveOptions(lp_method=lp_method)
    solved = solve_file(scenario, solver=solver, objective=objective, options=options, overrides=overrides,
                        allow_outside=allow_outside)
    if out is not None:
        protect_inputs(out, run_inputs(solved.loaded))  # its extends: and file: inputs, before anything is printed
    s = solved.loaded.scenario
    if confidence is not None and s.targets.revenue is None:
        raise ScenarioError(scenario, "targets.revenue", None,
                            "a committed revenue target to measure --confidence against")
    if not s.uncertainty:
        click.echo("note: the scenario has no `uncertainty` entries; every sample equals the plan")
    if not solved.plan.solved:
        click.echo(f"{s.name}: {explain_status(solved.plan)}")
        sys.exit(EXIT_NO_PLAN)
    tasks = -(-samples // (BLOCK * TASK_BLOCKS))
    with _progress(tasks, "samples") as progress:
        table = risk_table(solved.model, solved.x, samples, seed, workers, scheduler, progress)
    click.echo(f"{s.name}: {samples} samples, seed {seed}")
    click.echo(f"{'metric':<16}{'as planned':>16}{'P10':>16}{'P50':>16}{'P90':>16}{'P(meet committed)':>20}")
    for row in table.itertuples():
        chance = "-" if row.probability_meets_committed != row.probability_meets_committed else f"{row.probability_meets_committed:.1%}"
        click.echo(f"{row.metric:<16}{row.as_planned:>16,.0f}{row.p10:>16,.0f}{row.p50:>16,.0f}{row.p90:>16,.0f}{chance:>20}")
    record = {"scenario": str(Path(scenario).absolute()), "samples": samples, "seed": seed, "uncertainty": len(s.uncertainty),
              "executor": describe_executor(workers, scheduler, tasks)}
    tables = {"risk": table}
    if confidence is not None:
        buffer, trail = smallest_buffer(s, objective, confidence, samples, seed, solver, options,
                                        workers=workers, scheduler=scheduler)
        import pandas as pd

        tables["buffer_search"] = pd.DataFrame(trail)
        record["confidence"] = confidence
        record["smallest_buffer"] = buffer
        if buffer is None:
            click.echo(f"No buffer up to 100% gives a plan that meets committed revenue with {confidence:.0%} probability.")
        else:
            click.echo(f"Smallest buffer meeting committed revenue with {confidence:.0%} probability: {buffer:.1%}")
    if out is not None:
        write_folder(out, tables, record, inputs=run_inputs(solved.loaded), force=force)
        click.echo(f"Wrote {out}/: " + ", ".join([f"{k}.csv" for k in tables] + ["run.json"]))


@main.command("solvers")
def list_solvers():
    """List the solver backends and whether each can run here.

    \b
    Example:
      allocator solvers
    """
    from solvers import BACKENDS, describe

    click.echo(f"{'solver':<8} {'available':<10} {'MIP':<4} {'duals':<6} note")
    for name in BACKENDS:
        info = describe(name)
        click.echo(
            f"{name:<8} {'yes' if info.available else 'no':<10} {'yes' if info.capabilities.mip else 'no':<4} "
            f"{'yes' if info.capabilities.duals else 'no':<6} {info.note}"
        )


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files of the same name in FOLDER.")
@_guard
def init(folder, force):
    """Write the example scenario (Q1 plan and its CSV tables) into FOLDER to start from.

    \b
    Example:
      allocator init my-plan && allocator solve my-plan/example_q1.yaml --out out/q1
    """
    from allocator.scenario.examples import write_examples

    written = write_examples(folder, force=force)
    click.echo(f"Wrote {len(written)} files to {folder}: {', '.join(p.name for p in written)}")


if __name__ == "__main__":  # pragma: no cover
    main()
