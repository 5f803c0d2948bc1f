"""The scenario's `calendar:` and `milestones:` sections, and their checks against the plan's periods.

The calendar does not enter the linear program: after the solve, each period's plan is spread over its
days by working-day weights and the days are grouped into ISO weeks (`allocator.plan.calendar`). A
milestone is a cumulative amount the plan should reach by the end of a date, read off the same split.
"""

from __future__ import annotations

import functools

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from allocator.errors import ScenarioError, Text
from allocator.scenario import holiday_cache
from allocator.scenario.fields import Count, Factor, Money, Name, Share, Strict
from allocator.scenario.periods import first_and_last_day

# What a milestone may require by its date, each cumulative from the plan's first day: new customers,
# revenue (baseline included, as targets.revenue), leads and spend.
MILESTONE_MEASURES = ("new_customers", "revenue", "leads", "spend")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _iso_date(value):
    """A calendar date as YAML writes it (2027-01-15) or as text; not a time of day, not a number."""
    if isinstance(value, datetime):
        raise ValueError("a date YYYY-MM-DD without a time of day")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("a date YYYY-MM-DD that exists in the calendar")


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


@functools.lru_cache(maxsize=64)
def subdivisions_of(country: str) -> tuple[str, ...] | None:
    """The subdivision codes the `holidays` package knows for `country`, or None when it knows no such
    country: from the cache file of `allocator.scenario.holiday_cache` when it holds the answer (the
    package is then not imported), else from the package."""
    return holiday_cache.subdivisions(country)


class Calendar(Strict):
    """How the plan's periods are split into days and ISO weeks after the solve (weekly.csv, milestones.csv)."""

    country: str = Field("CN", description="Public holidays of this country (ISO 3166-1 alpha-2 code the "
                                           "`holidays` package knows, e.g. CN, US, DE).")
    subdivision: str | None = Field(None, description="A state or province code of the country (e.g. US: CA), "
                                                       "for its own holidays.")
    weekend_weight: Share = Field(0.0, description="Weight of a weekend day that is no official working day "
                                                   "(a working day weighs 1).")
    holiday_weight: Share = Field(0.0, description="Weight of a public holiday (a working day weighs 1).")
    week_weights: dict[str, Factor] | None = Field(
        None, description="Per ISO week (YYYY-Www): a multiplier on the weights of its days (default 1)."
    )

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        if subdivisions_of(value) is None:
            raise ValueError("a country code the holidays package knows (ISO 3166-1 alpha-2, e.g. CN, US, DE)")
        return value

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")  # absent when the country itself was refused
        known = (subdivisions_of(country) or []) if country is not None else []
        if value is not None and country is not None and value not in known:
            shown = (", ".join(known[:12]) + (", ..." if len(known) > 12 else "")) if known else "none"
            raise ValueError(f"a subdivision of {country} the holidays package knows ({shown})")
        return value


class Milestone(Strict):
    """A key date and what the plan should have reached by the end of it, counted from the plan's first day."""

    name: Name = Field(description="What happens by the date (e.g. launch, membership upgrade).")
    date: IsoDate = Field(description="The date (YYYY-MM-DD), within the plan's periods; its own day counts.")
    owner: Name | None = Field(None, description="Who answers for the milestone.")
    new_customers: Count | None = Field(None, description="New customers won from the plan's start to the date.")
    revenue: Money | None = Field(None, description="Revenue, baseline included, from the start to the date (money).")
    leads: Count | None = Field(None, description="Leads from the start to the date.")
    spend: Money | None = Field(None, description="Spend from the start to the date (money): at least this much.")

    @model_validator(mode="after")
    def _some(self) -> "Milestone":
        if all(getattr(self, measure) is None for measure in MILESTONE_MEASURES):
            raise ValueError(f"a milestone needs at least one of {', '.join(MILESTONE_MEASURES)}")
        return self


def check_calendar(s, file: str) -> None:
    """Week weights name ISO weeks the plan covers; milestones need a calendar and a date within the plan."""
    if s.calendar is None and not s.milestones:
        return
    start, end = first_and_last_day(s.periods[0])[0], first_and_last_day(s.periods[-1])[1]
    span = f"{start.isoformat()} to {end.isoformat()} (the plan's periods)"
    if s.calendar is not None:
        for week in s.calendar.week_weights or {}:
            monday = _monday_of(week)
            if monday is None:
                raise ScenarioError(file, f"calendar.week_weights.{week}", week, "an ISO week YYYY-Www that exists")
            if monday > end or monday.toordinal() + 6 < start.toordinal():
                raise ScenarioError(file, f"calendar.week_weights.{week}", week, f"a week with a day from {span}")
    for milestone in s.milestones:  # named as pydantic names list items: by their name
        if s.calendar is None:
            raise ScenarioError(
                file, f"milestones[{milestone.name}]", Text("milestones without a calendar"),
                "a calendar: section (e.g. calendar: {country: CN}) to spread each period over its days",
            )
        if not start <= milestone.date <= end:
            raise ScenarioError(file, f"milestones[{milestone.name}].date", milestone.date.isoformat(),
                                f"a date from {span}")


def _monday_of(week: str) -> date | None:
    match = _ISO_WEEK.match(week)
    if match is None:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
