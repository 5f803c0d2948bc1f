"""`allocator check-targets`: a scenario's targets against history, the planning guide's checks in words."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.cli.exits import EXIT_NO_PLAN, guard
from allocator.cli.options import FiniteFloat, out_options, scenario_options


@click.command("check-targets")
@click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--history", type=click.Path(dir_okay=True, path_type=Path),
              help="History table (CSV or Parquet: date, channel, tier, [product], spend, leads, customers, "
                   "revenue). Default: the scenario's history: {file: ...}.")
@click.option("--margin", type=FiniteFloat(0, 1),
              help="How far growth may exceed the trend before it needs named drivers, as a fraction "
                   "(default 0.02: 2 percentage points).")
@click.option("--strict", is_flag=True, help="Exit 1 when any check warns or fails.")
@out_options("Also write checks.csv (with units.csv and run.json) into this folder.")
@scenario_options
@guard
def check_targets(scenario, history, margin, strict, out, force, overrides, allow_outside):
    """Check the targets of SCENARIO against history, as the planning guide does.

    \b
    growth       the revenue target's growth over the same quarter last year
                 against that quarter's compound yearly growth; above it by
                 more than --margin it warns unless targets.drivers names why
    funnel       leads needed (planned new customers / conversion) against the
                 most leads history ever got in as long a stretch (warn) and
                 against the scenario's caps (fail)
    order_value  a tier's order value above its last 12 months' needs a lever
                 (order_value_lever, or targets.drivers)
    buffer       within 10-15%, or explained by targets.buffer_reason

    \b
    Prints one line per check; warnings exit 0 unless --strict (then 1).
    `allocator solve` runs the same checks when the scenario names a history
    file and writes them as checks.csv.

    \b
    Example:
      allocator check-targets scenarios/example_q1_annual.yaml
      allocator check-targets scenarios/example_q1.yaml --history scenarios/history.csv --strict
      allocator check-targets my-plan.yaml --history sales.parquet --margin 0.05 --out out/checks
    """
    from allocator.history.checks import DEFAULT_MARGIN, check_lines
    from allocator.solving.checking import check_targets as run_checks

    margin = DEFAULT_MARGIN if margin is None else margin
    checks = run_checks(scenario, history, margin, overrides, allow_outside, out, force)
    click.echo(f"{checks.loaded.scenario.name}: targets against {checks.history}")
    for line in check_lines(checks.table):
        click.echo(line)
    if out is not None:
        click.echo(f"Wrote {out}/: checks.csv, units.csv, run.json")
    if strict and checks.failing:
        sys.exit(EXIT_NO_PLAN)


COMMANDS = [check_targets]
