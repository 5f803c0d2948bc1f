"""Forecasts to the quarter's end from the actuals to date, each with a 90% interval.

- Run-rate: the actual to date over the elapsed share of the quarter's calendar days,
  ``A x D / d`` (d days elapsed of D). It ignores the plan's phasing (a quarter planned to ramp up reads
  low early). Interval: normal, from the day-to-day variation of the daily actuals (sample standard
  deviation s over the d elapsed days, each day taken as independent): the D - d days left add
  ``(D - d) s^2`` and the uncertain daily mean ``(D - d)^2 s^2 / d``; the interval is the forecast
  +/- z(0.95) times the square root of their sum. None with a single elapsed day.
- Plan-based: the rest of the plan at the efficiency observed so far, ``A + (P - p) x A / p`` (p plan to
  date, P the plan's total). With nothing planned to date the rest is taken at plan (ratio 1). Interval: a
  bootstrap over the elapsed days (RESAMPLES draws of d days with replacement, fixed SEED): each draw's
  ratio sum(actual) / sum(plan) applied to the rest; the 5th and 95th percentiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

LEVEL = 0.90
RESAMPLES = 2000
SEED = 20270101
NAN = float("nan")


@dataclass(frozen=True)
class Forecast:
    """One measure's forecasts to the quarter's end, in the measure's unit."""

    run_rate: float
    run_rate_low: float
    run_rate_high: float
    plan_based: float
    plan_based_low: float
    plan_based_high: float

    def as_row(self) -> dict[str, float]:
        return {"forecast_run_rate": self.run_rate, "run_rate_low": self.run_rate_low,
                "run_rate_high": self.run_rate_high, "forecast_plan_based": self.plan_based,
                "plan_based_low": self.plan_based_low, "plan_based_high": self.plan_based_high}


def forecast(actual: np.ndarray, plan: np.ndarray, plan_total: float, quarter_days: int) -> Forecast:
    """Forecasts from `actual` and `plan`, one value per elapsed calendar day (0 on a day without a row),
    `plan_total` the plan over the whole quarter and `quarter_days` its calendar days."""
    actual, plan = np.asarray(actual, dtype=float), np.asarray(plan, dtype=float)
    elapsed = len(actual)
    left = quarter_days - elapsed
    to_date = float(np.sum(actual))
    run_rate = to_date * quarter_days / elapsed
    z = NormalDist().inv_cdf(0.5 + LEVEL / 2)
    if elapsed > 1:
        spread = float(np.std(actual, ddof=1))
        half = z * np.sqrt(left * spread**2 + left**2 * spread**2 / elapsed)
        run_rate_low, run_rate_high = run_rate - half, run_rate + half
    else:
        run_rate_low = run_rate_high = NAN
    planned = float(np.sum(plan))
    rest = plan_total - planned
    if planned == 0:
        plan_based = to_date + rest
        return Forecast(run_rate, run_rate_low, run_rate_high, plan_based, plan_based, plan_based)
    plan_based = to_date + rest * to_date / planned
    low, high = _bootstrap(actual, plan, to_date, rest)
    return Forecast(run_rate, run_rate_low, run_rate_high, plan_based, low, high)


def _bootstrap(actual: np.ndarray, plan: np.ndarray, to_date: float, rest: float) -> tuple[float, float]:
    """The LEVEL interval of ``to_date + rest x ratio`` over resampled days (draws planning nothing are
    dropped: they say nothing about the ratio)."""
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(actual), size=(RESAMPLES, len(actual)))
    sums_plan = plan[picks].sum(axis=1)
    usable = sums_plan > 0
    ratios = actual[picks].sum(axis=1)[usable] / sums_plan[usable]
    values = to_date + rest * ratios
    tail = (1 - LEVEL) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))
