"""tracking.csv: each committed target, and each measure by channel, tier and product, to date and forecast.

Rows of level ``target`` are the plan's targets.csv rows that add up over days (revenue, new customers,
leads, the budget as spend, and the same on a selection: ``by_revenue[tier=key_accounts]``,
``by_max_spend[...]``) and the ROI floors (portfolio and per channel: incremental revenue, i.e. revenue less
the plan's baseline, per unit of spend). They carry the committed number, the gap of each forecast to it
(forecast - committed: negative is short of a minimum, positive is over a maximum) and `on_course` (both
forecasts on the right side of it), and the shares of revenue or spend (``mix_*``: the selection's part of
all channels', to date and in each forecast, without an interval; judged by the plan-based forecast
only). run.json names any target not tracked.
Rows of level ``all``, ``channel``, ``tier`` and ``product`` break each measure down, without a
commitment. Forecasts: `allocator.tracking.forecast`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.tracking.forecast import NAN, forecast
from allocator.tracking.kpis import ratio
from allocator.tracking.plan_days import MEASURES

TRACKING = ["level", "name", "measure", "unit", "sense", "committed", "plan_to_date", "actual_to_date", "attainment",
            "plan_total", "forecast_run_rate", "run_rate_low", "run_rate_high", "forecast_plan_based",
            "plan_based_low", "plan_based_high", "gap_run_rate", "gap_plan_based", "on_course"]
# targets.csv names (before any `[selection]`) whose number adds up over days, and the measure counting it.
TARGET_MEASURES = {"revenue": "revenue", "new_customers": "new_customers", "leads": "leads", "budget_total": "spend",
                   "by_revenue": "revenue", "by_new_customers": "new_customers", "by_leads": "leads",
                   "by_customers": "customers", "by_max_spend": "spend"}
ROI = "min_roi"
# targets.csv names of shares: the selection's part of all revenue (revenue_total, as the plan's mix rows
# count it) or of all spend.
SHARES = {"mix_min_revenue": "revenue", "mix_max_revenue": "revenue", "mix_min_spend": "spend",
          "mix_max_spend": "spend"}
LEVELS = ("all", "channel", "tier", "product")
ATTRIBUTES = ("group", "kind", "stage")  # a selection may name these besides the cell's names and the period


class Series:
    """Daily sums of every measure, actual and plan, for any selection of rows, over the elapsed and all days.

    `both` holds one row per day x cell (plan_days.joined) with the cell's ``period`` and, from
    `attributes` (allocation.csv's channel, tier, product, group, kind, stage), its group, kind and stage."""

    def __init__(self, both: pd.DataFrame, attributes: pd.DataFrame, elapsed_days: pd.DatetimeIndex,
                 quarter_days: int, has_product: bool):
        self.elapsed_days, self.quarter_days = elapsed_days, quarter_days
        keys = ["channel", "tier", "product"] if has_product else ["channel", "tier"]
        known = attributes[keys + [a for a in ATTRIBUTES if a != "stage" or has_product]].drop_duplicates(keys)
        self.both = both.merge(known, on=keys, how="left").assign(all="all")
        self.levels = LEVELS if has_product else LEVELS[:-1]
        self.past = (self.both["date"] < elapsed_days[-1] + pd.Timedelta(days=1)).to_numpy()

    def mask(self, label: str) -> np.ndarray | None:
        """The rows a targets.csv selection label names (``tier=key_accounts&period=2027-01|2027-02``), or
        None when it names something the rows do not hold (a product or stage without a product column)."""
        mask = np.ones(len(self.both), dtype=bool)
        for part in label.split("&"):
            key, _, values = part.partition("=")
            if key not in self.both.columns:
                return None
            mask &= self.both[key].isin(values.split("|")).to_numpy()
        return mask

    def daily(self, mask: np.ndarray, column: str) -> np.ndarray:
        """`column` summed per elapsed day over the rows of `mask` (0 on a day without one)."""
        rows = self.both[self.past & mask]
        return rows.groupby("date")[column].sum().reindex(self.elapsed_days, fill_value=0.0).to_numpy()

    def total(self, mask: np.ndarray, column: str) -> float:
        return float(self.both.loc[mask, column].sum())

    def row(self, mask: np.ndarray, measure: str) -> dict:
        actual, plan = self.daily(mask, measure), self.daily(mask, f"plan_{measure}")
        plan_total = self.total(mask, f"plan_{measure}")
        to_date, planned = float(actual.sum()), float(plan.sum())
        found = forecast(actual, plan, plan_total, self.quarter_days)
        return {"measure": measure, "plan_to_date": planned, "actual_to_date": to_date,
                "attainment": float(ratio(to_date, planned)), "plan_total": plan_total, **found.as_row()}

    def roi_row(self, mask: np.ndarray) -> dict:
        """ROI of the rows of `mask`: incremental revenue (revenue less the plan's baseline) per unit of spend,
        to date and at quarter end (each forecast of revenue less the whole baseline, over the same forecast
        of spend; a ratio of two forecasts, stated without an interval)."""
        revenue, spend = self.row(mask, "revenue"), self.row(mask, "spend")
        baseline_to_date = float(self.daily(mask, "plan_baseline_revenue").sum())
        baseline_total = self.total(mask, "plan_baseline_revenue")
        plan_to_date = float(ratio(revenue["plan_to_date"] - baseline_to_date, spend["plan_to_date"]))
        actual = float(ratio(revenue["actual_to_date"] - baseline_to_date, spend["actual_to_date"]))
        out = {"measure": "roi", "plan_to_date": plan_to_date, "actual_to_date": actual,
               "attainment": float(ratio(actual, plan_to_date)),
               "plan_total": float(ratio(revenue["plan_total"] - baseline_total, spend["plan_total"]))}
        for kind in ("run_rate", "plan_based"):
            key = f"forecast_{kind}"
            out[key] = float(ratio(revenue[key] - baseline_total, spend[key]))
            out[f"{kind}_low"] = out[f"{kind}_high"] = NAN
        return out


    def share_row(self, mask: np.ndarray, measure: str) -> dict:
        """The rows of `mask`'s share of all rows' `measure` (0-1), to date and in each forecast."""
        part, whole = self.row(mask, measure), self.row(np.ones(len(self.both), dtype=bool), measure)
        out = {"measure": f"share_of_{measure}", "attainment": NAN}
        for key in ("plan_to_date", "actual_to_date", "plan_total", "forecast_run_rate", "forecast_plan_based"):
            out[key] = float(ratio(part[key], whole[key]))
        out["attainment"] = float(ratio(out["actual_to_date"], out["plan_to_date"]))
        for kind in ("run_rate", "plan_based"):
            out[f"{kind}_low"] = out[f"{kind}_high"] = NAN
        return out


def breakdown_rows(series: Series) -> list[dict]:
    """Every measure for all channels, and per channel, tier and product (the names the plan or the actuals
    hold), in that order."""
    rows = []
    for level in series.levels:
        names = ["all"] if level == "all" else [n for n in dict.fromkeys(series.both[level]) if n != ""]
        for name in names:
            mask = (series.both[level] == name).to_numpy()
            rows += [{"level": level, "name": name, **series.row(mask, measure)} for measure in MEASURES]
    return rows


def target_rows(targets: pd.DataFrame, series: Series) -> tuple[list[dict], list[str]]:
    """The targets.csv rows tracked (level ``target``) and the names of those that are not."""
    rows, skipped = [], []
    for target in targets.itertuples(index=False):
        name, sense = str(target.target), ("<=" if str(target.kind) == "max" else ">=")
        stem, _, label = name.partition("[")
        selection = label[:-1]  # "tier=key_accounts" of "by_revenue[tier=key_accounts]"
        if stem == ROI:  # min_roi[portfolio] or min_roi[<channel>]
            selection = "" if selection == "portfolio" else f"channel={selection}"
        mask = series.mask(selection) if selection else np.ones(len(series.both), dtype=bool)
        if mask is None or (stem not in TARGET_MEASURES and stem not in SHARES and stem != ROI):
            skipped.append(name)
            continue
        if stem in SHARES:
            row = series.share_row(mask, SHARES[stem])
        else:
            row = series.roi_row(mask) if stem == ROI else series.row(mask, TARGET_MEASURES[stem])
        committed = float(target.committed)
        row.update(level="target", name=name, unit=str(target.unit), sense=sense, committed=committed)
        # A share's run-rate is its share to date: no forecast of a quarter whose plan changes the mix from
        # month to month, so only the plan-based share is set against the commitment (gap_run_rate blank).
        judged = ("plan_based",) if stem in SHARES else ("run_rate", "plan_based")
        for kind in ("run_rate", "plan_based"):
            row[f"gap_{kind}"] = row[f"forecast_{kind}"] - committed if kind in judged else NAN
        gaps = np.array([row[f"gap_{kind}"] for kind in judged])
        gaps = gaps[~np.isnan(gaps)]  # an ROI without spend: the floor does not bind
        row["on_course"] = bool(np.all(gaps >= 0) if sense == ">=" else np.all(gaps <= 0))
        rows.append(row)
    return rows, skipped


def tracking_table(targets: pd.DataFrame, series: Series, currency: str) -> tuple[pd.DataFrame, list[str]]:
    """tracking.csv and the names of the targets it does not track."""
    tracked, skipped = target_rows(targets, series)
    frame = pd.DataFrame(tracked + breakdown_rows(series), columns=TRACKING)
    units = {"spend": currency, "revenue": currency, "leads": "count", "customers": "count", "new_customers": "count"}
    frame["unit"] = frame["unit"].fillna(frame["measure"].map(units))
    frame["sense"] = frame["sense"].fillna("")
    return frame, skipped
