"""The report's sections in order: headline, targets, breakdowns, budget lines, what binds, and the
optional ones (shortfalls, diagnosis, risk, frontier, what-if deltas) when their tables exist."""

from __future__ import annotations

import math

import pandas as pd

from allocator.plan.prices import costliest
from allocator.plan.tolerance import RELATIVE
from allocator.review.content import (MAX_BREAKDOWN, MAX_ROWS, Column, Headline, Report, Table, _columns, breakdown_table,
                                      period_spend_matrix, phasing_table, targets_table)
from allocator.review.calendar_sections import (checks_section, flags_section, milestones_section, tracking_section,
                                                weekly_section)
from allocator.review.source import PlanDocument

OBJECTIVE_KINDS = {"max_revenue": "money", "min_spend": "money", "max_profit": "money",
                   "max_new_customers": "count"}


def _rows(frame: pd.DataFrame, limit: int | None = MAX_ROWS) -> tuple[list[dict], int]:
    records = [dict(zip(frame.columns, values)) for values in frame.itertuples(index=False)]
    if limit is None or len(records) <= limit + 2:  # never "and 1 more": that line would take the row's place
        return records, 0
    return records[:limit], len(records) - limit


def headline(document: PlanDocument) -> list[Headline]:
    run = document.run
    totals = run.get("totals") or {}
    targets = document.table("targets")
    met = int(targets["met"].astype(bool).sum()) if not targets.empty else 0
    items = [Headline("status", str(run.get("explanation") or document.status), "text")]
    if document.solved:
        items += [
            Headline("revenue", totals.get("revenue_total"), "money"),
            Headline("spend", totals.get("spend"), "money"),
            Headline("ROI", totals.get("roi"), "multiple"),
            Headline("new customers", totals.get("new_customers"), "count"),
            Headline("targets met", f"{met} of {len(targets)}", "text"),
        ]
    solver = f"{run.get('solver', '')} {run.get('solver_version', '')}".strip()
    items.append(Headline("objective", f"{run.get('objective_kind', '')} ({solver})", "text"))
    return items


def marginal_section(document: PlanDocument) -> Table | None:
    frame = document.table("marginal")
    if frame.empty:
        return None
    frame = frame[frame["scope"] == "channel"]
    if len(frame) > MAX_BREAKDOWN + 2:  # many channels: the largest by spend first, the rest counted
        frame = frame.sort_values("spend", ascending=False, kind="stable")
    rows, hidden = _rows(frame, MAX_BREAKDOWN)
    columns = _columns(frame, [("name", "channel", "text"), ("spend", "spend", "money"),
                               ("revenue", "revenue from spend", "money"), ("roi", "ROI", "multiple"),
                               ("marginal_roi", "ROI of the next unit", "multiple"), ("note", "note", "text")])
    return Table("marginal", "ROI and marginal ROI by channel", columns, rows, document.style, hidden=hidden,
                 note="ROI = revenue from spend per unit of spend; the next unit earns the marginal ROI",
                 source="marginal.csv")


def lines_section(document: PlanDocument) -> Table | None:
    """Named budget lines (lines.csv) or, without them, the channel x tier lines (budget_lines.csv)."""
    lines = document.table("lines")
    if not lines.empty:
        columns = _columns(lines, [("line", "line", "text"), ("spend", "spend", "money"),
                                   ("share_of_spend", "share of spend", "percent"),
                                   ("new_customers", "new customers", "count"), ("revenue", "revenue", "money"),
                                   ("roi", "ROI", "multiple"), ("met", "promises met", "flag"),
                                   ("statement", "what it buys", "text")])
        rows, hidden = _rows(lines)
        return Table("lines", "Budget lines and what they buy", columns, rows, document.style, hidden=hidden,
                     note="lines may overlap: a cell can sit in several", source="lines.csv")
    frame = document.table("budget_lines")
    if frame.empty:
        return None
    frame = frame.sort_values("spend", ascending=False, kind="stable")
    rows, hidden = _rows(frame)
    columns = _columns(frame, [("channel", "channel", "text"), ("tier", "tier", "text"), ("spend", "spend", "money"),
                               ("customers", "customers", "count"), ("revenue", "revenue", "money"),
                               ("roi", "ROI", "multiple"), ("statement", "what it buys", "text")])
    return Table("budget_lines", "Budget lines (channel x tier) and what they buy", columns, rows, document.style,
                 hidden=hidden, note="the largest lines by spend", source="budget_lines.csv")


def binding_section(document: PlanDocument) -> Table | None:
    frame = document.table("sensitivity")
    if frame.empty:
        return None
    objective = document.run.get("objective")
    worthless = RELATIVE * max(1.0, abs(float(objective or 0.0)))
    frame = frame[frame["gain_if_relaxed_10pct"].fillna(0) > worthless]  # a limit worth nothing is not ranked
    rows, hidden = _rows(frame)
    kind = OBJECTIVE_KINDS.get(str(document.run.get("objective_kind")), "number")
    unit = str(frame["gain_unit"].iloc[0]) if len(frame) else "revenue"
    unit = f"{unit}, {document.style.currency}" if kind == "money" else unit
    columns = [Column("limit", "limit", "text"), Column("effect", "price in words", "text"),
               Column("gain_if_relaxed_10pct", f"gain from relaxing it 10% ({unit})", kind)]
    return Table("binding", "What costs the most: binding limits and their price", columns, rows, document.style,
                 hidden=hidden, note="prices from the LP with the on/off choices fixed" if
                 document.run.get("duals_from") == "lp_with_integers_fixed" else "", source="sensitivity.csv")


def _plain_section(document: PlanDocument, stem: str, title: str, spec: list[tuple[str, str, str]], note: str = "") -> Table | None:
    frame = document.table(stem)
    if frame.empty:
        return None
    rows, hidden = _rows(frame)
    return Table(stem, title, _columns(frame, spec), rows, document.style, hidden=hidden, note=note,
                 source=f"{stem}.csv")


def _goal_kind(goal: str) -> str:
    return "money" if "revenue" in goal or "spend" in goal else "count"


def shortfalls_section(document: PlanDocument) -> Table | None:
    table = _plain_section(document, "shortfalls", "Shortfalls against soft targets", [
        ("goal", "goal", "text"), ("rhs", "goal value", "row"), ("achieved_without_shortfall", "achieved", "row"),
        ("shortfall", "shortfall", "row"), ("shortfall_share", "short by", "percent"), ("met", "met", "flag")])
    if table is not None:
        for row in table.rows:
            row["_kind"] = _goal_kind(str(row.get("goal", "")))
    return table


def diagnosis_section(document: PlanDocument) -> Table | None:
    table = _plain_section(document, "diagnosis", "Why there is no plan: what must move", [
        ("limit", "demand", "text"), ("lever", "scenario field", "text"), ("current", "now", "number"),
        ("feasible_at", "feasible at", "number"), ("change", "change", "number"),
        ("enough_alone", "enough alone", "flag")], note=str((document.run.get("diagnosis") or {}).get("note") or ""))
    return table


def risk_section(document: PlanDocument, risk: pd.DataFrame | None) -> Table | None:
    if risk is None or risk.empty:
        return None
    rows, _ = _rows(risk, None)
    for row in rows:
        row["_kind"] = "money" if "revenue" in str(row["metric"]) or "spend" in str(row["metric"]) else "count"
    columns = _columns(risk, [("metric", "metric", "text"), ("as_planned", "as planned", "row"), ("p10", "P10", "row"),
                              ("p50", "P50", "row"), ("p90", "P90", "row"), ("committed", "committed", "row"),
                              ("probability_meets_committed", "chance to meet it", "percent")])
    return Table("risk", "Risk: the plan under uncertain funnel numbers", columns, rows, document.style,
                 source="risk.csv")


def frontier_section(document: PlanDocument, frontier: pd.DataFrame | None) -> Table | None:
    if frontier is None or frontier.empty:
        return None
    varied = [c for c in frontier.columns if "." in c or "[" in c]
    spec = [(c, c, "number") for c in varied] + [("status", "status", "text"), ("spend", "spend", "money"),
                                                 ("revenue_total", "revenue", "money"),
                                                 ("new_customers", "new customers", "count"), ("roi", "ROI", "multiple"),
                                                 ("message", "note", "text")]
    rows, hidden = _rows(frontier, 30)
    return Table("frontier", "Frontier: the plan at other budgets", _columns(frontier, spec), rows, document.style,
                 hidden=hidden, source="frontier.csv")


def deltas_section(document: PlanDocument, comparison: pd.DataFrame | None) -> Table | None:
    """What-if deltas: the totals of each compared plan and its difference from this one."""
    if comparison is None or comparison.empty:
        return None
    totals = comparison[comparison["section"] == "totals"]
    plan_columns = [c for c in comparison.columns if c not in ("section", "item", "metric")]
    rows = []
    for values in totals.itertuples(index=False):
        row = dict(zip(totals.columns, values))
        metric = str(row["metric"])
        row["_kind"] = ("multiple" if metric == "roi" else "count" if metric in ("new_customers", "leads", "customers")
                        else "money")
        rows.append(row)
    columns = [Column("metric", "total", "text")] + [
        Column(c, c.replace("delta_", "change vs ") if c.startswith("delta_") else c, "row") for c in plan_columns]
    return Table("deltas", "What-if: this plan against the others", columns, rows, document.style,
                 note="changes are the other plan minus this one", source="comparison.csv")


def build_report(document: PlanDocument, *, comparison: pd.DataFrame | None = None,
                 studies: dict[str, pd.DataFrame] | None = None) -> Report:
    studies = studies or {}
    report = Report(document, headline(document))
    candidates = [targets_table(document) if not document.table("targets").empty else None,
                  tracking_section(document, studies.get("tracking")), flags_section(document, studies.get("flags")),
                  milestones_section(document), checks_section(document)]
    if document.solved:
        candidates += [
            breakdown_table(document, "by_channel", "channel", "Spend and revenue by channel"),
            period_spend_matrix(document),
            phasing_table(document),
            weekly_section(document),
            marginal_section(document),
            lines_section(document),
            binding_section(document),
            breakdown_table(document, "by_tier", "tier", "By customer tier"),
            breakdown_table(document, "by_product", "product", "By product"),
        ]
    candidates += [shortfalls_section(document), diagnosis_section(document),
                   risk_section(document, studies.get("risk")), frontier_section(document, studies.get("frontier")),
                   deltas_section(document, comparison)]
    report.sections = [t for t in candidates if t is not None]
    sensitivity = document.table("sensitivity")
    objective = float(document.run.get("objective") or 0.0)
    report.statements["costliest"] = costliest(sensitivity, tolerance=RELATIVE * max(1.0, abs(objective))) \
        if not sensitivity.empty else []
    lines = document.table("lines")
    report.statements["lines"] = [str(s) for s in lines["statement"]] if "statement" in lines else []
    report.statements["checked"] = [document.checked] if document.checked else []
    return report


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
