"""The run store (issue 14 §1): what a run records, approvals per quarter, concurrent writers, schema
versions, bad input. Each store test runs on SQLite and on the PostgreSQL server of ALLOCATOR_TEST_POSTGRES
(skipped with the reason when it is unset, failed when ALLOCATOR_REQUIRE_POSTGRES=1)."""

from __future__ import annotations

import json
import multiprocessing
import shutil

import pytest
from helpers import base_scenario, invoke, write_scenario
from sqlalchemy import create_engine, text
from store_cases import (
    ABC_SHA, EMPTY_SHA, OLD_DIGEST, make_folder, run_json, set_version, target_for, write_version_1,
)
from store_writers import write_many

import allocator
from allocator.tracking import store as store_module
from allocator.tracking.store import StoreError, open_store, resolve_target
from allocator.tracking.store_records import quarter_of

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def target(request, tmp_path):
    return target_for(request.param, tmp_path)


def test_a_run_records_its_inputs_its_folder_s_files_and_hashes(target, tmp_path):
    folder = make_folder(tmp_path)
    with open_store(target) as store:
        run_id = store.record("solve", folder, run_json(), note="first cut")
        record = store.get(run_id)
        assert store.get(str(record.seq)) == record  # the counter alone finds it
    counter, digest = run_id.split("-")
    assert counter == "1" and len(digest) == 8 and int(digest, 16) >= 0
    assert (record.kind, record.status, record.objective, record.note) == ("solve", "optimal", 5000.0, "first cut")
    assert (record.quarter, record.periods) == ("2027-Q1", ("2027-01", "2027-02", "2027-03"))
    assert record.overrides == ("budget.total=1000",) and record.totals == {"spend": 1000.0, "revenue_total": 5000.0}
    assert record.versions == {"allocator": "0.1.0", "cbc": "2.10.3"}
    assert [(e.role, e.path, e.sha256) for e in record.inputs] == [("scenario", "/plans/q1.yaml", "cd" * 32)]
    hashes = {e.path: e.sha256 for e in record.outputs}
    assert set(hashes) == {"empty.csv", "abc.csv", "scenario.json", "targets.csv"}
    assert (hashes["empty.csv"], hashes["abc.csv"]) == (EMPTY_SHA, ABC_SHA)
    assert record.targets == ({"target": "revenue", "committed": 100.0, "achieved": 120.0, "attainment": 1.2,
                               "met": "True"},)
    assert record.folder == folder.resolve() and record.folder_changes() == []
    assert "@" in record.who and record.created_at.endswith("+00:00")


@pytest.mark.parametrize("periods, quarter", [
    (["2027-01", "2027-02", "2027-03"], "2027-Q1"),
    ([f"2027-W{w:02d}" for w in range(1, 14)], "2027-Q1"),  # Mon 4 Jan - Sun 4 Apr: 87 of 91 days in Q1
    ([f"2026-W{w:02d}" for w in range(1, 14)], "2026-Q1"),  # Mon 29 Dec 2025 - Sun 29 Mar: 88 of 91 in Q1
    ([f"2027-W{w:02d}" for w in range(1, 15)], "2027-Q1..2027-Q2"),  # to Sun 11 Apr: 87 of 98 (88.8%)
    (["2027-02", "2027-03", "2027-04"], "2027-Q1..2027-Q2"),  # 59 of 89 days in Q1
    ([], "the scenario's name"),
])
def test_the_quarter_is_the_calendar_quarter_of_the_periods(periods, quarter):
    assert quarter_of(periods, "the scenario's name") == quarter


def test_folder_changes_name_each_changed_missing_or_added_file_and_a_moved_folder(tmp_path):
    folder = make_folder(tmp_path)
    with open_store(tmp_path / "runs.sqlite") as store:
        record = store.get(store.record("solve", folder, run_json()))
    (folder / "abc.csv").write_bytes(b"abd")
    (folder / "empty.csv").unlink()
    (folder / "new.csv").write_bytes(b"")
    assert record.folder_changes() == [f"{folder / 'abc.csv'}: changed since it was recorded",
                                       f"{folder / 'empty.csv'}: missing (recorded with the run)",
                                       f"{folder / 'new.csv'}: added after the run was recorded"]
    folder.rename(tmp_path / "moved")
    assert record.folder_changes() == [f"{folder}: not there any more (moved or deleted)"]


def test_approval_marks_the_quarter_s_plan_and_a_later_one_supersedes_it_with_history_kept(target, tmp_path):
    with open_store(target) as store:
        first = store.record("solve", make_folder(tmp_path, "a"), run_json())
        second = store.record("replan", make_folder(tmp_path, "b"), run_json())
        other = store.record("solve", make_folder(tmp_path, "c", periods=["2027-04"]), run_json())
        assert store.approved("2027-Q1") is None and store.approved() is None
        store.approve(first, "budget review")
        assert store.approved("2027-Q1").id == first
        store.approve(second)
        store.approve(other, "Q2 draft")
        assert store.approved("2027-Q1").id == second and store.approved("2027-Q2").id == other
        assert store.approved().id == other  # the latest approval of any quarter
        assert [(a.run_id, a.note) for a in store.approvals("2027-Q1")] == [(second, ""), (first, "budget review")]
        assert store.reference(quarter="2027-Q1").id == second and store.reference(first).id == first


def test_a_run_without_a_plan_or_a_track_run_cannot_be_approved(target, tmp_path):
    with open_store(target) as store:
        failed = store.record("solve", make_folder(tmp_path, "a"), run_json("infeasible", None))
        tracked = store.record("track", make_folder(tmp_path, "b"), run_json())
        for run_id, what in ((failed, "a solve run with status infeasible"), (tracked, "a track run")):
            with pytest.raises(StoreError, match=what):
                store.approve(run_id)
        assert store.approvals() == []
    result = invoke("runs", "approve", failed.split("-")[0], "--store", target)
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.startswith("error: ") and "status infeasible" in result.output


def test_no_approved_plan_and_an_unknown_run_are_one_line_errors(target, tmp_path):
    with open_store(target) as store:
        with pytest.raises(StoreError, match="approved plan: got none for 2027-Q1"):
            store.reference(quarter="2027-Q1")
        run_id = store.record("solve", make_folder(tmp_path), run_json())
    wrong_digest = run_id.split("-")[0] + "-00000000"
    for unknown in ("7", "abc", wrong_digest):
        result = invoke("runs", "show", unknown, "--store", target)
        assert result.exit_code == 2, result.output
        assert result.output.endswith(f"run: got '{unknown}'; expected a run id from `allocator runs list`\n")
        assert result.output.count("\n") == 1


def test_two_processes_writing_at_once_lose_nothing(target, tmp_path):
    folder = make_folder(tmp_path)
    # The store does not exist yet: the writers race on creating it too.
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=write_many, args=(target, str(folder), w, 50, barrier, results))
               for w in (1, 2)]
    for worker in workers:
        worker.start()
    for worker in workers:  # each puts a few hundred bytes on the queue: it can end before they are read
        worker.join(timeout=300)
        assert worker.exitcode == 0, "a writer failed (its traceback is above)"
    ids = dict(results.get(timeout=10) for _ in workers)
    with open_store(target) as store:
        runs = store.list()
    assert len(runs) == 100 and sorted(r.seq for r in runs) == list(range(1, 101))
    assert {r.id for r in runs} == set(ids[1]) | set(ids[2])
    for worker in (1, 2):  # each writer's runs are its own, whole, in its order
        mine = sorted((r for r in runs if r.scenario_name == f"writer {worker}"), key=lambda r: r.seq)
        assert [r.note for r in mine] == [f"w{worker}-{i}" for i in range(50)]
        assert all(r.objective == 1000.0 + worker and len(r.outputs) == 4 and len(r.inputs) == 1 for r in mine)


def test_a_record_that_fails_halfway_leaves_no_run(target, tmp_path, monkeypatch):
    def broken(files):  # the run row is inserted, then its files cannot be
        raise RuntimeError("disk gone")

    with open_store(target) as store:
        monkeypatch.setattr(store_module, "_unique", broken)
        with pytest.raises(RuntimeError):
            store.record("solve", make_folder(tmp_path), run_json())
        assert store.list() == []


def test_an_older_store_is_upgraded_in_one_step_and_its_runs_read(target):
    write_version_1(target)
    with open_store(target) as store:
        (old,) = store.list()
        assert (old.id, old.objective, old.totals, old.note) == (f"1-{OLD_DIGEST[:8]}", 4321.5, {"spend": 999.0},
                                                                 "from version 1")
        assert (old.periods, old.targets) == ((), ())  # the columns versions 2 and 3 added
        assert store.approved("2027-Q1").id == old.id
        new = store.record("solve", "/nonexistent-folder", run_json(), periods=["2027-01"])
        assert store.get(new).periods == ("2027-01",)
        url = store.engine.url
    engine = create_engine(url)
    with engine.connect() as connection:
        version = connection.execute(text("SELECT value FROM allocator_meta WHERE key = 'schema_version'")).scalar()
    engine.dispose()
    assert version == "3"


def test_a_store_from_a_newer_allocator_is_refused_not_misread(target, tmp_path):
    with open_store(target) as store:
        store.record("solve", make_folder(tmp_path), run_json())
    set_version(target, "4")
    with pytest.raises(StoreError, match=r"schema_version: got 4; expected at most 3 \(written by a newer allocator"):
        open_store(target)
    result = invoke("runs", "list", "--store", target)
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "newer allocator" in result.output
    set_version(target, "3")  # untouched by the refusals
    assert len(open_store(target).list()) == 1


def test_allocator_tables_without_a_version_are_refused(tmp_path):
    path = tmp_path / "runs.sqlite"
    open_store(path).close()
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM allocator_meta"))
    engine.dispose()
    with pytest.raises(StoreError, match="allocator tables without a schema version"):
        open_store(path)


@pytest.mark.parametrize("value, expected", [
    ("nosuch://x", "error: --store: got 'nosuch://x'; expected a file path or a SQLAlchemy URL"),
    ("{tmp}/no/such/folder/runs.sqlite", "expected a file in an existing folder"),
    ("{tmp}", "expected a file path for the SQLite store, not a folder"),
    ("{tmp}/not-a-database.sqlite", "got a store it cannot open; expected a database it can open (file is not a "
                                    "database)"),
    ("", "error: --store: got ''; expected a file path or a SQLAlchemy URL"),
    ("postgresql://ana:secret@db:port/x", "error: --store: got 'postgresql://ana:***@db:port/x'; expected a file"),
    ("sqlite://", "expected a SQLite file (an in-memory database keeps no runs)"),
    ("sqlite:///:memory:", "expected a SQLite file (an in-memory database keeps no runs)"),
])
def test_a_bad_store_is_one_line_exit_2_and_solve_writes_nothing(tmp_path, value, expected):
    (tmp_path / "not-a-database.sqlite").write_bytes(b"x" * 4096)
    value = value.format(tmp=tmp_path)
    result = invoke("runs", "list", "--store", value)
    assert result.exit_code == 2 and result.output.count("\n") == 1 and expected in result.output, result.output
    if "database" not in value:  # refused before the solve: nothing written
        out = tmp_path / "out"
        result = invoke("solve", write_scenario(tmp_path, base_scenario()), "--out", out, "--store", value)
        assert result.exit_code == 2 and result.output.count("\n") == 1 and not out.exists()


def test_solve_records_each_run_and_store_none_records_nothing(tmp_path, monkeypatch):
    scenario, store = write_scenario(tmp_path, base_scenario()), tmp_path / "runs.sqlite"
    result = invoke("solve", scenario, "--out", tmp_path / "a", "--store", store)
    assert result.exit_code == 0 and "Recorded run 1-" in result.output and f"sqlite:///{store}" in result.output
    assert invoke("solve", scenario, "--out", tmp_path / "b", "--store", "none").exit_code == 0
    monkeypatch.setenv("ALLOCATOR_STORE", "NONE")
    assert "Recorded" not in invoke("solve", scenario, "--out", tmp_path / "c").output
    monkeypatch.setenv("ALLOCATOR_STORE", str(store))
    assert "Recorded run 2-" in invoke("solve", scenario, "--out", tmp_path / "d").output
    (one, two) = sorted(open_store(store).list(), key=lambda r: r.seq)
    assert (one.folder, two.folder) == ((tmp_path / "a").resolve(), (tmp_path / "d").resolve())
    assert one.objective == pytest.approx(5000)  # budget 1000 x revenue per unit of spend 5 (base_scenario)


def test_a_store_that_cannot_be_written_is_a_warning_and_the_plan_stands(tmp_path):
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=5"
    out = tmp_path / "out"
    result = invoke("solve", write_scenario(tmp_path, base_scenario()), "--out", out, "--store", unreachable)
    assert result.exit_code == 0 and (out / "allocation.csv").is_file()
    warning = [line for line in result.output.splitlines() if line.startswith("warning: run not recorded: ")]
    assert len(warning) == 1 and "postgresql+psycopg://nobody@127.0.0.1:1/none" in warning[0]


def test_an_infeasible_solve_is_recorded_with_its_status(tmp_path):
    data = base_scenario(targets={"revenue": 1e9})
    store = tmp_path / "runs.sqlite"
    result = invoke("solve", write_scenario(tmp_path, data), "--out", tmp_path / "out", "--store", store)
    assert result.exit_code == 1 and "Recorded run 1-" in result.output
    assert open_store(store).get("1").status == "infeasible"


def test_the_default_store_is_under_xdg_data_home(tmp_path, monkeypatch):
    monkeypatch.delenv("ALLOCATOR_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert resolve_target() == str(tmp_path / "data" / "allocator" / "runs.sqlite")
    open_store().close()  # its folder is created
    assert (tmp_path / "data" / "allocator" / "runs.sqlite").is_file()
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert resolve_target() == str(tmp_path / "home" / ".local" / "share" / "allocator" / "runs.sqlite")


def test_runs_diff_compares_the_folders_and_falls_back_to_the_store(tmp_path):
    scenario, store = write_scenario(tmp_path, base_scenario()), tmp_path / "runs.sqlite"
    for name, budget in (("a", 1000), ("b", 2000)):
        assert invoke("solve", scenario, "--out", tmp_path / name, "--set", f"budget.total={budget}",
                      "--store", store).exit_code == 0
    # Revenue per unit of spend is 5: budget 1,000 -> 5,000; 2,000 -> 10,000.
    both = invoke("runs", "diff", "1", "2", "--store", store).output
    assert "Plans compared from their folders" in both and "budget.total: 1,000 | 2,000" in both
    assert "overrides: budget.total=1000 -> budget.total=2000" in both
    assert "allocation.csv: differs" in both and "Inputs that differ: none" in both
    shutil.rmtree(tmp_path / "b")
    stored = invoke("runs", "diff", "1", "2", "--store", store).output.splitlines()
    assert any("not there any more" in line for line in stored)
    rows = {line.split()[0]: line.split()[1:] for line in stored if line[:1].isalpha() and len(line.split()) == 4}
    assert rows["spend"] == ["1,000", "2,000", "+1,000"] and rows["revenue_total"] == ["5,000", "10,000", "+5,000"]


def test_runs_show_and_list_say_what_is_approved_and_what_moved(tmp_path):
    scenario, store = write_scenario(tmp_path, base_scenario()), tmp_path / "runs.sqlite"
    for name in ("a", "b"):
        invoke("solve", scenario, "--out", tmp_path / name, "--store", store)
    assert invoke("runs", "approve", "1", "--note", "signed", "--store", store).output.startswith(
        "Approved run 1-")
    assert "replaces run 1-" in invoke("runs", "approve", "2", "--store", store).output
    (tmp_path / "a").rename(tmp_path / "moved")
    shown = invoke("runs", "show", "1", "--store", store).output
    assert f"{(tmp_path / 'a').resolve()}: not there any more (moved or deleted)" in shown
    assert "(superseded by run 2-" in shown and ": signed" in shown
    listed = invoke("runs", "list", "--store", store).output.splitlines()
    assert listed[2].startswith("*2-") and listed[3].startswith(" 1-")


def test_the_api_names_the_store_functions(tmp_path):
    store = tmp_path / "runs.sqlite"
    assert allocator.record_run("solve", make_folder(tmp_path), store="none") is None
    folder = make_folder(tmp_path, "b")
    (folder / "run.json").write_text(json.dumps(run_json()))
    run_id = allocator.record_run("solve", folder, store=store)
    with allocator.open_store(store) as opened:
        opened.approve(run_id)
    assert allocator.reference_plan(quarter="2027-Q1", store=store).id == run_id
    assert allocator.diff_runs(run_id, run_id, store=store).files == []


def test_show_names_an_input_changed_since_and_approve_notes_an_edited_folder(tmp_path):
    scenario, store = write_scenario(tmp_path, base_scenario()), tmp_path / "runs.sqlite"
    invoke("solve", scenario, "--out", tmp_path / "a", "--store", store)
    invoke("solve", scenario, "--out", tmp_path / "b", "--store", store, "--set", "budget.total=2000")
    scenario.write_text(scenario.read_text() + "# edited\n")
    (tmp_path / "a" / "units.csv").write_text("edited\n")
    shown = invoke("runs", "show", "1", "--store", store).output
    assert f"  input changed: {scenario.resolve()}: changed since it was recorded" in shown
    assert f"  {(tmp_path / 'a' / 'units.csv').resolve()}: changed since it was recorded" in shown
    approved = invoke("runs", "approve", "1", "--store", store)
    assert approved.exit_code == 0 and "note: its folder is not as recorded: " in approved.output
    listed = invoke("runs", "list", "--store", store, "--quarter", "2027-Q1", "--limit", "1").output.splitlines()
    assert len(listed) == 3 and listed[2].startswith(" 2-")  # newest first, one row; run 1 is the approved one
    assert "No runs recorded" in invoke("runs", "list", "--store", store, "--kind", "track").output


def test_a_track_run_takes_its_quarter_as_given_or_from_run_json(tmp_path):
    folder = tmp_path / "track"
    folder.mkdir()
    (folder / "run.json").write_text(json.dumps(run_json(periods=["2027-04", "2027-05"])))
    with open_store(tmp_path / "runs.sqlite") as store:
        from_run = store.get(store.record_folder("track", folder))
        given = store.get(store.record_folder("track", folder, quarter="2027-Q1"))
    assert (from_run.quarter, from_run.periods) == ("2027-Q2", ("2027-04", "2027-05"))  # 61 of 61 days in Q2
    assert given.quarter == "2027-Q1"
