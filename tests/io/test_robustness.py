"""Robustness: existing --out folders, interrupted runs, failing solvers, unsafe YAML (CSV injection:
test_csv_injection.py).

Tests marked ``xfail(strict=True, raises=AssertionError)`` show a defect of the
library that is still open; the reason names where it is and a proposed fix.
When the library is fixed, the test passes and strict xfail turns it red: drop
the mark. Set-up problems raise `PreconditionFailed`, which such a mark does not
excuse. Tests headed "Regression" guard defects found and fixed since 074b765.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
import pytest
from helpers import EXAMPLE, REPO, base_scenario, write_generated, write_scenario
from robustness_helpers import (CORE_FILES, INVALID, assert_one_error_line, invoke, leftovers, occupied,
                                require, snapshot, workspace_record)

# --------------------------------------------------------------------------------------------
# (a) an existing, non-empty --out folder is never touched without --force




@pytest.mark.parametrize("scenario", [EXAMPLE, INVALID / "wrong_type.yaml", INVALID / "empty.yaml"],
                         ids=["good", "wrong_type", "empty"])
def test_existing_out_without_force_is_refused_byte_for_byte(tmp_path, scenario):
    out = tmp_path / "out"
    before = occupied(out)
    mtimes = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    text = assert_one_error_line(invoke("solve", scenario, "--out", out), 2)
    if scenario == EXAMPLE:
        assert "--force" in text and "not empty" in text
    assert snapshot(out) == before
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == mtimes
    assert leftovers(out) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_bad_input_creates_no_parent_folders(tmp_path):
    out = tmp_path / "a" / "b" / "out"
    assert_one_error_line(invoke("solve", INVALID / "wrong_type.yaml", "--out", out), 2)
    assert not (tmp_path / "a").exists()


def test_bad_input_with_force_leaves_existing_folder_byte_identical(tmp_path):
    out = tmp_path / "out"
    before = occupied(out)
    assert_one_error_line(invoke("solve", INVALID / "csv_missing_column.yaml", "--out", out, "--force"), 2)
    assert snapshot(out) == before
    assert leftovers(out) == []


# --------------------------------------------------------------------------------------------
# (b) --force replaces the folder completely


def test_force_replaces_completely_without_stale_files(tmp_path):
    reference = tmp_path / "reference"
    assert invoke("solve", EXAMPLE, "--out", reference).exit_code == 0
    out = tmp_path / "out"
    occupied(out)
    (out / "sensitivity_old_name.csv").write_text("stale")
    result = invoke("solve", EXAMPLE, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert names == {p.name for p in reference.iterdir()}
    assert CORE_FILES <= names
    assert not (out / "notes.txt").exists() and not (out / "sub").exists()
    for name in names - {"run.json"}:
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    assert leftovers(out) == []


def test_force_into_empty_folder_and_file_target(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    result = invoke("solve", EXAMPLE, "--out", out)  # an empty folder needs no --force
    assert result.exit_code == 0, result.output
    assert CORE_FILES <= {p.name for p in out.iterdir()}
    target = tmp_path / "plan.csv"
    target.write_text("keep")
    text = assert_one_error_line(invoke("solve", EXAMPLE, "--out", target, "--force"), 2)
    assert "not a folder" in text and target.read_text() == "keep"


# --------------------------------------------------------------------------------------------
# (c) interrupted runs leave the old folder or the complete new one


@pytest.fixture(scope="module")
def slow_scenario(tmp_path_factory) -> Path:
    """A generated scenario large enough that a solve takes a noticeable part of a second."""
    return write_generated(tmp_path_factory.mktemp("slow") / "slow.yaml", 2, 40, 4, 12, seed=3)


def _cli_command(scratch: Path, *args) -> list[str]:
    """``python -m allocator ARGS`` with CBC's scratch folder in `scratch` (not /dev/shm).

    A SIGKILL during the solve leaves the CBC scratch folder behind (the process
    cannot clean up); keeping it under tmp_path keeps /dev/shm clean.
    """
    code = (
        "import runpy, solvers.cbc as c; "
        f"c.scratch_dir = lambda: {str(scratch)!r}; "
        "runpy.run_module('allocator', run_name='__main__', alter_sys=True)"
    )
    return [sys.executable, "-c", code, *map(str, args)]


def _spawn(cmd: list[str]) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _kill(proc: subprocess.Popen) -> bool:
    """SIGKILL the allocator process (then anything it started); True if it was still running."""
    running = proc.poll() is None
    if running:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # an orphaned CBC child of the killed run
    except (ProcessLookupError, PermissionError):
        pass
    return running


def _classify(out: Path, old: dict[str, bytes] | None, new_reference: Path) -> str:
    """'absent', 'old' or 'new'; fails on anything else (half-written, mixed, empty)."""
    if not out.exists():
        assert old is None, "the old folder vanished"
        return "absent"
    assert out.is_dir()
    current = snapshot(out)
    if old is not None and current == old:
        return "old"
    expected_names = {p.name for p in new_reference.iterdir()}
    assert set(current) == expected_names, f"neither the old nor a complete new folder: {sorted(current)}"
    assert CORE_FILES <= expected_names
    for name in expected_names - {"run.json"}:
        assert current[name] == (new_reference / name).read_bytes(), f"{name} differs from a complete solve"
    run = json.loads(current["run.json"])
    assert run["status"] == "optimal"
    return "new"


def _assert_only_staging_of(out: Path, pids: set[int]) -> None:
    for name in leftovers(out):
        folder = out.parent / name
        if not (folder / ".allocator-staging").exists():
            # Killed between making the workspace and marking it: empty, named with the killed run's PID.
            assert not any(folder.iterdir()), f"an unmarked leftover with contents: {name}"
            assert int(name[len(f".{out.name}.partial-"):].split("-")[0]) in pids, f"unexpected leftover {name}"
            continue
        record = workspace_record(folder)
        assert record["pid"] in pids and record["target"] == str(out.resolve()), f"unexpected leftover {name}"


@pytest.fixture(scope="module")
def interrupt_refs(tmp_path_factory, slow_scenario):
    """A complete plan of the slow scenario (the 'new' folder), its wall time, and an 'old' folder."""
    base = tmp_path_factory.mktemp("refs")
    new_ref = base / "new"
    started = time.perf_counter()
    subprocess.run(_cli_command(base, "solve", slow_scenario, "--out", new_ref), cwd=REPO, check=True,
                   capture_output=True)
    seconds = time.perf_counter() - started
    old_ref = base / "old"
    assert invoke("solve", EXAMPLE, "--out", old_ref).exit_code == 0
    return new_ref, seconds, old_ref


def test_kill_at_random_moments_leaves_old_or_complete_new(tmp_path, slow_scenario, interrupt_refs):
    import random
    import shutil

    new_ref, seconds, old_ref = interrupt_refs
    old = snapshot(old_ref)
    rng = random.Random(20270101)
    # Delays spread over the whole run (start-up, load, build, solve, tables, write, rename).
    fractions = [0.1, 0.3, 0.45, 0.55, 0.62, 0.68, 0.74, 0.8, 0.86, 0.93, 1.0]
    delays = [f * seconds * rng.uniform(0.95, 1.05) for f in fractions]
    out = tmp_path / "plan"
    pids: set[int] = set()
    outcomes = []
    killed_while_running = 0
    for i, delay in enumerate(delays):
        with_old = i % 3 != 2  # every third run starts without an existing folder
        if out.exists():
            shutil.rmtree(out)
        if with_old:
            shutil.copytree(old_ref, out)
        proc = _spawn(_cli_command(tmp_path, "solve", slow_scenario, "--out", out, "--force"))
        pids.add(proc.pid)
        time.sleep(delay)
        running = _kill(proc)
        killed_while_running += running
        outcomes.append(_classify(out, old if with_old else None, new_ref) + ("" if running else "(done)"))
        _assert_only_staging_of(out, pids)
    print("kill outcomes:", outcomes)
    assert killed_while_running >= len(delays) // 2, f"the runs finished before the kills: {outcomes}"
    # The next run completes and removes the staging folders the killed runs left.
    proc = subprocess.run(_cli_command(tmp_path, "solve", slow_scenario, "--out", out, "--force"), cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert _classify(out, None, new_ref) == "new"
    assert leftovers(out) == [], leftovers(out)


# Deterministic kill points inside the write: the process SIGKILLs itself at that step.
KILL_AT = r"""
import os, signal, sys, pathlib
point = sys.argv[1]
sys.argv = ["allocator"] + sys.argv[2:]
import allocator.io.atomic as atomic
import allocator.io.output as output

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point.startswith("csv"):
    limit, seen, real_write = int(point[3:]), [0], output.write_csv
    def write_csv(frame, path):
        if seen[0] == limit:
            die()
        seen[0] += 1
        real_write(frame, path)
    output.write_csv = write_csv
elif point == "before_swap":
    output.replace_folder = lambda new, target: die()
elif point == "after_swap":
    real_exchange = atomic.exchange
    def exchange(a, b):
        done = real_exchange(a, b)
        if done:
            die()
        return done
    atomic.exchange = exchange
elif point == "between_fallback_renames":
    atomic.exchange = lambda a, b: False  # a system without renameat2(RENAME_EXCHANGE)
    real_rename = pathlib.Path.rename
    def rename(self, target):
        result = real_rename(self, target)
        if pathlib.Path(target).name == "old":  # the old plan moved into the workspace, the new not yet in place
            die()
        return result
    pathlib.Path.rename = rename
from allocator.cli.app import main
main()
"""

@pytest.mark.parametrize("point, expected", [
    ("csv0", "old"), ("csv3", "old"), ("before_swap", "old"), ("after_swap", "new"), ("between_fallback_renames", "old"),
])
def test_kill_at_each_step_of_the_write(tmp_path, point, expected):
    import shutil

    new_ref = tmp_path / "new_ref"
    assert invoke("solve", EXAMPLE, "--out", new_ref).exit_code == 0
    old_ref = tmp_path / "old_ref"
    small = write_scenario(tmp_path, base_scenario())
    assert invoke("solve", small, "--out", old_ref).exit_code == 0
    out = tmp_path / "plan"
    shutil.copytree(old_ref, out)
    script = tmp_path / "kill_at.py"
    script.write_text(KILL_AT)
    proc = subprocess.run([sys.executable, str(script), point, "solve", str(EXAMPLE), "--out", str(out), "--force"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    require(proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr))
    if point == "between_fallback_renames":
        # Regression (was a strict xfail): two renames cannot replace a folder atomically, so right after this kill
        # there is no --out; the old plan waits in the killed run's marked workspace, and the next command writing
        # there puts it back before anything else (here a run without --force, which is then refused).
        assert not out.exists()
        [name] = leftovers(out)
        assert snapshot(out.parent / name / "old") == snapshot(old_ref)
        assert_one_error_line(invoke("solve", EXAMPLE, "--out", out), 2)
    assert _classify(out, snapshot(old_ref), new_ref) == expected
    # Only the killed run's marked workspace may remain, and the next run removes it.
    assert all(workspace_record(out.parent / name)["target"] == str(out.resolve()) for name in leftovers(out))
    result = invoke("solve", EXAMPLE, "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert _classify(out, None, new_ref) == "new"
    assert leftovers(out) == []


def test_next_run_without_force_keeps_the_old_plan_after_a_fallback_kill(tmp_path):
    old_ref = tmp_path / "old_ref"
    require(invoke("solve", write_scenario(tmp_path, base_scenario()), "--out", old_ref).exit_code == 0)
    out = tmp_path / "plan"
    import shutil

    shutil.copytree(old_ref, out)
    script = tmp_path / "kill_at.py"
    script.write_text(KILL_AT)
    proc = subprocess.run([sys.executable, str(script), "between_fallback_renames", "solve", str(EXAMPLE), "--out",
                           str(out), "--force"], cwd=REPO, capture_output=True, text=True, timeout=120)
    require(proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stderr))
    invoke("solve", EXAMPLE, "--out", out)  # no --force: must not replace the old plan
    assert out.is_dir() and snapshot(out) == snapshot(old_ref), "the old plan was replaced without --force"


def test_out_folder_holding_the_scenario_is_refused(tmp_path):
    # --force would otherwise replace the folder that holds the inputs.
    from allocator.scenario.examples import write_examples

    write_examples(tmp_path)
    before = snapshot(tmp_path)
    result = invoke("solve", tmp_path / "example_q1.yaml", "--out", tmp_path, "--force")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and "holds the input" in result.output
    assert snapshot(tmp_path) == before
