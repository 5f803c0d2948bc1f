"""Per-period amounts (one number for every period, or a mapping period -> number), and the days a period covers."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta


def value_at(per_period, period: str):
    """The amount `per_period` sets for `period`: None when the field is unset or its mapping leaves the
    period out (no limit there). The model builder, the cross-checks and `verify` all read caps, minimums
    and sales capacity through this, so they agree on which periods a field covers."""
    if per_period is None:
        return None
    if isinstance(per_period, dict):
        return per_period.get(period)
    return per_period


def first_and_last_day(period: str) -> tuple[date, date]:
    """The first and last calendar day of a period: a month ``YYYY-MM`` or an ISO week ``YYYY-Www``
    (Monday to Sunday). The period is assumed well formed (`allocator.scenario.references` checks that)."""
    year = int(period[:4])
    if "W" in period:
        monday = date.fromisocalendar(year, int(period[6:]), 1)
        return monday, monday + timedelta(days=6)
    month = int(period[5:7])
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def iso_week(day: date) -> str:
    """The ISO week a day falls in, as ``YYYY-Www`` (2027-01-01 -> 2026-W53)."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def month_of_week(period: str) -> str:
    """The month an ISO week counts toward when targets are phased by month: the month of its Thursday
    (the ISO rule that puts a week in the year of its Thursday, applied to months). 2027-W05 (Mon 1 Feb)
    -> 2027-02; 2027-W04 (Mon 25 Jan, Thu 28 Jan) -> 2027-01."""
    monday, _ = first_and_last_day(period)
    thursday = monday + timedelta(days=3)
    return f"{thursday.year:04d}-{thursday.month:02d}"


def phasing_groups(periods: list[str], weights: dict[str, float]) -> tuple[list[str], list[int]]:
    """(groups, group of each period) for seasonal phasing: each period its own group when `weights` are
    keyed by the plan's periods; on a plan of ISO weeks with weights keyed by month, the weeks of a month
    share its weight (each week in the month of its Thursday). Groups are in order of first appearance."""
    if all(p in weights for p in periods):
        return list(periods), list(range(len(periods)))
    keys = [month_of_week(p) if "W" in p else p for p in periods]
    groups = list(dict.fromkeys(keys))
    return groups, [groups.index(k) for k in keys]
