"""allocator risk: Monte Carlo of the plan under funnel uncertainty, and the buffer that meets a confidence."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from allocator.cli import main
from allocator.pipeline import solve_file
from allocator.risk import risk_table, simulate, smallest_buffer
from solvers import SolveOptions

from helpers import base_scenario, write_scenario

EXAMPLE = Path(__file__).resolve().parent.parent / "scenarios" / "example_q1.yaml"


def test_without_uncertainty_every_sample_is_the_plan(tmp_path):
    solved = solve_file(write_scenario(tmp_path, base_scenario()))
    out = simulate(solved.model, solved.x, 50, seed=1)
    assert np.allclose(out["revenue_total"], 5000.0)


def test_known_distribution(tmp_path):
    # Revenue = 5000 x order-value multiplier ~ uniform(0.8, 1.2): P(revenue >= 4500) = P(m >= 0.9) = 0.75,
    # P10 = 5000 x 0.84 = 4200, P50 = 5000, P90 = 5800 (sampling error ~1% with 20,000 samples).
    data = base_scenario(targets={"revenue": 4500},
                         uncertainty=[{"what": "order_value", "dist": "uniform", "low": 0.8, "high": 1.2}])
    solved = solve_file(write_scenario(tmp_path, data))
    table = risk_table(solved.model, solved.x, 20000, seed=3).set_index("metric")
    row = table.loc["revenue_total"]
    assert row["as_planned"] == pytest.approx(5000)
    assert row["probability_meets_committed"] == pytest.approx(0.75, abs=0.015)
    assert row["p10"] == pytest.approx(4200, rel=0.01)
    assert row["p50"] == pytest.approx(5000, rel=0.01)
    assert row["p90"] == pytest.approx(5800, rel=0.01)
    # Cost per lead x 2 halves the leads: an independent check of the arithmetic.
    data["uncertainty"] = [{"what": "cost_per_lead", "dist": "uniform", "low": 2.0, "high": 2.0}]
    solved = solve_file(write_scenario(tmp_path, data))
    assert np.allclose(simulate(solved.model, solved.x, 10, seed=1)["revenue_total"], 2500.0)


def test_same_seed_same_numbers_and_quantiles_ordered():
    solved = solve_file(EXAMPLE)
    a = risk_table(solved.model, solved.x, 500, seed=7)
    b = risk_table(solved.model, solved.x, 500, seed=7)
    c = risk_table(solved.model, solved.x, 500, seed=8)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    assert (a["p10"] <= a["p50"]).all() and (a["p50"] <= a["p90"]).all()


def test_smallest_buffer_meets_the_confidence():
    solved = solve_file(EXAMPLE, objective="min_spend")
    s = solved.loaded.scenario
    buffer, trail = smallest_buffer(s, "min_spend", 0.9, 1000, 7, "cbc", SolveOptions(), precision=0.005)
    assert buffer is not None and 0.0 < buffer < 0.3
    met = [t for t in trail if t["probability"] == t["probability"] and t["probability"] >= 0.9]
    missed = [t for t in trail if t["probability"] == t["probability"] and t["probability"] < 0.9]
    assert min(t["buffer"] for t in met) == pytest.approx(buffer)
    assert max(t["buffer"] for t in missed) < buffer <= max(t["buffer"] for t in missed) + 0.005 + 1e-12


def test_cli_risk(tmp_path):
    out = tmp_path / "r"
    result = CliRunner().invoke(main, ["risk", str(EXAMPLE), "--samples", "300", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "risk.csv")
    assert list(table["metric"]) == ["revenue_total", "new_customers", "leads"]
    assert "P(meet committed)" in result.output
