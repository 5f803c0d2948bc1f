"""Scale every money amount of a scenario by one factor (the same plan in another currency unit).

Money fields follow allocator/schema.py (`Money`, `PositiveMoney`, `PerPeriodMoney`): cost per lead, order
value, spend caps and floors, response slices' ``up_to``, baseline revenue, budget total and limits, the
revenue target. Shares, conversions, ROI floors (money per money) and counts are unchanged.
"""

from __future__ import annotations

from allocator.schema import Scenario

_CHANNEL_MONEY = ("cost_per_lead", "max_spend", "min_spend", "min_spend_if_used")


def _times(value, factor: float):
    """A money value, or a per-period dict of them, times `factor` (None stays None)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {period: amount * factor for period, amount in value.items()}
    return value * factor


def scaled_money(scenario: Scenario, factor: float) -> Scenario:
    data = scenario.model_dump()
    for channel in data["channels"]:
        for key in _CHANNEL_MONEY:
            channel[key] = _times(channel[key], factor)
        for segment in channel.get("response") or []:
            segment["up_to"] = _times(segment["up_to"], factor)
    for tier in data["tiers"]:
        tier["order_value"] *= factor
    for row in data["funnel"]:
        row["cost_per_lead"] = _times(row["cost_per_lead"], factor)
        row["order_value"] = _times(row["order_value"], factor)
    for row in data["baseline"]:
        row["revenue"] *= factor
    data["budget"]["total"] = _times(data["budget"]["total"], factor)
    for limit in data["budget"]["limits"]:
        limit["min"], limit["max"] = _times(limit["min"], factor), _times(limit["max"], factor)
    data["targets"]["revenue"] = _times(data["targets"]["revenue"], factor)
    return Scenario.model_validate(data)
