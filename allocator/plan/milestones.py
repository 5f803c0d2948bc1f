"""milestones.csv: does the plan reach each milestone's cumulative amounts by its date?

A milestone ("200 new customers by 2027-01-15") is checked against the plan cumulated from the first day
of its first period to the end of the milestone's date, with each period's amounts spread over its days
exactly as weekly.csv spreads them (`allocator.plan.calendar`). It is a check of the solved plan, not a
constraint of the linear program: a milestone the plan misses says so (`met` False) and the plan stands.
"""

from __future__ import annotations

import math
from bisect import bisect_right

import pandas as pd

from allocator.plan.calendar import DaySplit, period_amounts
from allocator.plan.tolerance import holds
from allocator.scenario.calendar import MILESTONE_MEASURES, Milestone

# A milestone's measure -> the plan's amount it cumulates (revenue counts the baseline, as targets.revenue).
MEASURE_COLUMNS = {"new_customers": "new_customers", "revenue": "revenue_total", "leads": "leads", "spend": "spend"}
MILESTONE_COLUMNS = ["name", "date", "owner", "measure", "required", "planned_by_date", "attainment", "met"]


def planned_by(split: DaySplit, by_period: pd.DataFrame, column: str, last_day) -> float:
    """The plan's `column` summed over every day up to and including `last_day`."""
    per_period = period_amounts(by_period, split.periods)[column].to_numpy()
    upto = bisect_right(split.days, last_day)
    daily = per_period[split.period[:upto]] * split.share[:upto]
    return math.fsum(daily.tolist())


def milestones_table(milestones: list[Milestone], split: DaySplit, by_period: pd.DataFrame) -> pd.DataFrame:
    """One row per milestone and measure it sets, in the scenario's order; `met` is the shared row test."""
    rows = []
    for milestone in milestones:
        for measure in MILESTONE_MEASURES:
            required = getattr(milestone, measure)
            if required is None:
                continue
            planned = planned_by(split, by_period, MEASURE_COLUMNS[measure], milestone.date)
            rows.append({"name": milestone.name, "date": milestone.date.isoformat(), "owner": milestone.owner or "",
                         "measure": measure, "required": required, "planned_by_date": planned,
                         "attainment": planned / required if required else float("nan"),
                         "met": holds(planned, ">=", required)})
    return pd.DataFrame(rows, columns=MILESTONE_COLUMNS)
