"""`allocator calibrate HISTORY --as-of DATE --out DIR`: the funnel, baseline and seasonality from history."""

from __future__ import annotations

import time
from pathlib import Path

import click
import yaml

from allocator.cli.exits import guard
from allocator.cli.options import FiniteFloat, out_options

README = """Written by `allocator calibrate` from {history} (rows dated before {as_of}{window}).

funnel.csv       cost per lead, conversion and order value per channel x tier (shrunk estimates):
                 in a scenario, `funnel: {{file: {folder}/funnel.csv}}`
baseline.csv     revenue that comes without spend, per channel x tier x product x plan month:
                 `baseline: {{file: {folder}/baseline.csv}}`
seasonality.yaml demand_index and target_weights for {periods}: copy its `seasonality:` block into the
                 scenario (or start the scenario with `extends: {folder}/seasonality.yaml` and write the rest)
response.yaml    a concave response curve (cost per lead at full efficiency and `response:` slices) for each
                 channel whose leads rose less than in proportion to spend: copy both into that channel,
                 and leave its cost_per_lead out of funnel.csv (that one is an average over the spend seen)
calibration.csv  every estimate: raw value, interval, count, periods, method, shrunk value and its weight
run.json         what was read (SHA-256), the as-of date and window, the trend, notes, versions

The tables must lie in the scenario's folder tree (or pass --allow-outside). Methods: docs/history.md.
{notes}"""


@click.command()
@click.argument("history", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", required=True, metavar="DATE",
              help="Use only history dated before this day (YYYY-MM-DD), as a planner on that day would.")
@click.option("--window", metavar="SPAN", help="How far back from --as-of to look: 8q (quarters), 24m, 2y, 52w, "
                                               "90d (default: all history before --as-of).")
@click.option("--periods", metavar="MONTHS",
              help="The plan months to write baseline and seasonality for, comma-separated (2027-01,2027-02,"
                   "2027-03); default: the three months from --as-of.")
@click.option("--confidence", default=0.9, show_default=True, type=FiniteFloat(0, 1, min_open=True, max_open=True),
              help="Level of every interval in calibration.csv.")
@click.option("--product", metavar="NAME", help="Book the baseline under this product when the history has none.")
@out_options("Folder to write the calibrated inputs into.", required=True)
@guard
def calibrate(history, as_of, window, periods, confidence, product, out, force):
    """Estimate a scenario's funnel, baseline and seasonality from HISTORY
    (CSV or Parquet: date, channel, tier, [product], spend, leads, customers,
    revenue; daily, weekly or monthly rows).

    \b
    Writes funnel.csv and baseline.csv (as a scenario's `file:` tables take
    them), seasonality.yaml (demand_index, target_weights), response.yaml
    (concave response curves where history shows them), calibration.csv
    (every estimate with its interval, count, periods, method, and how far
    sparse cells were pulled toward their channel or tier mean), README.txt
    and run.json. Only rows dated before --as-of are used. Needs the history
    extra: pip install 'allocator-lp[history]'.

    \b
    Example:
      allocator init my-plan
      allocator calibrate scenarios/history.csv --as-of 2027-01-01 --window 8q --out my-plan/params
      # in my-plan/example_q1.yaml: funnel: {file: params/funnel.csv}
      #                             baseline: {file: params/baseline.csv}
      allocator solve my-plan/example_q1.yaml --out out/q1-calibrated
    """
    from allocator.history.calibrate import calibrate as run_calibration, require_statsmodels
    from allocator.io.output import write_folder

    require_statsmodels()
    started = time.perf_counter()
    months = [p.strip() for p in periods.split(",")] if periods else None
    result = run_calibration(history, as_of, window=window, plan_periods=_months(months), confidence=confidence,
                             product=product)
    tables = {"calibration": result.calibration, "funnel": result.funnel}
    if result.baseline is not None:
        tables["baseline"] = result.baseline
    run = {**result.run, "seconds": round(time.perf_counter() - started, 3)}
    extra = {"seasonality.yaml": _seasonality_yaml(result), "response.yaml": _response_yaml(result),
             "README.txt": _readme(result, history, out)}
    write_folder(out, tables, run, inputs=[history], extra_files=extra, force=force)
    click.echo(f"{history}: {run['used']['rows']} rows from {run['used']['first']} to {run['used']['last']} "
               f"({run['history']['grain']}); yearly trend {run['yearly_trend']:+.1%}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"Wrote {out}/: " + ", ".join([f"{t}.csv" for t in tables] + list(extra) + ["run.json"]))


def _months(months: list[str] | None) -> list[str] | None:
    """Each --periods entry must be a month YYYY-MM."""
    import pandas as pd

    from allocator.errors import UsageError

    if months is None:
        return None
    for month in months:
        try:
            ok = str(pd.Period(month, freq="M")) == month
        except ValueError:
            ok = False
        if not ok:
            raise UsageError("--periods", "", month, "months YYYY-MM separated by commas, e.g. 2027-01,2027-02")
    return months


def _seasonality_yaml(result) -> str:
    header = (f"# Written by allocator calibrate (as of {result.run['as_of']}, window {result.run['window'] or 'all'}).\n"
              "# Copy the seasonality: block into a scenario, or extend this file. Monthly indices: calibration.csv.\n")
    body = {"seasonality": result.seasonality} if result.seasonality else {}
    return header + (yaml.safe_dump(body, sort_keys=False) if body else "# no seasonality: see run.json notes\n")


def _response_yaml(result) -> str:
    header = (f"# Written by allocator calibrate (as of {result.run['as_of']}). Per channel: cost_per_lead at full\n"
              "# efficiency and response: slices of the month's spend (fit and R^2: calibration.csv, parameter\n"
              "# response). Copy both into the channel and drop its cost_per_lead from funnel.csv.\n")
    if not result.response:
        header += "# No channel's leads rose less than in proportion to its spend in this history.\n"
    return header + yaml.safe_dump({"channels": result.response}, sort_keys=False)


def _readme(result, history: Path, out: Path) -> str:
    run = result.run
    window = f", window {run['window']}" if run["window"] else ""
    notes = "".join(f"Note: {note}\n" for note in result.notes)
    return README.format(history=history, as_of=run["as_of"], window=window, folder=out.name,
                         periods=", ".join(run["plan_periods"]), notes=notes)


COMMANDS = (calibrate,)
