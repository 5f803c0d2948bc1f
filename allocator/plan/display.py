"""Numbers as a person reads them: rounded once, with units, adding up as printed.

The CSVs keep full precision for machines. Every table a person reads (the
terminal, the workbook's summary, the report) goes through here:

- money in the scenario's currency with thousands separators, whole units for
  a plan in the currency's own units (so never more decimals than the currency
  has), three significant digits for a plan kept in millions or billions;
- counts (leads, customers) as whole numbers;
- shares, rates and attainment as percentages; ROI as a multiple (`4.59x`);
- a breakdown's rounded rows sum exactly to its rounded total (largest
  remainder), so solver noise (`3,399,999.9998`) reads `3,400,000` and the
  column adds up as printed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

KINDS = ("money", "count", "percent", "multiple", "price", "number", "text", "flag")
PERCENT_DECIMALS = 1
MULTIPLE_DECIMALS = 2
MISSING = "-"


@dataclass(frozen=True)
class Style:
    """How one plan's numbers are shown: its currency and the decimals its money gets."""

    currency: str
    money_decimals: int

    @classmethod
    def for_plan(cls, currency: str, scale: float) -> "Style":
        """`scale`: the plan's largest money figure (its budget or revenue). Money gets enough decimals for
        three significant digits of that figure: a 3.4M budget reads `3,400,000` (whole units: never more
        decimals than any currency has), the same plan kept in millions `3.40`, in billions `0.00340`. A
        plan in the currency's own units is in the hundreds or more, so it never shows a fraction of its
        minor unit; one kept in millions or billions must show decimals or read as 0."""
        if not scale or not math.isfinite(scale):
            return cls(currency, 2)
        wanted = 2 - math.floor(math.log10(abs(scale)))
        return cls(currency, int(max(0, wanted)))

    @classmethod
    def for_totals(cls, currency: str, spend: float, revenue: float) -> "Style":
        """The style of a plan from its totals: three significant digits of its spend, the smaller of its
        two headline figures (revenue is several times the spend), so that a plan kept in millions reads
        its 3.4M budget `3.40` and a channel's 0.15M `0.15`, not `3.4` and `0.1`/`0.2` as three digits of
        a 27.9M revenue gave. The revenue sets them when nothing is spent."""
        spend, revenue = abs(float(spend or 0.0)), abs(float(revenue or 0.0))
        return cls.for_plan(currency, spend if spend > 0 and math.isfinite(spend) else revenue)

    def decimals(self, kind: str) -> int:
        return {"money": self.money_decimals, "count": 0, "percent": PERCENT_DECIMALS,
                "multiple": MULTIPLE_DECIMALS}.get(kind, 0)

    def unit(self, kind: str) -> str:
        """The unit a column header names."""
        return {"money": self.currency, "count": "count", "percent": "%", "multiple": "x (revenue / spend)",
                "price": "per unit", "number": "", "text": "", "flag": ""}[kind]


def _missing(value) -> bool:
    if value is None:
        return True
    try:
        return not math.isfinite(float(value))
    except (TypeError, ValueError):
        return True


def significant(value: float, digits: int = 3) -> str:
    """A price or a number with no unit of its own: whole from 1,000 up, else `digits` significant digits."""
    if _missing(value):
        return MISSING
    value = float(value)
    if abs(value) >= 10 ** (digits - 1) or value == 0:
        return f"{value:,.0f}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def show(value, kind: str, style: Style) -> str:
    """One value as printed. The value is rounded here and nowhere else, so give it unrounded (or already
    rounded by `rounded_column`, which this leaves as it is)."""
    if kind == "text":
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    if kind == "flag":
        return MISSING if value is None or (isinstance(value, float) and math.isnan(value)) else (
            "yes" if bool(value) else "no")
    if _missing(value):
        return MISSING
    value = float(value)
    if kind in ("price", "number"):
        return significant(value)
    scaled, decimals, suffix = {
        "percent": (value * 100, PERCENT_DECIMALS, "%"),
        "multiple": (value, MULTIPLE_DECIMALS, "x"),
    }.get(kind, (value, style.decimals(kind), ""))
    # rounded as `rounded_column` rounds (whole units of the last decimal), so a printed total and the rows
    # rounded to it agree even on a float tie; + 0.0: a value that rounds to zero reads "0", never "-0"
    scaled = rounded_total(scaled, decimals) + 0.0
    return f"{scaled:,.{decimals}f}{suffix}"


def rounded_column(values: Sequence[float], decimals: int, total: float | None = None) -> np.ndarray:
    """Round `values` to `decimals` so that they sum exactly to the rounded `total` (their own sum when
    not given): largest-remainder rounding. Missing values stay missing and count as 0.

    Each value moves by less than one unit of the last decimal; the units the plain floors leave short
    of the total go to the values with the largest remainders (ties: the earlier row). When `total` is
    not their sum (rows left out of a table), each value is rounded on its own.
    """
    raw = np.asarray([np.nan if _missing(v) else float(v) for v in values], dtype=float)
    present = ~np.isnan(raw)
    step = 10.0 ** -decimals
    units = np.where(present, raw, 0.0) / step
    whole = np.floor(units + 1e-9)  # a value that is a whole number of units up to float noise stays one
    whole_total = math.fsum(raw[present].tolist()) if total is None else float(total)
    target = round(whole_total / step)  # the same units `rounded_total` prints the total in
    short = int(target - whole.sum())
    if not 0 <= short <= int(present.sum()):
        return np.where(present, np.round(raw, decimals), np.nan)
    remainders = np.where(present, units - whole, -np.inf)
    order = np.argsort(-remainders, kind="stable")[:short]
    whole[order] += 1
    return np.where(present, np.round(whole * step, decimals), np.nan)


def rounded_total(total: float, decimals: int) -> float:
    """A total as printed above rows `rounded_column` rounded to it: the same whole number of units of the
    last decimal (``round(total, 2)`` can fall the other way on a float tie)."""
    step = 10.0 ** -decimals
    return round(round(float(total) / step) * step, decimals)


def snapped_total(values: Iterable[float], decimals: int) -> float:
    """The total of `values` rounded as a person reads it."""
    clean = [float(v) for v in values if not _missing(v)]
    return round(math.fsum(clean), decimals)
