"""verify's checks of the columns of allocation.csv that describe a cell rather than feed a constraint.

Each row's `group`, `kind` and `stage` must be the scenario's for its channel, tier and product; its
`cost_per_lead`, `conversion`, `order_value` and `eligible` the funnel the scenario gives the cell (the
expected values arrive as the ``exp_*`` columns verify computed from the scenario alone); its
`new_customers` its customers when its tier's kind counts as new, else 0; its `roi` its revenue per unit
of spend, blank without spend. Numbers are compared with the shared relative tolerance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from allocator.scenario.schema import NEW_CUSTOMER_KINDS

# The columns solve writes beyond those the constraint checks read; read_allocation requires them in a file.
DESCRIPTIVE_COLUMNS = ["group", "kind", "stage", "new_customers", "roi", "cost_per_lead", "conversion",
                       "order_value", "eligible"]
NUMERIC_DESCRIPTIVE = ["new_customers", "cost_per_lead", "conversion", "order_value"]
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


def check_descriptive_columns(written: pd.DataFrame, a: pd.DataFrame, report) -> None:
    """`written`: the rows' own group/kind/stage/eligible/roi/... as read; `a`: the same rows with the
    expected values (group, kind, stage from the scenario; exp_cpl, exp_conv, exp_value, exp_eligible)."""
    cells = [f"{r.channel},{r.tier},{r.product},{r.period}" for r in a.itertuples()]
    for column in ("group", "kind", "stage"):
        if column in written.columns:
            for cell, got, want in zip(cells, written[column], a[column]):
                if str(got) != str(want):
                    report.problems.append(f"{column}[{cell}]: {got!r} but the scenario says {want!r}")
    if "eligible" in written.columns:
        for cell, got, want in zip(cells, written["eligible"], a["exp_eligible"]):
            flag = _flag(got)
            if flag is None or flag != bool(want):
                report.problems.append(f"eligible[{cell}]: {str(got)!r} but the scenario says {bool(want)!r}")
    expected = {"cost_per_lead": a["exp_cpl"], "conversion": a["exp_conv"], "order_value": a["exp_value"]}
    if "new_customers" in written.columns:
        expected["new_customers"] = a["customers"].where(a["kind"].isin(NEW_CUSTOMER_KINDS), 0.0)
    for column, want in expected.items():
        if column in written.columns:
            for cell, got, value in zip(cells, written[column].to_numpy(dtype=float), want.to_numpy(dtype=float)):
                report.add(f"{column}[{cell}]", got, "=", value)
    if "roi" in written.columns:
        _check_roi(cells, written["roi"], a, report)


def _check_roi(cells: list[str], roi: pd.Series, a: pd.DataFrame, report) -> None:
    """roi = revenue / spend (from spend, not baseline); blank where the row has no spend."""
    got = pd.to_numeric(roi, errors="coerce").to_numpy(dtype=float)
    for cell, value, revenue, spend in zip(cells, got, a["revenue"].to_numpy(float), a["spend"].to_numpy(float)):
        if spend == 0.0:
            if not np.isnan(value):
                report.problems.append(f"roi[{cell}]: {value!r} but the row has no spend (expected blank)")
        elif np.isnan(value):
            report.problems.append(f"roi[{cell}]: blank or not a number but spend is {spend!r}")
        else:
            report.add(f"roi[{cell}]", value, "=", revenue / spend)


def _flag(value) -> bool | None:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().lower()
    return True if text in _TRUE else False if text in _FALSE else None
