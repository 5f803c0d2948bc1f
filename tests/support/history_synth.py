"""Synthetic history drawn from known parameters, for the calibration tests and the bundled example.

Each cell (channel x tier x product) has a true cost per lead, conversion, order value, spend per month and
baseline revenue per month. Per period (month, ISO week from a Monday, or day):

    spend     = cell spend x periods-per-month share x (1 + growth)^years x spend season x lognormal(0, noise)
                (0 in the cell's quiet months, and before the cell's start date)
    leads     ~ Poisson(effective spend / cost_per_lead x demand index of the date)
                (effective spend: each `response` slice of the spend times its efficiency; default all of it)
    customers ~ Binomial(leads, conversion)
    revenue   = Gamma(shape k x customers, scale order_value / k)   (the sum of `customers` orders, each
                Gamma(k, order_value / k): mean order_value, CV 1/sqrt(k))
              + baseline x periods-per-month share x (1 + growth)^years x Gamma(s, 1/s)  (s: baseline_shape)

With `steady_mix`, each period's spend is rescaled so that the expected spend-driven revenue grows at
`growth` exactly even while channels start (new channels take budget from the old ones): the whole history
then grows at `growth` a year, whatever the start dates.

The bundled example, scenarios/history.csv, is written by

    .venv/bin/python tests/support/history_synth.py --example --seed 2027 --out scenarios/history.csv
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

DAYS_PER_MONTH = 365.25 / 12
STEP = {"monthly": None, "weekly": 7, "daily": 1}


@dataclass(frozen=True)
class Cell:
    channel: str
    tier: str
    cost_per_lead: float
    conversion: float
    order_value: float
    spend: float  # money per month at the start date's level
    product: str = ""
    baseline: float = 0.0  # money per month at the start date's level
    quiet_months: tuple[int, ...] = ()  # month numbers with no spend (and no leads): baseline only
    start: str | None = None  # first date the cell has rows
    response: tuple[tuple[float | None, float], ...] = ()  # (up_to, efficiency) slices of a period's spend

    def effective(self, spend: np.ndarray) -> np.ndarray:
        """Spend at full efficiency: each slice of the period's spend times its efficiency (none: all of it)."""
        if not self.response:
            return spend
        total, lower = np.zeros(np.shape(spend)), 0.0
        for up_to, efficiency in self.response:
            upper = np.inf if up_to is None else up_to
            total += efficiency * np.clip(spend - lower, 0.0, upper - lower)
            lower = upper
        return total


@dataclass(frozen=True)
class Truth:
    cells: list[Cell]
    demand: dict[int, float] = field(default_factory=lambda: {m: 1.0 for m in range(1, 13)})  # by month number
    spend_season: dict[int, float] = field(default_factory=lambda: {m: 1.0 for m in range(1, 13)})
    growth: float = 0.0  # per year, of spend and baseline
    order_shape: float = 4.0
    spend_noise: float = 0.05
    baseline_shape: float = 100.0  # baseline noise Gamma(shape, 1 / shape): CV 1 / sqrt(shape)
    steady_mix: bool = False

    def demand_at(self, dates: pd.DatetimeIndex) -> np.ndarray:
        return np.array([self.demand[d.month] for d in dates])


def period_dates(start: str, end: str, grain: str) -> pd.DatetimeIndex:
    """Month starts, Mondays or days from `start` up to `end`."""
    freq = {"monthly": "MS", "weekly": "W-MON", "daily": "D"}[grain]
    return pd.date_range(start, end, freq=freq)


def synth_history(truth: Truth, start: str = "2023-01-01", end: str = "2026-12-31", grain: str = "monthly",
                  seed: int = 0, demand_of=None) -> pd.DataFrame:
    """The history table (columns of a history file) drawn from `truth`. `demand_of(dates)` overrides the
    monthly demand index (e.g. a weekly pattern)."""
    rng = np.random.default_rng(seed)
    dates = period_dates(start, end, grain)
    share = 1.0 if STEP[grain] is None else STEP[grain] / DAYS_PER_MONTH
    years = ((dates - pd.Timestamp(start)).days / 365.25).to_numpy()
    trend = (1 + truth.growth) ** years
    demand = demand_of(dates) if demand_of else truth.demand_at(dates)
    season = np.array([truth.spend_season[d.month] for d in dates])
    plan = np.array([[_planned(cell, d) for d in dates] for cell in truth.cells], dtype=float)  # cell x period
    if truth.steady_mix:  # spend plan scaled so that expected driven revenue is that of every cell running
        rate = np.array([c.conversion * c.order_value / c.cost_per_lead for c in truth.cells])
        everything = np.array([c.spend for c in truth.cells]) @ rate
        plan = plan * everything / np.maximum((plan * rate[:, None]).sum(axis=0), 1e-12)
    frames = []
    for row, cell in enumerate(truth.cells):
        active = np.array([cell.start is None or d >= pd.Timestamp(cell.start) for d in dates])
        quiet = np.array([d.month in cell.quiet_months for d in dates])
        noise = rng.lognormal(0.0, truth.spend_noise, len(dates)) if truth.spend_noise else 1.0
        spend = np.where(quiet, 0.0, plan[row] * share * trend * season * noise)
        leads = rng.poisson(cell.effective(spend) / cell.cost_per_lead * demand)
        customers = rng.binomial(leads, cell.conversion)
        orders = np.where(customers > 0, rng.gamma(np.maximum(customers, 1) * truth.order_shape,
                                                   cell.order_value / truth.order_shape), 0.0)
        base = cell.baseline * share * trend * rng.gamma(truth.baseline_shape, 1 / truth.baseline_shape,
                                                                 len(dates)) if cell.baseline else 0.0
        frames.append(pd.DataFrame({
            "date": dates, "channel": cell.channel, "tier": cell.tier, "product": cell.product,
            "spend": np.round(spend, 2), "leads": leads, "customers": customers,
            "revenue": np.round(orders + base, 2)})[active])
    table = pd.concat(frames, ignore_index=True).sort_values(["date", "channel", "tier", "product"], kind="stable")
    return table.reset_index(drop=True)


def _planned(cell: Cell, date: pd.Timestamp) -> float:
    return 0.0 if cell.start is not None and date < pd.Timestamp(cell.start) else cell.spend


def write_history(table: pd.DataFrame, path: Path, with_product: bool = True) -> Path:
    """The table as a history CSV (dates YYYY-MM-DD)."""
    out = table.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    if not with_product:
        out = out.drop(columns="product")
    out.to_csv(path, index=False)
    return Path(path)


# --- the bundled example: the channels and tiers of scenarios/example_q1.yaml ------------------------------------

# Demand index by month: the Spring Festival lowers February, 618 lifts June, Singles' Day November.
EXAMPLE_DEMAND = {1: 1.00, 2: 0.85, 3: 1.05, 4: 1.00, 5: 1.02, 6: 1.08, 7: 0.95, 8: 0.93, 9: 1.00, 10: 0.97,
                  11: 1.15, 12: 1.05}
EXAMPLE_SPEND_SEASON = {**{m: 1.0 for m in range(1, 13)}, 2: 0.95, 11: 1.2, 12: 1.1}
# Product shares of each cell's spend and baseline.
EXAMPLE_PRODUCTS = {"launch_x": 0.05, "growth_line": 0.25, "core_range": 0.55, "clearance": 0.15}
EXAMPLE_GROWTH = 0.15  # a year: Q1 grew 15% a year
# channel, tier, cost per lead, conversion, order value, spend per month (2023), baseline per month (2023),
# quiet months (no campaign: the baseline shows), first month
EXAMPLE_CELLS = [
    ("website", "new_customers", 90, 0.05, 9000, 40000, 0, (), None),
    ("website", "prospects", 90, 0.05, 6000, 20000, 0, (), None),
    ("website", "existing_customers", 25, 0.30, 500, 20000, 450000, (7, 8), None),
    ("mini_program", "new_customers", 70, 0.05, 9000, 26000, 0, (), None),
    ("mini_program", "prospects", 70, 0.05, 6000, 13000, 0, (), None),
    ("mini_program", "existing_customers", 20, 0.32, 500, 16000, 155000, (7, 8), None),
    ("marketplace", "new_customers", 110, 0.05, 9000, 52000, 0, (), None),
    ("marketplace", "prospects", 110, 0.05, 6000, 26000, 0, (), None),
    ("marketplace", "existing_customers", 40, 0.30, 500, 20000, 450000, (7, 8), None),
    ("distributors", "new_customers", 150, 0.05, 9000, 33000, 0, (), None),
    ("distributors", "prospects", 150, 0.05, 6000, 20000, 0, (), None),
    ("livestream", "new_customers", 60, 0.04, 7000, 46000, 0, (), "2025-01-01"),
    ("livestream", "prospects", 60, 0.035, 6000, 26000, 0, (), "2025-01-01"),
    ("community_groupbuy", "new_customers", 50, 0.06, 5000, 26000, 0, (), "2025-07-01"),
    ("community_groupbuy", "prospects", 50, 0.045, 4500, 13000, 0, (), "2025-07-01"),
    ("direct_sales", "key_accounts", 2500, 0.20, 60000, 60000, 460000, (8, 12), None),
]


def example_truth() -> Truth:
    cells = []
    for channel, tier, cpl, conversion, value, spend, baseline, quiet, start in EXAMPLE_CELLS:
        for product, part in EXAMPLE_PRODUCTS.items():
            cells.append(Cell(channel, tier, cpl, conversion, value, spend * part, product, baseline * part, quiet,
                              start))
    return Truth(cells, demand=EXAMPLE_DEMAND, spend_season=EXAMPLE_SPEND_SEASON, growth=EXAMPLE_GROWTH,
                 order_shape=9.0, baseline_shape=400.0, steady_mix=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", action="store_true", help="the bundled example's channels and tiers")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--grain", choices=sorted(STEP), default="monthly")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if not args.example:
        parser.error("only --example is defined on the command line")
    write_history(synth_history(example_truth(), grain=args.grain, seed=args.seed), args.out)


if __name__ == "__main__":
    main()
