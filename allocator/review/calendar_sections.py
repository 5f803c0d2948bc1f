"""The review's sections from the calendar, the history and the tracking: the plan by ISO week, milestones,
target checks, actuals against the plan and their flags."""

from __future__ import annotations

from allocator.plan.display import rounded_column, rounded_total
from allocator.plan.units import target_kind
from allocator.review.content import Column, Table, _columns, _set
from allocator.review.source import PlanDocument

WEEK_AMOUNTS = (("spend", "money"), ("revenue_total", "money"), ("new_customers", "count"), ("leads", "count"))
MAX_WEEK_ROWS = 60  # a year of weeks split at month ends still fits; more rows are counted


def weekly_section(document: PlanDocument) -> Table | None:
    """weekly.csv: each ISO week (split at month ends) with its working days; each amount column rounded to
    add up to the plan's total, as the breakdowns are."""
    frame = document.table("weekly")
    if frame.empty:
        return None
    style = document.style
    hidden = max(0, len(frame) - MAX_WEEK_ROWS)
    shown = frame.iloc[:MAX_WEEK_ROWS]
    rows = [dict(zip(shown.columns, values)) for values in shown.itertuples(index=False)]
    totals = document.run.get("totals") or {}
    total = {"week": "total"}
    for key, kind in WEEK_AMOUNTS:
        if key in frame and not hidden:
            decimals = style.decimals(kind)
            whole = float(totals.get(key) if totals.get(key) is not None else frame[key].sum())
            _set(rows, key, rounded_column(shown[key], decimals, whole))
            total[key] = rounded_total(whole, decimals)
    columns = _columns(frame, [("week", "ISO week", "text"), ("month", "month", "text"),
                               ("working_days", "working days", "count"), ("spend", "spend", "money"),
                               ("revenue_total", "revenue", "money"), ("new_customers", "new customers", "count"),
                               ("leads", "leads", "count")])
    return Table("weekly", "The plan by ISO week", columns, rows, style, None if hidden else total, hidden=hidden,
                 note="each month's plan spread over its working days (public holidays off, make-up working days "
                      "on); a week that straddles two months has a row in each", source="weekly.csv")


def milestones_section(document: PlanDocument) -> Table | None:
    frame = document.table("milestones")
    if frame.empty:
        return None
    rows = []
    for values in frame.itertuples(index=False):
        row = dict(zip(frame.columns, values))
        row["_kind"] = "money" if row.get("measure") in ("revenue", "spend") else "count"
        rows.append(row)
    columns = _columns(frame, [("name", "milestone", "text"), ("date", "by", "text"), ("owner", "owner", "text"),
                               ("measure", "measure", "text"), ("required", "required to date", "row"),
                               ("planned_by_date", "planned to date", "row"), ("attainment", "attainment", "percent"),
                               ("met", "met", "flag")])
    return Table("milestones", "Milestones: cumulative targets to a date", columns, rows, document.style,
                 source="milestones.csv")


def checks_section(document: PlanDocument) -> Table | None:
    frame = document.table("checks")
    if frame.empty:
        return None
    rows = [dict(zip(frame.columns, values)) for values in frame.itertuples(index=False)]
    columns = [Column(key, title, "text") for key, title in
               (("check", "check"), ("subject", "target"), ("status", "status"), ("message", "finding"))
               if key in frame.columns]
    return Table("checks", "Targets against history: the guide's checks", columns, rows, document.style,
                 note="growth against the same quarter's trend, leads needed against history's best and the caps, "
                      "order value against history's, the buffer against 10-15%", source="checks.csv")


def tracking_section(document: PlanDocument, tracking) -> Table | None:
    """tracking.csv's committed targets: plan and actual to date, attainment, the two forecasts, on course."""
    if tracking is None or tracking.empty:
        return None
    frame = tracking[tracking["level"] == "target"]
    rows = []
    for values in frame.itertuples(index=False):
        row = dict(zip(frame.columns, values))
        row["_kind"] = target_kind(str(row["name"]))
        rows.append(row)
    columns = _columns(frame, [("name", "target", "text"), ("committed", "committed", "row"),
                               ("plan_to_date", "plan to date", "row"), ("actual_to_date", "actual to date", "row"),
                               ("attainment", "attainment", "percent"),
                               ("forecast_run_rate", "forecast (run-rate)", "row"),
                               ("forecast_plan_based", "forecast (plan-based)", "row"),
                               ("on_course", "on course", "flag")])
    return Table("tracking", "Actuals against the plan: attainment to date and forecast", columns, rows,
                 document.style, note="run-rate: actual to date x quarter days / elapsed days; plan-based: actual "
                 "+ the rest of the plan at the efficiency seen so far (intervals in tracking.csv)",
                 source="tracking.csv")


def flags_section(document: PlanDocument, flags) -> Table | None:
    if flags is None or flags.empty:
        return None
    rows = [dict(zip(flags.columns, values)) for values in flags.itertuples(index=False)]
    columns = [Column("flag", "flag", "text"), Column("subject", "channel or target", "text"),
               Column("statement", "what it says", "text")]
    return Table("flags", "Flags: cut or fix, targets on course to miss, pacing", columns, rows, document.style,
                 source="flags.csv")
