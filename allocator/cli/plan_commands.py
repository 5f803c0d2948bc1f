"""Commands on one scenario's plan: solve, validate, verify, explain."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.cli.exits import EXIT_NO_PLAN, guard
from allocator.cli.options import (
    DIAGNOSE_SECONDS_OPTION, MIP_GAP_OPTION, STORE_OPTION, THREADS_OPTION, cold_option, out_options,
    scenario_options, solve_options,
)

SCENARIO_ARGUMENT = click.argument("scenario", type=click.Path(dir_okay=True, path_type=Path))


@click.command()
@SCENARIO_ARGUMENT
@out_options("Folder to write the plan into.", required=True)
@solve_options
@MIP_GAP_OPTION
@THREADS_OPTION
@click.option("--log/--no-log", default=False, show_default=True, help="Show the solver's own log on stderr.")
@click.option("--export-model", is_flag=True, help="Also write model.lp, model.mps and model_names.csv (LP-safe names mapped to "
              "the readable ones) for auditors; with CBC run `cbc model.mps -max -solve` for a maximisation "
              "(see docs/model.md).")
@click.option("--diagnose/--no-diagnose", "diagnose_infeasible", default=True, show_default=True,
              help="When no plan exists, find the conflicting demands and how far each must move (re-solves).")
@DIAGNOSE_SECONDS_OPTION
@cold_option("the diagnosis' sub-problems", "; the plan itself is always solved from scratch")
@click.option("--report", "review_pack", is_flag=True,
              help="Also write plan.xlsx and report.html (the budget review pack, as `allocator report` writes "
                   "it) into --out with the rest. Needs the report extra.")
@scenario_options
@STORE_OPTION
@guard
def solve(scenario, out, force, solver, objective, time_limit, lp_method, mip_gap, threads, log, export_model,
          diagnose_infeasible, diagnose_seconds, cold, review_pack, overrides, allow_outside, store):
    """Solve SCENARIO and write the budget and target breakdown to --out.

    \b
    Writes allocation.csv (one row per channel x tier x product x period),
    by_channel/by_tier/by_product/by_period.csv, targets.csv, budget_lines.csv,
    constraints.csv (slack, binding, shadow price), sensitivity.csv (what
    binds and what relaxing it is worth), marginal.csv and run.json, and
    response_fit.csv when a channel's response is a media-mix curve (its
    slices and achieved error). When no
    plan exists it writes diagnosis.csv: the demands that conflict and how far
    each must move. The folder is written whole or not at all. With --report
    it also holds plan.xlsx and report.html for the budget review.

    Each run is recorded in the run store (`allocator runs --help`; a
    store that cannot be written is a warning, the plan stands).

    \b
    Example:
      allocator solve scenarios/example_q1.yaml --out out/q1 --report
      allocator solve scenarios/example_q1.yaml --out out/q1-min --objective min_spend --force
      allocator solve scenarios/example_q1.yaml --out out/q1-4m --set budget.total=4e6
    """
    from allocator import api
    from allocator.cli.summary import summary_text
    from allocator.cli.runs_command import check_store, record_or_warn
    from allocator.history.checks import check_lines

    check_store(store)
    plan = api.solve(scenario, solver=solver, objective=objective, set=overrides, time_limit=time_limit,
                     mip_gap=mip_gap, threads=threads, lp_method=lp_method, diagnose=diagnose_infeasible,
                     allow_outside=allow_outside, diagnose_seconds=diagnose_seconds, log=log, out=out, force=force,
                     export_model=export_model, report=review_pack, cold=cold)
    files = plan.files(export_model)
    written = f"Wrote {out}/: " + ", ".join(files[:-1] + (["plan.xlsx", "report.html"] if review_pack else []) + files[-1:])
    if not plan.solved:
        click.echo(f"{plan.scenario.name}: {plan.explanation}")
        for line in plan.diagnosis_lines + check_lines(plan.table("checks"), flagged_only=True):
            click.echo(line)
        click.echo(written)
        record_or_warn("solve", out, store)
        sys.exit(EXIT_NO_PLAN)
    click.echo(summary_text(plan.solution))
    for line in check_lines(plan.table("checks"), flagged_only=True):  # the scenario names a history file
        click.echo(line)
    click.echo(written)
    record_or_warn("solve", out, store)


@click.command()
@SCENARIO_ARGUMENT
@scenario_options
@guard
def validate(scenario, overrides, allow_outside):
    """Check SCENARIO (and the CSV tables it references) without solving.

    \b
    Example:
      allocator validate scenarios/example_q1.yaml
    """
    from allocator import api
    from allocator.model.cells import build_cells
    from allocator.scenario.curves import fit_rows

    s = api.load(scenario, set=overrides, allow_outside=allow_outside).scenario
    click.echo(
        f"{scenario}: valid. {len(s.channels)} channels, {len(s.tiers)} tiers, {len(s.products)} products, "
        f"{len(s.periods)} periods, {build_cells(s).size} eligible cells; objective {s.objective}."
    )
    for row in fit_rows(s):  # a media-mix curve became slices: say how many and how close (response_fit.csv)
        click.echo(f"  {row['channel']}: {row['curve']} curve as {row['slices']} slices, within "
                   f"{row['achieved_error']:.3%} of max_effect (max_error {row['max_error']:.3%}) on spend up to "
                   f"{row['spend_range']:,.6g} per period")


@click.command()
@SCENARIO_ARGUMENT
@click.argument("folder", type=click.Path(path_type=Path))
@scenario_options
@guard
def verify(scenario, folder, overrides, allow_outside):
    """Re-check every constraint of SCENARIO against FOLDER/allocation.csv.

    The check recomputes every column of allocation.csv (leads, customers,
    revenue from each cell's spend; the funnel numbers, names and eligibility
    from the scenario) and every budget, capacity, ROI, target, mix and
    phasing constraint with plain arithmetic, independently of the model
    builder; by_*.csv, targets.csv and run.json's objective must agree with
    allocation.csv. Prints each violation; exits 1 if there is any. It also
    compares the SHA-256 that
    FOLDER/run.json records for the scenario file, each extends: base and
    each file: table with those files now, and names each one that differs
    (exit 1 too); --set lines other than the plan's are only noted.

    \b
    Example:
      allocator verify scenarios/example_q1.yaml out/q1
    """
    from allocator import api

    found = api.verify(scenario, folder, set=overrides, allow_outside=allow_outside)
    report = found.report
    for line in found.notes:
        click.echo(f"note: {line}")
    for line in found.differences:
        click.echo(f"input differs: {line}")
    for line in report.shortfalls:
        click.echo(f"soft target not met (allowed): {line}")
    if found.ok:
        click.echo(f"{folder}: all {len(report.checks)} checks passed against {scenario}.")
        return
    for line in report.violations:
        click.echo(f"violation: {line}")
    counted = f"{len(report.violations)} violation(s) in {len(report.checks) + len(report.problems)} checks."
    if found.differences:
        click.echo(f"{folder}: solved from other inputs than {scenario} ({len(found.differences)} difference(s)); "
                   + counted)
    else:
        click.echo(f"{folder}: {counted}")
    sys.exit(EXIT_NO_PLAN)


@click.command("explain")
@SCENARIO_ARGUMENT
@out_options("Also write sensitivity.csv and marginal.csv here.")
@solve_options
@click.option("--ranging", default=5, show_default=True, type=click.IntRange(min=0),
              help="How many of the costliest limits get a price range (each takes a few dozen re-solves).")
@DIAGNOSE_SECONDS_OPTION
@cold_option("the price ranges' probes (or the diagnosis' sub-problems)")
@scenario_options
@guard
def explain_command(scenario, out, force, solver, objective, time_limit, lp_method, ranging, diagnose_seconds,
                    cold, overrides, allow_outside):
    """Explain SCENARIO's plan: what binds, what one more unit of each limit is
    worth and over which range, and each channel's return at the margin. When
    no plan exists: which demands conflict and how far each must move.

    \b
    Example:
      allocator explain scenarios/example_q1.yaml
      allocator explain scenarios/example_q1.yaml --out out/q1-explain --ranging 10
    """
    from allocator import api

    plan, explanation = api.explain(scenario, solver=solver, objective=objective, set=overrides,
                                    time_limit=time_limit, lp_method=lp_method, ranging=ranging,
                                    diagnose_seconds=diagnose_seconds, allow_outside=allow_outside, out=out,
                                    force=force, cold=cold)
    click.echo(f"{plan.scenario.name}: {plan.explanation}")
    for line in explanation.lines:
        click.echo(line)
    if out is not None:
        click.echo(f"Wrote {out}/: " + ", ".join([f"{k}.csv" for k in explanation.tables] + ["units.csv", "run.json"]))
    if not plan.solved:
        sys.exit(EXIT_NO_PLAN)


COMMANDS = (solve, validate, verify, explain_command)
