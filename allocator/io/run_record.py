"""Read a plan folder's run.json: the one reader `verify`, `compare` and the output-folder guard share.

run.json is the tool's own record of a few kB, but a plan folder may come from anywhere, so it is read
with limits: at most `MAX_RUN_JSON_BYTES` (a larger file is refused without being read whole), nesting
refused past the scenario files' `MAX_NESTING` before `json` recurses into it, UTF-8 only, and an
object at the top. Each refusal is one `PlanFolderError` naming the file and what is wrong with it;
the file's text is never quoted (it need not be a run.json at all).
"""

from __future__ import annotations

import json
from pathlib import Path

from allocator.errors import PlanFolderError, Text
from allocator.scenario.documents import NestingTooDeep, check_json_nesting

MAX_RUN_JSON_BYTES = 16 * 1024 * 1024  # 16 MiB; the tool writes a few kB (a study's record perhaps 100 kB)
EXPECTED = "the run.json written by allocator solve"


def read_run_record(folder: Path) -> dict | None:
    """FOLDER/run.json as a dict, or None when the folder has no run.json.

    Raises PlanFolderError (exit 2) when it is larger than 16 MiB, not UTF-8, not JSON, nested deeper
    than MAX_NESTING, or not a JSON object.
    """
    path = Path(folder) / "run.json"
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_RUN_JSON_BYTES + 1)  # never more than the cap, whatever stat said
    except OSError as exc:
        raise PlanFolderError(path, "", Text(f"an unreadable file ({exc.strerror or type(exc).__name__})"), EXPECTED) from None
    if len(data) > MAX_RUN_JSON_BYTES:
        raise PlanFolderError(path, "", Text("a file larger than 16 MiB"), f"{EXPECTED} (a few kB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanFolderError(path, "", Text(f"bytes that are not UTF-8 (at byte {exc.start})"), EXPECTED) from None
    try:
        check_json_nesting(text)
        run = json.loads(text)
    except NestingTooDeep as exc:
        raise PlanFolderError(path, "", Text(exc.what), exc.expected) from None
    except json.JSONDecodeError as exc:  # exc.msg is a fixed phrase; only the position is said about the text
        raise PlanFolderError(path, "", Text(f"invalid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"),
                              EXPECTED) from None
    except (ValueError, RecursionError):
        raise PlanFolderError(path, "", Text("invalid JSON"), EXPECTED) from None
    if not isinstance(run, dict):
        raise PlanFolderError(path, "", Text(f"a JSON {type(run).__name__}"), f"a JSON object ({EXPECTED})")
    return run
