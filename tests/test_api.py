"""The public Python API (issue 11 §2): `import allocator` is light, `allocator.solve` returns a plan of
DataFrames that agrees with what `allocator solve` writes, and errors are the library's own classes."""

from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from helpers import PLAN_FILES, EXAMPLE, LIVESTREAM_PUSH, REPO, base_scenario, invoke

import allocator
from allocator.errors import InputError, OutputError, PlanFolderError, ScenarioError, UsageError

EXAMPLE_BUDGET = 3_400_000  # budget.total in scenarios/example_q1.yaml; max_revenue spends all of it


def _run(code: str, env: dict | None = None) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_import_allocator_loads_neither_numpy_nor_pandas_and_the_api_comes_on_demand():
    code = ("import sys, allocator; heavy = [m for m in ('numpy', 'pandas') if m in sys.modules]; "
            "load = allocator.load; print(heavy, load.__module__, 'pandas' in sys.modules)")
    assert _run(code) == "[] allocator.api.planning True"


def test_allocator_solve_is_the_api_even_after_the_stage_package_is_imported():
    # The solving stage is the package allocator.solving, so that importing it (as the command line and the
    # tests do) can never turn the function `allocator.solve` into a module that cannot be called.
    code = ("import allocator.solving.pipeline, allocator, inspect; "
            "plan = allocator.solve({'name': 't', 'periods': ['2027-01'], 'objective': 'max_revenue', "
            "'channels': [{'name': 'a', 'cost_per_lead': 10}], "
            "'tiers': [{'name': 'n', 'kind': 'new', 'conversion': 0.1, 'order_value': 500}], "
            "'products': [{'name': 'p', 'stage': 'growth'}], 'budget': {'total': 1000}}); "
            "print(round(plan.objective), allocator.solving.pipeline.__name__, "
            "list(inspect.signature(allocator.solve).parameters)[:2])")
    assert _run(code) == "5000 allocator.solving.pipeline ['source', 'solver']"


def test_the_command_line_sets_one_blas_thread_before_numpy_loads():
    # The entry point is allocator.cli:main; an import hook records the variable when numpy is first imported.
    code = (
        "import importlib.abc, os, sys\n"
        "seen = []\n"
        "class Hook(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'numpy' and not seen:\n"
        "            seen.append(os.environ.get('OPENBLAS_NUM_THREADS'))\n"
        "sys.meta_path.insert(0, Hook())\n"
        "from allocator.cli import main\n"
        "print(seen)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    assert _run(code, env) == "['1']"


@pytest.fixture(scope="module")
def example_plan():
    return allocator.solve(EXAMPLE)


@pytest.fixture(scope="module")
def cli_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "cli"
    assert invoke("solve", EXAMPLE, "--out", out).exit_code == 0
    return out


def test_solve_returns_the_plan_as_dataframes(example_plan):
    plan = example_plan
    assert plan.status == "optimal" and plan.solved and plan.objective_kind == "max_revenue"
    # max_revenue spends the whole budget (budget_total binds): the channels' spend adds up to it.
    spend = float(plan.by_channel["spend"].sum())
    assert spend == pytest.approx(EXAMPLE_BUDGET, rel=1e-6)
    assert float(plan.allocation["spend"].sum()) == pytest.approx(EXAMPLE_BUDGET, rel=1e-6)
    # Every breakdown is the allocation summed by its dimension.
    for stem, dim in (("by_tier", "tier"), ("by_product", "product"), ("by_period", "period")):
        sums = plan.allocation.groupby(dim)["revenue_total"].sum()
        table = getattr(plan, stem).set_index(dim)["revenue_total"]
        assert table.to_dict() == pytest.approx(sums.to_dict(), rel=1e-12)
    # The objective is all revenue (baseline included).
    assert plan.objective == pytest.approx(float(plan.allocation["revenue_total"].sum()), rel=1e-9)
    for name in ("targets", "budget_lines", "constraints", "sensitivity", "marginal"):
        assert isinstance(getattr(plan, name), pd.DataFrame) and len(getattr(plan, name)), name
    assert plan.shortfalls.empty and plan.diagnosis.empty  # no soft targets; a plan exists


def test_the_api_gives_the_numbers_the_cli_writes(example_plan, cli_folder):
    for stem in ("by_channel", "targets"):
        written = pd.read_csv(cli_folder / f"{stem}.csv")
        ours = getattr(example_plan, stem)
        key = "channel" if stem == "by_channel" else "target"
        column = "spend" if stem == "by_channel" else "achieved"
        assert dict(zip(ours[key], ours[column])) == pytest.approx(dict(zip(written[key], written[column])),
                                                                   rel=1e-12)


def test_plan_write_is_what_the_cli_writes_and_verify_passes(example_plan, cli_folder, tmp_path):
    out = tmp_path / "api"
    written = example_plan.write(out)
    assert set(written) == PLAN_FILES == {p.name for p in out.iterdir()}
    assert (out / "allocation.csv").read_bytes() == (cli_folder / "allocation.csv").read_bytes()
    check = invoke("verify", EXAMPLE, out)
    assert check.exit_code == 0, check.output
    assert allocator.verify(EXAMPLE, out).ok
    assert example_plan.verify().ok
    with pytest.raises(OutputError):  # a non-empty folder without force
        example_plan.write(out)


def test_a_mapping_with_overrides_solves_and_its_numbers_are_known():
    # rps 5 (leads/spend 1/10 x conversion 0.1 x order value 500): budget 1000 buys revenue 5000, 2000 buys 10000.
    plan = allocator.solve(base_scenario())
    assert plan.objective == pytest.approx(5000, rel=1e-9)
    assert allocator.solve(base_scenario(), set={"budget.total": 2000}).objective == pytest.approx(10000, rel=1e-9)
    assert allocator.solve(base_scenario(), set=["budget.total=2000"]).objective == pytest.approx(10000, rel=1e-9)
    scenario = allocator.load(base_scenario()).scenario
    assert allocator.solve(scenario, set={"budget.total": 3000}).objective == pytest.approx(15000, rel=1e-9)


def test_an_infeasible_plan_carries_its_diagnosis(tmp_path):
    # A 6000 revenue target needs a budget of 1200 at rps 5; budget 1000 buys 5000.
    data = base_scenario(targets={"revenue": 6000})
    plan = allocator.solve(data)
    assert plan.status == "infeasible" and plan.objective is None and plan.allocation.empty
    found = plan.diagnosis.set_index("constraint")["feasible_at"]
    assert found.to_dict() == pytest.approx({"target_revenue": 5000, "budget_total": 1200}, rel=1e-5)
    quiet = allocator.solve(data, diagnose=False)
    assert quiet.diagnosis.empty
    quiet.diagnose()
    assert set(quiet.diagnosis["constraint"]) == {"target_revenue", "budget_total"}
    assert "diagnosis.csv" in plan.write(tmp_path / "out")
    with pytest.raises(UsageError):
        plan.verify()  # no plan to check


def test_html_repr_has_the_headline_and_the_targets(example_plan):
    text = example_plan._repr_html_()
    assert "Q1 2027 marketing plan" in text and "optimal" in text and "<table" in text
    assert "new_customers" in text  # a row of the targets table


def test_compare_and_sweep_from_python(example_plan):
    comparison = allocator.compare(EXAMPLE, LIVESTREAM_PUSH)
    assert comparison.labels == ["example_q1", "example_q1_livestream_push"]
    spend = comparison.table.set_index(["section", "item", "metric"]).loc[("totals", "plan", "spend")]
    assert float(spend["example_q1"]) == pytest.approx(EXAMPLE_BUDGET, rel=1e-6)
    frontier = allocator.sweep(EXAMPLE, "budget.total=3e6,3.4e6", workers=1).tables["frontier"]
    assert list(frontier["status"]) == ["optimal", "optimal"]
    assert float(frontier["objective"][1]) == pytest.approx(example_plan.objective, rel=1e-6)


@pytest.mark.parametrize("call, kind", [
    (lambda tmp: allocator.solve(tmp / "missing.yaml"), ScenarioError),
    (lambda tmp: allocator.solve(EXAMPLE, solver="gurobi"), UsageError),
    (lambda tmp: allocator.solve(base_scenario(), set="budget.total=5"), UsageError),
    (lambda tmp: allocator.compare(EXAMPLE), UsageError),
    (lambda tmp: allocator.verify(EXAMPLE, tmp), PlanFolderError),
    (lambda tmp: allocator.compare(EXAMPLE, tmp), PlanFolderError),
])
def test_errors_are_the_library_classes(tmp_path, call, kind):
    with pytest.raises(kind) as info:
        call(tmp_path)
    assert isinstance(info.value, InputError)
    assert "\n" not in str(info.value)


def test_every_public_name_resolves_and_functions_carry_numpydoc_sections():
    from allocator import api

    assert allocator.__all__ == api.__all__
    for name in allocator.__all__:
        obj = getattr(allocator, name)
        assert obj.__doc__, name
        if callable(obj) and not isinstance(obj, type):
            for section in ("Parameters", "Returns", "Raises", "Examples"):
                assert f"\n    {section}\n    ---" in obj.__doc__, (name, section)
