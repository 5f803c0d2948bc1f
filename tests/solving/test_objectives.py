"""One objective registry (allocator.scenario.objectives) behind the schema, the model, the words and the CLI.

The objectives used to be listed in five places (the schema's tuple and Literal, the model's senses,
the words' units, the CLI's choices); a sixth objective added to one list and not the others would be
accepted by one layer and crash another.
"""

from __future__ import annotations

import typing

import pytest
from helpers import base_scenario, invoke, write_scenario

from allocator.cli.options import OBJECTIVE_OPTION
from allocator.model.build import build_model
from allocator.model.objective import COEFFICIENTS
from allocator.scenario.objectives import OBJECTIVE_NAMES, REGISTRY
from allocator.scenario.schema import Scenario
from allocator.solving.pipeline import solve_file
from solvers import Sense


def test_every_layer_offers_the_registered_objectives():
    assert OBJECTIVE_NAMES == ("max_revenue", "min_spend", "max_profit", "max_new_customers")
    assert typing.get_args(Scenario.model_fields["objective"].annotation) == OBJECTIVE_NAMES
    assert tuple(COEFFICIENTS) == OBJECTIVE_NAMES

    def command():
        pass

    option = OBJECTIVE_OPTION(command).__click_params__[0]
    assert tuple(option.type.choices) == OBJECTIVE_NAMES


@pytest.mark.parametrize("entry", REGISTRY, ids=lambda o: o.name)
def test_each_objective_builds_with_its_sense(entry):
    data = base_scenario(targets={"revenue": 1000}, products=[{"name": "p", "stage": "growth", "margin": 0.5}])
    model = build_model(Scenario.model_validate(data), entry.name)
    assert model.lp.sense is (Sense.MAXIMIZE if entry.maximise else Sense.MINIMIZE)


@pytest.mark.parametrize("name, unit, price", [
    # Budget 1,000 buys revenue 5 per unit: the budget is worth 5 revenue, 0.01 new customers (1 per 100).
    ("max_revenue", "revenue", "+5.00 revenue"),
    ("max_new_customers", "new customers", "+0.0100 new customers"),
    # Margin 0.5: each unit of budget earns 5 x 0.5 - 1 = 1.5 profit.
    ("max_profit", "profit", "+1.50 profit"),
])
def test_prices_are_stated_in_the_objectives_unit(tmp_path, name, unit, price):
    data = base_scenario(objective=name, products=[{"name": "p", "stage": "growth", "margin": 0.5}])
    table = solve_file(write_scenario(tmp_path, data)).plan.tables["sensitivity"].set_index("constraint")
    assert table.loc["budget_total", "effect"] == f"each extra 1 of budget.total -> {price}"


def test_cli_refuses_an_unregistered_objective(tmp_path):
    path = write_scenario(tmp_path, base_scenario())
    result = invoke("solve", path, "--out", tmp_path / "out", "--objective", "max_revnue")
    assert result.exit_code == 2
    assert "'max_revenue', 'min_spend', 'max_profit', 'max_new_customers'" in result.output
