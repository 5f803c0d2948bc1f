"""The planning guide's checks of a quarter's targets against history (DOMAIN.md 1.2-1.3), in words.

One row per check and subject in `checks.csv` (`CHECK_COLUMNS`): the number checked (``value``), what it
is checked against (``reference``), the allowance (``margin``), their ``unit``, a ``status`` (pass, warn,
fail) and a ``message`` saying why.

- growth: the committed revenue's growth over the same quarter last year against the compound yearly
  growth of that quarter over the years history covers; above the trend by more than the margin it warns,
  unless ``targets.drivers`` names what makes the extra growth.
- funnel: leads needed for the planned new customers (planned / the best conversion of the new-customer
  tiers) against the most leads those tiers got in any stretch of history as long as the quarter (warn)
  and against what the scenario's caps allow at most (fail: no plan can reach it); a new-customer target
  on a selection against its own tiers and rows of history.
- order value: a tier's planned order value more than 5% above its order value over the 12 months before
  the quarter (revenue less the baseline of quiet periods, per customer won; the plan's at history's product
  mix) needs a lever (the tier's ``order_value_lever``, or ``targets.drivers``).
- buffer: within the guide's 10-15%, or explained by ``targets.buffer_reason``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from allocator.history.targets import same_quarter_series, selection_mask
from allocator.scenario.anchors import show_figure, show_percent
from allocator.scenario.periods import first_and_last_day, value_at
from allocator.scenario.schema import NEW_CUSTOMER_KINDS, Scenario

CHECK_COLUMNS = ["check", "subject", "value", "reference", "margin", "unit", "status", "message"]
STATUSES = ("pass", "warn", "fail")
DEFAULT_MARGIN = 0.02  # growth above the trend by more than 2 percentage points needs named drivers
BUFFER_LOW, BUFFER_HIGH = 0.10, 0.15  # the guide's planning buffer
ORDER_VALUE_TOLERANCE = 0.05  # within 5% of history's is history's: a year of orders is that noisy
SHARE = "share (0-1)"


def target_checks(s: Scenario, history: pd.DataFrame, margin: float = DEFAULT_MARGIN) -> pd.DataFrame:
    """checks.csv: every check of the scenario's targets against `history` (a `read_history` table)."""
    rows = [*growth_rows(s, history, margin), *funnel_rows(s, history), *order_value_rows(s, history),
            buffer_row(s)]
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _row(check, subject, value, reference, margin, unit, status, message) -> dict:
    return dict(zip(CHECK_COLUMNS, (check, subject, value, reference, margin, unit, status, message)))


def growth_rows(s: Scenario, history: pd.DataFrame, margin: float) -> list[dict]:
    """The quarter's revenue target and each growth target on a selection against their past growth."""
    subjects = []
    if s.targets.revenue is not None:
        subjects.append(("targets.revenue", s.targets.revenue, None))
    for target in s.targets.by:
        if target.revenue_growth is not None and target.revenue is not None:
            subjects.append((f"targets.by[{target.select.label()}].revenue", target.revenue, target.select))
    return [_growth(s, history, margin, *subject) for subject in subjects]


def _growth(s: Scenario, history: pd.DataFrame, margin: float, subject: str, committed: float, select) -> dict:
    series = same_quarter_series(history, s, select)
    if not series or series[0][1] <= 0:
        where = series[0][0] if series else "last year's same quarter"
        return _row("growth", subject, math.nan, math.nan, margin, SHARE, "warn",
                    f"not checked: history has no revenue of it in {where} to grow from")
    (label, last), growth = series[0], committed / series[0][1] - 1.0
    said = f"{show_figure(committed)} is {_signed(growth)} over {label} ({show_figure(last)})"
    years = _positive_run(series)
    if len(years) < 2:
        return _row("growth", subject, growth, math.nan, margin, SHARE, "warn",
                    f"{said}; not checked: history has one year of this quarter, no trend")
    trend = (years[0][1] / years[-1][1]) ** (1.0 / (len(years) - 1)) - 1.0
    said += (f"; the quarter grew {_signed(trend)} a year from {years[-1][0]} to {years[0][0]} "
             f"(compound, {len(years) - 1} years)")
    if growth <= trend + margin:
        return _row("growth", subject, growth, trend, margin, SHARE, "pass",
                    f"{said}: within {_points(margin)} of the trend")
    above = f"{said}: {_points(growth - trend)} above the trend, more than the margin {_points(margin)}"
    if s.targets.drivers:
        return _row("growth", subject, growth, trend, margin, SHARE, "pass",
                    f"{above}; drivers named: {', '.join(s.targets.drivers)}")
    return _row("growth", subject, growth, trend, margin, SHARE, "warn",
                f"{above}; name the drivers of the extra growth (targets.drivers) or lower the target")


def _positive_run(series: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """The newest years of `series` up to the first without revenue (a trend needs each year's quarter)."""
    run = []
    for label, revenue in series:
        if revenue <= 0:
            break
        run.append((label, revenue))
    return run


def funnel_rows(s: Scenario, history: pd.DataFrame) -> list[dict]:
    """Leads the new-customer target needs, against history's best stretch and the scenario's caps; and
    each new-customer target on a selection against its own best stretch."""
    t = s.targets
    rows = []
    if t.new_customers is not None:
        rows += _funnel(s, history, "targets.new_customers", t.planned(t.new_customers), None, caps=True)
    for target in t.by:
        if target.new_customers is not None:
            rows += _funnel(s, history, f"targets.by[{target.select.label()}].new_customers",
                            t.planned(target.new_customers), target.select, caps=False)
    return rows


def _funnel(s: Scenario, history: pd.DataFrame, subject: str, planned: float, select, caps: bool) -> list[dict]:
    """Leads needed = planned new customers / the best conversion among the new-customer tiers selected."""
    tiers = [tier for tier in s.tiers if tier.kind in NEW_CUSTOMER_KINDS]
    if select is not None:  # the selection's own periods are this year's: history's stretches are any months
        keys = dict(select.items())
        tiers = [tier for tier in tiers if tier.name in keys.get("tier", (tier.name,))
                 and tier.kind in keys.get("kind", (tier.kind,))]
        select = select.model_copy(update={"period": None})
    if not tiers:
        return []
    conversion = {tier.name: max([tier.conversion] + [row.conversion for row in s.funnel
                                                      if row.tier == tier.name and row.conversion is not None])
                  for tier in tiers}
    best_tier = max(conversion, key=conversion.get)
    needed = planned / conversion[best_tier]
    said = (f"{show_figure(planned)} new customers planned / {show_percent(conversion[best_tier])} conversion "
            f"({best_tier}, the best) = {show_figure(needed)} leads")
    months = _months(s.periods)
    rows_of = history["tier"].isin(list(conversion)).to_numpy() & selection_mask(history, s, select)
    best, where = _best_stretch(history[rows_of], months)
    if best is None:
        rows = [_row("funnel", subject, needed, math.nan, 0.0, "count", "warn",
                     f"{said}; not checked: history has no leads of tiers {', '.join(conversion)}")]
    elif needed > best:
        rows = [_row("funnel", subject, needed, best, 0.0, "count", "warn",
                     f"{said}, more than those tiers ever got in {months} months of history (best {where}: "
                     f"{show_figure(best)}); add channels or lower the target")]
    else:
        rows = [_row("funnel", subject, needed, best, 0.0, "count", "pass",
                     f"{said}; history's best {months} months ({where}) got {show_figure(best)}")]
    return rows + ([_capacity(s, subject, needed, said)] if caps else [])


def _capacity(s: Scenario, subject: str, needed: float, said: str) -> dict:
    """The leads needed against the most the scenario's caps allow (above them no plan exists: fail)."""
    cap, what = leads_cap(s)
    if not math.isfinite(cap):
        return _row("funnel", subject, needed, math.inf, 0.0, "count", "pass",
                    f"{said}; no cap in the scenario limits leads")
    if needed > cap:
        return _row("funnel", subject, needed, cap, 0.0, "count", "fail",
                    f"{said}, more than the scenario's caps allow ({what}: at most {show_figure(cap)}); "
                    f"no plan can meet it: raise the caps, add channels or lower the target")
    return _row("funnel", subject, needed, cap, 0.0, "count", "pass",
                f"{said}; the scenario's caps allow up to {show_figure(cap)} ({what})")


def _months(periods) -> int:
    """How many calendar months the scenario's periods span (a quarter: 3)."""
    first, last = first_and_last_day(periods[0])[0], first_and_last_day(periods[-1])[1]
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _best_stretch(rows: pd.DataFrame, months: int) -> tuple[float | None, str]:
    """The most leads `rows` (of history) got in any `months` consecutive calendar months, and when."""
    if rows.empty:
        return None, ""
    monthly = rows.groupby("period")["leads"].sum()
    every = pd.period_range(monthly.index.min(), monthly.index.max(), freq="M").strftime("%Y-%m")
    monthly = monthly.reindex(every, fill_value=0.0)  # a month without rows got no leads
    totals = monthly.rolling(months, min_periods=1).sum().to_numpy()
    end = int(np.argmax(totals))
    start = max(0, end - months + 1)
    return float(totals[end]), f"{every[start]}..{every[end]}" if end > start else every[end]


def leads_cap(s: Scenario) -> tuple[float, str]:
    """The most leads the scenario's caps allow over the quarter, and which caps: per period, the channels'
    max_leads or max_spend / cost per lead x demand index (summed) and the sales capacity; the budget total
    at the cheapest cost per lead and the highest demand index. Infinite when nothing caps them."""
    demand = s.seasonality.demand_index or {}
    cheapest = {c.name: min([c.cost_per_lead] + [r.cost_per_lead for r in s.funnel
                                                 if r.channel == c.name and r.cost_per_lead is not None])
                for c in s.channels}
    total, used = 0.0, set()
    for period in s.periods:
        channels = 0.0
        for c in s.channels:
            leads, spend = value_at(c.max_leads, period), value_at(c.max_spend, period)
            by_spend = math.inf if spend is None else spend / cheapest[c.name] * demand.get(period, 1.0)
            channels += min(math.inf if leads is None else leads, by_spend)
        sales = value_at(s.sales_capacity, period)
        sales = math.inf if sales is None else sales
        used.add("channel caps" if channels <= sales else "sales capacity")
        total += min(channels, sales)
    if s.budget.total is not None:
        by_budget = s.budget.total / min(cheapest.values()) * max([1.0, *demand.values()])
        if by_budget < total:
            total, used = by_budget, {"budget total"}
    return total, " and ".join(sorted(used)) if math.isfinite(total) else "none"


def order_value_rows(s: Scenario, history: pd.DataFrame) -> list[dict]:
    """Each tier's planned order value against its order value over the 12 months before the quarter."""
    start = pd.Timestamp(first_and_last_day(s.periods[0])[0])
    recent = history[(history["date"] < start) & (history["date"] >= start - pd.DateOffset(months=12))]
    label = f"{(start - pd.DateOffset(months=12)):%Y-%m}..{(start - pd.DateOffset(months=1)):%Y-%m}"
    won = driven_revenue(recent)
    rows = []
    for tier in s.tiers:
        subject = f"tiers[{tier.name}].order_value"
        mine = won[won["tier"] == tier.name]
        customers = float(mine["customers"].sum())
        if customers <= 0:
            rows.append(_row("order_value", subject, tier.order_value, math.nan, ORDER_VALUE_TOLERANCE, s.currency,
                             "warn", f"not checked: history has no customers of {tier.name} in {label}"))
            continue
        # The plan's order value at history's channel and product mix (funnel overrides, product multipliers).
        each = [planned_order_value(s, tier, channel, product) for channel, product in zip(mine["channel"], mine["product"])]
        planned = float((mine["customers"] * each).sum()) / customers
        past = float(mine["driven"].sum()) / customers
        said = f"{show_figure(planned)} planned vs {show_figure(past)} in {label}"
        if planned <= past * (1.0 + ORDER_VALUE_TOLERANCE):
            status, message = "pass", f"{said}: not above history's"
        elif tier.order_value_lever or s.targets.drivers:
            lever = tier.order_value_lever or ", ".join(s.targets.drivers)
            status, message = "pass", f"{said} ({_signed(planned / past - 1)}); lever named: {lever}"
        else:
            status, message = "warn", (f"{said} ({_signed(planned / past - 1)}): name the lever "
                                       f"(tiers[{tier.name}].order_value_lever, e.g. cross-sell) or plan history's")
        rows.append(_row("order_value", subject, planned, past, ORDER_VALUE_TOLERANCE, s.currency, status, message))
    return rows


def planned_order_value(s: Scenario, tier, channel: str, product: str) -> float:
    """The order value the scenario plans in a cell: a funnel row's (for the product, else for every product)
    or the tier's, times the product's multiplier (1 for a product the scenario does not have)."""
    rows = [r for r in s.funnel if r.channel == channel and r.tier == tier.name and r.order_value is not None]
    own = [r.order_value for r in rows if r.product == product] + [r.order_value for r in rows if r.product is None]
    multiplier = next((p.order_value_multiplier for p in s.products if p.name == product), 1.0)
    return (own[0] if own else tier.order_value) * multiplier


def driven_revenue(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that won customers, with ``driven``: their revenue less the cell's baseline, the mean revenue
    of the cell's quiet rows (no spend, no leads: repeat business) in `rows`; order value is driven revenue
    per customer, as `allocator calibrate` reads it (without carrying the baseline along the trend)."""
    cell = ["channel", "tier", "product"]
    quiet = rows[(rows["spend"] == 0) & (rows["leads"] == 0)]
    levels = quiet.groupby(cell)["revenue"].mean().rename("level").reset_index()
    won = rows[rows["customers"] > 0].merge(levels, on=cell, how="left")
    return won.assign(driven=(won["revenue"] - won["level"].fillna(0.0)).clip(lower=0.0))


def buffer_row(s: Scenario) -> dict:
    """The planning buffer against the guide's 10-15% (reference: the middle, margin: half the range)."""
    buffer, middle, half = s.targets.buffer, (BUFFER_LOW + BUFFER_HIGH) / 2, (BUFFER_HIGH - BUFFER_LOW) / 2
    said = f"buffer {show_percent(buffer)}"
    if BUFFER_LOW - 1e-9 <= buffer <= BUFFER_HIGH + 1e-9:
        status, message = "pass", f"{said}: within the guide's {show_percent(BUFFER_LOW)}-{show_percent(BUFFER_HIGH)}"
    elif s.targets.buffer_reason:
        status, message = "pass", (f"{said}: outside the guide's {show_percent(BUFFER_LOW)}-{show_percent(BUFFER_HIGH)}, "
                                   f"explained: {s.targets.buffer_reason}")
    else:
        status, message = "warn", (f"{said}: outside the guide's {show_percent(BUFFER_LOW)}-{show_percent(BUFFER_HIGH)}; "
                                   f"plan within it or say why (targets.buffer_reason)")
    return _row("buffer", "targets.buffer", buffer, middle, half, SHARE, status, message)


def check_lines(table: pd.DataFrame | None, flagged_only: bool = False) -> list[str]:
    """The checks for the terminal: a count per status, then one line per check (with `flagged_only`, per
    check that warns or fails: `solve`'s short block, checks.csv holding them all)."""
    if table is None or table.empty:
        return []
    counts = table["status"].value_counts()
    head = ", ".join(f"{counts[status]} {status}" for status in STATUSES if status in counts)
    shown = table[table["status"] != "pass"] if flagged_only else table
    return [f"Target checks ({head}{'; all in checks.csv' if flagged_only else ''}):"] + [
        f"  {row.status:<4}  {row.check}  {row.subject}: {row.message}" for row in shown.itertuples()]


def _signed(share: float) -> str:
    return f"{share * 100:+.3g}%"


def _points(share: float) -> str:
    return f"{share * 100:.3g} pp"
