"""`allocator rfm`: customer tiers from a transactions table (recency, frequency, monetary)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from allocator.cli.exits import guard
from allocator.cli.options import FiniteFloat, out_options


@click.command("rfm")
@click.argument("transactions", type=click.Path(dir_okay=True, path_type=Path))
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), metavar="YYYY-MM-DD",
              help="Count transactions dated before this day (later ones are ignored and counted).")
@out_options("Write customers.csv, tiers.csv, tiers.yaml, README.md and run.json here.", required=True)
@click.option("--cuts", "cuts", multiple=True, metavar="MEASURE=C1,C2,C3,C4",
              help="Four ascending cut points for r (days), f (purchase days) or m (money) instead of its "
                   "quintiles, e.g. --cuts r=30,90,180,365 --cuts f=1,2,3,5. Repeatable, once per measure.")
@click.option("--new-days", default=90, show_default=True, type=click.IntRange(min=0),
              help="new: first purchase at most this many days before --as-of.")
@click.option("--lapsed-days", default=365, show_default=True, type=click.IntRange(min=0),
              help="prospect (lapsed): last purchase more than this many days before --as-of.")
@click.option("--key-share", default=0.05, show_default=True, type=FiniteFloat(0, 1),
              help="key_account: the top share of customers by monetary value (ties at the edge included).")
@click.option("--lead-conversion", default=0.05, show_default=True, type=FiniteFloat(0, 1, min_open=True),
              help="Conversion written in tiers.yaml for the new and prospect tiers: a lead -> customer rate "
                   "that transactions do not hold (marked assumed).")
@guard
def rfm(transactions, as_of, out, force, cuts, new_days, lapsed_days, key_share, lead_conversion):
    """Score the customers of TRANSACTIONS (CSV or Parquet: customer_id, date,
    amount; optional order_id, product) by recency, frequency and monetary value,
    and sort them into the scenario's tier kinds. Writes customers.csv (each
    customer's measures, 1-5 scores, RF segment and tier kind), tiers.csv (per
    tier: customers, revenue share, repeat-purchase rate, average order value,
    average gap between purchases, and the share of the tier's customers at the
    quarter's start, 91 days back, who bought in the quarter) and tiers.yaml
    (a scenario's `tiers:`: that share as the conversion of existing customers
    and key accounts, the average order value as order_value).

    \b
    Rules (README.md and run.json of the output repeat them):
      purchase   a record with amount >= 0; a negative amount is a return:
                 it lowers monetary (net), is no purchase
      recency    days from the last purchase to --as-of
      frequency  purchase days (several records on one day are one purchase)
      monetary   the net total amount
      scores     1-5 by the 20/40/60/80% quantiles (nearest rank) or --cuts;
                 a value up to the first cut scores 1 (recency 5); equal
                 values always score the same
      tier kind  first that holds: prospect if recency > --lapsed-days;
                 new if the first purchase is within --new-days; key_account
                 if in the top --key-share by monetary; else existing

    \b
    Example:
      allocator rfm tests/data/cdnow/cdnow_sample.csv --as-of 1998-07-01 --out out/rfm
      allocator rfm sales.parquet --as-of 2026-10-01 --out out/rfm --lapsed-days 180 --cuts r=30,90,180,365
    """
    from allocator.history.rfm import Rules, parse_cuts, score_customers
    from allocator.history.rfm_output import check_target, write_rfm
    from allocator.history.transactions import read_transactions

    started = time.perf_counter()
    rules = Rules(new_days=new_days, lapsed_days=lapsed_days, key_share=key_share, cuts=parse_cuts(cuts))
    check_target(out, force, transactions)
    table = read_transactions(transactions)
    result = score_customers(table, as_of, rules)
    files = write_rfm(result, table, out, force=force, lead_conversion=lead_conversion,
                      seconds=time.perf_counter() - started)
    _print_summary(result)
    click.echo(f"Wrote {out}/: " + ", ".join(files))


def _print_summary(result) -> None:
    counts = result.counts
    click.echo(f"{counts['customers']:,} customers from {counts['records_used']:,} transactions before "
               f"{result.as_of:%Y-%m-%d}" + (f" ({counts['records_on_or_after_as_of']:,} on or after it ignored)"
                                             if counts["records_on_or_after_as_of"] else ""))
    click.echo(f"{'tier':<12}{'customers':>10}{'revenue':>16}{'share':>8}{'repeat':>8}{'order value':>13}"
               f"{'gap days':>10}{'qtr rate':>10}")
    for row in result.tiers.itertuples():
        click.echo(f"{row.tier_kind:<12}{row.customers:>10,}{row.revenue:>16,.2f}{_share(row.revenue_share):>8}"
                   f"{_share(row.repeat_purchase_rate):>8}{_number(row.average_order_value, 2):>13}"
                   f"{_number(row.average_gap_days, 1):>10}{_share(row.quarter_purchase_rate):>10}")


def _share(value: float) -> str:
    return "-" if value != value else f"{value:.1%}"


def _number(value: float, decimals: int) -> str:
    return "-" if value != value else f"{value:,.{decimals}f}"


COMMANDS = (rfm,)
