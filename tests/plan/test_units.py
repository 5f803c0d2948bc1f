"""Every CSV column a command writes has a stated unit, and every numeric column reads as numbers.

The plans cover each optional file: budget lines and selection targets
(lines.csv), soft targets (shortfalls.csv), an infeasible scenario
(diagnosis.csv), `explain`, `compare`, `sweep` and `risk` folders.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import EXAMPLE, REPO, invoke

from allocator.plan.units import COLUMN_KINDS, target_kind

LINES = REPO / "scenarios" / "example_q1_budget_lines.yaml"
NUMERIC = {"money", "count", "percent", "multiple", "price", "row", "number"}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("units")
    runs = {
        "plan": ["solve", str(EXAMPLE)],
        "lines": ["solve", str(LINES)],
        "soft": ["solve", str(EXAMPLE), "--set", "targets.revenue=40000000", "--set", "targets.mode=soft"],
        "infeasible": ["solve", str(EXAMPLE), "--set", "targets.revenue=40000000"],
        "explain": ["explain", str(EXAMPLE), "--ranging", "1"],
        "sweep": ["sweep", str(EXAMPLE), "--vary", "budget.total=3000000,3400000"],
        "risk": ["risk", str(EXAMPLE), "--samples", "50"],
    }
    out = {}
    for name, args in runs.items():
        out[name] = root / name
        invoke(*args, "--out", str(out[name]))
    out["compare"] = root / "compare"
    invoke("compare", str(out["plan"]), str(out["lines"]), "--out", str(out["compare"]))
    return out


def test_the_optional_files_are_there(folders):
    assert (folders["lines"] / "lines.csv").exists()
    assert (folders["soft"] / "shortfalls.csv").exists()
    assert (folders["infeasible"] / "diagnosis.csv").exists()


@pytest.mark.parametrize("name", ["plan", "lines", "soft", "infeasible", "explain"])
def test_units_csv_names_every_column_of_every_csv(folders, name):
    folder = folders[name]
    units = pd.read_csv(folder / "units.csv")
    named = {(row.file, row.column): row for row in units.itertuples()}
    csvs = sorted(p for p in folder.glob("*.csv") if p.name != "units.csv")
    assert csvs
    for path in csvs:
        frame = pd.read_csv(path)
        for column in frame.columns:
            assert (path.name, column) in named, f"{path.name}: {column} has no unit"
            row = named[(path.name, column)]
            assert column in COLUMN_KINDS, f"{path.name}: {column} falls back to a unit nobody chose"
            if row.kind == "money":
                assert row.unit == "CNY"
    # and nothing named that is not there
    assert len(named) == sum(len(pd.read_csv(p).columns) for p in csvs)


@pytest.mark.parametrize("name", ["plan", "lines", "soft", "infeasible", "explain", "sweep", "risk", "compare"])
def test_every_numeric_column_of_every_csv_parses_as_numbers(folders, name):
    for path in folders[name].glob("*.csv"):
        frame = pd.read_csv(path)
        for column in frame.columns:
            kind = COLUMN_KINDS.get(column)
            if kind in NUMERIC or (kind is None and path.name in {"comparison.csv", "frontier.csv"}
                                   and column not in {"status", "message"}):
                if kind is None and frame[column].dtype == object:  # comparison: a plan column of one section
                    continue
                values = frame[column].dropna()
                assert pd.api.types.is_numeric_dtype(values) or values.empty, f"{path.name}: {column}"


def test_comparison_deltas_are_numbers_a_spreadsheet_can_sum(folders):
    table = pd.read_csv(folders["compare"] / "comparison.csv")
    delta = [c for c in table.columns if c.startswith("delta_")]
    assert delta
    for column in delta:
        assert pd.api.types.is_numeric_dtype(table[column]), column
        assert (table[column].dropna() < 0).any() or (table[column].dropna() > 0).any()


def test_each_target_row_names_its_unit(folders):
    targets = pd.read_csv(folders["lines"] / "targets.csv")
    units = dict(zip(targets["target"], targets["unit"]))
    assert units["revenue"] == "CNY" and units["budget_total"] == "CNY"
    assert units["new_customers"] == "count"
    assert units["min_roi[portfolio]"] == "x (revenue / spend)"
    assert units["mix_min_revenue[kind=key_account]"] == "share (0-1)"
    assert units["by_revenue[tier=key_accounts]"] == "CNY"
    assert units["by_new_customers[channel=livestream]"] == "count"
    assert target_kind("mix_max_spend[group=owned]") == "percent"


def test_scenario_json_holds_the_parameters_as_entered(folders):
    data = json.loads((folders["plan"] / "scenario.json").read_text())
    assert data["budget"]["total"] == 3_400_000  # scenarios/example_q1.yaml
    assert data["currency"] == "CNY"
    assert [c["name"] for c in data["channels"]][:2] == ["website", "mini_program"]
    soft = json.loads((folders["soft"] / "scenario.json").read_text())
    assert soft["targets"]["revenue"] == 40_000_000  # --set applied
