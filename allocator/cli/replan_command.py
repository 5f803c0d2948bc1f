"""`allocator replan`: the quarter's elapsed days fixed at their actuals, the days left planned again."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.cli.exits import EXIT_NO_PLAN, guard
from allocator.cli.options import DIAGNOSE_SECONDS_OPTION, SOLVER_OPTION, STORE_OPTION, out_options, scenario_options


@click.command("replan")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--actuals", "actuals", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Daily actuals (CSV or Parquet: date, channel, tier, [product], spend, leads, customers, revenue).")
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="The first day not yet elapsed: days before it are fixed at their actuals.")
@click.option("--against", "against", type=click.Path(file_okay=False, path_type=Path),
              help="The approved plan's folder to compare with (default: the store's approved plan of the "
                   "quarter, else the scenario solved fresh).")
@click.option("--run", "run_id", metavar="RUN", help="The store's run to compare with instead of the approved one.")
@click.option("--learn", is_flag=True,
              help="Update conversion, cost per lead and order value of the days left from the actuals "
                   "(a Bayesian update with the plan's numbers as prior; learned.csv shows old and new).")
@out_options("Write the re-plan's folder here (the plan's files, replan_delta.csv, learned.csv, run.json).",
             required=True)
@SOLVER_OPTION
@DIAGNOSE_SECONDS_OPTION
@STORE_OPTION
@scenario_options
@guard
def replan(scenario, actuals, as_of, against, run_id, learn, out, force, solver, diagnose_seconds, store, overrides,
           allow_outside):
    """Plan the rest of the quarter again: the days before --as-of are fixed at
    the ACTUALS (spend, leads, customers, revenue), the days left are
    re-optimised so that the quarter still meets its committed targets; when it
    cannot, the best plan with each target's shortfall and what blocks it.

    \b
    Example:
      allocator replan scenarios/example_q1.yaml --actuals actuals_q1.csv \\
        --as-of 2027-02-01 --against out/q1 --out out/q1-replan
    """
    from allocator.api.planning import load
    from allocator.cli.runs_command import check_store, record_or_warn
    from allocator.io.output import prepare_target, run_inputs, write_folder
    from allocator.plan.units import with_units
    from allocator.plan.verify import read_allocation
    from allocator.solving.pipeline import explain_status
    from allocator.tracking.actuals import read_actuals
    from allocator.tracking.replan import replan as run_replan, replan_run_record

    check_store(store)
    loaded = load(scenario, set=overrides, allow_outside=allow_outside)
    against = against or _approved_folder(store, run_id, loaded.scenario)
    inputs = run_inputs(loaded) + [actuals] + ([against] if against else [])
    prepare_target(out, force, inputs)
    table = read_actuals(actuals).table
    approved = read_allocation(against) if against else None
    result = run_replan(loaded, table, as_of.date(), solver=solver, approved=approved,
                        approved_from=str(against) if against else "", learn=learn, actuals_file=actuals,
                        diagnose_seconds=diagnose_seconds)
    plan = result.plan
    tables = with_units(result.tables, loaded.scenario.currency)
    write_folder(out, tables, replan_run_record(result, out), inputs=inputs,
                 extra_files={"scenario.json": plan.scenario_record()}, force=force)
    click.echo(explain_status(plan.solution.plan))
    if result.softened:
        click.echo("The committed targets cannot all be met any more; the best plan with shortfalls:")
        for row in plan.tables["shortfalls"].itertuples():
            click.echo(f"  {row.goal}: short by {row.shortfall:,.0f}")
    if result.diagnosis is not None:
        click.echo("What blocks the committed targets:")
        for line in result.diagnosis.summary():
            click.echo(f"  {line}")
    click.echo(f"Against {result.approved_from}:")
    for line in result.sentences or ["nothing moved"]:
        click.echo(f"  {line}")
    click.echo(f"Wrote {out}/")
    record_or_warn("replan", out, store)
    if not plan.solved:
        raise SystemExit(EXIT_NO_PLAN)


def _approved_folder(store, run_id, scenario) -> Path | None:
    """The folder of run `run_id`, else of the store's approved plan of the scenario's quarter; None when
    the store is off or has no approved plan for it (the scenario is then solved fresh, and said so)."""
    from allocator.tracking.store import open_store, resolve_target
    from allocator.tracking.store_records import quarter_of

    if resolve_target(store) is None:
        return None
    with open_store(store) as opened:
        if run_id is None and opened.approved(quarter_of(list(scenario.periods), scenario.name)) is None:
            return None
        return Path(opened.reference(run_id, quarter_of(list(scenario.periods), scenario.name)).folder)


COMMANDS = (replan,)
