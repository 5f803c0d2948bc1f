"""The objectives a plan can optimise: one registry for the schema, the model, the words and the CLI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Objective:
    name: str  # as written in a scenario file and after --objective
    maximise: bool  # False: minimise
    unit: str  # what one unit of the objective is, in sentences ("+4.59 revenue")
    description: str


REGISTRY = (
    Objective("max_revenue", True, "revenue", "split the budget for the most revenue"),
    Objective("min_spend", False, "spend", "least spend meeting every target"),
    Objective("max_profit", True, "profit", "margin x revenue - spend"),
    Objective("max_new_customers", True, "new customers", "split the budget for the most new customers"),
)
OBJECTIVE_NAMES = tuple(o.name for o in REGISTRY)
_BY_NAME = {o.name: o for o in REGISTRY}


def objective(name: str) -> Objective:
    """The registered objective called `name` (KeyError for any other: the schema admits only these)."""
    return _BY_NAME[name]
