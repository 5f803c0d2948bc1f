"""One error tree, one exit code per kind (issue 11 §2 and §4): every input error exits 2, a solver failure
3; a missing optional solver is bad input with the command that installs it; the version comes from the
distribution's own name."""

from __future__ import annotations

import pytest
from helpers import EXAMPLE, invoke

from allocator.errors import OutputError, PlanFolderError, ScenarioError, SolveFailed, UsageError


@pytest.mark.parametrize("error, code", [
    (ScenarioError("s.yaml", "budget.total", -1, "a number of 0 or more"), 2),
    (UsageError("--vary", "budget.total", "1:2", "start:stop:count"), 2),
    (PlanFolderError("out/q1/run.json", "", "unreadable", "the run.json written by allocator solve"), 2),
    (OutputError("out/q1: folder exists and is not empty"), 2),
    (SolveFailed("solver cbc failed: it crashed"), 3),
])
def test_each_kind_of_error_is_one_line_with_its_exit_code(tmp_path, monkeypatch, error, code):
    def failing(*args, **kwargs):
        raise error

    monkeypatch.setattr("allocator.api.solve", failing)
    result = invoke("solve", EXAMPLE, "--out", tmp_path / "out")
    assert result.exit_code == code, result.output
    assert result.output == f"error: {error}\n"
    assert not (tmp_path / "out").exists()


def _without_highs(monkeypatch):
    from solvers import SolverUnavailable, highs

    def missing():
        raise SolverUnavailable("HiGHS is not installed")

    monkeypatch.setattr(highs, "available", lambda: False)
    monkeypatch.setattr(highs, "_import", missing)


@pytest.mark.parametrize("command", [["solve", "--out"], ["explain", "--out"], ["risk", "--out"]])
def test_a_missing_optional_solver_is_bad_input_with_the_install_command(tmp_path, monkeypatch, command):
    _without_highs(monkeypatch)
    out = tmp_path / "out"
    result = invoke(command[0], EXAMPLE, command[1], out, "--solver", "highs")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: --solver: got 'highs'; expected a solver installed here")
    assert "pip install '.[highs]'" in result.output and "allocator-lp[highs]" in result.output
    assert not out.exists()


def test_solvers_says_how_to_install_a_missing_one(monkeypatch):
    _without_highs(monkeypatch)
    result = invoke("solvers")
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if line.startswith("highs"))
    assert row.split()[1] == "no" and "pip install '.[highs]'" in row


def test_compare_of_one_plan_is_a_usage_error(tmp_path):
    result = invoke("compare", EXAMPLE, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output == ("error: compare: PLANS: got 1; expected at least two scenario files or plan "
                             "folders\n")
    assert not (tmp_path / "out").exists()


def test_verify_of_a_folder_without_a_plan_exits_2(tmp_path):
    result = invoke("verify", EXAMPLE, tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {tmp_path / 'allocation.csv'}: got 'no such file'")


def test_version_comes_from_the_distribution():
    result = invoke("--version")
    assert result.exit_code == 0, result.output
    assert result.output == "allocator, version 0.1.0\n"
