"""Read and check an actuals table: what each channel x tier (x product) spent and won, day by day, while
the plan runs.

Public API:

- `read_actuals(path, scope=None) -> Actuals`: the table, checked; with `scope` (`PlanScope`), checked
  against the plan too (names it knows, channels that serve the tier, dates inside its periods).
- `PlanScope.from_allocation(allocation, periods)`: what a plan covers, read off its allocation.csv;
  `PlanScope.from_scenario(scenario)`: what a scenario covers (for a re-plan).
- `ActualsError`: the typed error every bad value raises (a `HistoryError`, so an `InputError`: the CLI
  exits 2 and writes nothing).

The file is the history file's shape (CSV, or Parquet ``.parquet``/``.pq``): columns ``date, channel,
tier, [product], spend, leads, customers, revenue`` in any case and order, other columns ignored, at
daily grain (``YYYY-MM-DD``). ``revenue`` is everything the cell sold, baseline included (it is compared
with the plan's ``revenue_total``). A row whose date, channel, tier and product repeat an earlier row's is
a late or corrected figure: it REPLACES the earlier row (the last one in file order wins) instead of
adding to it, and `Actuals.replaced` counts such rows. A history table sums repeated keys instead; that
is the one rule in which the two files differ.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import Text
from allocator.history.history_table import KEY, NAMES, REQUIRED, HistoryError, _read_raw, typed_rows
from allocator.scenario.periods import first_and_last_day, iso_week

COLUMNS = ["date", "channel", "tier", "product", "spend", "leads", "customers", "revenue", "period", "week", "line"]
USED = (*REQUIRED, "product")  # the columns the reader takes (others are ignored)
_DAY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")


class ActualsError(HistoryError):
    """An actuals table that cannot be used: one line naming the file, the row and column, the bad value
    and what was expected."""


@dataclass(frozen=True)
class PlanScope:
    """What a plan covers: the names it knows, which channel serves which tier, and its first and last day."""

    channels: tuple[str, ...]
    tiers: tuple[str, ...]
    products: tuple[str, ...]  # empty when the plan has no products
    served: frozenset[tuple[str, str]]  # (channel, tier) pairs the plan may use
    first_day: date
    last_day: date

    @classmethod
    def from_allocation(cls, allocation: pd.DataFrame, periods) -> PlanScope:
        """Read off allocation.csv (every channel x tier x product x period cell, with `eligible`) and the
        scenario's periods in order."""
        text = allocation.copy()
        for name in NAMES:
            text[name] = text[name].fillna("").astype(str) if name in text else ""
        eligible = text["eligible"].astype(str).str.lower().isin(["true", "1"]) if "eligible" in text else True
        products = tuple(p for p in dict.fromkeys(text["product"]) if p)
        served = frozenset(zip(text.loc[eligible, "channel"], text.loc[eligible, "tier"]))
        return cls(channels=tuple(dict.fromkeys(text["channel"])), tiers=tuple(dict.fromkeys(text["tier"])),
                   products=products, served=served, first_day=first_and_last_day(periods[0])[0],
                   last_day=first_and_last_day(periods[-1])[1])

    @classmethod
    def from_scenario(cls, s) -> PlanScope:
        """Read off a scenario (what `replan` plans): its names, each tier's channels, its periods' days."""
        channels = tuple(c.name for c in s.channels)
        served = frozenset((c, t.name) for t in s.tiers for c in (t.channels or channels))
        return cls(channels=channels, tiers=tuple(t.name for t in s.tiers), products=tuple(p.name for p in s.products),
                   served=served, first_day=first_and_last_day(s.periods[0])[0],
                   last_day=first_and_last_day(s.periods[-1])[1])


@dataclass(frozen=True)
class Actuals:
    """An actuals table after corrections: one row per date x channel x tier x product, sorted by date.

    `table` columns: ``date`` (datetime64, a day), ``channel``, ``tier``, ``product`` (``""`` when the file
    has no product column), ``spend`` and ``revenue`` (money), ``leads`` and ``customers`` (whole counts),
    ``period`` (``YYYY-MM``), ``week`` (ISO ``YYYY-Www``) and ``line`` (where the kept row is in the file,
    "line 12" of a CSV, "row 11" of a Parquet table)."""

    table: pd.DataFrame
    source: Path
    rows_read: int
    replaced: int  # rows of the file that a later row of the same key replaced
    has_product: bool
    corrections: list[str] = field(default_factory=list)  # "line 40 replaced by line 95", in file order

    def statement(self) -> str:
        """The correction rule and what it did, in words."""
        if not self.replaced:
            return f"{self.rows_read} row(s) read; no row repeats another's date, channel, tier and product"
        shown = "; ".join(self.corrections[:3]) + ("; ..." if len(self.corrections) > 3 else "")
        return (f"{self.rows_read} row(s) read; {self.replaced} replaced by a later row of the same date, channel, "
                f"tier and product (the last in file order wins: {shown})")


def read_actuals(path: str | Path, scope: PlanScope | None = None) -> Actuals:
    """The actuals table at `path`, checked (and against `scope` when given), corrections applied.

    Raises `ActualsError` (`HistoryError` for the checks shared with a history table) on a missing column,
    a date that is not a day, a number that is not one, a negative amount, a fractional count, customers
    above leads, a bad name, an empty table and, with `scope`, a name the plan does not know, a tier the
    channel does not serve, or a date outside the plan's periods.
    """
    path = Path(path)
    raw, unit, first = _read_raw(path)
    columns = _columns(raw, path)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise ActualsError(path, f"column {missing[0]}", Text("missing"),
                           "the columns " + ", ".join(REQUIRED) + " (and optionally product)")
    raw = raw.rename(columns={original: name for name, original in columns.items()})
    if raw.empty:
        raise ActualsError(path, "rows", Text("none"), "at least one row of actuals")
    lines = [f"{unit} {n}" for n in range(first, first + len(raw))]
    frame = _checked_rows(raw, path, lines)
    if scope is not None:
        _check_scope(frame, scope, path)
    repeated = frame.duplicated(list(KEY), keep="last").to_numpy()
    corrections = _corrections(frame, repeated)
    kept = frame[~repeated].sort_values(["date", "channel", "tier", "product"], kind="stable").reset_index(drop=True)
    kept["period"] = kept["date"].dt.strftime("%Y-%m")
    kept["week"] = [iso_week(d) for d in kept["date"].dt.date]
    return Actuals(table=kept[COLUMNS], source=path, rows_read=len(frame), replaced=int(repeated.sum()),
                   has_product="product" in raw.columns, corrections=corrections)


def _columns(raw: pd.DataFrame, path: Path) -> dict[str, object]:
    """The table's columns by their name stripped and lower-cased; a column the reader uses that is there
    twice ("Spend" and "spend", or "spend" twice, which pandas reads as "spend" and "spend.1") is refused:
    which of the two holds the figures cannot be told."""
    columns: dict[str, object] = {}
    for original in raw.columns:
        name = str(original).strip().lower()
        base = re.sub(r"\.\d+$", "", name)  # pandas reads a repeated header "spend" as "spend.1"
        twice = name if name in columns else base if base != name and base in columns else None
        if twice in USED:
            raise ActualsError(path, f"column {twice}", Text("two columns of that name"),
                               "each of " + ", ".join(USED) + " once")
        columns.setdefault(name, original)
    return columns


def _checked_rows(raw: pd.DataFrame, path: Path, lines: list[str]) -> pd.DataFrame:
    """Every row parsed and checked on its own (the history table's rules, plus: a date is one day)."""
    if not pd.api.types.is_datetime64_any_dtype(raw["date"]):
        text = raw["date"].astype(str)
        bad = np.flatnonzero(~text.str.match(_DAY).to_numpy())
        if bad.size:
            raise ActualsError(path, f"{lines[bad[0]]}, date", raw["date"].iat[bad[0]],
                               "a day YYYY-MM-DD (actuals are daily)")
        parsed = pd.to_datetime(text.str.strip(), format="%Y-%m-%d", errors="coerce")
        bad = np.flatnonzero(parsed.isna().to_numpy())  # 2027-02-30: the shape of a day, not a day
        if bad.size:
            raise ActualsError(path, f"{lines[bad[0]]}, date", raw["date"].iat[bad[0]],
                               "a day YYYY-MM-DD (actuals are daily)")
    frame = typed_rows(raw, path, lines, ActualsError)
    frame["line"] = lines
    return frame


def _check_scope(frame: pd.DataFrame, scope: PlanScope, path: Path) -> None:
    """The first row naming what the plan does not have, or dated outside it, as an ActualsError."""
    known = {"channel": scope.channels, "tier": scope.tiers, "product": scope.products}
    for name, allowed in known.items():
        values = frame[name].to_numpy()
        unknown = ~np.isin(values, list(allowed)) & (values != "" if name == "product" else True)
        if unknown.any():
            row = np.flatnonzero(unknown)[0]
            expected = ("one of the plan's " + name + "s: " + ", ".join(allowed)) if allowed else \
                "a blank product (the plan has no products)"
            raise ActualsError(path, f"{frame['line'].iat[row]}, {name}", values[row], expected)
    blank = frame["product"].to_numpy() == ""
    if scope.products and blank.any() and not blank.all():  # a row of no product among rows of products
        row = np.flatnonzero(blank)[0]
        raise ActualsError(path, f"{frame['line'].iat[row]}, product", "",
                           "one of the plan's products: " + ", ".join(scope.products) + " (as the other rows have)")
    pairs = list(zip(frame["channel"], frame["tier"]))
    for row, pair in enumerate(pairs):
        if pair not in scope.served:
            raise ActualsError(path, f"{frame['line'].iat[row]}, tier", pair[1],
                               f"a tier the plan lets channel {pair[0]} serve")
    days = frame["date"].dt.date.to_numpy()
    outside = (days < scope.first_day) | (days > scope.last_day)
    if outside.any():
        row = np.flatnonzero(outside)[0]
        raise ActualsError(path, f"{frame['line'].iat[row]}, date", Text(f"{days[row]:%Y-%m-%d}"),
                           f"a day inside the plan ({scope.first_day:%Y-%m-%d} to {scope.last_day:%Y-%m-%d})")


def _corrections(frame: pd.DataFrame, repeated: np.ndarray) -> list[str]:
    """"line 40 replaced by line 95" for every row a later row of the same key replaced, in file order."""
    if not repeated.any():
        return []
    last_line = frame.groupby(list(KEY), sort=False)["line"].last()
    keys = frame.loc[repeated, list(KEY)].itertuples(index=False, name=None)
    return [f"{line} replaced by {last_line[key]}" for line, key in zip(frame.loc[repeated, "line"], keys)]
