"""What the budget review reads, as tables of rounded numbers that add up as printed.

The workbook's summary sheet and the HTML report show the same `Section`s,
built here once: each `Table` holds its rows already rounded for people
(largest remainder, so a breakdown's rows sum to its total row) and knows how
to print each cell (`Table.text`). The full-precision tables stay in the CSVs
and in the workbook's other sheets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from allocator.plan.display import Style, rounded_column, rounded_total, show
from allocator.plan.units import target_kind
from allocator.review.source import PlanDocument

ADDITIVE = ("spend", "leads", "customers", "new_customers", "revenue", "baseline_revenue", "revenue_total")
SHARES = ("share_of_revenue", "share_of_spend")
MAX_ROWS = 12  # rows a section shows before "and N more (see the CSV)"
MAX_BREAKDOWN = 25  # rows a breakdown shows; past that, the largest 24 and one row for the rest


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: str  # a display kind (allocator.plan.display); "row": each row's `_kind` says


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[dict]
    style: Style
    total: dict | None = None
    note: str = ""
    hidden: int = 0  # rows left out (the CSV named in `source` has them all)
    source: str = ""

    def kind(self, row: dict, column: Column) -> str:
        return row.get("_kind", "number") if column.kind == "row" else column.kind

    def text(self, row: dict, column: Column) -> str:
        return show(row.get(column.key), self.kind(row, column), self.style)

    def header(self, column: Column) -> str:
        """The column's title with its unit: `spend (CNY)`, `ROI (x)`, `share of revenue (%)`."""
        unit = {"money": self.style.currency, "percent": "%", "multiple": "x"}.get(column.kind)
        return f"{column.title} ({unit})" if unit and not column.title.endswith(")") else column.title


@dataclass
class Headline:
    label: str
    value: float | str | None
    kind: str


@dataclass
class Report:
    """Everything a person reads about one plan, in the order it is shown."""

    document: PlanDocument
    headline: list[Headline]
    sections: list[Table] = field(default_factory=list)
    statements: dict[str, list[str]] = field(default_factory=dict)  # section key -> sentences

    def section(self, key: str) -> Table | None:
        return next((t for t in self.sections if t.key == key), None)


def _columns(frame: pd.DataFrame, spec: list[tuple[str, str, str]]) -> list[Column]:
    return [Column(key, title, kind) for key, title, kind in spec if key in frame.columns]


def breakdown_table(document: PlanDocument, stem: str, name: str, title: str) -> Table:
    """A breakdown with its total row; money, counts and shares rounded so the rows add up to it."""
    frame = document.table(stem)
    style = document.style
    spec = [(name, name.replace("_", " "), "text"), ("spend", "spend", "money"),
            ("revenue_total", "revenue", "money"), ("new_customers", "new customers", "count"),
            ("leads", "leads", "count"), ("roi", "ROI", "multiple"), ("share_of_spend", "share of spend", "percent"),
            ("share_of_revenue", "share of revenue", "percent")]
    columns = _columns(frame, spec)
    totals = {k: float(document.run.get("totals", {}).get(k) or frame[k].sum()) for k in ADDITIVE if k in frame}
    frame = largest_with_others(frame, name)
    rows = [dict(zip(frame.columns, values)) for values in frame.itertuples(index=False)]
    total = {name: "total", **totals,
             "roi": totals["revenue"] / totals["spend"] if totals.get("spend") else math.nan}
    for column in columns:
        if column.key in ADDITIVE:
            total[column.key] = rounded_total(totals[column.key], style.decimals(column.kind))
            _set(rows, column.key, rounded_column(frame[column.key], style.decimals(column.kind), totals[column.key]))
        elif column.key in SHARES and frame[column.key].notna().any():
            total[column.key] = 1.0
            _set(rows, column.key, rounded_column(frame[column.key], 3, 1.0))  # 0.1% steps sum to 100.0%
    return Table(stem, title, columns, rows, style, total, source=f"{stem}.csv")


def largest_with_others(frame: pd.DataFrame, name: str, limit: int = MAX_BREAKDOWN) -> pd.DataFrame:
    """A breakdown of many rows as its largest by spend (in their order) and one row summing the rest
    ("other (176 channels)"), so a 200-channel plan reads in one screen and still adds up to its total."""
    if len(frame) <= limit + 1:
        return frame
    order = frame["spend"].fillna(0).abs().sort_values(ascending=False, kind="stable").index
    keep = sorted(order[:limit - 1])
    rest = frame.drop(index=keep)
    other = {column: rest[column].sum() for column in frame.columns if column in ADDITIVE + SHARES}
    other[name] = f"other ({len(rest)} {name}s)"
    other["roi"] = other["revenue"] / other["spend"] if other.get("spend") else math.nan
    return pd.concat([frame.loc[keep], pd.DataFrame([other])], ignore_index=True)[frame.columns]


def _set(rows: list[dict], key: str, values) -> None:
    for row, value in zip(rows, values):
        row[key] = float(value)


def targets_table(document: PlanDocument) -> Table:
    frame = document.table("targets")
    rows = []
    for values in frame.itertuples(index=False):
        row = dict(zip(frame.columns, values))
        row["_kind"] = target_kind(row["target"])
        rows.append(row)
    columns = _columns(frame, [("target", "target", "text"), ("owner", "owner", "text"),
                               ("committed", "committed", "row"),
                               ("planned", "planned (with buffer)", "row"), ("achieved", "achieved", "row"),
                               ("attainment", "attainment", "percent"), ("met", "met", "flag")])
    if "owner" in frame and frame["owner"].isna().all():  # no target has an owner: no empty column
        columns = [c for c in columns if c.key != "owner"]
    # Where a committed number comes from (the annual plan, last year's revenue x growth), under the table.
    derived = [f"{row['target']}: {row['derivation']}" for row in rows
               if isinstance(row.get("derivation"), str) and row["derivation"]]
    return Table("targets", "Targets: committed, planned, achieved", columns, rows, document.style,
                 note="; ".join(derived), source="targets.csv")


def period_spend_matrix(document: PlanDocument) -> Table | None:
    """Spend by channel x period; each period's column rounded to add up to that period's total."""
    allocation = document.table("allocation")
    if allocation.empty:
        return None
    style = document.style
    pivot = allocation.pivot_table(index="channel", columns="period", values="spend", aggfunc="sum", sort=False)
    if len(pivot) > MAX_BREAKDOWN + 1:  # the largest channels by spend, the rest in one row (as by channel)
        keep = sorted(pivot.sum(axis=1).sort_values(ascending=False, kind="stable").index[:MAX_BREAKDOWN - 1],
                      key=list(pivot.index).index)
        other = pivot.drop(index=keep).sum()
        pivot = pd.concat([pivot.loc[keep], other.to_frame(f"other ({len(pivot) - len(keep)} channels)").T])
    decimals = style.decimals("money")
    by_period = document.table("by_period")
    # The columns' totals are the periods' spend rounded to add up to the plan's: the table adds up both ways
    # to the same 3,400,000 the breakdowns show.
    period_totals = dict(zip(by_period["period"].astype(str), rounded_column(
        by_period["spend"], decimals, float((document.run.get("totals") or {}).get("spend") or by_period["spend"].sum()))))
    rows = [{"channel": channel} for channel in pivot.index]
    total = {"channel": "total"}
    for period in pivot.columns:
        values = rounded_column(pivot[period].to_numpy(), decimals, float(period_totals.get(str(period), pivot[period].sum())))
        _set(rows, str(period), values)
        total[str(period)] = rounded_total(float(values.sum()), decimals)
    columns = [Column("channel", "channel", "text")] + [Column(str(p), str(p), "money") for p in pivot.columns]
    return Table("spend_matrix", "Spend by channel and period", columns, rows, style, total,
                 note="each period's column adds up to its total", source="allocation.csv")


def phasing_table(document: PlanDocument) -> Table | None:
    """Revenue by period against the phased target: the revenue target (with buffer) x each period's
    weight, and the band the plan must keep (the quarter's revenue x weight x (1 +/- tolerance))."""
    by_period = document.table("by_period")
    if by_period.empty:
        return None
    season = document.scenario.get("seasonality") or {}
    weights = season.get("target_weights") or {}
    tolerance = float(season.get("tolerance", 0.05))
    targets = document.table("targets")
    planned = targets.loc[targets["target"] == "revenue", "planned"] if not targets.empty else pd.Series(dtype=float)
    quarter = float(by_period["revenue_total"].sum())
    style = document.style
    decimals = style.decimals("money")
    revenue = rounded_column(by_period["revenue_total"], decimals, quarter)
    rows = []
    for i, period in enumerate(by_period["period"].astype(str)):
        weight = weights.get(period)
        row = {"period": period, "revenue_total": float(revenue[i]), "weight": weight}
        if weight is not None and len(planned):
            row["phased_target"] = float(planned.iloc[0]) * weight
        if weight is not None:
            row["band_low"] = quarter * weight * (1 - tolerance)
            row["band_high"] = quarter * weight * (1 + tolerance)
        rows.append(row)
    columns = [Column("period", "period", "text"), Column("revenue_total", "revenue", "money"),
               Column("weight", "weight", "percent"), Column("phased_target", "phased target", "money"),
               Column("band_low", "band low", "money"), Column("band_high", "band high", "money")]
    if not weights:
        columns = columns[:2]
    note = (f"phased target: the revenue target with its buffer x each period's weight; band: the quarter's "
            f"revenue x weight x (1 +/- {tolerance:.0%})") if weights else "no seasonal phasing in this scenario"
    return Table("phasing", "Revenue by period vs the phased target", columns, rows, style,
                 {"period": "total", "revenue_total": rounded_total(quarter, decimals)}, note=note, source="by_period.csv")
