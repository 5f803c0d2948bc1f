"""Arguments at the edge: every option is checked where click reads it, failures of one part of a run are
reported in one line with the right exit code, and Ctrl-C is exit 130 without tracebacks (issue 10, items
12, 15 and 16; issue 11 §4)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from allocator.whatif.execute import WORKERS_PER_CORE, local_workers

from helpers import EXAMPLE, REPO, base_scenario, invoke, write_scenario

ALLOCATOR = Path(sys.executable).parent / "allocator"


def _usage_error(result, option: str) -> None:
    """Exit 2 with click's message naming the option (click adds its usage lines before it)."""
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.output, result.output


@pytest.mark.parametrize("command, option, value", [
    ("solve", "--time-limit", "nan"),  # CBC: "cannot convert float NaN to integer"
    ("solve", "--time-limit", "inf"),  # CBC: OverflowError
    ("solve", "--time-limit", "1e300"),  # a timeout the OS cannot hold
    ("solve", "--time-limit", "-1"),
    ("solve", "--mip-gap", "nan"),
    ("solve", "--threads", "100000"),
    ("solve", "--solver", "gurobi"),
    ("explain", "--time-limit", "nan"),
    ("sweep", "--time-limit", "inf"),
    ("sweep", "--scheduler", "not a url"),  # dask: "missing port number in address"
    ("sweep", "--scheduler", "tcp://host:99999"),
    ("risk", "--seed", "-1"),  # numpy: "expected non-negative integer"
    ("risk", "--confidence", "nan"),  # exited 0: "No buffer up to 100% gives a plan"
    ("risk", "--confidence", "inf"),
    ("risk", "--scheduler", "not a url"),
])
def test_option_at_the_edge_is_refused_before_any_work(tmp_path, command, option, value):
    out = tmp_path / "out"
    extra = {"solve": ["--out", out], "explain": ["--out", out], "risk": ["--out", out],
             "sweep": ["--vary", "budget.total=3e6,4e6", "--out", out]}[command]
    result = invoke(command, EXAMPLE, *extra, option, value)
    _usage_error(result, option)
    assert not out.exists()


def test_highs_thread_count_that_aborted_the_process_is_refused(tmp_path):
    # In its own process: before the check, HiGHS aborted the whole interpreter (SIGABRT) on 100,000 threads.
    done = subprocess.run([str(ALLOCATOR), "solve", str(EXAMPLE), "--out", str(tmp_path / "out"), "--solver", "highs",
                           "--threads", "100000"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert "Invalid value for '--threads'" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_same_vary_path_twice_is_one_error_line(tmp_path):
    out = tmp_path / "out"
    result = invoke("sweep", EXAMPLE, "--vary", "budget.total=3e6,4e6", "--vary", "budget.total=5e6", "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output == ("error: --vary: budget.total: got 'the same path twice'; "
                             "expected each path in one --vary, e.g. PATH=a,b,c\n")
    assert not out.exists()


def test_varying_the_objective_keeps_its_values_beside_the_objective_value(tmp_path):
    # `objective` is both a varied path and a result column: the varied values get their own column.
    out = tmp_path / "out"
    result = invoke("sweep", EXAMPLE, "--vary", "objective=max_revenue,min_spend", "--out", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "frontier.csv")
    assert list(frame["vary:objective"]) == ["max_revenue", "min_spend"]
    assert list(frame["status"]) == ["optimal", "optimal"]
    by_kind = frame.set_index("vary:objective")
    # The objective's value is what each objective measures: all revenue (baseline included), or the spend.
    assert by_kind.loc["max_revenue", "objective"] == pytest.approx(by_kind.loc["max_revenue", "revenue_total"])
    assert by_kind.loc["min_spend", "objective"] == pytest.approx(by_kind.loc["min_spend", "spend"])
    assert by_kind.loc["min_spend", "spend"] < by_kind.loc["max_revenue", "spend"]


def test_workers_are_capped_at_the_tasks_and_four_per_core(tmp_path):
    cores = os.cpu_count() or 1
    assert local_workers(100_000, tasks=2) == 2
    assert local_workers(100_000) == WORKERS_PER_CORE * cores
    assert local_workers(None, tasks=1) == 1
    assert local_workers(3, tasks=50) == min(3, WORKERS_PER_CORE * cores)
    out = tmp_path / "out"
    started = time.perf_counter()
    result = invoke("sweep", EXAMPLE, "--vary", "budget.total=3e6,4e6", "--workers", 100_000, "--out", out)
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 60  # 100,000 interpreters ran past two minutes
    assert json.loads((out / "run.json").read_text())["executor"] == "local processes (2)"


def test_ctrl_c_exits_130_with_one_line_and_keeps_the_old_folder(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert invoke("solve", EXAMPLE, "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("allocator.solving.pipeline.solve_file", interrupted)
    result = invoke("solve", EXAMPLE, "--out", out, "--force")
    assert result.exit_code == 130, result.output
    assert result.output.startswith("error: interrupted") and result.output.count("\n") == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the pool's processes through /proc")
def test_ctrl_c_during_a_sweep_on_a_pool_prints_no_tracebacks(tmp_path):
    # Ctrl-C reaches the whole process group: each pool process printed its own KeyboardInterrupt traceback.
    out = tmp_path / "out"
    process = subprocess.Popen([str(ALLOCATOR), "sweep", str(EXAMPLE), "--vary", "budget.total=2e6:5e6:400",
                                "--workers", "2", "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(_children(process.pid)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert len(_children(process.pid)) >= 2, "the pool did not start"
    time.sleep(1.0)  # the pool's processes are solving
    os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, (process.returncode, stderr)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert stderr.strip().splitlines()[-1].startswith("error: interrupted"), stderr
    assert not out.exists()
    # Nothing of the run goes on alone: no pool process and no CBC child is left in its process group.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("processes of the interrupted sweep are still running")


def test_an_unexpected_exception_is_one_line_naming_its_type_with_exit_3(tmp_path, monkeypatch):
    # Not an error the library raises on purpose (a bug, or a solver library's own exception): still
    # visible (its type and message), on one line, exit 3 rather than 1 ("no plan").
    def broken(*args, **kwargs):
        raise RuntimeError("HiGHS run failed with status kError")

    monkeypatch.setattr("allocator.solving.pipeline.solve_file", broken)
    result = invoke("solve", EXAMPLE, "--out", tmp_path / "out")
    assert result.exit_code == 3, result.output
    assert result.output == "error: unexpected RuntimeError: HiGHS run failed with status kError\n"
    assert not (tmp_path / "out").exists()


def test_a_sweep_variant_that_fails_is_a_row_and_the_rest_go_on(tmp_path, monkeypatch):
    # rps 5: a 6000 revenue target needs a budget of 1200. Budget 1000 is infeasible and its diagnosis
    # fails; budget 1100 fails in the model builder; budget 1500 solves (revenue 7500).
    import allocator.model.build

    def failing_diagnosis(*args, **kwargs):
        raise RuntimeError("solver crashed during the diagnosis")

    real_build = allocator.model.build.build_model

    def build(scenario, objective=None):
        if scenario.budget.total == 1100:
            raise ValueError("a bug in the builder")
        return real_build(scenario, objective)

    monkeypatch.setattr("allocator.analysis.diagnose.diagnose", failing_diagnosis)
    monkeypatch.setattr("allocator.model.build.build_model", build)
    path = write_scenario(tmp_path, base_scenario(targets={"revenue": 6000}))
    out = tmp_path / "out"
    result = invoke("sweep", path, "--vary", "budget.total=1000,1100,1500", "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "frontier.csv", keep_default_na=False)
    assert list(frame["status"]) == ["infeasible", "error", "optimal"]
    assert frame["message"][0] == "diagnosis failed (RuntimeError: solver crashed during the diagnosis)"
    assert frame["message"][1] == "unexpected ValueError: a bug in the builder"
    assert float(frame["revenue_total"][2]) == pytest.approx(7500)


@pytest.mark.parametrize("vary, message", [
    (["budget.total=nan:inf:3"],
     "error: --vary: budget.total: got 'nan:inf:3'; expected start:stop:count with finite start and stop\n"),
    # 1000 x 1000 = 1,000,000 grid points were built in memory before the first solve.
    (["budget.total=1e6:2e6:1000", "targets.buffer=0:1:1000"],
     "error: --vary: 1000 x 1000: got 1,000,000 variants; expected a grid of at most 100,000 variants\n"),
])
def test_a_grid_that_cannot_be_swept_is_one_error_line(tmp_path, vary, message):
    out = tmp_path / "out"
    args = [arg for text in vary for arg in ("--vary", text)]
    result = invoke("sweep", EXAMPLE, *args, "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output == message
    assert not out.exists()


@pytest.mark.parametrize("address, accepted", [
    ("tcp://10.0.0.5:8786", True), ("tls://scheduler.example:8786/", True), ("tcp://[::1]:8786", True),
    ("not a url", False), ("tcp://host", False), ("tcp://host:0", False), ("tcp://host:99999", False),
    ("10.0.0.5:8786", False),
])
def test_scheduler_addresses(address, accepted):
    import click

    from allocator.cli.options import SchedulerAddress

    if accepted:
        assert SchedulerAddress().convert(address, None, None) == address
    else:
        with pytest.raises(click.BadParameter):
            SchedulerAddress().convert(address, None, None)


@pytest.mark.parametrize("command", [["solve"], ["explain"], ["risk"], ["sweep", "--vary", "budget.total=3e6"]])
def test_an_empty_out_is_refused_rather_than_the_working_folder(tmp_path, monkeypatch, command):
    # Path("") is ".": the plan went into the folder the command ran in.
    monkeypatch.chdir(tmp_path)
    result = invoke(command[0], EXAMPLE, *command[1:], "--out", "")
    _usage_error(result, "--out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["solve", "--threads", "0"], ["solve"], ["nope"], ["sweep", str(EXAMPLE), "--out"]])
def test_clicks_own_errors_are_one_line_with_exit_2(args):
    # click printed "Usage: ... / Try ... / Error: ..." on four lines for these.
    done = subprocess.run([str(ALLOCATOR), *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--help')" in lines[0], done.stderr
    assert done.stdout == ""


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    # `allocator solve ... | head -1`: writing to a closed pipe ended in "unexpected BrokenPipeError", exit 3.
    process = subprocess.Popen([str(ALLOCATOR), "solve", str(EXAMPLE), "--out", str(tmp_path / "q1")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # nobody reads what it prints
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141, stderr
    assert stderr == ""
    assert (tmp_path / "q1" / "allocation.csv").is_file()  # the plan was written before anything was printed
