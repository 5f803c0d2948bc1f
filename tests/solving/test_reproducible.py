"""Reproducible output: solving the same scenario twice gives byte-identical CSVs.

Fixed row order, fixed number formatting, no timestamps or paths outside
run.json; run.json differs only in timings and created_at.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import EXAMPLE, REPO, backends, write_generated

from allocator.io.output import run_inputs, write_folder
from allocator.solving.pipeline import run_record, solve_file

# Keys of run.json that may differ between two runs of the same scenario.
VOLATILE = {"seconds", "write_seconds", "created_at"}
CORE_CSVS = {"allocation.csv", "by_channel.csv", "by_tier.csv", "by_product.csv", "by_period.csv", "targets.csv",
             "budget_lines.csv", "constraints.csv"}
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _solve_cli(out: Path, solver: str, hash_seed: str) -> None:
    """`python -m allocator solve` in a fresh process (its own hash seed, so set order cannot leak in)."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run(
        [sys.executable, "-m", "allocator", "solve", str(EXAMPLE), "--out", str(out), "--solver", solver],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr


def assert_same_plan(a: Path, b: Path) -> None:
    names = {p.name for p in a.iterdir()}
    assert names == {p.name for p in b.iterdir()}
    csvs = sorted(n for n in names if n.endswith(".csv"))
    assert CORE_CSVS <= set(csvs)
    for name in csvs:
        first, second = (a / name).read_bytes(), (b / name).read_bytes()
        assert first == second, f"{name} differs between two solves of the same scenario"
        text = first.decode("utf-8")
        assert not TIMESTAMP.search(text), f"{name} holds a timestamp"
        assert str(a) not in text and a.name not in text, f"{name} holds the output folder's path"
    run_a, run_b = (json.loads((folder / "run.json").read_text()) for folder in (a, b))
    assert VOLATILE & set(run_a) == VOLATILE
    stable_a = {k: v for k, v in run_a.items() if k not in VOLATILE}
    stable_b = {k: v for k, v in run_b.items() if k not in VOLATILE}
    assert stable_a == stable_b


@pytest.mark.parametrize("solver", backends())
def test_cli_solves_twice_to_identical_csvs(tmp_path, solver):
    first, second = tmp_path / f"first-{solver}", tmp_path / f"second-{solver}"
    _solve_cli(first, solver, "1")
    _solve_cli(second, solver, "2")
    assert_same_plan(first, second)
    run = json.loads((first / "run.json").read_text())
    assert run["solver"] == solver and run["status"] == "optimal"


@pytest.fixture(scope="module")
def generated_scenario(tmp_path_factory) -> Path:
    return write_generated(tmp_path_factory.mktemp("gen") / "generated.yaml", 2, 12, 3, 6, seed=5)


@pytest.mark.parametrize("which", ["example", "generated"])
def test_library_solves_twice_in_one_process_to_identical_tables(tmp_path, which, generated_scenario):
    scenario = EXAMPLE if which == "example" else generated_scenario
    first_solved = solve_file(scenario)
    second_solved = solve_file(scenario)
    assert first_solved.plan.status.value == "optimal", first_solved.plan.message
    tables_a, tables_b = first_solved.plan.tables, second_solved.plan.tables
    assert list(tables_a) == list(tables_b)
    for name in tables_a:  # same rows in the same order, same values to the last bit
        assert tables_a[name].equals(tables_b[name]), name
    folders = []
    for i, solved in enumerate((first_solved, second_solved)):
        out = tmp_path / f"run{i}"
        write_folder(out, solved.plan.tables, run_record(solved), inputs=run_inputs(solved.loaded))
        folders.append(out)
    assert_same_plan(*folders)
