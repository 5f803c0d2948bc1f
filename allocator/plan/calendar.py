"""weekly.csv: each period's plan spread over its days by working-day weights and grouped into ISO weeks.

This is a split made after the solve, not part of the linear program: the LP plans per period (month or
week); here each period's amounts are shared among its days in proportion to each day's weight, and the
days are summed per ISO week. A day weighs 1 when it is an official working day of the scenario's
calendar (Monday to Friday and not a public holiday, or a weekend day the government makes a working day
in place of a holiday, as China does around the Spring Festival), `holiday_weight` on a public holiday
and `weekend_weight` on another weekend day (both 0 unless set); `week_weights` multiplies the weights of
a week's days. A period whose days all weigh 0 is shared evenly among its days.

A week that falls in two months gives two rows, one per month, so that the rows of a month add up to the
month's figures exactly (at full precision: each row is the month's amount times the row's share of the
month's weight). Milestones (`allocator.plan.milestones`) cumulate the same daily split.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from allocator.scenario.calendar import Calendar
from allocator.scenario.holiday_cache import public_days
from allocator.scenario.periods import first_and_last_day, iso_week

# The amounts a period's plan is split into (by_period.csv's), each in its own unit (money or a count).
SPLIT_AMOUNTS = ["spend", "leads", "customers", "new_customers", "revenue", "baseline_revenue", "revenue_total"]
WEEKLY_COLUMNS = (["week", "month", "days", "working_days", "share_of_period"] + SPLIT_AMOUNTS
                  + ["conversion", "order_value"])


@dataclass(frozen=True)
class DaySplit:
    """Every day of the plan's periods, in order, with its period and its share of that period's plan."""

    days: tuple[date, ...]
    period: np.ndarray  # index into `periods` of each day's period
    share: np.ndarray  # the day's share of its period's amounts; the shares of a period's days sum to 1
    working: np.ndarray  # True on an official working day
    periods: tuple[str, ...]


def day_split(calendar: Calendar, periods: list[str] | tuple[str, ...]) -> DaySplit:
    """The days of `periods` (months or ISO weeks) and each day's share of its period, by `calendar`."""
    days: list[date] = []
    period_of: list[int] = []
    for i, period in enumerate(periods):
        first, last = first_and_last_day(period)
        span = (last - first).days + 1
        days += [first + timedelta(days=k) for k in range(span)]
        period_of += [i] * span
    # `holidays.country_holidays(...)`'s answers for the years, kept between runs (scenario.holiday_cache)
    public = public_days(calendar.country, calendar.subdivision, sorted({d.year for d in days}))
    working = np.array([public.is_working_day(d) for d in days], dtype=bool)
    holiday = np.array([d in public for d in days], dtype=bool)
    weight = np.where(working, 1.0, np.where(holiday, calendar.holiday_weight, calendar.weekend_weight))
    week_weights = calendar.week_weights or {}
    weight = weight * np.array([week_weights.get(iso_week(d), 1.0) for d in days])
    period = np.array(period_of, dtype=np.int64)
    total = np.bincount(period, weights=weight, minlength=len(periods))
    empty = total[period] == 0  # a period with no weighted day: its days share it evenly
    weight = np.where(empty, 1.0, weight)
    total = np.bincount(period, weights=weight, minlength=len(periods))
    return DaySplit(days=tuple(days), period=period, share=weight / total[period], working=working,
                    periods=tuple(periods))


def period_amounts(by_period: pd.DataFrame, periods: tuple[str, ...]) -> pd.DataFrame:
    """by_period.csv's amounts in the scenario's period order (a period without rows holds zeros)."""
    return by_period.set_index("period")[SPLIT_AMOUNTS].reindex(list(periods), fill_value=0.0).astype(float)


def weekly_table(split: DaySplit, by_period: pd.DataFrame) -> pd.DataFrame:
    """One row per ISO week and month (a week in two months gives two rows), in date order."""
    weeks = [iso_week(d) for d in split.days]
    months = [f"{d.year:04d}-{d.month:02d}" for d in split.days]
    # A row is a run of consecutive days with the same period, ISO week and month.
    keys = list(zip(split.period.tolist(), weeks, months))
    starts = [k for k in range(len(keys)) if k == 0 or keys[k] != keys[k - 1]]
    row_of = np.repeat(np.arange(len(starts)), np.diff(starts + [len(keys)]))
    rows = len(starts)
    share = np.bincount(row_of, weights=split.share, minlength=rows)
    period = split.period[starts]
    amounts = period_amounts(by_period, split.periods).to_numpy()[period]  # each row's period amounts
    out = pd.DataFrame({
        "week": [weeks[k] for k in starts], "month": [months[k] for k in starts],
        "days": np.bincount(row_of, minlength=rows), "working_days": np.bincount(row_of, weights=split.working,
                                                                                 minlength=rows).astype(int),
        "share_of_period": share,
    })
    for j, column in enumerate(SPLIT_AMOUNTS):
        out[column] = amounts[:, j] * share
    out["conversion"] = _ratio(out["customers"], out["leads"])
    out["order_value"] = _ratio(out["revenue"], out["customers"])  # incremental revenue per customer won
    return out[WEEKLY_COLUMNS]


def _ratio(numerator: pd.Series, denominator: pd.Series) -> np.ndarray:
    """Blank (NaN) where the denominator is 0: no leads, no conversion to state."""
    num, den = numerator.to_numpy(dtype=float), denominator.to_numpy(dtype=float)
    out = np.full(num.shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out
