"""Failing cases found by the property tests (tests/test_properties.py) and benchmarks/fuzz_verify.py.

Each scenario file in this folder starts with a comment saying what went wrong. A test marked
``xfail(strict=True)`` is a library bug that is still open: when the library is fixed the test
passes, strict turns that into a failure, and the marker should then be removed (the test stays
as a regression test); remove the bug's entry from KNOWN_BUGS in tests/checks.py too, so that
the property tests stop tolerating it.

Bugs fixed during this work (in commits dc3f072, ee2fce4 and 0a46206 of the library) keep their
tests here without a marker.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import backends, invoke

from allocator.scenario.loader import load_scenario
from allocator.solving.pipeline import solve_file
from allocator.plan.verify import verify

HERE = Path(__file__).resolve().parent
BACKENDS = backends()
needs_highs = pytest.mark.skipif("highs" not in BACKENDS, reason="needs HiGHS")


def _solve_and_verify(name: str, solver: str):
    solved = solve_file(HERE / name, solver=solver)
    violations = []
    if solved.plan.solved:
        violations = verify(solved.loaded.scenario, solved.plan.tables["allocation"]).violations
    return solved, violations


# --------------------------------------------------------------------------
# Open
# --------------------------------------------------------------------------

# (none)


# --------------------------------------------------------------------------
# Fixed
# --------------------------------------------------------------------------


@needs_highs
def test_highs_solves_a_scenario_with_revenue_in_the_tens_of_billions():
    """Was: HiGHS 'Solve error' (exit 3) on revenue of ~1.8e10 (its absolute tolerances below the values'
    round-off); fixed by the power-of-two scaling in solvers.solve (solvers/scaling.py).

    By hand: ch8 must take its 229.7 minimum (25,000 of revenue per 5.582 of spend), the rest of the
    3,585,000 budget goes to ch9 at 0.5 x 50,000 / 5 = 5,000 of revenue per unit of spend.
    """
    optimum = 229.7 * 0.5 * 50_000 / 5.582 + (3_585_000 - 229.7) * 5_000
    for solver in ("cbc", "highs"):
        solved, violations = _solve_and_verify("highs_large_revenue_solve_error.yaml", solver)
        assert solved.plan.status.value == "optimal" and not violations, (solver, solved.plan.message)
        assert solved.plan.objective == pytest.approx(optimum, rel=1e-9), solver


@pytest.mark.parametrize("solver", BACKENDS)
def test_curve_with_forced_spend_finds_the_plan_that_follows_the_curve(solver):
    """Was (ee2fce4 only): 'infeasible: no plan follows the response curves' although this plan exists."""
    solved, violations = _solve_and_verify("curve_false_infeasible.yaml", solver)
    assert solved.plan.status.value == "optimal", solved.plan.message
    assert not violations
    assert solved.plan.objective == pytest.approx(5.0, rel=1e-7)


@needs_highs
def test_curve_with_equal_slices_gets_the_same_verdict_from_both_solvers():
    """Was (ee2fce4 only): HiGHS 'infeasible', CBC optimal, on two slices of equal efficiency."""
    cbc, cbc_violations = _solve_and_verify("curve_false_infeasible_equal_slices.yaml", "cbc")
    highs, highs_violations = _solve_and_verify("curve_false_infeasible_equal_slices.yaml", "highs")
    assert cbc.plan.status.value == "optimal" and not cbc_violations
    assert highs.plan.status.value == "optimal", highs.plan.message
    assert not highs_violations
    assert highs.plan.objective == pytest.approx(cbc.plan.objective, rel=1e-6)


def test_curve_false_infeasible_scenario_has_a_plan():
    """The plan the xfail test above expects passes `allocator verify` (so 'infeasible' is wrong)."""
    plan = pd.DataFrame([
        {"channel": "a", "tier": "n", "product": "p", "period": "2027-01", "spend": 150.0, "leads": 12.5,
         "customers": 1.25, "revenue": 625.0, "baseline_revenue": 0.0, "revenue_total": 625.0},
        {"channel": "b", "tier": "n", "product": "p", "period": "2027-01", "spend": 75.0, "leads": 7.5,
         "customers": 3.75, "revenue": 1875.0, "baseline_revenue": 0.0, "revenue_total": 1875.0},
    ])
    report = verify(load_scenario(HERE / "curve_false_infeasible.yaml").scenario, plan)
    assert report.ok, report.violations


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("name", ["curve_forced_spend_lead_cap.yaml", "curve_forced_spend_phasing.yaml"])
def test_curve_with_forced_spend_never_returns_a_plan_verify_rejects(name, solver):
    """Was: an 'optimal' plan with slices out of order, which verify rejects (response_curve)."""
    solved, violations = _solve_and_verify(name, solver)
    assert not violations, f"{solved.plan.status.value} plan fails verify: {violations}"
    # On the real curve neither scenario has a plan at all.
    assert solved.plan.status.value == "infeasible"


@pytest.mark.parametrize("solver", BACKENDS)
def test_curve_on_a_channel_without_any_spend_bound_is_followed(solver):
    """Was: no ordering binaries for a channel without spend cap or budget total, and a plan verify rejects."""
    solved, violations = _solve_and_verify("curve_uncapped_channel_no_budget.yaml", solver)
    assert solved.plan.status.value == "optimal"
    assert not violations, violations


@pytest.mark.parametrize("name", ["empty_table_no_spend.yaml", "empty_table_no_eligible_cell.yaml"])
def test_solve_writes_empty_tables(tmp_path, name):
    """Was: a traceback (ValueError from np.strings.zfill) writing a table with no rows."""
    out = tmp_path / "out"
    result = invoke("solve", HERE / name, "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "budget_lines.csv").read_text().startswith("channel,tier,")
    check = invoke("verify", HERE / name, out)
    assert check.exit_code == 0, check.output


@needs_highs
def test_highs_and_cbc_reach_the_same_mip_optimum():
    """Was: HiGHS stopping at its default 1e-4 MIP gap (1.1e-5 short here) while CBC proved optimality."""
    cbc, _ = _solve_and_verify("highs_mip_gap.yaml", "cbc")
    highs, _ = _solve_and_verify("highs_mip_gap.yaml", "highs")
    assert cbc.plan.status.value == highs.plan.status.value == "optimal"
    assert highs.plan.objective == pytest.approx(cbc.plan.objective, rel=1e-6)
    assert cbc.plan.objective == pytest.approx(309605.4732157689, rel=1e-7)


HANG_SECONDS = 6.0  # a healthy solve takes ~2.5 s here, most of it importing the library in the subprocess


@needs_highs
def test_highs_does_not_hang_in_presolve():
    """Was: HiGHS 1.16's Fourier-Motzkin MIP presolve looping for minutes (see the YAML's comment)."""
    # In a subprocess: a hung HiGHS cannot be interrupted in-process (it ignores the time limit in presolve).
    code = ("import sys; from allocator.solving.pipeline import solve_file; "
            "r = solve_file(sys.argv[1], 'highs'); print(r.plan.status.value, repr(r.plan.objective))")
    try:
        done = subprocess.run([sys.executable, "-c", code, str(HERE / "highs_presolve_hang.yaml")],
                              capture_output=True, text=True, timeout=HANG_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"HiGHS did not finish within {HANG_SECONDS:g} s")
    status, objective = done.stdout.split()
    cbc = solve_file(HERE / "highs_presolve_hang.yaml", solver="cbc").plan
    assert status == "optimal"
    assert float(objective) == pytest.approx(cbc.objective, rel=1e-6)


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("name, optimum", [("cbc_new_customers_scaling.yaml", 712.1736321177502),
                                           ("cbc_new_customers_scaling_small.yaml", 18.682034842769298)])
def test_max_new_customers_reaches_the_optimum(name, optimum, solver):
    """Was: CBC stopping short (2e-5, 1.3e-6) on the badly scaled max_new_customers objective."""
    solved, violations = _solve_and_verify(name, solver)
    assert solved.plan.status.value == "optimal" and not violations
    assert solved.plan.objective == pytest.approx(optimum, rel=1e-7)


@pytest.mark.parametrize("solver", BACKENDS)
def test_roi_floor_equal_to_channel_return_solves_on_every_backend(solver):
    """Was: HiGHS refusing the model over a round-off coefficient (see the YAML's comment)."""
    solved, violations = _solve_and_verify("highs_roi_floor_round_off.yaml", solver)
    assert solved.plan.status.value == "optimal"
    assert solved.plan.objective == pytest.approx(5000.0, rel=1e-9)
    assert not violations


@pytest.mark.parametrize("solver", BACKENDS)
def test_solver_crumbs_of_spend_are_not_spend(solver):
    """Was: HiGHS put 3.85e-7 of spend (9.6e-10 of the total) on ch1; its ROI floor row (value >= 0.928 x spend)
    then failed verify by 3.4e-7. A crumb below 1e-8 of the total is noise and reads as 0.

    Profit per unit of spend is negative in this scenario (objective -195.7), so the plan spends only the
    399.9 that the budget limit demands on ch0 + ch1, and none of it on ch1."""
    solved, violations = _solve_and_verify("highs_spend_crumb_on_roi_floor.yaml", solver)
    assert solved.plan.solved and violations == []
    allocation = solved.plan.tables["allocation"]
    assert allocation.loc[allocation["channel"] == "ch1", "spend"].sum() == 0.0
    assert allocation["spend"].sum() == pytest.approx(399.9, rel=1e-9)


@pytest.mark.parametrize("solver", BACKENDS)
def test_a_small_amount_a_row_needs_is_not_taken_for_noise(solver):
    """Was (for a few minutes of this work): every spend below 1e-8 of the total read as 0, which took a
    legitimate 2.3e-6 share of ch1's 0.6333 minimum in 2024-02 and broke min_spend[ch1,2024-02]."""
    solved, violations = _solve_and_verify("legit_small_split_of_a_minimum.yaml", solver)
    assert solved.plan.solved and violations == []
    allocation = solved.plan.tables["allocation"]
    feb = allocation[(allocation["channel"] == "ch1") & (allocation["period"] == "2024-02")]
    assert feb["spend"].sum() >= 0.6333 * (1 - 1e-6)


def test_cbc_preprocessing_that_calls_a_row_breaking_plan_optimal_is_retried_without_it():
    """Was: CBC's branch and cut returned an all-zero 'optimal' plan breaking budget_min[channel=ch2]
    (79.02 on ch2); the run failed with exit 3. Now solved again without preprocessing, to HiGHS's optimum."""
    solved, violations = _solve_and_verify("cbc_preprocessing_wrong_optimum.yaml", "cbc")
    assert solved.plan.solved and violations == []
    allocation = solved.plan.tables["allocation"]
    assert allocation.loc[allocation["channel"] == "ch2", "spend"].sum() >= 79.02 * (1 - 1e-6)
    if "highs" in BACKENDS:
        other, _ = _solve_and_verify("cbc_preprocessing_wrong_optimum.yaml", "highs")
        assert solved.plan.objective == pytest.approx(other.plan.objective, rel=1e-6)
