"""Rows described from their records: names holding commas, '&', '=' or '|' are named whole.

Words and prices used to recover a row's meaning by parsing its name (`capacity_spend[web, app,2027-01]`)
and a selection's label (`channel=web & app`): a channel called "web & app" came out as "channel web   app".
Each scenario below has two channels, one earning 5 per unit of spend (10 per lead, 10% convert, order
value 500) and "b" earning 2.5 (20 per lead), a budget of 1,000, and one limit on the first that binds.
"""

from __future__ import annotations

import re

import pytest
from helpers import EXAMPLE, LIVESTREAM_PUSH, base_scenario, write_scenario

from allocator.model.rows import RowRecord
from allocator.solving.pipeline import solve_file

P = "2027-01"


def _scenario(first: str, **extra) -> dict:
    data = base_scenario(channels=[{"name": first, "cost_per_lead": 10}, {"name": "b", "cost_per_lead": 20}])
    data.update(extra)
    return data


def _binding(solved, constraint: str):
    table = solved.plan.tables["sensitivity"]
    rows = table[table["constraint"] == constraint]
    assert len(rows) == 1, list(table["constraint"])
    return rows.iloc[0]


def test_capacity_of_a_channel_with_a_comma(tmp_path):
    # 300 to "web, app" (its cap), 700 to b: the cap is worth 5 - 2.5 = 2.5 revenue per unit.
    channels = [{"name": "web, app", "cost_per_lead": 10, "max_spend": 300}, {"name": "b", "cost_per_lead": 20}]
    solved = solve_file(write_scenario(tmp_path, base_scenario(channels=channels)))
    model = solved.model
    row = model.lp.row_names.index(f"capacity_spend[web, app,{P}]")
    record = model.rows[row]
    assert (record.family, record.form, record.args) == ("capacity", "capacity_spend", ("web, app", P))
    assert record.lever.label == f"channels[web, app].max_spend[{P}]"
    line = _binding(solved, f"capacity_spend[web, app,{P}]")
    assert line["limit"] == f"web, app spend in {P} capped at 300"
    assert line["lever"] == f"channels[web, app].max_spend[{P}]"
    assert line["price_per_lever_unit"] == pytest.approx(2.5, rel=1e-9)
    assert line["effect"] == f"each extra 1 of channels[web, app].max_spend[{P}] -> +2.50 revenue"


@pytest.mark.parametrize("first", ["web & app", "a=b|c"])
def test_budget_limit_on_a_channel_named_with_selection_characters(tmp_path, first):
    # At most 400 on the first channel: 400 x 5 + 600 x 2.5 = 3,500; one more unit of the limit: +2.5.
    data = _scenario(first, budget={"total": 1000, "limits": [{"select": {"channel": first}, "max": 400}]})
    solved = solve_file(write_scenario(tmp_path, data))
    assert solved.plan.objective == pytest.approx(3500, rel=1e-9)
    line = _binding(solved, f"budget_max[channel={first}]")
    assert line["limit"] == f"spend on channel {first} at most 400"
    assert line["price_per_lever_unit"] == pytest.approx(2.5, rel=1e-9)


def test_mix_share_on_a_channel_named_with_selection_characters(tmp_path):
    # At most 40% of spend on "web & app": the same plan; one more point of share moves 10 of spend from b
    # to it: 10 x 2.5 = +25.0 revenue per percentage point.
    data = _scenario("web & app", targets={"mix": [{"select": {"channel": "web & app"}, "of": "spend",
                                                    "max_share": 0.4}]})
    solved = solve_file(write_scenario(tmp_path, data))
    line = _binding(solved, "mix_max_spend[channel=web & app]")
    assert line["limit"] == "channel web & app at most 40.0% of spend"
    assert line["effect"] == "each extra 1 percentage point of targets.mix[0].max_share -> +25.0 revenue"


def test_every_row_is_named_from_its_record():
    # The record makes the name, and the builder only appends "#2"... to repeats.
    for path in (EXAMPLE, LIVESTREAM_PUSH):
        solved = solve_file(path)
        model = solved.model
        assert len(model.rows) == model.lp.n_rows
        for record, name in zip(model.rows, model.lp.row_names):
            assert isinstance(record, RowRecord)
            assert re.sub(r"#\d+$", "", name) == record.name
        assert list(solved.plan.tables["constraints"]["kind"]) == [record.family for record in model.rows]
