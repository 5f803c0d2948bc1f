"""The numbers a planner can move on the page, each with its --set path, unit, range and current value.

Budget (total, each limit), channel caps and funnel numbers, targets (revenue, new customers, buffer,
ROI floor, mix shares), tier conversion and order value. Only numbers the scenario states as one number
are offered (a per-period cap stays in the file). The range is what the control offers, not a rule:
the scenario's own validation decides what is accepted, with the command line's message.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from allocator.plan.words import selection_words
from allocator.scenario.schema import Scenario


@dataclass(frozen=True)
class Lever:
    path: str  # the --set path
    group: str  # heading it is shown under
    label: str
    unit: str  # "CNY", "share 0-1", "x (revenue / spend)", "count", "CNY per lead"
    value: float
    low: float
    high: float
    step: float

    def as_dict(self) -> dict:
        return asdict(self)


def _money(value: float) -> tuple[float, float, float]:
    """Range and step of a money control: 0 to three times today's value, in steps of about 1/1000."""
    high = max(3.0 * value, 1.0)
    step = 10 ** max(0, len(str(int(high))) - 4)
    return 0.0, float(high), float(step)


def levers_of(scenario: Scenario) -> list[Lever]:
    """Every lever of `scenario`, grouped as the page shows them."""
    currency = scenario.currency
    found: list[Lever] = []

    def money(path, group, label, value, unit=currency):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(Lever(path, group, label, unit, float(value), *_money(float(value))))

    def share(path, group, label, value, high=1.0, unit="share 0-1"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found.append(Lever(path, group, label, unit, float(value), 0.0, high, 0.01 if high >= 1 else 0.005))

    budget, targets = scenario.budget, scenario.targets
    money("budget.total", "Budget", "total budget", budget.total)
    for i, limit in enumerate(budget.limits):
        words = selection_words(limit.select)
        money(f"budget.limits[{i}].min", "Budget", f"{words}: at least", limit.min)
        money(f"budget.limits[{i}].max", "Budget", f"{words}: at most", limit.max)
        share(f"budget.limits[{i}].min_share", "Budget", f"{words}: least share of spend", limit.min_share)
        share(f"budget.limits[{i}].max_share", "Budget", f"{words}: most share of spend", limit.max_share)
    money("targets.revenue", "Targets", "committed revenue", targets.revenue)
    if targets.new_customers is not None:
        found.append(Lever("targets.new_customers", "Targets", "committed new customers", "count",
                           float(targets.new_customers), 0.0, max(3.0 * targets.new_customers, 10.0), 1.0))
    share("targets.buffer", "Targets", "planning buffer", targets.buffer, high=0.5)
    if targets.min_roi is not None:
        found.append(Lever("targets.min_roi", "Targets", "portfolio ROI floor", "x (revenue / spend)",
                           float(targets.min_roi), 0.0, max(3.0 * targets.min_roi, 5.0), 0.05))
    for i, mix in enumerate(targets.mix):
        words = f"{selection_words(mix.select)} of {mix.of}"
        share(f"targets.mix[{i}].min_share", "Targets", f"{words}: least share", mix.min_share)
        share(f"targets.mix[{i}].max_share", "Targets", f"{words}: most share", mix.max_share)
    for channel in scenario.channels:
        key = f"channels[{channel.name}]"
        money(f"{key}.max_spend", "Channels", f"{channel.name}: most spend per period", channel.max_spend)
        money(f"{key}.cost_per_lead", "Funnel", f"{channel.name}: cost per lead", channel.cost_per_lead,
              f"{currency} per lead")
    for tier in scenario.tiers:
        share(f"tiers[{tier.name}].conversion", "Funnel", f"{tier.name}: conversion", tier.conversion,
              unit="rate 0-1")
        money(f"tiers[{tier.name}].order_value", "Funnel", f"{tier.name}: order value", tier.order_value)
    return found
