"""Failing cases found by the property tests (tests/test_properties.py) and benchmarks/fuzz_verify.py.

Each scenario file in this folder starts with a comment saying what goes wrong. A test marked
``xfail(strict=True)`` is a library bug that is still open: when the library is fixed the test
passes, strict turns that into a failure, and the marker should then be removed (the test stays
as a regression test). tests/strategies.py's KNOWN_BUGS lets the property tests tolerate exactly
these bugs meanwhile; remove the entry there too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import backends

from allocator.cli import main
from allocator.pipeline import solve_file
from allocator.verify import verify

HERE = Path(__file__).resolve().parent
BACKENDS = backends()

CURVE_BUG = (
    "allocator/model.py:146-158 models a response curve as one column per slice with a width row "
    "(response_segment) and relies on concavity for the slices to fill in order (docs/model.md, 'Response "
    "curves are exact because they are concave'). That only holds when more effective spend is always "
    "welcome. When spend is forced (min_spend, min_spend_if_used, budget min/min_share, spend mix min_share) "
    "and leads or revenue are capped (max_leads, sales_capacity, phasing max, revenue max_share), the LP "
    "burns the forced money in a less efficient slice while a better one has room; allocator/tiebreak.py:"
    "88-107 (refine) detects 'response slices filled out of order', but its second pass cannot restore the "
    "order and the plan is still returned as optimal, and `allocator verify` rejects it (response_curve). "
    "Proposed fix: when slices are still out of order after the second pass, re-solve with ordering "
    "binaries for the affected channel-periods (slice k+1 may hold spend only if slice k is full: "
    "x[k] >= w[k] * z[k], x[k+1] <= w[k+1] * z[k], z binary), which is the exact piecewise-linear model "
    "(here: infeasible); at the very least do not report such a plan as optimal."
)

EMPTY_TABLE_BUG = (
    "allocator/csvwrite.py:56-72 (frame_to_csv) formats every column before its `len(frame) == 0` early "
    "return (line 70), and _format_distinct (line 37) calls np.strings.zfill, which raises 'zero-size array "
    "to reduction operation maximum which has no identity' on an empty array. So `allocator solve` crashes "
    "with a traceback (exit 1, nothing written) whenever a table with a float column has no rows: "
    "budget_lines.csv and sensitivity.csv when the plan spends nothing, allocation.csv when no cell is "
    "eligible. Proposed fix: return the header before formatting when len(frame) == 0 (or return an empty "
    "array from _format_distinct when values.size == 0)."
)


def _solve_and_verify(name: str, solver: str):
    solved = solve_file(HERE / name, solver=solver)
    violations = []
    if solved.plan.solved:
        violations = verify(solved.loaded.scenario, solved.plan.tables["allocation"]).violations
    return solved, violations


@pytest.mark.xfail(strict=True, reason=CURVE_BUG)
@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("name", ["curve_forced_spend_lead_cap.yaml", "curve_forced_spend_phasing.yaml"])
def test_curve_with_forced_spend_never_returns_a_plan_verify_rejects(name, solver):
    solved, violations = _solve_and_verify(name, solver)
    assert not violations, f"{solved.plan.status.value} plan fails verify: {violations}"
    # On the real curve neither scenario has a plan at all.
    assert solved.plan.status.value == "infeasible"


@pytest.mark.xfail(strict=True, reason=EMPTY_TABLE_BUG)
@pytest.mark.parametrize("name", ["empty_table_no_spend.yaml", "empty_table_no_eligible_cell.yaml"])
def test_solve_writes_empty_tables(tmp_path, name):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(HERE / name), "--out", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 0, result.output
    assert (out / "budget_lines.csv").read_text().startswith("channel,tier,")
    check = CliRunner().invoke(main, ["verify", str(HERE / name), str(out)])
    assert check.exit_code == 0, check.output


@pytest.mark.parametrize("solver", BACKENDS)
def test_roi_floor_equal_to_channel_return_solves_on_every_backend(solver):
    """Fixed: HiGHS used to refuse the model over a round-off coefficient (see the YAML's comment)."""
    solved, violations = _solve_and_verify("highs_roi_floor_round_off.yaml", solver)
    assert solved.plan.status.value == "optimal"
    assert solved.plan.objective == pytest.approx(5000.0, rel=1e-9)
    assert not violations
