"""The formula guard: text that could run as a spreadsheet formula is neutralised, plain numbers are not."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from helpers import base_scenario, invoke, write_scenario

from allocator.scenario.csvsafe import neutralise, restore, restore_frame

PLAIN_NUMBERS = ["-1", "+2", "-0.5", "-.5", "-3.", "+1e5", "-2E-3", "-10"]
FORMULAS = ["=1+1", "+1+1", "-1+1", "-2-3", "@SUM(A1)", "-", "+", "-e5", "-1e", "-1.2.3", "\t1", "\r1",
            "-1 ", "- 1", "-inf", "-nan", "-1,5", "-１"]


@pytest.mark.parametrize("value", PLAIN_NUMBERS)
def test_plain_number_is_left_as_it_is(value):
    assert neutralise(value) == value
    assert restore(neutralise(value)) == value


@pytest.mark.parametrize("value", FORMULAS)
def test_anything_else_with_a_formula_start_is_neutralised(value):
    assert neutralise(value) == "'" + value
    assert restore(neutralise(value)) == value


@pytest.mark.parametrize("value", ["'-1", "'=x", "''", "web", "1", ""])
def test_round_trip_of_other_text(value):
    assert restore(neutralise(value)) == value


def test_restore_frame_round_trips_every_kind():
    values = PLAIN_NUMBERS + FORMULAS + ["'-1", "web"]
    frame = pd.DataFrame({"channel": [neutralise(v) for v in values]})
    assert restore_frame(frame, ["channel"])["channel"].tolist() == values


def test_channel_named_minus_one_is_written_as_is(tmp_path):
    data = base_scenario(channels=[{"name": "-1", "cost_per_lead": 10}, {"name": "=evil", "cost_per_lead": 20}])
    out = tmp_path / "plan"
    result = invoke("solve", write_scenario(tmp_path, data), "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO((out / "by_channel.csv").read_text())))
    assert sorted(r["channel"] for r in rows) == ["'=evil", "-1"]
    verified = invoke("verify", write_scenario(tmp_path, data), out)
    assert verified.exit_code == 0, verified.output
