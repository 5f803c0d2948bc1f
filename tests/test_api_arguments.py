"""Bad arguments to the Python API are the library's own errors, one line each, never a bare TypeError."""

import pytest

import allocator
from allocator.errors import InputError, ScenarioError, UsageError
from helpers import EXAMPLE, base_scenario


@pytest.mark.parametrize("call, keyword", [
    (lambda: allocator.solve(EXAMPLE, objective="max"), "objective"),
    (lambda: allocator.solve(EXAMPLE, lp_method="x"), "lp_method"),
    (lambda: allocator.solve(EXAMPLE, solver="gurobi"), "solver"),
    (lambda: allocator.solve(EXAMPLE, set=5), "set"),
    (lambda: allocator.solve(EXAMPLE, set={5: 1}), "set"),
    (lambda: allocator.solve(EXAMPLE, set=[b"budget.total=1"]), "set"),
    (lambda: allocator.solve(EXAMPLE, allow_outside=3), "allow_outside"),
    (lambda: allocator.solve(EXAMPLE, out=5), "out"),
    (lambda: allocator.solve(EXAMPLE, time_limit=-1), "time_limit"),
    (lambda: allocator.solve(EXAMPLE, time_limit=float("nan")), "time_limit"),
    (lambda: allocator.solve(EXAMPLE, time_limit="10"), "time_limit"),
    (lambda: allocator.solve(EXAMPLE, mip_gap=2), "mip_gap"),
    (lambda: allocator.solve(EXAMPLE, threads=0), "threads"),
    (lambda: allocator.solve(EXAMPLE, threads="2"), "threads"),
    (lambda: allocator.solve(EXAMPLE, diagnose_seconds=float("inf")), "diagnose_seconds"),
    (lambda: allocator.solve(EXAMPLE.read_text()), "source"),
    (lambda: allocator.solve(42), "source"),
    (lambda: allocator.explain(EXAMPLE, ranging="x"), "ranging"),
    (lambda: allocator.verify(EXAMPLE, None), "folder"),
    (lambda: allocator.compare(EXAMPLE, 5), "plans"),
    (lambda: allocator.compare(EXAMPLE, None), "plans"),
    (lambda: allocator.sweep(EXAMPLE, None), "vary"),
    (lambda: allocator.sweep(EXAMPLE, []), "vary"),
    (lambda: allocator.sweep(EXAMPLE, [5]), "vary"),
    (lambda: allocator.sweep(EXAMPLE, "budget.total=3e6,4e6", workers="2"), "workers"),
    (lambda: allocator.sweep(EXAMPLE, "budget.total=3e6,4e6", objective="zz"), "objective"),
    (lambda: allocator.sweep({"name": "x"}, "budget.total=3e6"), "scenario"),
    (lambda: allocator.risk(EXAMPLE, samples=0), "samples"),
    (lambda: allocator.risk(EXAMPLE, samples="50"), "samples"),
    (lambda: allocator.risk(EXAMPLE, samples=50.5), "samples"),
    (lambda: allocator.risk(EXAMPLE, seed=-1), "seed"),
    (lambda: allocator.risk(EXAMPLE, seed=1.5), "seed"),
    (lambda: allocator.risk(EXAMPLE, confidence=2), "confidence"),
    (lambda: allocator.risk(EXAMPLE, confidence=float("nan")), "confidence"),
])
def test_a_bad_argument_is_a_usage_error_naming_its_keyword(call, keyword):
    with pytest.raises(UsageError) as caught:
        call()
    message = str(caught.value)
    assert message.startswith(f"{keyword}: ") and "\n" not in message, message


def test_a_mapping_nested_past_the_files_limit_is_refused_without_recursion():
    data = base_scenario()
    deep = inner = {}
    for _ in range(5000):  # a file nested this deep is refused; so is a mapping given in memory
        inner["a"] = {}
        inner = inner["a"]
    data["description"] = deep
    with pytest.raises(ScenarioError, match="levels"):
        allocator.solve(data)


def test_good_arguments_still_solve():
    plan = allocator.solve(base_scenario(), set={"budget.total": 2000}, time_limit=30, threads=1, mip_gap=0)
    assert plan.status == "optimal" and plan.objective == pytest.approx(10_000, rel=1e-9)  # 2,000 x 5 by hand
    assert isinstance(UsageError("x", "", 1, "y"), InputError)
