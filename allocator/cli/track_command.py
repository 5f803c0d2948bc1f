"""`allocator track`: actuals to date against the approved plan (attainment, KPIs, forecasts, flags)."""

from __future__ import annotations

import math
from pathlib import Path

import click

from allocator.cli.exits import guard
from allocator.cli.options import STORE_OPTION, FiniteFloat, out_options
from allocator.errors import InputError, Text, UsageError

TABLES = ("tracking", "kpis_daily", "kpis_weekly", "kpis_monthly", "flags", "units")


@click.command("track")
@click.argument("sources", nargs=-1, required=True, metavar="[PLAN_DIR] ACTUALS",
                type=click.Path(path_type=Path))
@click.option("--as-of", "as_of", required=True, metavar="YYYY-MM-DD",
              help="Count actuals dated before this day; the plan's days before it are the elapsed ones.")
@out_options("Write tracking.csv, kpis_daily/weekly/monthly.csv, flags.csv, units.csv and run.json here.",
             required=True)
@click.option("--run", "run_id", metavar="RUN", help="Track the plan of this recorded run (see `allocator runs list`) "
                                                     "instead of a PLAN_DIR; without either, the approved plan.")
@click.option("--threshold", default=0.15, show_default=True, type=FiniteFloat(0, 10),
              help="Flag a channel whose weekly conversion or cost per lead is off plan by more than this share...")
@click.option("--weeks", default=2, show_default=True, type=click.IntRange(min=1),
              help="... in each of this many complete weeks in a row (\"cut or fix\", or \"ahead\").")
@click.option("--pacing", default=0.10, show_default=True, type=FiniteFloat(0, 10),
              help="Flag spend to date off the plan to date by more than this share (all channels and each).")
@STORE_OPTION
@guard
def track(sources, as_of, out, force, run_id, threshold, weeks, pacing, store):
    """Set ACTUALS (CSV or Parquet: date, channel, tier, [product], spend,
    leads, customers, revenue; one row per day and cell) against a plan: the
    folder PLAN_DIR, the run --run RUN of the run store, or the store's
    approved plan. Writes tracking.csv (each committed target and each
    measure by channel, tier and product: plan to date, actual to date,
    attainment, run-rate and plan-based forecasts to the quarter's end with
    90% intervals, gap to the committed number), kpis_daily.csv (leads,
    conversion, order value), kpis_weekly.csv (revenue, new customers, repeat
    rate, conversion and cost per lead against plan), kpis_monthly.csv
    (completion, ROI, lifetime value), flags.csv and run.json.

    \b
    Rules (run.json repeats them):
      plan to date  each period's plan spread over its days by the calendar's
                    working days (weekly.csv's split), else evenly
      corrections   a row repeating an earlier row's date, channel, tier and
                    product replaces it (the last in the file wins)
      run-rate      actual to date x quarter days / elapsed days; normal 90%
                    interval from the day-to-day variation
      plan-based    actual + rest of the plan x (actual / plan to date);
                    90% bootstrap interval over the elapsed days (fixed seed)
      revenue       everything sold, baseline included (the plan's
                    revenue_total); ROI and order value use revenue less the
                    plan's baseline
      flags         cut_or_fix / ahead: weekly conversion or cost per lead
                    off plan by more than --threshold for --weeks complete
                    weeks; target_miss: a forecast misses a committed
                    target; pacing_ahead / pacing_behind: spend to date off
                    the plan to date by more than --pacing

    \b
    Example:
      allocator solve scenarios/example_q1.yaml --out out/q1
      allocator track out/q1 scenarios/actuals_q1.csv --as-of 2027-02-01 --out out/track
      allocator track scenarios/actuals_q1.csv --as-of 2027-02-01 --out out/track --force   # the approved plan
    """
    from allocator.cli.runs_command import check_store
    from allocator.io.output import prepare_target, write_folder
    from allocator.plan.units import with_units
    from allocator.tracking.flags import FlagRules
    from allocator.tracking.track import track as track_actuals

    plan_dir, actuals = _sources(sources, run_id)
    if plan_dir is None or run_id is not None:
        plan_dir = _plan_from_store(store, run_id)
    else:
        check_store(store)
    inputs = [actuals, plan_dir, *sorted(p for p in plan_dir.iterdir() if p.is_file())] if plan_dir.is_dir() \
        else [actuals, plan_dir]
    prepare_target(out, force, inputs)
    plan = _read_plan(plan_dir)
    result = track_actuals(plan, actuals, as_of, FlagRules(threshold=threshold, weeks=weeks, pacing=pacing))
    write_folder(out, with_units(result.tables, plan.currency), result.record, inputs=inputs, force=force)
    for line in summary_lines(result, plan):
        click.echo(line)
    click.echo(f"Wrote {out}/: " + ", ".join(f"{t}.csv" for t in TABLES) + ", run.json")
    _record(out, result.record, plan.periods, store)


def _sources(sources: tuple[Path, ...], run_id: str | None) -> tuple[Path | None, Path]:
    """PLAN_DIR (or None) and ACTUALS from the one or two arguments."""
    if len(sources) > 2:
        raise UsageError("track", "arguments", Text(f"{len(sources)} paths"), "[PLAN_DIR] ACTUALS")
    if len(sources) == 2 and run_id is not None:
        raise UsageError("--run", "", run_id, "either --run RUN or a PLAN_DIR, not both")
    if sources[-1].is_dir():
        raise UsageError(sources[-1], "ACTUALS", Text("a folder"), "an actuals table (CSV or Parquet) as the last "
                         "argument, after PLAN_DIR: allocator track PLAN_DIR ACTUALS ...")
    return (sources[0] if len(sources) == 2 else None), sources[-1]


def _plan_from_store(store: str | None, run_id: str | None) -> Path:
    """The folder of run `run_id`, or of the approved plan, in the run store."""
    from allocator.tracking.store import open_store

    with open_store(store) as opened:
        return Path(opened.reference(run_id=run_id).folder)


def _read_plan(folder: Path):
    """The plan folder, verified as `allocator report` reads it (run.json, rectangular CSVs, the allocation
    against its scenario when that is still the file run.json hashed)."""
    from allocator.errors import PlanFolderError
    from allocator.review.source import read_plan_folder
    from allocator.tracking.track import PlanSource

    document = read_plan_folder(folder)
    if not document.solved or "targets" not in document.tables:
        raise PlanFolderError(folder, "", Text(f"a plan with status {document.status}"),
                              "a solved plan (allocation.csv and targets.csv) to track")
    return PlanSource(document.tables["allocation"], document.tables["targets"], document.scenario, document.run,
                      folder)


def _record(out: Path, run: dict, periods: list[str], store: str | None) -> None:
    """Record the track run in the store; a store that cannot be written is a warning (the run stands)."""
    from allocator.tracking.store import open_store, resolve_target

    if resolve_target(store) is None:
        return
    try:
        with open_store(store) as opened:
            click.echo(f"Recorded run {opened.record('track', out, run, periods=periods)} in {opened.url}")
    except InputError as exc:
        click.echo(f"warning: run not recorded: {exc}", err=True)


def summary_lines(result, plan) -> list[str]:
    """What the terminal shows: the counts, each committed target and the flags."""
    from allocator.tracking.flags import figure_format, money_scale

    record = result.record["actuals"]
    tracking = result.tables["tracking"]
    targets = tracking[tracking["level"] == "target"]
    width = max([20, *(len(n) + 2 for n in targets["name"])])
    lines = [f"Tracking {plan.run.get('scenario', {}).get('name') or plan.folder} at {result.as_of:%Y-%m-%d}: "
             f"{result.elapsed_days} of {result.quarter_days} days elapsed. {record['statement']}"
             + (f"; {result.not_counted} dated on or after it not counted" if result.not_counted else "") + "."
             + _gap_at_the_end(result),
             (f"{'target':<{width}}{'committed':>14}{'plan to date':>14}{'actual':>14}{'attained':>9}"
              f"{'run-rate':>14}{'plan-based (90% interval)':>40}{'on course':>10}")]
    for row in targets.itertuples():
        shown = figure_format(row.unit, plan.currency, money_scale(tracking, plan.currency))
        attained = "-" if math.isnan(row.attainment) else f"{row.attainment:.1%}"
        interval = "" if math.isnan(row.plan_based_low) else \
            f" ({shown(row.plan_based_low)}-{shown(row.plan_based_high)})"
        lines.append(f"{row.name:<{width}}{shown(row.committed):>14}{shown(row.plan_to_date):>14}"
                     f"{shown(row.actual_to_date):>14}{attained:>9}{shown(row.forecast_run_rate):>14}"
                     f"{shown(row.forecast_plan_based) + interval:>40}{'yes' if row.on_course else 'NO':>10}")
    flags = result.tables["flags"]
    lines.append(f"Flags ({len(flags)}):" if len(flags) else "Flags: none")
    lines += [f"  {row.flag}: {row.statement}" for row in flags.itertuples()]
    return lines


def _gap_at_the_end(result) -> str:
    """A warning when the actuals stop before the as-of date while the plan still works: those days count as
    days without sales."""
    if not result.unreported_days:
        return ""
    last = result.last_date
    ends = (f"the actuals end on {last:%Y-%m-%d}; {result.unreported_days} planned day(s) after it" if last is not None
            else f"no actuals row is dated before it; its {result.unreported_days} planned day(s)")
    return f" Note: {ends} count as zero (move --as-of back if their figures are late)."




COMMANDS = (track,)
