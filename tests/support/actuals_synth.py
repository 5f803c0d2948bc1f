"""Synthetic daily actuals for a solved plan, with a story, for the tracking tests and the bundled example.

Each cell of the plan's allocation.csv (channel x tier x product, one period) is spread over its days by
the scenario's calendar (the working-day split of weekly.csv), and each day draws

    spend     = planned spend of the day x pace of the channel x lognormal(0, 0.06)
    leads     = spend / planned cost per lead x lognormal(0, 0.05)            (whole: error-diffusion rounding)
    customers = leads x planned conversion x conversion factor x lognormal(0, 0.04)   (whole, as leads)
    revenue   = customers x planned order value x lognormal(0, 0.08) + planned baseline of the day x lognormal(0, 0.03)

Whole counts are rounded by carrying each cell's fraction to its next day, so a week's counts follow the
drawn rates closely. The story of the bundled example (`--example`):

- marketplace converts 24% below plan from Monday 2027-01-11 (three ISO weeks, W02-W04): "cut or fix";
- community_groupbuy converts 18% above plan and spends 5% ahead of it;
- three late corrections at the end of the file (the same date, channel, tier and product again) replace
  earlier rows: two marketplace days whose orders were partly returned, one website day re-counted.

scenarios/actuals_q1.csv is written by

    .venv/bin/allocator solve scenarios/example_q1.yaml --out /tmp/q1 --force
    .venv/bin/python tests/support/actuals_synth.py --example --plan /tmp/q1 --seed 2027 --out scenarios/actuals_q1.csv
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.plan.calendar import day_split
from allocator.scenario.calendar import Calendar
from allocator.scenario.periods import first_and_last_day


@dataclass(frozen=True)
class Story:
    """What departs from the plan: per channel a conversion factor (from a day on) and a spend pace."""

    first: str
    last: str
    conversion: dict[str, tuple[float, str]] = field(default_factory=dict)  # channel -> (factor, from day)
    pace: dict[str, float] = field(default_factory=dict)  # channel -> spend factor
    corrections: tuple[tuple[str, str, str, str, dict], ...] = ()  # (date, channel, tier, product, new values)


EXAMPLE = Story(
    first="2027-01-01", last="2027-01-31",
    conversion={"marketplace": (0.76, "2027-01-11"), "community_groupbuy": (1.18, "2027-01-01")},
    pace={"community_groupbuy": 1.05},
    corrections=(("2027-01-20", "marketplace", "new_customers", "growth_line", {"customers": -1, "revenue": 0.8}),
                 ("2027-01-21", "marketplace", "new_customers", "growth_line", {"customers": -1, "revenue": 0.8}),
                 ("2027-01-12", "website", "existing_customers", "core_range", {"revenue": 1.02})),
)


def day_shares(plan: Path, periods: list[str]) -> pd.DataFrame:
    """Every day of the periods with its period and its share of the period (by the calendar, else even)."""
    scenario = json.loads((plan / "scenario.json").read_text())
    if scenario.get("calendar") is not None:
        split = day_split(Calendar(**scenario["calendar"]), periods)
        return pd.DataFrame({"date": pd.to_datetime(list(split.days)),
                             "period": [split.periods[i] for i in split.period], "share": split.share})
    frames = []
    for period in periods:
        first, last = first_and_last_day(period)
        days = pd.date_range(first, last)
        frames.append(pd.DataFrame({"date": days, "period": period, "share": 1.0 / len(days)}))
    return pd.concat(frames, ignore_index=True)


def _whole(expected: np.ndarray) -> np.ndarray:
    """Whole counts whose running total follows the running total of `expected` (error diffusion)."""
    running = np.floor(np.cumsum(expected) + 1e-9)
    return np.diff(np.concatenate([[0.0], running]))


def _cell_days(cell: pd.Series, days: pd.DataFrame, story: Story, rng: np.random.Generator) -> pd.DataFrame:
    share = days["share"].to_numpy()
    n = len(days)
    noise = lambda sd: rng.lognormal(0.0, sd, n)  # one draw per day
    spend = cell["spend"] * share * story.pace.get(cell["channel"], 1.0) * noise(0.06)
    leads = _whole(spend / cell["cost_per_lead"] * noise(0.05)) if cell["spend"] > 0 else np.zeros(n)
    factor, start = story.conversion.get(cell["channel"], (1.0, story.first))
    conversion = np.where(days["date"] >= pd.Timestamp(start), factor, 1.0) * cell["conversion"]
    customers = np.minimum(_whole(leads * np.nan_to_num(conversion) * noise(0.04)), leads)
    order_value = 0.0 if pd.isna(cell["order_value"]) else cell["order_value"]
    revenue = customers * order_value * noise(0.08) + cell["baseline_revenue"] * share * noise(0.03)
    return pd.DataFrame({"date": days["date"].dt.strftime("%Y-%m-%d").to_numpy(), "channel": cell["channel"],
                         "tier": cell["tier"], "product": cell["product"], "spend": spend.round(2), "leads": leads,
                         "customers": customers, "revenue": revenue.round(2)})


def synthesise(plan: Path, story: Story, seed: int) -> pd.DataFrame:
    """The actuals table: one row per active cell and day with weight between story.first and story.last,
    then the story's corrections appended."""
    rng = np.random.default_rng(seed)
    allocation = pd.read_csv(plan / "allocation.csv", keep_default_na=False, na_values=[""])
    allocation["product"] = allocation["product"].fillna("")
    periods = list(dict.fromkeys(allocation["period"]))
    days = day_shares(plan, periods)
    days = days[(days["date"] >= story.first) & (days["date"] <= story.last) & (days["share"] > 0)]
    active = allocation[(allocation["spend"] > 0) | (allocation["baseline_revenue"] > 0)]
    frames = [_cell_days(cell, days[days["period"] == cell["period"]], story, rng)
              for _, cell in active.iterrows() if (days["period"] == cell["period"]).any()]
    table = pd.concat(frames, ignore_index=True).sort_values(["date", "channel", "tier", "product"], kind="stable")
    fixes = []
    for day, channel, tier, product, change in story.corrections:
        row = table[(table["date"] == day) & (table["channel"] == channel) & (table["tier"] == tier)
                    & (table["product"] == product)].iloc[0].copy()
        row["customers"] = max(0.0, row["customers"] + change.get("customers", 0))
        row["revenue"] = round(row["revenue"] * change.get("revenue", 1.0), 2)
        fixes.append(row)
    table = pd.concat([table, pd.DataFrame(fixes)], ignore_index=True)
    table[["leads", "customers"]] = table[["leads", "customers"]].astype(int)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", type=Path, required=True, help="a solved plan folder (allocation.csv, scenario.json)")
    parser.add_argument("--example", action="store_true", help="the bundled example's story (the only one so far)")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    table = synthesise(args.plan, EXAMPLE, args.seed)
    table.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
