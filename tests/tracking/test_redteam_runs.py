"""Red-team regressions for `allocator runs`: approving a track run (recorded with no status) says so in
words, not "a track run with status ; expected ..."; `runs diff` names each run whose folder is not as
recorded, not only the first."""

from __future__ import annotations

import json
import shutil

from store_cases import make_folder, run_json

from allocator.tracking.run_diff import diff_runs
from allocator.tracking.store import open_store
from tests.support.helpers import invoke


def test_approving_a_track_run_names_it_without_an_empty_status(tmp_path):
    store = tmp_path / "runs.sqlite"
    folder = make_folder(tmp_path, "track")
    # What `track` writes: a run.json without a solver status (a track run is no plan).
    (folder / "run.json").write_text(json.dumps({"kind": "track", "scenario": {"name": "track"}}))
    with open_store(store) as opened:
        run_id = opened.record_folder("track", folder)
    result = invoke("runs", "approve", run_id.split("-")[0], "--store", store)
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert f"run {run_id}: got a track run (no plan); expected a solve or replan run with a plan" in result.output
    assert "status ;" not in result.output


def test_diff_names_every_run_whose_folder_is_not_as_recorded(tmp_path):
    # A's folder gained a file, B's was deleted: the note once named A only, and B's loss went unsaid.
    store = tmp_path / "runs.sqlite"
    first, second = make_folder(tmp_path, "a"), make_folder(tmp_path, "b")
    with open_store(store) as opened:
        a = opened.record("solve", first, run_json())
        b = opened.record("solve", second, run_json())
    (first / "extra.csv").write_text("x\n")
    shutil.rmtree(second)
    with open_store(store) as opened:
        note = diff_runs(opened, a, b).note
    assert f"run {a}'s folder is not as recorded ({first / 'extra.csv'}: added after the run was recorded)" in note
    assert f"run {b}'s folder is not as recorded ({second}: not there any more (moved or deleted))" in note
