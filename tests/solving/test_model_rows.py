"""The model's rows carry records (family, form, args, lever), built by one function per row family.

Words, prices, goals and diagnosis read the records; these tests pin what the records say, worked out
from the scenario by hand, including the rows `ordered_model` appends and the soft targets' goals.
"""

from __future__ import annotations

import pytest
from helpers import base_scenario

from allocator.model.build import build_model
from allocator.model.ordering import ordered_model
from allocator.model.rows import RowRecord
from allocator.scenario.schema import Scenario

P = "2027-01"


def _model(**overrides):
    return build_model(Scenario.model_validate(base_scenario(**overrides)))


def test_records_of_a_small_model():
    # Channel a: cap 300 and a curve of two slices (first 100 wide); a revenue target; a mix floor.
    model = _model(
        channels=[{"name": "a", "cost_per_lead": 10, "max_spend": 300,
                   "response": [{"up_to": 100, "efficiency": 1.0}, {"efficiency": 0.5}]}],
        targets={"revenue": 100, "mix": [{"select": {"tier": "n"}, "of": "revenue", "min_share": 0.2}]},
    )
    rows = [(r.family, r.form, r.args) for r in model.rows]
    assert rows == [
        ("definition", "define_total_spend", ()),
        ("definition", "define_total_revenue", ()),
        ("budget", "budget_total", ()),
        ("capacity", "capacity_spend", ("a", P)),
        ("response", "response_segment", ("a", P, "1")),
        ("target", "target_revenue", ()),
        ("mix", "mix_min_revenue", ("tier=n",)),
    ]
    assert list(model.lp.row_names) == ["define_total_spend", "define_total_revenue", "budget_total",
                                        f"capacity_spend[a,{P}]", f"response_segment[a,{P},1]", "target_revenue",
                                        "mix_min_revenue[tier=n]"]
    levers = [r.lever and (r.lever.label, r.lever.relax, r.lever.current) for r in model.rows]
    assert levers == [None, None, ("budget.total", 1, 1000), (f"channels[a].max_spend[{P}]", 1, 300), None,
                      ("targets.revenue", -1, 100), ("targets.mix[0].min_share", -1, 0.2)]


def test_ordering_rows_carry_records():
    # Forced spend 150 on a two-slice curve: the ordering binaries add slice_full and slice_open rows for
    # slice 1 of channel a in the one period.
    model = _model(channels=[{"name": "a", "cost_per_lead": 10, "min_spend": 150, "max_leads": 10,
                              "response": [{"up_to": 100, "efficiency": 1.0}, {"efficiency": 0.5}]}])
    ordered = ordered_model(model)
    added = ordered.rows[len(model.rows):]
    assert added == (RowRecord("response", "slice_full", ("a", P, "1")),
                     RowRecord("response", "slice_open", ("a", P, "1")))
    assert list(ordered.lp.row_names[model.lp.n_rows:]) == [f"slice_full[a,{P},1]", f"slice_open[a,{P},1]"]
    assert len(ordered.rows) == ordered.lp.n_rows


def test_soft_targets_goals_from_records():
    # Soft revenue (planned 100 x 1.1 = 110) and a soft mix cap on spend (scale: the budget, 1,000).
    model = _model(targets={"revenue": 100, "buffer": 0.1, "mode": "soft",
                            "mix": [{"select": {"tier": "n"}, "of": "spend", "max_share": 0.5}]})
    goals = [(g.name, g.goal, g.sign) for g in model.goals]
    assert goals == [("target_revenue", "revenue", 1.0), ("mix_max_spend[tier=n]", "mix", -1.0)]
    assert [g.scale for g in model.goals] == pytest.approx([110.0, 1000.0], rel=1e-12)
    n_cols = model.spend.size + 2
    assert [g.col for g in model.goals] == [n_cols, n_cols + 1]
