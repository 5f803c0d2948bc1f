"""What-if commands: compare plans, sweep parameters, Monte Carlo the risk."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.cli.exits import EXIT_NO_PLAN, guard
from allocator.cli.options import (
    ALLOW_OUTSIDE_OPTION, CONFIDENCE_OPTION, SEED_OPTION, SOLVER_OPTION, cold_option, out_options,
    parallel_options, scenario_options, solve_options,
)

SCENARIO_ARGUMENT = click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))


class _Progress:
    """A rich progress bar with ETA, shown when rich is installed, stderr is a terminal and there are at
    least 20 steps; otherwise silent. Called as ``progress(done, total)``; started on the first call."""

    def __init__(self, label: str):
        self.label = label
        self._bar = None
        self._started = False

    def __enter__(self):
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self._started:
            self._started = True
            self._start(total)
        if self._bar is not None:
            self._bar.update(self._task, completed=done)

    def _start(self, total: int) -> None:
        if total < 20 or not sys.stderr.isatty():
            return
        try:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
        except ImportError:
            return
        self._bar = Progress(self.label, BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
        self._bar.start()
        self._task = self._bar.add_task(self.label, total=total)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


@click.command()
@click.argument("plans", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=Path))
@out_options("Write comparison.csv, differences.csv (and run.json) here.")
@SOLVER_OPTION
@cold_option("the scenario files after the first")
@ALLOW_OUTSIDE_OPTION
@guard
def compare(plans, out, force, solver, cold, allow_outside):
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
    from allocator import api

    comparison = api.compare(*plans, solver=solver, allow_outside=allow_outside, out=out, force=force, cold=cold)
    for line in comparison.summary():
        click.echo(line)
    if out is not None:
        click.echo(f"Wrote {out}/: comparison.csv, differences.csv, run.json")


@click.command()
@SCENARIO_ARGUMENT
@click.option("--vary", "vary", multiple=True, required=True, metavar="PATH=start:stop:count|a,b,c",
              help="A parameter and its values; several --vary make a grid.")
@out_options("Write frontier.csv (and frontier.png) here.", required=True)
@solve_options
@cold_option("each worker's variants")
@parallel_options
@scenario_options
@guard
def sweep(scenario, vary, out, force, solver, objective, time_limit, lp_method, cold, workers, scheduler, overrides,
          allow_outside):
    """Solve SCENARIO for every combination of the --vary values and write the
    frontier: one row per variant with its parameters, status, objective,
    totals, the marginal ROI of budget (its shadow price) and the channels it
    funds. Infeasible variants are rows with their diagnosis.

    \b
    Example:
      allocator sweep scenarios/example_q1.yaml --vary budget.total=2e6:5e6:13 --out out/frontier
      allocator sweep scenarios/example_q1.yaml --vary budget.total=3e6,4e6 --vary targets.buffer=0.1,0.15 --out out/grid
    """
    from solvers.errors import install_hint

    from allocator import api

    with _Progress("sweep") as progress:
        study = api.sweep(scenario, vary, set=overrides, objective=objective, solver=solver, time_limit=time_limit,
                          lp_method=lp_method, workers=workers, scheduler=scheduler, allow_outside=allow_outside,
                          out=out, force=force, progress=progress, cold=cold)
    record = study.record
    click.echo(f"{record['variants']} variants in {record['seconds']:.1f}s: "
               + ", ".join(f"{k} {v}" for k, v in sorted(record["statuses"].items())))
    if "frontier.png" not in study.extra_files:
        click.echo(f"(no chart: install matplotlib, e.g. {install_hint('charts')})")
    click.echo(f"Wrote {out}/: frontier.csv" + (", frontier.png" if study.extra_files else "") + ", run.json")


@click.command()
@SCENARIO_ARGUMENT
@click.option("--samples", default=2000, show_default=True, type=click.IntRange(min=10, max=1_000_000), help="Monte Carlo samples.")
@SEED_OPTION
@CONFIDENCE_OPTION
@out_options("Write risk.csv (and run.json) here.")
@solve_options
@cold_option("the buffers of the --confidence search")
@parallel_options
@scenario_options
@guard
def risk(scenario, samples, seed, confidence, out, force, solver, objective, time_limit, lp_method, cold, workers,
         scheduler, overrides, allow_outside):
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
    from allocator import api

    with _Progress("samples") as progress:
        run = api.risk(scenario, samples=samples, seed=seed, confidence=confidence, solver=solver, objective=objective,
                       set=overrides, time_limit=time_limit, lp_method=lp_method, workers=workers,
                       scheduler=scheduler, allow_outside=allow_outside, out=out, force=force, progress=progress,
                       cold=cold)
    for note in run.notes:
        click.echo(f"note: {note}")
    if run.study is None:
        click.echo(f"{run.plan.scenario.name}: {run.plan.explanation}")
        sys.exit(EXIT_NO_PLAN)
    _print_risk(run, confidence)
    if out is not None:
        click.echo(f"Wrote {out}/: " + ", ".join([f"{k}.csv" for k in run.study.tables] + ["run.json"]))


def _print_risk(run, confidence: float | None) -> None:
    from allocator.plan.words import figure

    click.echo(f"{run.plan.scenario.name}: {run.samples} samples, seed {run.seed}")
    click.echo(f"{'metric':<16}{'as planned':>16}{'P10':>16}{'P50':>16}{'P90':>16}{'P(meet committed)':>20}")
    for row in run.study.tables["risk"].itertuples():
        chance = row.probability_meets_committed
        chance = "-" if chance != chance else f"{chance:.1%}"
        # figure(): whole units from 1,000 up, 3 significant digits below (a plan in millions reads 27.9, not 0)
        values = "".join(f"{figure(v):>16}" for v in (row.as_planned, row.p10, row.p50, row.p90))
        click.echo(f"{row.metric:<16}{values}{chance:>20}")
    if confidence is None:
        return
    if run.smallest_buffer is None:
        click.echo(f"No buffer up to 100% gives a plan that meets committed revenue with {confidence:.0%} probability.")
    else:
        click.echo(f"Smallest buffer meeting committed revenue with {confidence:.0%} probability: "
                   f"{run.smallest_buffer:.1%}")


COMMANDS = (compare, sweep, risk)
