"""Solver conformance: small programs of every shape a `LinearProgram` can take, answers worked out by hand.

The model builder makes only one-sided rows over nonnegative columns today; `solvers.LinearProgram` and
`--export-model` files are also fed programs with ranged rows (both bounds finite), free rows (no bound),
equality rows, free and negative-bounded columns, and programs that are infeasible or unbounded. Every
backend must give the same verdict, objective, values and, where they are unique, duals (d objective /
d bound, in the problem's own sense) and reduced costs. Issue 10, "The solver layer", items (a)-(d).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lp_cases import INF, Case, program

import solvers
from solvers import Sense, SolverError, SolveResult, Status, solve

BACKENDS = [name for name in solvers.BACKENDS if solvers.backend(name).available()]


CASES = {
    # Bounds that contradict themselves: no x can hold, on any backend (CBC called the row case a
    # solver failure and the column case "not valid", HiGHS called both infeasible).
    "row_lower_above_upper": Case(program(Sense.MAXIMIZE, [1], [[1]], [5], [2]), Status.INFEASIBLE),
    "column_lower_above_upper": Case(
        program(Sense.MINIMIZE, [1], [[1]], [0], [10], col_lower=[5], col_upper=[2]), Status.INFEASIBLE),
    # max x + y, 1 <= x + 2y <= 4, x <= 2: x = 2, y = 1. The range's upper end binds: one more unit of it
    # buys half a y (+0.5); x at its bound earns 1 - 0.5 x 1 = 0.5 per unit more.
    "ranged_row_upper_end": Case(
        program(Sense.MAXIMIZE, [1, 1], [[1, 2]], [1], [4], col_upper=[2, INF]),
        Status.OPTIMAL, 3.0, [2.0, 1.0], [0.5], [0.5, 0.0]),
    # min x + y over the same range: y = 0.5 on its lower end (dual 0.5); x costs 1 - 0.5 = 0.5 per unit.
    "ranged_row_lower_end": Case(
        program(Sense.MINIMIZE, [1, 1], [[1, 2]], [1], [4]),
        Status.OPTIMAL, 0.5, [0.0, 0.5], [0.5], [0.5, 0.0]),
    # min x + 2z, x - z >= -3, x free, -5 <= z <= -1, a free row x + z and 7 added to the objective:
    # x = z - 3, objective 3z - 3 + 7 is least at z = -5: x = -8, objective -11. The row's dual is 1
    # (x follows its bound), z's reduced cost 3; the free row holds x + z = -13 and has no price.
    "free_and_negative_columns_free_row": Case(
        program(Sense.MINIMIZE, [1, 2], [[1, -1], [1, 1]], [-3, -INF], [INF, INF],
                col_lower=[-INF, -5], col_upper=[INF, -1], offset=7.0),
        Status.OPTIMAL, -11.0, [-8.0, -5.0], [1.0, 0.0], [0.0, 3.0]),
    # max 3x + 2y, x + y = 4, x - y <= 2: x = 3, y = 1, objective 11; duals solve u + v = 3, u - v = 2.
    "equality_row": Case(
        program(Sense.MAXIMIZE, [3, 2], [[1, 1], [1, -1]], [4, -INF], [4, 2]),
        Status.OPTIMAL, 11.0, [3.0, 1.0], [2.5, 0.5], [0.0, 0.0]),
    # A free row only (a second objective-like row in MPS): min x with x >= 1, the row x + y unbounded.
    "only_a_free_row_besides_bounds": Case(
        program(Sense.MINIMIZE, [1, 0], [[1, 1]], [-INF], [INF], col_lower=[1, 0], col_upper=[INF, 2]),
        Status.OPTIMAL, 1.0, [1.0, None], [0.0], [1.0, 0.0]),
    "infeasible": Case(
        program(Sense.MINIMIZE, [1, 1], [[1, 1], [1, 1]], [-INF, 2], [1, INF]), Status.INFEASIBLE),
    "infeasible_ranged_against_bounds": Case(
        program(Sense.MAXIMIZE, [1], [[1]], [5], [6], col_upper=[4]), Status.INFEASIBLE),
    # max x, x - y <= 1: x and y grow together without end.
    "unbounded": Case(
        program(Sense.MAXIMIZE, [1, 0], [[1, -1]], [-INF], [1]), Status.UNBOUNDED),
    # min x with x free and a row x + y >= 0 that y (free as well) always satisfies.
    "unbounded_free_columns": Case(
        program(Sense.MINIMIZE, [1, 0], [[1, 1]], [0], [INF], col_lower=[-INF, -INF]), Status.UNBOUNDED),
    # min x, 0 <= -2x - 2y <= 1, both free: x = -y - t/2 falls without end as y grows. Was (c): CBC's
    # dual simplex "optimal" at 0 (its log: "Dual infeasible").
    "unbounded_free_columns_in_a_range": Case(
        program(Sense.MINIMIZE, [1, 0], [[-2, -2]], [0], [1], col_lower=[-INF, -INF]), Status.UNBOUNDED),
    # max 2a - 2b - c, a + 2c <= 0 (so a = c = 0), a free row 2a + 2b, b free: b falls, the objective grows.
    # Was (c): CBC's preprocessing "infeasible or unbounded", then "infeasible".
    "mip_unbounded_that_preprocessing_calls_infeasible": Case(
        program(Sense.MAXIMIZE, [2, -2, -1], [[1, 0, 2], [2, 2, 0]], [-INF, -INF], [0, INF],
                col_lower=[0, -INF, 0], integer=[False, False, True]), Status.UNBOUNDED),
    # A program whose rows hold no entry at all (CBC 2.10 crashed on it) and a row 0 = 1 (it ignored it).
    "rows_without_entries": Case(
        program(Sense.MAXIMIZE, [1, -1], [[0, 0]], [-1], [2], col_upper=[3, 5]),
        Status.OPTIMAL, 3.0, [3.0, 0.0], [0.0], [1.0, -1.0]),
    "row_without_entries_that_excludes_zero": Case(
        program(Sense.MAXIMIZE, [1, -1], [[0, 0], [1, 1]], [1, -INF], [1, 4]), Status.INFEASIBLE),
    # max 5x + 4y, 6x + 4y <= 24, x + 2y <= 6, integers: (4, 0) = 20 beats (3, 1) = 19 and (2, 2) = 18.
    "mip": Case(
        program(Sense.MAXIMIZE, [5, 4], [[6, 4], [1, 2]], [-INF, -INF], [24, 6], integer=[True, True]),
        Status.OPTIMAL, 20.0, [4.0, 0.0]),
}


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("name", list(CASES))
def test_every_backend_gives_the_known_answer(name, solver):
    case = CASES[name]
    result = solve(case.lp, solver)
    assert result.status is case.status, result.message
    if case.status is not Status.OPTIMAL:
        return
    assert result.objective == pytest.approx(case.objective, abs=1e-9)
    for got, want in zip(result.x, case.x):
        if want is not None:  # None: not unique
            assert got == pytest.approx(want, abs=1e-9)
    if case.duals is not None:
        np.testing.assert_allclose(result.row_duals, case.duals, atol=1e-9)
    if case.reduced_costs is not None:
        np.testing.assert_allclose(result.reduced_costs, case.reduced_costs, atol=1e-9)


@pytest.mark.parametrize("solver", BACKENDS)
def test_a_program_in_any_units_gets_the_same_answer_scaled(solver):
    """The equality case with x in units of 1e-9 and the rows and objective in 1e6 (scaling's job)."""
    col, row, obj = 1e-9, 1e6, 1e6
    lp = program(Sense.MAXIMIZE, np.array([3, 2]) * obj / col, np.array([[1, 1], [1, -1]]) * row / col,
                 [4 * row, -INF], [4 * row, 2 * row])
    result = solve(lp, solver)
    assert result.status is Status.OPTIMAL
    np.testing.assert_allclose(result.x, np.array([3.0, 1.0]) * col, rtol=1e-12)
    assert result.objective == pytest.approx(11.0 * obj, rel=1e-12)
    np.testing.assert_allclose(result.row_duals, np.array([2.5, 0.5]) * obj / row, rtol=1e-9)


# --------------------------------------------------------------------------
# What a backend hands back is judged the same way whichever backend it is
# --------------------------------------------------------------------------


class _StandIn:
    """A backend module that returns a fixed answer (or raises), to test what solvers.solve makes of it."""

    NAME = "stand_in"
    CAPABILITIES = solvers.Capabilities(mip=True, duals=True)

    def __init__(self, answer):
        self.answer = answer

    def available(self) -> bool:
        return True

    def solve(self, lp, options):
        if isinstance(self.answer, Exception):
            raise self.answer
        x = np.asarray(self.answer(lp), dtype=float)
        return SolveResult(status=Status.OPTIMAL, solver=self.NAME, solver_version="0", message="optimal",
                           solve_seconds=0.0, x=x, objective=lp.objective_value(x))


def _with_stand_in(monkeypatch, answer):
    stand_in = _StandIn(answer)
    monkeypatch.setitem(solvers.BACKENDS, "stand_in", "stand_in")
    monkeypatch.setattr(solvers, "backend", lambda name: stand_in if name == "stand_in" else None)
    return stand_in


def test_a_value_a_hair_outside_its_bound_is_put_on_the_bound(monkeypatch):
    """Was (d): CBC's "optimal" 1e-7 past a bound (relative) refused by check_solution, and the run failed."""
    lp = CASES["ranged_row_upper_end"].lp  # x <= 2
    # The stand-in sees the scaled program: its x bound, whatever its unit, is overshot by 1e-7 of it.
    _with_stand_in(monkeypatch, lambda scaled: [scaled.col_upper[0] * (1 + 1e-7), scaled.col_upper[0] / 4])
    result = solve(lp, "stand_in")
    assert result.x[0] == 2.0  # exactly on the bound, not 2.0000002
    assert result.x[1] == pytest.approx(0.5)


def test_a_value_well_outside_its_bound_is_still_refused(monkeypatch):
    lp = CASES["ranged_row_upper_end"].lp
    _with_stand_in(monkeypatch, lambda scaled: [scaled.col_upper[0] * 1.01, 0.0])
    with pytest.raises(SolverError, match="outside the bounds of column x0"):
        solve(lp, "stand_in")


def test_a_backend_that_raises_something_else_is_a_solver_failure(monkeypatch):
    """Was (a): a bare ValueError from the CBC backend escaped as a crash (exit 1, traceback)."""
    _with_stand_in(monkeypatch, ValueError("unexpected"))
    with pytest.raises(SolverError, match="ValueError: unexpected"):
        solve(CASES["equality_row"].lp, "stand_in")


# min x over x + y <= 0 (both free), and min -x + 2y + z with x in no row at all: both unbounded. CBC 2.10
# calls them optimal, with or without presolve; its reduced costs give it away (a free column that still
# improves the objective). Such an answer must never become a plan.
DUAL_INFEASIBLE_OPTIMA = {
    "half_plane": program(Sense.MINIMIZE, [1, 0], [[-2, -2]], [0], [INF], col_lower=[-INF, -INF]),
    "column_in_no_row": program(Sense.MINIMIZE, [-1, 2, 1], [[0, 2, 1]], [-3], [-3], col_lower=[-INF] * 3),
}


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("name", list(DUAL_INFEASIBLE_OPTIMA))
def test_an_unbounded_program_is_never_called_optimal(name, solver):
    try:
        result = solve(DUAL_INFEASIBLE_OPTIMA[name], solver)
    except SolverError as exc:
        assert "try --solver highs" in str(exc)
        return
    assert result.status is Status.UNBOUNDED


# --------------------------------------------------------------------------
# HiGHS: every status it can give has a meaning here (issue 11)
# --------------------------------------------------------------------------

needs_highs = pytest.mark.skipif("highs" not in BACKENDS, reason="needs HiGHS")


@needs_highs
def test_every_highs_model_status_is_mapped():
    import highspy

    from solvers.highs import STATUS_TABLE

    assert set(STATUS_TABLE) == set(highspy.HighsModelStatus.__members__)


@needs_highs
def test_an_iteration_limit_is_a_failure_not_a_time_limit(monkeypatch):
    """Was: HiGHS's iteration and solution limits reported as 'time_limit_with_solution'."""
    from solvers import highs

    made = highs._new_highs

    def with_iteration_limit(highspy, log):
        h = made(highspy, log)
        h.setOptionValue("simplex_iteration_limit", 0)
        h.setOptionValue("presolve", "off")
        return h

    monkeypatch.setattr(highs, "_new_highs", with_iteration_limit)
    with pytest.raises(SolverError, match="iteration limit"):
        solve(CASES["equality_row"].lp, "highs")


def test_an_integer_printed_rounded_on_a_big_m_row_is_accepted(monkeypatch):
    """spend <= 1000 x used, used binary: CBC accepts used = 2e-7 and prints 0, leaving spend = 2e-4."""
    lp = program(Sense.MAXIMIZE, [1, 0], [[1, -1000]], [-INF], [0], col_upper=[INF, 1], integer=[False, True])
    _with_stand_in(monkeypatch, lambda scaled: [2e-4 * _unit(lp, scaled), 0])
    assert solve(lp, "stand_in", prices=False).x[0] == pytest.approx(2e-4)
    _with_stand_in(monkeypatch, lambda scaled: [0.5 * _unit(lp, scaled), 0])  # a real breach: refused
    with pytest.raises(SolverError, match="violates row r0"):
        solve(lp, "stand_in", prices=False)


def _unit(lp, scaled) -> float:
    """Spend of 1 in the scaled program's units of column 0 (the scaling keeps the binary's unit)."""
    from solvers.scaling import equilibrate

    return 1.0 / float(equilibrate(lp).col[0])


def test_cbc_stopping_on_difficulties_is_a_failure_not_a_time_limit():
    """Was: 'Stopped on difficulties' read as a time limit with a plan (a plan that broke a row)."""
    from solvers.cbc_solution import status_from_line

    status, message = status_from_line("Stopped on difficulties - objective value 0.00000000")
    assert status is Status.ERROR and "numerical difficulties" in message


def test_scaling_factors_are_powers_of_two_and_unscale_bit_for_bit():
    """Scaling then unscaling gives back every bound and value exactly, whatever their sizes."""
    from solvers.scaling import equilibrate

    lp = program(Sense.MAXIMIZE, [4.5e9, 3e-4, 1.0], [[1e-13, 2.5e10, 0], [3.0, 0, -7e-6]], [1e-3, -INF],
                 [8e12, 5e9], col_lower=[-2.5e11, 0, 1e-9], col_upper=[INF, 3.3e7, 1.0], integer=[False, False, True])
    scaling = equilibrate(lp)
    factors = np.concatenate([scaling.row, scaling.col, [scaling.objective]])
    assert (np.frexp(factors)[0] == 0.5).all()  # mantissa 1/2: a power of two
    assert scaling.col[2] == 1.0  # the integer column keeps its unit
    scaled = scaling.apply(lp)
    assert np.array_equal(scaled.col_lower * scaling.col, lp.col_lower)
    assert np.array_equal(scaled.row_upper / scaling.row, lp.row_upper)
    x = np.array([-1.2345e11, 2.2e7, 1.0])
    back = scaling.unscale(lp, SolveResult(status=Status.OPTIMAL, solver="s", solver_version="", message="",
                                           solve_seconds=0.0, x=x / scaling.col))
    assert np.array_equal(back.x, x)


@pytest.mark.parametrize("factor", [1e-6, 1.0, 2250.0, 1e10])
def test_the_example_in_any_unit_of_money_is_scaled_to_the_same_numbers(factor):
    """Unscaled, the example's matrix spans 2**36 (x1) to 2**102 (x1e10); scaled, 2**8 at every money scale,
    with every nonzero right-hand side within 2**-6 .. 2**6 and the largest objective coefficient 1."""
    from money import scale_money

    from allocator.model.build import build_model
    from allocator.scenario.loader import load_scenario
    from allocator.scenario.schema import Scenario
    from solvers.scaling import equilibrate

    example = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "example_q1.yaml").scenario
    lp = build_model(Scenario.model_validate(scale_money(example.model_dump(), factor)), "max_revenue").lp
    scaled = equilibrate(lp).apply(lp)
    entries = np.abs(scaled.data[scaled.data != 0])
    assert entries.max() / entries.min() <= 2.0 ** 8
    bounds = np.abs(np.concatenate([scaled.row_lower, scaled.row_upper]))
    bounds = bounds[np.isfinite(bounds) & (bounds > 0)]
    assert bounds.min() >= 2.0 ** -6 and bounds.max() <= 2.0 ** 6
    assert np.abs(scaled.objective).max() == 1.0
