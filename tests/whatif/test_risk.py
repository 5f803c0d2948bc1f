"""allocator risk: Monte Carlo of the plan under funnel uncertainty, and the buffer that meets a confidence."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocator.solving.pipeline import solve_file
from allocator.whatif.risk import risk_table, simulate, smallest_buffer
from solvers import SolveOptions

from helpers import base_scenario, invoke, write_scenario

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example_q1.yaml"


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
    result = invoke(*["risk", str(EXAMPLE), "--samples", "300", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "risk.csv")
    assert list(table["metric"]) == ["revenue_total", "new_customers", "leads"]
    assert "P(meet committed)" in result.output


def test_samples_do_not_depend_on_how_many_ran_or_where():
    # Block b of every run draws from its own stream: a longer run starts with the shorter run's samples,
    # and splitting the work over processes changes nothing.
    solved = solve_file(EXAMPLE)
    short = simulate(solved.model, solved.x, 600, seed=5)
    long = simulate(solved.model, solved.x, 4100, seed=5, workers=1)
    pooled = simulate(solved.model, solved.x, 4100, seed=5, workers=2)
    for metric in ("revenue_total", "new_customers", "leads"):
        assert long[metric].shape == (4100,)
        np.testing.assert_array_equal(long[metric][:600], short[metric])
        np.testing.assert_array_equal(long[metric], pooled[metric])
    assert len(np.unique(long["revenue_total"])) == 4100  # every sample drew its own multipliers


def test_risk_and_buffer_search_identical_on_one_core_a_pool_and_a_dask_cluster():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install '.[dask]')")
    solved = solve_file(EXAMPLE, objective="min_spend")
    s = solved.loaded.scenario
    args = (s, "min_spend", 0.9, 600, 11, "cbc", SolveOptions())
    one = (risk_table(solved.model, solved.x, 4100, 3, workers=1), smallest_buffer(*args, precision=0.02, workers=1))
    pool = (risk_table(solved.model, solved.x, 4100, 3, workers=2), smallest_buffer(*args, precision=0.02, workers=2))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        dask = (risk_table(solved.model, solved.x, 4100, 3, scheduler=address),
                smallest_buffer(*args, precision=0.02, scheduler=address))
    for other in (pool, dask):
        pd.testing.assert_frame_equal(one[0], other[0])
        assert one[1][0] == other[1][0]
        pd.testing.assert_frame_equal(pd.DataFrame(one[1][1]), pd.DataFrame(other[1][1]))
    assert one[1][0] is not None and 0.0 < one[1][0] < 0.3


def test_buffer_search_rounds_and_answer():
    # Each round solves SEARCH_POINTS buffers between the last miss and the first hit; the answer is the
    # first hit, within `precision` of a miss, and no evaluated buffer below it meets the confidence.
    from allocator.whatif.risk import SEARCH_POINTS

    solved = solve_file(EXAMPLE, objective="min_spend")
    buffer, trail = smallest_buffer(solved.loaded.scenario, "min_spend", 0.9, 1000, 7, "cbc", SolveOptions(),
                                    precision=0.01)
    assert [t["buffer"] for t in trail[:2]] == [0.0, 1.0]
    assert (len(trail) - 2) % SEARCH_POINTS == 0
    below = [t for t in trail if t["buffer"] < buffer]
    assert below and all(t["probability"] < 0.9 for t in below)
    assert buffer - max(t["buffer"] for t in below) <= 0.01


def test_confidence_needs_a_revenue_target(tmp_path):
    data = base_scenario(uncertainty=[{"what": "order_value", "dist": "uniform", "low": 0.8, "high": 1.2}])
    path = write_scenario(tmp_path, data)
    out = tmp_path / "r"
    result = invoke(*["risk", str(path), "--confidence", "0.9", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "targets.revenue" in result.output and "committed revenue target" in result.output
    assert not out.exists()


def test_cli_risk_on_two_workers_matches_one(tmp_path):
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        result = invoke(*["risk", str(EXAMPLE), "--samples", "5000", "--seed", "7",
                                           "--workers", workers, "--out", str(out)])
        assert result.exit_code == 0, result.output
        outs.append((out / "risk.csv").read_bytes())
    assert outs[0] == outs[1]


def test_no_buffer_reaches_an_impossible_confidence(tmp_path):
    # Order values fall 50-60% short in every sample: the plan with a 100% buffer (2,000 planned for a
    # committed 1,000) still reaches at most 1,000 x 2 x 0.5, so no buffer meets the target with 90%
    # probability, and the search says so after its first round (buffers 0 and 1) instead of bisecting.
    data = base_scenario(objective="min_spend", targets={"revenue": 1000},
                         uncertainty=[{"what": "order_value", "dist": "uniform", "low": 0.4, "high": 0.5}])
    solved = solve_file(write_scenario(tmp_path, data))
    buffer, trail = smallest_buffer(solved.loaded.scenario, "min_spend", 0.9, 500, 7, "cbc", SolveOptions())
    assert buffer is None
    assert [t["buffer"] for t in trail] == [0.0, 1.0]
    assert [t["probability"] for t in trail] == [0.0, 0.0]
    assert trail[1]["spend"] == pytest.approx(400.0)  # 2,000 revenue at 5 per unit of spend


def test_memory_chunks_do_not_change_the_numbers(monkeypatch):
    # A plan on many cells is simulated a few rows at a time; any grouping of the rows gives the same bits.
    import allocator.whatif.risk as risk

    solved = solve_file(EXAMPLE)
    whole = simulate(solved.model, solved.x, 700, seed=9)
    monkeypatch.setattr(risk, "CHUNK_VALUES", 7 * int((solved.x[: solved.model.spend.size] > 0).sum()))
    chunked = simulate(solved.model, solved.x, 700, seed=9)
    for metric in ("revenue_total", "new_customers", "leads"):
        np.testing.assert_array_equal(whole[metric], chunked[metric])


def test_the_terminal_table_keeps_small_money_readable(tmp_path):
    # The tiny plan in millions: revenue 1,000 x 5 = 5,000 becomes 0.005. Without uncertainty every sample is
    # the plan, so each money column must read 0.00500 (it printed 0 when money was rounded to whole units).
    from money import scale_money

    data = scale_money(base_scenario(targets={"revenue": 4000}), 1e-6)
    result = invoke("risk", str(write_scenario(tmp_path, data)), "--samples", "20", "--workers", "1")
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("revenue_total"))
    assert row.split()[1:5] == ["0.00500"] * 4, row
