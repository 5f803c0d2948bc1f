"""The quarter's tracking dashboard, from the run store given to `allocator serve --store`.

The store's latest `track` run (of its approved plan's quarter) says where its tables are: attainment to
date, forecasts to the quarter's end and flags are the review's own sections (allocator.review), and
revenue against plan by day, week and month is summed from its kpis tables. The re-plan button re-plans
the approved plan's scenario from that run's actuals and as-of day (allocator.api.tracking_replan); the
scenario and the actuals must lie in the folders the workspace serves (or the track run's own folder).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd

from allocator.errors import Text, UsageError
from allocator.plan.display import Style, show
from allocator.web.folders import Folders


def _latest_track(store: str):
    """(track run, approved run) of the store: its newest track run and the approved plan of that quarter."""
    import allocator

    with allocator.open_store(store) as opened:
        runs = opened.list(kind="track", limit=1)
        if not runs:
            return None, None
        return runs[0], opened.approved(runs[0].quarter)


def _by(frame: pd.DataFrame, key: str, style) -> dict:
    """Revenue against plan of all channels by `key` (date, week or month; the kpis tables' "all" rows),
    printed as the review prints money."""
    sums = frame[frame["channel"] == "all"].groupby(key, sort=True)[["revenue", "plan_revenue"]].sum()
    rows, values = [], []
    for name, actual, planned in zip(sums.index.astype(str), sums["revenue"], sums["plan_revenue"]):
        share = actual / planned if planned else float("nan")
        rows.append([name, show(actual, "money", style), show(planned, "money", style), show(share, "percent", style)])
        values.append([None, float(actual), float(planned), share if planned else None])
    return {"key": f"by_{key}", "title": f"Revenue against plan by {key}", "columns": [
        key, f"revenue ({style.currency})", f"plan ({style.currency})", "attainment (%)"],
        "keys": [key, "revenue", "plan_revenue", "attainment"], "kinds": ["text", "money", "money", "percent"],
        "rows": rows, "values": values, "total": None, "note": "", "hidden": 0, "source": f"kpis_{key}.csv"}


def dashboard(store: str | None) -> dict:
    """What the dashboard shows, or why there is none."""
    if not store:
        return {"available": False, "reason": "no run store given (allocator serve ... --store PATH)"}
    track, approved = _latest_track(store)
    if track is None:
        return {"available": False, "reason": "the run store holds no track run yet (allocator track ... --store)"}
    return _dashboard_of(str(track.folder), track.id, track.quarter, approved.id if approved else None,
                         str(approved.folder) if approved else None)


@functools.lru_cache(maxsize=8)
def _dashboard_of(track_folder: str, track_id: str, quarter: str, approved_id: str | None,
                  approved_folder: str | None) -> dict:
    """The dashboard of one track run against one approved plan: made (the plan folder read back and
    verified) once, not on every request; a new track run or approval is another key."""
    from allocator.review.calendar_sections import flags_section, tracking_section
    from allocator.review.source import read_plan_folder, read_study_folder
    from allocator.web.views import section_view

    folder = Path(track_folder)
    run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    plan_folder = Path(run["plan"]["folder"]) if run.get("plan", {}).get("folder") else (
        Path(approved_folder) if approved_folder else None)
    if plan_folder is None:
        return {"available": False, "reason": f"track run {track_id} names no plan folder"}
    document = read_plan_folder(plan_folder)
    studies = read_study_folder(folder)
    style = document.style
    sections = [tracking_section(document, studies.get("tracking")), flags_section(document, studies.get("flags"))]
    shown = [section_view(t) for t in sections if t is not None]
    daily = pd.read_csv(folder / "kpis_daily.csv")
    weekly = pd.read_csv(folder / "kpis_weekly.csv")
    monthly = pd.read_csv(folder / "kpis_monthly.csv")
    shown += [_by(daily, "date", style), _by(weekly, "week", style), _by(monthly, "month", style)]
    return {"available": True, "run": track_id, "quarter": quarter, "as_of": run.get("as_of"),
            "approved": approved_id, "plan": document.name, "sections": shown,
            "actuals": Path(run.get("actuals", {}).get("path", "")).name}


def replan_view(folders: Folders, store: str | None) -> dict:
    """Re-plan the approved plan's scenario from the latest track run's actuals and day: what moves, in words."""
    from allocator.api.tracking_replan import replan

    if not store:
        raise UsageError("replan", "--store", Text("none"), "a run store holding a track run")
    track, approved = _latest_track(store)
    if track is None or approved is None:
        raise UsageError("replan", "store", Text("no approved plan with a track run"),
                         "allocator runs approve RUN, then allocator track ... --store")
    run = json.loads((Path(track.folder) / "run.json").read_text(encoding="utf-8"))
    approved_run = json.loads((Path(approved.folder) / "run.json").read_text(encoding="utf-8"))
    scenario = Path(str((approved_run.get("scenario") or {}).get("file") or ""))
    actuals = Path(str(run.get("actuals", {}).get("path") or ""))
    for what, path, also in (("scenario", scenario, None), ("actuals", actuals, Path(track.folder))):
        if not folders.holds(path, also):
            raise UsageError("replan", what, Text(path.name or "none"), "a file in a folder the workspace serves")
    result = replan(scenario, actuals, run["as_of"], against=approved.folder)  # CBC, as `allocator replan`
    totals = result.plan.totals if result.plan.solved else {}
    style = Style.for_totals(result.plan.scenario.currency, totals.get("spend", 0.0), totals.get("revenue_total", 0.0))
    return {"as_of": run["as_of"], "status": result.plan.status, "sentences": list(result.sentences),
            "approved_from": Path(result.approved_from).name if result.approved_from else "",
            "revenue": show(totals.get("revenue_total"), "money", style) if totals else "-",
            "softened": result.softened}
