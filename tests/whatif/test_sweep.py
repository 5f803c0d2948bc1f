"""allocator sweep: a grid of variants, in grid order, identical on one process, a pool or a Dask cluster."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from allocator.errors import UsageError
from allocator.whatif.sweep import Axis, parse_vary, run_sweep

from helpers import invoke

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "example_q1.yaml"


def test_parse_vary():
    axis = parse_vary("budget.total=2e6:5e6:13")
    assert axis.path == "budget.total" and len(axis.values) == 13
    assert axis.values[0] == 2e6 and axis.values[-1] == 5e6 and axis.values[1] == 2.25e6
    assert parse_vary("targets.buffer=0.1, 0.15").values == ("0.1", "0.15")
    for bad in ("budget.total", "budget.total=", "budget.total=1:2", "budget.total=1:2:x", "budget.total=1:2:0"):
        with pytest.raises(UsageError):  # a bad --vary is a bad argument, not a bad scenario
            parse_vary(bad)


def test_frontier_rows_in_grid_order_with_diagnosis(tmp_path):
    out = tmp_path / "f"
    result = invoke(*["sweep", str(EXAMPLE), "--vary", "budget.total=1.5e6,3e6,4.5e6",
                                       "--vary", "targets.buffer=0.1,0.2", "--out", str(out), "--workers", "2"])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out / "frontier.csv")
    assert list(frame["budget.total"]) == [1.5e6, 1.5e6, 3e6, 3e6, 4.5e6, 4.5e6]
    assert list(frame["targets.buffer"]) == [0.1, 0.2] * 3
    infeasible = frame[frame["status"] == "infeasible"]
    assert len(infeasible) >= 2 and infeasible["message"].str.contains("cannot all hold").all()
    solved = frame[frame["status"] == "optimal"]
    # More budget never lowers the optimum (same buffer).
    for buffer in (0.1, 0.2):
        curve = solved[solved["targets.buffer"] == buffer].sort_values("budget.total")["objective"].to_numpy()
        assert (np.diff(curve) >= -1e-6 * np.abs(curve[1:])).all()
    assert (out / "frontier.png").is_file() and (out / "frontier.png").read_bytes()[:4] == b"\x89PNG"
    assert "optimal" in result.output


def _compare(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_exact=False, rtol=1e-9)


def test_same_results_on_one_process_a_pool_and_dask():
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed (pip install '.[dask]')")
    axes = [Axis("budget.total", (2.5e6, 3.2e6, 4.0e6)), Axis("channels[livestream].cost_per_lead", ("50", "70"))]
    one = run_sweep(EXAMPLE, axes, workers=1)
    pool = run_sweep(EXAMPLE, axes, workers=2)
    _compare(one, pool)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = run_sweep(EXAMPLE, axes, scheduler=cluster.scheduler_address)
    _compare(one, on_dask)
    assert set(one["status"]) == {"optimal"}


def test_invalid_variant_is_a_row_not_a_crash(tmp_path):
    frame = run_sweep(EXAMPLE, [Axis("budget.total", ("3e6", "-1"))], workers=1)
    assert list(frame["status"]) == ["optimal", "invalid"]
    assert "budget.total" in frame["message"].iloc[1] and "greater than 0" in frame["message"].iloc[1]


@pytest.mark.parametrize("command", [["sweep", "--vary", "budget.total=3e6,4e6"], ["risk", "--samples", "300"]])
def test_scheduler_without_dask_installed_is_bad_input(tmp_path, monkeypatch, command):
    # With dask.distributed missing, --scheduler is a one-line error (exit 2), not a traceback, and no
    # output folder is left behind.
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    out = tmp_path / "out"
    result = invoke(*[command[0], str(EXAMPLE), *command[1:], "--scheduler", "tcp://127.0.0.1:9",
                                       "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "dask.distributed is not installed" in result.output and "allocator-lp[dask]" in result.output
    assert not out.exists()


@pytest.mark.parametrize("command", [["sweep", "--vary", "budget.total=3e6"], ["risk", "--samples", "10"]])
def test_run_json_records_the_scenario_absolute(tmp_path, monkeypatch, command):
    # A path relative to the folder the command ran in leads nowhere from any other folder.
    monkeypatch.chdir(EXAMPLE.parent.parent)
    out = tmp_path / "out"
    result = invoke(command[0], "scenarios/example_q1.yaml", *command[1:], "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "run.json").read_text())["scenario"] == str(EXAMPLE)


def test_one_field_varied_under_two_spellings_is_one_error_line(tmp_path):
    # channels[1] is mini_program: both --vary set one field, and each variant silently kept only one value.
    from allocator.scenario.loader import load_scenario

    assert [c.name for c in load_scenario(EXAMPLE).scenario.channels][1] == "mini_program"
    out = tmp_path / "out"
    result = invoke("sweep", EXAMPLE, "--vary", "channels[mini_program].max_spend=1e5,3e5",
                    "--vary", "channels[1].max_spend=3e5", "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output == ("error: --vary: channels[1].max_spend: got the field channels[mini_program].max_spend "
                             "names; expected each field in one --vary, e.g. PATH=a,b,c\n")
    assert not out.exists()


@pytest.mark.parametrize("vary, says", [
    ("budget.total=nan", "budget.total: got 'nan'; expected a finite number"),
    ("budget .total=3.5e6", "unknown field 'budget '"),
    ("periods=[2027-01],[2027-02]", "expected one of the scenario's periods"),
])
def test_a_vary_with_no_valid_variant_is_one_error_line(tmp_path, vary, says):
    # Each exited 0, writing a frontier whose every row was `invalid`.
    out = tmp_path / "out"
    result = invoke("sweep", EXAMPLE, "--vary", vary, "--out", out, "--workers", 1)
    assert result.exit_code == 2, result.output
    path = vary.partition("=")[0]
    assert result.output.startswith(f"error: --vary: {path}: got no valid variant; expected ") and result.output.count("\n") == 1
    assert says in result.output
    assert not out.exists()


def test_a_grid_with_some_valid_variants_runs(tmp_path):
    # Refused only when no variant is valid: an invalid value beside a valid one is a row that says why,
    # and a value invalid on its own (low 1.1 above the scenario's high 1.05) but valid with another
    # --vary (high 1.2) is solved.
    out = tmp_path / "out"
    result = invoke("sweep", EXAMPLE, "--vary", "budget.total=3e6,nan", "--vary", "uncertainty[3].low=1.1",
                    "--vary", "uncertainty[3].high=1.2", "--out", out, "--workers", 1)
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out / "frontier.csv")["status"]) == ["optimal", "invalid"]
