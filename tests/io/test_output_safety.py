"""What --out and --force may replace (issue 10, items 6-9 and 15).

Every command that writes a folder goes through `allocator.io.output.write_folder`:
it refuses an --out holding the run's inputs, replaces only folders the tool
wrote, writes through a symlinked --out, and takes for its own leftovers only
folders that carry its marker record.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys

import pytest
from helpers import EXAMPLE, base_scenario, write_scenario
from robustness_helpers import (CORE_FILES, FIRST_VERSION_RUN, assert_one_error_line, invoke, leftovers, occupied,
                                require, snapshot)

import allocator.io.atomic as atomic
import allocator.io.output as output
from allocator.scenario.examples import write_examples
from allocator.io.output import run_inputs, write_folder
from allocator.solving.pipeline import run_record, solve_file


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="module")
def old_plan(tmp_path_factory) -> pathlib.Path:
    """A plan folder of the one-cell scenario: the 'last week' a run may replace."""
    base = tmp_path_factory.mktemp("old")
    out = base / "plan"
    require(invoke("solve", write_scenario(base, base_scenario()), "--out", out).exit_code == 0)
    return out


@pytest.fixture(scope="module")
def example_plan(tmp_path_factory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("new") / "plan"
    require(invoke("solve", EXAMPLE, "--out", out).exit_code == 0)
    return out


def _same_plan(folder: pathlib.Path, reference: pathlib.Path) -> bool:
    names = {p.name for p in reference.iterdir()}
    return ({p.name for p in folder.iterdir()} == names
            and all((folder / n).read_bytes() == (reference / n).read_bytes() for n in names - {"run.json"}))


# --------------------------------------------------------------------------------------------
# Item 6: no command may replace a folder holding its own inputs


def _inputs_inside_plan_folder(tmp_path: pathlib.Path, old_plan: pathlib.Path, kind: str) -> pathlib.Path:
    """A plan folder q1 that also holds the example's files; a scenario outside it that reads them.

    kind "extends": the scenario extends q1/example_q1.yaml (which reads q1/funnel.csv, q1/baseline.csv);
    kind "table": the scenario is a copy of the example whose `file:` tables are q1/funnel.csv, q1/baseline.csv.
    """
    q1 = tmp_path / "q1"
    shutil.copytree(old_plan, q1)
    write_examples(q1)
    if kind == "extends":
        return write_scenario(tmp_path, {"extends": "q1/example_q1.yaml", "name": "variant"}, "variant.yaml")
    text = EXAMPLE.read_text()
    require("file: funnel.csv" in text and "file: baseline.csv" in text)
    scenario = tmp_path / "own.yaml"
    scenario.write_text(text.replace("file: funnel.csv", "file: q1/funnel.csv")
                        .replace("file: baseline.csv", "file: q1/baseline.csv"))
    return scenario


COMMANDS = {
    "explain": lambda s, out: ("explain", s, "--out", out, "--force"),
    "sweep": lambda s, out: ("sweep", s, "--vary", "budget.total=3e6,3.4e6", "--workers", "1", "--out", out, "--force"),
    "risk": lambda s, out: ("risk", s, "--samples", "10", "--out", out, "--force"),
    "compare": lambda s, out: ("compare", s, EXAMPLE, "--out", out, "--force"),
    "solve": lambda s, out: ("solve", s, "--out", out, "--force"),
}


@pytest.mark.parametrize("kind", ["extends", "table"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_out_holding_an_extends_base_or_a_table_is_refused_by_every_command(tmp_path, old_plan, command, kind):
    scenario = _inputs_inside_plan_folder(tmp_path, old_plan, kind)
    q1 = tmp_path / "q1"
    before = snapshot(q1)
    text = assert_one_error_line(invoke(*COMMANDS[command](scenario, q1)), 2)
    assert "holds the input" in text, text
    assert snapshot(q1) == before
    assert leftovers(q1) == []


def test_compare_out_holding_the_scenario_a_plan_folder_was_solved_from_is_refused(tmp_path, old_plan):
    inputs = tmp_path / "inputs"
    write_examples(inputs)
    first, second = tmp_path / "a", tmp_path / "b"
    require(invoke("solve", inputs / "example_q1.yaml", "--out", first).exit_code == 0)
    shutil.copytree(old_plan, second)
    for name in os.listdir(old_plan):  # `inputs` becomes a plan folder too: only its inputs may stop --force
        shutil.copy(old_plan / name, inputs / name)
    before = snapshot(inputs)
    text = assert_one_error_line(invoke("compare", first, second, "--out", inputs, "--force"), 2)
    assert "holds the input" in text
    assert snapshot(inputs) == before


def test_write_folder_requires_the_inputs(tmp_path):
    solved = solve_file(EXAMPLE)
    with pytest.raises(TypeError):
        write_folder(tmp_path / "out", solved.plan.tables, run_record(solved))  # no inputs: refused by Python
    assert {pathlib.Path(p).name for p in run_inputs(solved.loaded)} == {"example_q1.yaml", "funnel.csv", "baseline.csv"}


# --------------------------------------------------------------------------------------------
# Item 7: a user's folder named like a leftover is never moved or deleted


def test_hidden_folders_named_like_leftovers_are_left_alone(tmp_path, example_plan):
    lookalikes = {".q1.old-2024": "notes", ".q1.partial-2025": "drafts", ".q1.partial-2026-abcdefgh": "more"}
    require(not any(_alive(pid) for pid in (2024, 2025, 2026)), "a process 2024-2026 is running here")
    for name, content in lookalikes.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text(content)
    before = {name: snapshot(tmp_path / name) for name in lookalikes}
    q1 = tmp_path / "q1"
    result = invoke("solve", EXAMPLE, "--out", q1, "--force")
    assert result.exit_code == 0, result.output
    assert _same_plan(q1, example_plan)
    assert {name: snapshot(tmp_path / name) for name in lookalikes} == before


def test_a_marker_for_another_target_or_a_live_run_is_not_a_leftover(tmp_path, example_plan):
    """Only a workspace whose marker names this --out and a finished process on this host is tidied."""
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    require(not _alive(dead_pid) and _alive(os.getppid()))
    q1 = tmp_path / "q1"
    cases = {  # folder -> (pid, target) in its marker
        ".q1.partial-1-elsewhere": (dead_pid, tmp_path / "q2"),  # a finished run that wrote another folder
        ".q1.partial-2-running": (os.getppid(), q1),  # a run still going
        ".q1.partial-3-finished": (dead_pid, q1),  # the only leftover
    }
    for name, (pid, target) in cases.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "keep.txt").write_text("x")
        record = {"tool": "allocator", "pid": pid, "host": socket.gethostname(), "target": str(target)}
        (tmp_path / name / atomic.MARKER).write_text(json.dumps(record))
    atomic.remove_stale(q1.absolute())
    assert sorted(leftovers(q1)) == [".q1.partial-1-elsewhere", ".q1.partial-2-running"]


def test_leftover_of_a_folder_whose_name_holds_glob_characters_is_tidied(tmp_path):
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    out = tmp_path / "q[1]"
    work = tmp_path / f".q[1].partial-{dead_pid}-abcd1234"
    (work / "new").mkdir(parents=True)
    record = {"tool": "allocator", "pid": dead_pid, "host": socket.gethostname(), "target": str(out.absolute())}
    (work / atomic.MARKER).write_text(json.dumps(record))
    result = invoke("solve", EXAMPLE, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path)) == ["q[1]"]


def test_unmarked_workspace_of_a_run_killed_before_marking_it_is_removed_only_when_empty_and_dead(tmp_path):
    # SIGKILL between mkdtemp and writing the marker leaves an empty folder named with the dead run's PID:
    # nobody else would ever remove it. A live PID's, or one with contents, is left alone.
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    q1 = tmp_path / "q1"
    (tmp_path / f".q1.partial-{dead_pid}-empty000").mkdir()
    (tmp_path / f".q1.partial-{dead_pid}-full0000").mkdir()
    (tmp_path / f".q1.partial-{dead_pid}-full0000" / "keep.txt").write_text("x")
    (tmp_path / f".q1.partial-{os.getppid()}-alive000").mkdir()
    atomic.remove_stale(q1.absolute())
    assert sorted(leftovers(q1)) == sorted([f".q1.partial-{os.getppid()}-alive000", f".q1.partial-{dead_pid}-full0000"])


# --------------------------------------------------------------------------------------------
# Item 8: a symlinked --out is written through


def test_symlinked_out_is_written_through_and_leaves_nothing_hidden(tmp_path, old_plan, example_plan):
    shared, links = tmp_path / "shared", tmp_path / "out"
    shared.mkdir()
    links.mkdir()
    shutil.copytree(old_plan, shared / "q1")
    (links / "latest").symlink_to("../shared/q1")
    (links / "next").symlink_to("../shared/q2")  # dangling: its target is created
    for link in ("latest", "next"):
        result = invoke("solve", EXAMPLE, "--out", links / link, "--force")
        assert result.exit_code == 0, result.output
    assert os.readlink(links / "latest") == "../shared/q1" and os.readlink(links / "next") == "../shared/q2"
    assert _same_plan(shared / "q1", example_plan) and _same_plan(shared / "q2", example_plan)
    assert sorted(os.listdir(links)) == ["latest", "next"]
    assert sorted(os.listdir(shared)) == ["q1", "q2"]


def test_symlink_loop_is_refused(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    text = assert_one_error_line(invoke("solve", EXAMPLE, "--out", tmp_path / "loop", "--force"), 2)
    assert "loop" in text
    assert sorted(os.listdir(tmp_path)) == ["loop"]


# --------------------------------------------------------------------------------------------
# Item 9: --force replaces only a plan folder (or an empty one)


def test_force_refuses_a_folder_the_tool_did_not_write(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".bashrc").write_text("export X=1\n")
    (home / "run.json").write_text('{"name": "my package", "version": "1.0"}')  # someone else's run.json
    (home / "project").mkdir()
    (home / "project" / "main.py").write_text("print('hi')\n")
    before = snapshot(home)
    for args in (("solve", EXAMPLE), ("explain", EXAMPLE), ("risk", EXAMPLE, "--samples", "10")):
        text = assert_one_error_line(invoke(*args, "--out", home, "--force"), 2)
        assert "--force replaces only plan folders" in text, text
    assert snapshot(home) == before
    assert leftovers(home) == []


@pytest.mark.parametrize("writer", ["first_version", "solve", "explain", "compare", "sweep", "risk"])
def test_force_replaces_plan_folders_of_every_command_and_earlier_versions(tmp_path, writer, example_plan):
    folder = tmp_path / "q1"
    if writer == "first_version":
        occupied(folder)  # run.json as e0c1d09 wrote it, plus a user's notes
        assert json.loads((folder / "run.json").read_text()) == FIRST_VERSION_RUN
    else:
        args = {"solve": ("solve", EXAMPLE), "explain": ("explain", EXAMPLE), "compare": ("compare", EXAMPLE, EXAMPLE),
                "sweep": ("sweep", EXAMPLE, "--vary", "budget.total=3e6,3.4e6", "--workers", "1"),
                "risk": ("risk", EXAMPLE, "--samples", "10")}[writer]
        require(invoke(*args, "--out", folder).exit_code == 0)
    result = invoke("solve", EXAMPLE, "--out", folder, "--force")
    assert result.exit_code == 0, result.output
    assert _same_plan(folder, example_plan)


def test_empty_folder_is_written_without_force(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert invoke("solve", EXAMPLE, "--out", out).exit_code == 0
    assert CORE_FILES <= set(os.listdir(out))


# --------------------------------------------------------------------------------------------
# Item 15: Ctrl-C during the write keeps the old folder and leaves nothing behind


def _interrupted_write_changes_nothing(tmp_path, old_plan, plant) -> pathlib.Path:
    """Write the example's plan with force over a copy of the old plan, `plant()` having set a Ctrl-C
    somewhere in the write: the old folder must stand as it was, with nothing left beside it."""
    out = tmp_path / "q1"
    shutil.copytree(old_plan, out)
    before = snapshot(out)
    solved = solve_file(EXAMPLE)
    record, inputs = run_record(solved), run_inputs(solved.loaded)
    plant()
    with pytest.raises(KeyboardInterrupt):
        write_folder(out, solved.plan.tables, record, inputs=inputs, force=True)
    assert snapshot(out) == before
    assert leftovers(out) == []
    return out


def test_interrupt_while_writing_the_tables_keeps_the_old_folder(tmp_path, old_plan, monkeypatch):
    real_write, calls = output.write_csv, []

    def write_csv(frame, path):
        calls.append(path.name)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real_write(frame, path)

    _interrupted_write_changes_nothing(tmp_path, old_plan, lambda: monkeypatch.setattr(output, "write_csv", write_csv))
    assert len(calls) == 3


def test_interrupt_between_the_two_renames_of_the_fallback_puts_the_old_folder_back(tmp_path, old_plan, monkeypatch):
    """Without renameat2 the swap is two renames; Ctrl-C between them used to leave no --out and a hidden copy."""
    real_rename, renames = pathlib.Path.rename, []

    def rename(self, target):
        moved = real_rename(self, target)
        renames.append((self, pathlib.Path(target)))
        if len(renames) == 1:  # the old folder has just been moved aside
            raise KeyboardInterrupt
        return moved

    def plant():
        monkeypatch.setattr(atomic, "exchange", lambda a, b: False)
        monkeypatch.setattr(pathlib.Path, "rename", rename)

    out = _interrupted_write_changes_nothing(tmp_path, old_plan, plant)
    assert renames[0][0] == out.resolve()


def test_ctrl_c_during_a_commands_write_keeps_the_old_folder_and_leaves_nothing(tmp_path, old_plan, monkeypatch):
    """Through the CLI (the exit code, 130, is the CLI's own test): the write is where Ctrl-C can do harm."""
    out = tmp_path / "q1"
    shutil.copytree(old_plan, out)
    before = snapshot(out)

    def interrupted(frame, path):
        raise KeyboardInterrupt

    monkeypatch.setattr(output, "write_csv", interrupted)
    result = invoke("solve", EXAMPLE, "--out", out, "--force")
    assert result.exit_code != 0
    assert snapshot(out) == before
    assert sorted(os.listdir(tmp_path)) == ["q1"]
