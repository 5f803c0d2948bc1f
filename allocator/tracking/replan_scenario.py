"""The re-plan's model: the scenario's own model with the elapsed part of the quarter fixed at its actuals.

Nothing here builds rows. Each cell with actuals in an elapsed (or cut) period gets one more spend column,
fixed at its actual spend, whose yields per unit of spend are the actual ones (leads / spend, customers /
spend, (revenue - the plan's baseline for the elapsed days) / spend). Every row that sums over cells (total
spend and revenue, budget, targets, ROI floors, mix shares, phasing, budget lines, targets on selections)
therefore carries the elapsed amounts as constants. The plan's own columns of a fully elapsed period are
fixed at 0; in a period cut by the as-of date they stay free for the days left. Per-period capacity rows
(spend and lead caps, spend minimums, sales capacity, response slice widths) of an elapsed or cut period
bound the free columns to (1 - f) x the scenario's number, f the elapsed share of the period's days.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from allocator.errors import InputError, Text, UsageError
from allocator.model.build import PlanModel, build_model
from allocator.model.columns import SpendColumns
from allocator.model.context import build_context
from allocator.plan.calendar import day_split
from allocator.scenario.periods import first_and_last_day
from allocator.scenario.schema import Scenario

class ReplanError(InputError):
    """Actuals that cannot be fixed into the plan: one line naming the file, the cell or row, the value and
    what was expected."""


AMOUNTS = ["spend", "leads", "customers", "revenue"]
# Row families whose rows hold one period's capacity: pro-rated to the days left of a cut period.
PERIOD_FAMILIES = ("capacity", "response")


@dataclass(frozen=True)
class ElapsedCells:
    """Actuals before the as-of date summed per cell, and each period's elapsed share of its days (0-1)."""

    table: pd.DataFrame  # channel, tier, product, period, spend, leads, customers, revenue
    elapsed_share: dict[str, float]  # period -> share of its days (by the calendar's weights) before as-of
    as_of: date


def elapsed_shares(s: Scenario, as_of: date) -> dict[str, float]:
    """Per period, the share of its days before `as_of`: by the calendar's day weights when the scenario has
    a `calendar:` (a holiday weighs what the calendar says), else by calendar days."""
    if s.calendar is not None:
        split = day_split(s.calendar, s.periods)
        past = np.array([d < as_of for d in split.days])
        share = np.bincount(split.period, weights=split.share * past, minlength=len(s.periods))
        return {p: float(min(1.0, share[i])) for i, p in enumerate(s.periods)}
    out = {}
    for p in s.periods:
        first, last = first_and_last_day(p)
        days = (last - first).days + 1
        out[p] = min(days, max(0, (as_of - first).days)) / days
    return out


def elapsed_cells(s: Scenario, actuals: pd.DataFrame, as_of: date, source: str = "actuals") -> ElapsedCells:
    """Sum daily actuals (date, channel, tier, [product], spend, leads, customers, revenue) per cell.

    Only days before `as_of` count; a row on or after it is refused (the re-plan plans those days). A file
    without products is read for a scenario with one product only."""
    first_day, last_day = first_and_last_day(s.periods[0])[0], first_and_last_day(s.periods[-1])[1]
    if as_of <= first_day or as_of > last_day:
        raise UsageError("--as-of", "", as_of.isoformat(), f"a day after {first_day} and at most the plan's last "
                         f"day, {last_day} (the first day not yet elapsed)")
    frame = actuals.copy()
    days = pd.to_datetime(frame["date"]).dt.date
    late = np.flatnonzero((days >= as_of).to_numpy())
    if late.size:
        row = int(late[0])
        where = frame["line"].iat[row] if "line" in frame else f"row {row + 1}"  # the file's line when read from one
        raise ReplanError(source, f"{where}, date", days.iat[row].isoformat(),
                          f"a day before --as-of {as_of} (actuals are what already happened)")
    products = [p.name for p in s.products]
    if "product" not in frame or (frame["product"].astype(str) == "").all():
        if len(products) != 1:
            raise ReplanError(source, "column product", Text("missing"), f"a product per row ({', '.join(products)})")
        frame["product"] = products[0]
    frame["period"] = [f"{d.year:04d}-{d.month:02d}" for d in days]
    unknown = sorted(set(frame["period"]) - set(s.periods))
    if unknown:
        raise ReplanError(source, "date", unknown[0], f"a day inside the plan's periods ({', '.join(s.periods)})")
    table = frame.groupby(["channel", "tier", "product", "period"], as_index=False, sort=True)[AMOUNTS].sum()
    return ElapsedCells(table=table, elapsed_share=elapsed_shares(s, as_of), as_of=as_of)


def replan_model(s: Scenario, elapsed: ElapsedCells, objective: str | None = None,
                 source: str = "actuals") -> tuple[PlanModel, np.ndarray]:
    """The model with the elapsed actuals as fixed columns; also, per spend column, True where it is fixed."""
    ctx = build_context(s)
    cells, d = ctx.cells, ctx.dims
    code = {(d.channels[c], d.tiers[t], d.products[p], d.periods[m]): i for i, (c, t, p, m) in enumerate(
        zip(cells.channel.tolist(), cells.tier.tolist(), cells.product.tolist(), cells.period.tolist()))}
    base = ctx.baseline
    base_of = {(d.channels[c], d.tiers[t], d.products[p], d.periods[m]): r for c, t, p, m, r in zip(
        base.channel.tolist(), base.tier.tolist(), base.product.tolist(), base.period.tolist(), base.revenue.tolist())}
    share = np.array([elapsed.elapsed_share[p] for p in d.periods])
    fixed_cell, fixed_spend, rates, extra_base = [], [], [], []
    for i, row in enumerate(elapsed.table.itertuples(index=False)):
        key = (row.channel, row.tier, row.product, row.period)
        incremental = row.revenue - share[d.periods.index(row.period)] * base_of.get(key, 0.0)
        if row.spend <= 0:  # bought nothing: its revenue is baseline revenue
            if row.leads > 0 or row.customers > 0:
                raise ReplanError(source, f"{'/'.join(key)}: spend", 0,
                                  "spend above 0 where leads or customers are recorded "
                                  "(the plan counts what spend buys)")
            if incremental:
                extra_base.append((key, incremental))
            continue
        if key not in code:
            raise ReplanError(source, f"{'/'.join(key)}: channel x tier", Text("not eligible in the scenario"),
                              "spend only in cells the scenario plans")
        fixed_cell.append(code[key])
        fixed_spend.append(row.spend)
        rates.append((row.leads / row.spend, row.customers / row.spend, incremental / row.spend))
    ctx = _with_fixed_columns(ctx, np.array(fixed_cell, dtype=np.int64), np.array(rates).reshape(-1, 3), extra_base)
    model = build_model(s, objective, context=ctx)
    n_free = ctx.spend.size - len(fixed_cell)
    fixed = np.zeros(ctx.spend.size, dtype=bool)
    fixed[n_free:] = True
    lower, upper = model.lp.col_lower.copy(), model.lp.col_upper.copy()
    lower[n_free:ctx.spend.size] = upper[n_free:ctx.spend.size] = fixed_spend
    upper[:n_free][share[ctx.period[:n_free]] >= 1.0] = 0.0  # nothing more can be spent in a period that is over
    lp = replace(model.lp, col_lower=lower, col_upper=upper)
    lp = _prorate_period_rows(model, lp, share)
    return replace(model, lp=lp), fixed


def _with_fixed_columns(ctx, cell: np.ndarray, rates: np.ndarray, extra_base: list):
    """The build context with one more spend column per fixed cell (after the plan's own), renumbered."""
    cells, old = ctx.cells, ctx.spend
    leads, customers, revenue = rates.T if rates.size else (np.zeros(0),) * 3
    value = revenue * cells.value_multiplier[cell]
    spend = SpendColumns(
        cell=np.append(old.cell, cell), segment=np.append(old.segment, np.zeros(cell.size, dtype=np.int64)),
        efficiency=np.append(old.efficiency, np.ones(cell.size)), leads=np.append(old.leads, leads),
        customers=np.append(old.customers, customers),
        new_customers=np.append(old.new_customers, np.where(cells.counts_as_new[cell], customers, 0.0)),
        revenue=np.append(old.revenue, revenue), value=np.append(old.value, value),
    )
    n = spend.size
    baseline = ctx.baseline
    if extra_base:
        d = ctx.dims
        keys, amounts = zip(*extra_base)
        index = {name: np.append(getattr(baseline, name), [getattr(d, f"{name}s").index(k[i]) for k in keys])
                 for i, name in enumerate(("channel", "tier", "product", "period"))}
        baseline = replace(baseline, **index, revenue=np.append(baseline.revenue, amounts))
    return replace(
        ctx, spend=spend, baseline=baseline, channel=cells.channel[spend.cell], tier=cells.tier[spend.cell],
        product=cells.product[spend.cell], period=cells.period[spend.cell], cols=np.arange(n), total_spend_col=n,
        total_revenue_col=n + 1, used_cols={name: n + 2 + i for i, name in enumerate(ctx.used_cols)},
    )


def _prorate_period_rows(model: PlanModel, lp, share: np.ndarray):
    """A capacity row of a period with elapsed share f bounds the free columns by (1 - f) x its number:
    its bounds become (1 - f) x bound + the fixed columns' amount in the row; a period that is over, none."""
    fixed_value = np.where(lp.col_lower == lp.col_upper, lp.col_lower, 0.0)
    constant = np.add.reduceat(lp.data * fixed_value[lp.indices], lp.indptr[:-1]) if lp.data.size else np.zeros(0)
    constant = np.where(np.diff(lp.indptr) > 0, constant, 0.0)
    lower, upper = lp.row_lower.copy(), lp.row_upper.copy()
    periods = model.cells.dims.periods
    for i, record in enumerate(model.rows):
        if record.family not in PERIOD_FAMILIES:
            continue
        period = next((a for a in record.args if a in periods), None)
        f = share[periods.index(period)] if period is not None else 0.0
        if f <= 0:
            continue
        if f >= 1:  # a period that is over holds only actuals: its caps bind nothing (a free row, priced 0)
            lower[i], upper[i] = -np.inf, np.inf
            continue
        for bounds in (lower, upper):
            if np.isfinite(bounds[i]):
                bounds[i] = (1.0 - f) * bounds[i] + constant[i]
    return replace(lp, row_lower=lower, row_upper=upper)
