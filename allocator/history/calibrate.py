"""`calibrate`: a history table -> the numbers a scenario types in by hand, each with its evidence.

Public API: `calibrate(path, as_of, ...)` reads the file; `calibrate_frame(frame, as_of, ...)` takes a
frame `read_history` returned. Both return a `Calibration`: the tables a scenario reads (`funnel`,
`baseline`), the seasonality block, `calibration.csv` (every estimate with its interval, count, periods,
method, raw and shrunk values) and the run record. Methods: see estimates.py, trend.py and seasonal.py, and
docs/history.md. Only rows dated before `as_of` (and within `window`) are used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import Text, UsageError
from allocator.history.estimates import cell_estimates
from allocator.history.history_table import HistoryError, detect_grain, history_before, parse_date, read_history
from allocator.history.response import response_curves
from allocator.history.seasonal import plan_weights, seasonal_index, series_by
from allocator.history.trend import baseline_levels, driven_revenue, growth_rows, plan_baseline

CELL = ["channel", "tier", "product"]
FUNNEL_COLUMNS = ["channel", "tier", "product", "cost_per_lead", "conversion", "order_value", "eligible"]
CALIBRATION_COLUMNS = ["parameter", "channel", "tier", "product", "period", "estimate", "low", "high", "count",
                       "periods", "method", "shrunk", "weight", "shrunk_toward"]


@dataclass(frozen=True)
class Calibration:
    """What calibrate found. ``baseline`` is None when neither the history nor the caller names products
    (a scenario's baseline rows need one)."""

    calibration: pd.DataFrame
    funnel: pd.DataFrame
    baseline: pd.DataFrame | None
    seasonality: dict
    run: dict
    notes: list[str] = field(default_factory=list)
    response: dict = field(default_factory=dict)  # channel -> {"cost_per_lead": full efficiency, "response": slices}


def require_statsmodels(command: str = "calibrate") -> None:
    """The decomposition and the binomial intervals come from statsmodels: say how to install it."""
    if find_spec("statsmodels") is None:
        raise UsageError(command, "", Text("missing statsmodels"),
                         "the history extra installed: pip install 'allocator-lp[history]'")


def calibrate(path: str | Path, as_of, window: str | None = None, plan_periods: list[str] | None = None,
              confidence: float = 0.9, product: str | None = None) -> Calibration:
    """Calibrate from the history file at `path` (see `calibrate_frame`); run.json gets the file's SHA-256."""
    require_statsmodels()
    frame = read_history(path)
    result = calibrate_frame(frame, as_of, window, plan_periods, confidence, product)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    result.run["history"] = {**result.run["history"], "file": str(path), "sha256": digest}
    return result


def calibrate_frame(frame: pd.DataFrame, as_of, window: str | None = None, plan_periods: list[str] | None = None,
                    confidence: float = 0.9, product: str | None = None) -> Calibration:
    """Calibrate from a history frame (columns as `read_history` returns them).

    `plan_periods` ("YYYY-MM" months) are the months the baseline and seasonality are written for; by
    default the three months from `as_of` (its own month when it is the 1st, else the next). `confidence`
    is the level of every interval (0-1). `product` books the baseline of a history without products.
    """
    if not 0 < confidence < 1:
        raise UsageError("--confidence", "", confidence, "a level between 0 and 1, e.g. 0.9")
    moment = parse_date(as_of)
    grain = frame.attrs.get("grain") or detect_grain(frame["date"])
    data = history_before(frame, moment, window)
    if not ((data["spend"] > 0) | (data["revenue"] > 0)).any():  # nothing to estimate from (no series either)
        raise HistoryError(frame.attrs.get("source", "history"), "spend, revenue", Text(
            f"0 in every row from {data.attrs['first']} to {data.attrs['last']}"),
            "history with some spend or revenue before --as-of (in the --window)")
    used = dict(data.attrs)
    plan_periods = list(plan_periods or default_plan_periods(moment))
    notes: list[str] = []
    growth, trend = growth_rows(data, grain)
    if not growth or not any(r["parameter"] == "growth" for r in growth):
        notes.append("no complete quarter has its same quarter a year earlier in the window: trend taken as 0")
    levels = baseline_levels(data, CELL, moment, trend, confidence)
    data = pd.concat([data, driven_revenue(data, levels, CELL, moment, trend)], axis=1)
    pair = cell_estimates(data, ["channel", "tier"], confidence)
    parts = [pair]
    if frame.attrs.get("has_product", (frame["product"] != "").any()):
        parts.append(cell_estimates(data, CELL, confidence))
    baseline = plan_baseline(levels, CELL, plan_periods, grain, moment, trend)
    seasonality, season_rows, demand = _seasonality(data, grain, pair, plan_periods, notes)
    curves, response_rows = response_curves(data, demand)
    rows = pd.concat([*parts, _baseline_rows(levels, baseline), pd.DataFrame(growth), season_rows,
                      pd.DataFrame(response_rows)], ignore_index=True)
    calibration = _tidy(rows)
    booked = _booked_baseline(baseline, product, notes)
    run = _run_record(data, used, frame, grain, window, plan_periods, confidence, trend, notes)
    return Calibration(calibration, funnel_table(pair), booked, seasonality, run, notes, curves)


def default_plan_periods(as_of: pd.Timestamp) -> list[str]:
    """The three months from `as_of`: its own month when it falls on the 1st, else from the next month."""
    first = as_of.to_period("M") + (0 if as_of.day == 1 else 1)
    return [str(first + k) for k in range(3)]


def funnel_table(pair: pd.DataFrame) -> pd.DataFrame:
    """funnel.csv: one row per channel x tier with the shrunk cost per lead, conversion and order value (a
    value the scenario would refuse, such as a conversion of 0, is left blank: the scenario's own applies)."""
    wide = pair.pivot_table(index=["channel", "tier"], columns="parameter", values="shrunk", aggfunc="first")
    wide = wide.reindex(columns=["cost_per_lead", "conversion", "order_value"])
    wide["conversion"] = wide["conversion"].where((wide["conversion"] > 0) & (wide["conversion"] <= 1))
    for money in ("cost_per_lead", "order_value"):
        wide[money] = wide[money].where(wide[money] > 0)
    wide = wide.dropna(how="all").reset_index()
    wide["product"], wide["eligible"] = "", ""
    return wide[FUNNEL_COLUMNS]


def _seasonality(data, grain, pair, plan_periods, notes) -> tuple[dict, pd.DataFrame, dict | None]:
    """The seasonality block for the plan months, the demand/revenue index rows (month, and ISO week when
    the history is weekly or daily), and the monthly demand index (None when there is none)."""
    cpl = pair[pair["parameter"] == "cost_per_lead"]
    cost = {(c, t): v for c, t, v in zip(cpl["channel"], cpl["tier"], cpl["estimate"]) if np.isfinite(v) and v > 0}
    block, rows, demand = {}, [], None
    units = ["month"] + (["week"] if grain in ("weekly", "daily") else [])
    for unit in units:
        series = series_by(data, unit, cost)
        for parameter, values in (("demand_index", series["leads"] / series["expected"]),
                                  ("revenue_index", series["revenue"])):
            index, method = seasonal_index(values, unit)
            if index is None:
                notes.append(f"no {parameter} by {unit}: {method}")
                continue
            label = (lambda k: f"M{k:02d}") if unit == "month" else (lambda k: f"W{k:02d}")
            rows += [{"parameter": parameter, "period": label(k), "estimate": v, "count": int(values.notna().sum()),
                      "periods": int(values.notna().sum()), "method": method} for k, v in sorted(index.items())]
            if unit == "month" and parameter == "demand_index":
                demand = index
                block["demand_index"] = {p: round(index[pd.Period(p, freq="M").month], 4) for p in plan_periods}
            if unit == "month" and parameter == "revenue_index":
                block["target_weights"] = plan_weights(index, plan_periods)
    return block, pd.DataFrame(rows), demand


def _baseline_rows(levels: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """calibration.csv rows: baseline per cell x plan month, per tier x plan month, and the cells without
    a quiet period (taken as 0)."""
    method = "mean revenue of periods without spend, carried at the trend; t interval over those periods"
    rows = []
    if len(baseline):
        cells = baseline.assign(parameter="baseline", estimate=baseline["revenue"], count=baseline["quiet_periods"],
                                periods=baseline["quiet_periods"], method=method)
        tiers = baseline.groupby(["tier", "period"], as_index=False)[["revenue", "quiet_periods"]].sum()
        tiers = tiers.assign(parameter="baseline", channel="", product="", estimate=tiers["revenue"],
                             count=tiers["quiet_periods"], periods=tiers["quiet_periods"],
                             method="sum of the tier's cells")
        rows += [cells, tiers]
    never = levels[levels["quiet_periods"] == 0]
    if len(never):
        rows.append(never.assign(parameter="baseline", period="", estimate=0.0, count=0, periods=0,
                                 method="no period without spend in the window: baseline taken as 0"))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def _booked_baseline(baseline: pd.DataFrame, product: str | None, notes: list) -> pd.DataFrame | None:
    """baseline.csv rows (channel, tier, product, period, revenue); a history without products needs `product`."""
    if baseline is None or not len(baseline):
        return pd.DataFrame(columns=["channel", "tier", "product", "period", "revenue"])
    table = baseline.copy()
    if (table["product"] == "").any():
        if product is None:
            notes.append("the history names no product: baseline.csv not written (pass --product NAME to book it)")
            return None
        table.loc[table["product"] == "", "product"] = product
    return table[["channel", "tier", "product", "period", "revenue"]].reset_index(drop=True)


def _tidy(rows: pd.DataFrame) -> pd.DataFrame:
    for column in CALIBRATION_COLUMNS:
        if column not in rows:
            rows[column] = np.nan if column in ("low", "high", "shrunk", "weight") else ""
    text = ["channel", "tier", "product", "period", "method", "shrunk_toward"]
    rows[text] = rows[text].fillna("").astype(str)
    return rows[CALIBRATION_COLUMNS].reset_index(drop=True)


def _run_record(data, used, frame, grain, window, plan_periods, confidence, trend, notes) -> dict:
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("allocator-lp", "pandas", "numpy", "scipy", "statsmodels"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return {
        "command": "calibrate",
        "history": {"rows": int(len(frame)), "grain": grain, "has_product": bool(frame.attrs.get("has_product"))},
        "as_of": used["as_of"], "window": window,
        "used": {"first": used["first"], "last": used["last"], "rows": int(len(data)),
                 "periods": int(data["date"].nunique()), "channels": sorted(data["channel"].unique())},
        "plan_periods": plan_periods, "confidence": confidence, "yearly_trend": trend, "notes": notes,
        "versions": versions,
    }


__all__ = ["Calibration", "HistoryError", "calibrate", "calibrate_frame", "default_plan_periods", "funnel_table",
           "require_statsmodels"]
