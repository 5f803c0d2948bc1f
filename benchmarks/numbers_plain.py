"""Round, plausible numbers for the generated scenarios (benchmarks/generate.py): two-decimal rates,
money in whole thousands, plain YAML scalars, and where a period sits in its year."""

from __future__ import annotations

import math

import numpy as np


def season_position(period: str) -> float:
    """Where the period sits in its year, 0-1 (for the seasonal pattern)."""
    if "-W" in period:
        return (int(period.split("-W")[1]) - 1) / 52.0
    return (int(period.split("-")[1]) - 1) / 12.0


def floor_to(value: float, digits: int = 2) -> float:
    f = 10.0 ** digits
    return math.floor(value * f) / f


def ceil_to(value: float, digits: int = 2) -> float:
    f = 10.0 ** digits
    return math.ceil(value * f) / f


def money_floor(value: float, step: float = 1000.0) -> float:
    return float(math.floor(value / step) * step)


def money_ceil(value: float, step: float = 1000.0) -> float:
    return float(math.ceil(value / step) * step)


def plain(value):
    """Plain Python scalars for YAML (no numpy types); whole numbers as int."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return int(value) if value.is_integer() and abs(value) < 1e15 else value
    return value
