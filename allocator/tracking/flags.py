"""flags.csv: what needs a decision, in words.

- ``cut_or_fix``: a channel whose weekly conversion fell, or whose cost per lead rose, against the plan
  (actual / plan - 1) by MORE than `threshold` in each of the last `weeks` complete ISO weeks (a change
  exactly at the threshold does not count). ``ahead``: the same movement the good way (conversion up, cost
  per lead down): room to move money in.
- ``target_miss``: a committed target that a forecast (run-rate or plan-based) puts on the wrong side.
- ``pacing_ahead`` / ``pacing_behind``: spend to date, of all channels or of one, above or below the plan to
  date by more than `pacing` (a share); a channel spending with nothing planned to date is ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from allocator.plan.display import Style, show

from allocator.tracking.kpis import ALL

FLAGS = ["flag", "subject", "measure", "actual_figure", "plan_figure", "relative_change", "threshold", "weeks",
         "statement"]


@dataclass(frozen=True)
class FlagRules:
    """The thresholds the flags use (shares 0-1, weeks a count)."""

    threshold: float = 0.15  # conversion or cost per lead against plan
    weeks: int = 2  # complete weeks in a row
    pacing: float = 0.10  # spend to date against plan to date


def channel_flags(weekly: pd.DataFrame, rules: FlagRules) -> list[dict]:
    """``cut_or_fix`` and ``ahead`` rows from kpis_weekly.csv."""
    complete = weekly[weekly["complete"] & (weekly["channel"] != ALL)]
    weeks = sorted(complete["week"].unique())
    if len(weeks) < rules.weeks:
        return []
    out = []
    for channel, rows in complete.groupby("channel", sort=False):
        rows = rows.set_index("week").reindex(weeks)
        for measure, worse in (("conversion", -1.0), ("cost_per_lead", 1.0)):
            change = rows[f"{measure}_change"].to_numpy(dtype=float)
            for direction, flag in ((worse, "cut_or_fix"), (-worse, "ahead")):
                streak = _streak(np.nan_to_num(change * direction, nan=-np.inf) > rules.threshold)
                if streak >= rules.weeks:
                    out.append(_channel_row(flag, str(channel), measure, rows, weeks[-streak:], rules))
    return out


def _streak(beyond: np.ndarray) -> int:
    """How many of the last weeks in a row are beyond the threshold."""
    count = 0
    for hit in beyond[::-1]:
        if not hit:
            break
        count += 1
    return count


def _channel_row(flag: str, channel: str, measure: str, rows: pd.DataFrame, weeks: list[str],
                 rules: FlagRules) -> dict:
    last = rows.loc[weeks[-1]]
    observed, planned, change = float(last[measure]), float(last[f"plan_{measure}"]), float(last[f"{measure}_change"])
    words = "conversion" if measure == "conversion" else "cost per lead"
    shown = (lambda v: f"{v:.1%}") if measure == "conversion" else (lambda v: f"{v:,.2f}")
    each = ", ".join(f"{w} {rows.loc[w, f'{measure}_change']:+.0%}" for w in weeks)
    side = "below" if change < 0 else "above"
    action = ("cut or fix: find the cause, or move its money to a channel on plan" if flag == "cut_or_fix"
              else "ahead: a candidate for more of the budget")
    statement = (f"{channel}: {words} {shown(observed)} against {shown(planned)} planned in {weeks[-1]}, {side} plan "
                 f"by more than {rules.threshold:.0%} for {len(weeks)} weeks in a row ({each}); {action}")
    return {"flag": flag, "subject": channel, "measure": measure, "actual_figure": observed,
            "plan_figure": planned, "relative_change": change, "threshold": rules.threshold, "weeks": len(weeks),
            "statement": statement}


def target_flags(tracking: pd.DataFrame, currency: str) -> list[dict]:
    """``target_miss`` rows from tracking.csv's target rows."""
    out = []
    for row in tracking[(tracking["level"] == "target") & (~tracking["on_course"].astype(bool))].itertuples():
        shown = figure_format(row.unit, currency, money_scale(tracking, currency))
        which = [name for name, gap in (("run-rate", row.gap_run_rate), ("plan-based", row.gap_plan_based))
                 if gap < 0 and row.sense == ">=" or gap > 0 and row.sense == "<="]  # NaN: not judged
        bound = "at least" if row.sense == ">=" else "at most"
        interval = ("" if np.isnan(row.plan_based_low) else
                    f" (90% {shown(row.plan_based_low)} to {shown(row.plan_based_high)})")
        statement = (f"{row.name}: on course to miss the committed {bound} {shown(row.committed)} ({row.unit}): "
                     f"run-rate forecast {shown(row.forecast_run_rate)}, plan-based {shown(row.forecast_plan_based)}"
                     f"{interval}; {' and '.join(which)} {'short' if row.sense == '>=' else 'over'} by "
                     f"{shown(abs(_gap(row, which)))}")
        out.append({"flag": "target_miss", "subject": row.name, "measure": row.measure,
                    "actual_figure": row.forecast_plan_based, "plan_figure": row.committed,
                    "relative_change": float(row.forecast_plan_based / row.committed - 1) if row.committed else np.nan,
                    "threshold": np.nan, "weeks": np.nan, "statement": statement})
    return out


def figure_format(unit: str, currency: str, scale: float | None = None):
    """How a number in `unit` reads, as everywhere a person reads the plan (allocator.plan.display): money
    to three significant digits of the plan's `scale`, counts whole, shares as percentages, ROI as 2.50x."""
    kind = ("money" if unit == currency else "count" if unit == "count" else
            "percent" if unit.startswith("share") else "multiple")
    style = Style.for_plan(currency, scale or 1000.0)
    return lambda value: show(value, kind, style)


def money_scale(tracking: pd.DataFrame, currency: str) -> float:
    """The figure that sets how many decimals money gets, chosen as for the plan's own summary and report
    (`Style.for_totals`): the plan's total spend, or its revenue when nothing is spent."""
    total = tracking[tracking["level"] == "all"].set_index("measure")["plan_total"]
    spend, revenue = (float(total.get(m, 0.0)) for m in ("spend", "revenue"))
    return abs(spend) if spend and np.isfinite(spend) else abs(revenue)


def _gap(row, which: list[str]) -> float:
    return row.gap_plan_based if "plan-based" in which else row.gap_run_rate


def pacing_flags(tracking: pd.DataFrame, rules: FlagRules, currency: str) -> list[dict]:
    """``pacing_ahead`` / ``pacing_behind`` rows from tracking.csv's spend rows of all channels and each."""
    spend = tracking[(tracking["measure"] == "spend") & tracking["level"].isin(["all", "channel"])]
    out = []
    for row in spend.itertuples():
        planned, actual = float(row.plan_to_date), float(row.actual_to_date)
        change = actual / planned - 1 if planned else (np.inf if actual > 0 else 0.0)
        if abs(change) <= rules.pacing:
            continue
        subject = "all channels" if row.level == "all" else row.name
        flag = "pacing_ahead" if change > 0 else "pacing_behind"
        how = f"{change:+.0%}" if np.isfinite(change) else "with nothing planned to date"
        statement = (f"{subject}: spend to date {actual:,.0f} {currency} against {planned:,.0f} planned ({how}), "
                     f"{'ahead of' if change > 0 else 'behind'} plan by more than {rules.pacing:.0%}")
        out.append({"flag": flag, "subject": subject, "measure": "spend", "actual_figure": actual,
                    "plan_figure": planned, "relative_change": change if np.isfinite(change) else np.nan,
                    "threshold": rules.pacing, "weeks": np.nan, "statement": statement})
    return out


def flags_table(weekly: pd.DataFrame, tracking: pd.DataFrame, rules: FlagRules, currency: str) -> pd.DataFrame:
    rows = channel_flags(weekly, rules) + target_flags(tracking, currency) + pacing_flags(tracking, rules, currency)
    return pd.DataFrame(rows, columns=FLAGS)
