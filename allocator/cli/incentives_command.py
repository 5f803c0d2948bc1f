"""`allocator incentives`: bonus, commission, awards and flags for missed months, from attainment."""

from __future__ import annotations

import time
from pathlib import Path

import click

from allocator.cli.exits import guard
from allocator.cli.options import out_options


@click.command("incentives")
@click.option("--rules", "rules_path", required=True, type=click.Path(path_type=Path), metavar="RULES.yaml",
              help="The incentive rules: bonus tiers, commission, awards, consequences, people and their pay.")
@click.option("--attainment", "attainment_path", required=True, type=click.Path(path_type=Path), metavar="TABLE.csv",
              help="Each payee's months: person, month, target, actual (optionally sales, new_customers, product, "
                   "channel, reached_on), or a track run's kpis_monthly.csv (each channel a payee).")
@out_options("Write payouts.csv, totals.csv, expected_cost.csv, units.csv and run.json here "
             "(without it, only the summary is printed).")
@click.option("--as-budget-line", "as_budget_line", is_flag=True,
              help="Also write incentive_budget.yaml (printed without --out): the expected cost at planned attainment "
                   "(100%) and how to hold it in a plan's budget.")
@guard
def incentives(rules_path, attainment_path, out, force, as_budget_line):
    """Pay incentives from attainment under RULES: a bonus of a share of
    monthly pay by attainment tier (the guide's 10% at 100%, 20% at 120%;
    only the highest tier reached pays unless `stack: true`), commission on
    attributed sales, awards, and the consequences of missed months in a row
    (the guide's improvement plan after 2, role review after 3), flagged in
    the month after the last miss.

    \b
    Rules (scenarios/README.md, 'Incentive rules'):
      attainment  actual / target of the month, never rounded: 119.9% earns
                  the 100% tier, 120% exactly the 120% tier
      miss        attainment below miss_below (default 100%)
      awards      tied winners each win and split the prize equally

    \b
    Example:
      allocator incentives --rules scenarios/incentives/rules.yaml \\
          --attainment scenarios/incentives/attainment_q1.csv --out out/incentives --as-budget-line
    """
    from allocator.tracking.attainment_table import read_attainment
    from allocator.tracking.incentive_output import (
        budget_yaml,
        check_target,
        inputs_of,
        write_incentives,
    )
    from allocator.tracking.incentive_rules import load_rules
    from allocator.tracking.incentives import pay_incentives

    started = time.perf_counter()
    loaded = load_rules(rules_path)
    if out is not None:
        check_target(out, force, inputs_of(loaded, attainment_path))
    result = pay_incentives(loaded, read_attainment(attainment_path, loaded.people))
    if out is not None:
        files = write_incentives(result, loaded, attainment_path, out, force=force, as_budget_line=as_budget_line,
                                 seconds=time.perf_counter() - started)
    _print_summary(result, loaded.rules.currency or "")
    if out is not None:
        click.echo(f"Wrote {out}/: " + ", ".join(files))
    elif as_budget_line:
        click.echo(budget_yaml(result, loaded), nl=False)


def _print_summary(result, currency: str) -> None:
    from allocator.plan.words import figure

    totals = result.totals
    people = totals[(totals["level"] == "person") & (totals["month"] == "all")]
    click.echo(f"{'payee':<16}{'bonus':>14}{'commission':>14}{'awards':>12}{'total':>14}")
    for row in people.itertuples():
        click.echo(f"{row.name:<16}{figure(row.bonus):>14}{figure(row.commission):>14}{figure(row.award_amount):>12}"
                   f"{figure(row.incentive_total):>14}")
    overall = totals[(totals["level"] == "all") & (totals["month"] == "all")].iloc[0]
    click.echo(f"{'all':<16}{figure(overall.bonus):>14}{figure(overall.commission):>14}"
               f"{figure(overall.award_amount):>12}{figure(overall.incentive_total):>14} {currency}".rstrip())
    for row in result.payouts[result.payouts["flag"] != ""].itertuples():
        click.echo(f"flag {row.month} {row.person}: {row.flag}")
    for row in result.payouts[result.payouts["award"] != ""].itertuples():
        click.echo(f"award {row.month} {row.person}: {row.award}")
    if result.left_out:
        click.echo(f"left out (channels of the track output that are no payee): {', '.join(result.left_out)}")
    expected = result.expected.set_index("part")["amount"]
    click.echo(f"expected cost at planned attainment (100%): {figure(expected['total'])} {currency}".rstrip())


COMMANDS = (incentives,)
