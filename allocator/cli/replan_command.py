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
      allocator replan scenarios/example_q1.yaml --actuals scenarios/actuals_q1.csv \\
        --as-of 2027-02-01 --against out/q1 --out out/q1-replan
    """
    from allocator.api.tracking_replan import replan as run_replan
    from allocator.cli.runs_command import check_store, record_or_warn
    from allocator.solving.pipeline import explain_status

    check_store(store)
    result = run_replan(scenario, actuals, as_of.date(), against=against, run=run_id, store=store, learn=learn,
                        solver=solver, set=overrides, allow_outside=allow_outside, diagnose_seconds=diagnose_seconds,
                        out=out, force=force)
    plan = result.plan
    if plan.solved:  # the whole quarter: the elapsed days at their actuals, the rest as re-planned
        from allocator.cli.summary import summary_text

        click.echo(summary_text(plan.solution))
    else:
        click.echo(explain_status(plan.solution.plan))
    if result.softened:
        click.echo("The committed targets cannot all be met any more; the best plan with shortfalls:")
        for row in plan.tables["shortfalls"].itertuples():
            click.echo(f"  {row.goal}: short by {row.shortfall:,.0f}")
    if result.diagnosis is not None:
        click.echo("What blocks the committed targets:" if result.softened else "What blocks any plan:")
        for line in result.diagnosis.summary():
            click.echo(f"  {line}")
    if plan.solved:
        click.echo(f"Against {result.approved_from}:")
        for line in result.sentences or ["nothing moved"]:
            click.echo(f"  {line}")
    click.echo(f"Wrote {out}/")
    record_or_warn("replan", out, store)
    if not plan.solved:
        raise SystemExit(EXIT_NO_PLAN)


COMMANDS = (replan,)
