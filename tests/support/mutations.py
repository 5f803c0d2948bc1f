"""Mutations of a drawn scenario for the monotonicity properties (tests/solving/test_properties.py): more
budget, a stricter channel ROI floor, a higher revenue target."""

from __future__ import annotations

import copy

from drawing import sig


def with_budget(data: dict, factor: float) -> dict:
    out = copy.deepcopy(data)
    out["budget"]["total"] = sig(out["budget"]["total"] * factor, 8)
    return out


def with_channel_roi(data: dict, index: int, new_roi: float) -> dict:
    out = copy.deepcopy(data)
    out["channels"][index]["min_roi"] = new_roi
    return out


def with_revenue_target(data: dict, factor: float) -> dict:
    out = copy.deepcopy(data)
    out["targets"]["revenue"] = sig(out["targets"]["revenue"] * factor, 8) if out["targets"]["revenue"] > 0 else 1.0
    return out
