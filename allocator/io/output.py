"""Write a plan's folder: every file goes to a temporary folder that is swapped into place.

A failed or interrupted run therefore leaves either the old folder or the
complete new one, never half of each. Every writer goes through
`write_folder`, which refuses, before anything is touched, an --out that holds
one of the run's inputs, that is not a plan folder (unless empty), or that
exists without --force. A symlinked --out is written through: the link stays
and its target folder is replaced, staged beside that target.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from allocator.io.atomic import discard, open_workspace, remove_stale, replace_folder
from allocator.scenario.csvsafe import neutralise
from allocator.io.csvwrite import frame_to_csv
from allocator.errors import OutputError, PlanFolderError
from allocator.io.run_record import read_run_record


def run_inputs(loaded) -> list[Path]:
    """The files a loaded scenario was read from: the scenario, its `extends:` chain and its `file:` tables."""
    return [Path(loaded.path), *map(Path, loaded.sources), *map(Path, loaded.tables.values())]


def recorded_inputs(folder: Path) -> list[Path]:
    """The plan folder itself and the scenario files and tables its run.json names (what `compare` reads)."""
    run = _run_record(folder)
    recorded = run.get("scenario") if isinstance(run, dict) else None
    if not isinstance(recorded, dict):
        return [folder]
    names = [recorded.get("file"), *(recorded.get("extends") or []), *(recorded.get("tables") or {}).values()]
    paths = [Path(n) for n in names if isinstance(n, str) and n]
    # Recorded relative to the folder the run started in, which may be either of these.
    return [folder, *paths, *(folder / p for p in paths if not p.is_absolute())]


def protect_inputs(out: Path, inputs: Iterable[Path]) -> None:
    """Refuse an --out folder that holds (or is) one of the run's input files: --force would delete it."""
    target = real_target(out)
    for item in inputs:
        source = Path(os.path.realpath(Path(item).absolute()))
        if source == target or target in source.parents:
            raise OutputError(f"{out}: holds the input {item}; writing there would replace it - choose another --out")


def real_target(out: Path) -> Path:
    """Where the folder really is: symlinks (of `out` and of its parents) followed, so a link is written through."""
    return Path(os.path.realpath(Path(out).absolute()))


def is_plan_folder(folder: Path) -> bool:
    """True when `folder` holds a run.json written by this tool (every version writes `write_seconds` in it)."""
    run = _run_record(folder)
    return isinstance(run, dict) and isinstance(run.get("write_seconds"), (int, float))


def _run_record(folder: Path) -> dict | None:
    """The folder's run.json, or None when it has none, it is a symlink or it is unusable: such a folder is
    not one this tool wrote, so it is neither replaced nor its inputs protected from."""
    if (Path(folder) / "run.json").is_symlink():
        return None
    try:
        return read_run_record(folder)
    except PlanFolderError:
        return None


def prepare_target(out: Path, force: bool, inputs: Iterable[Path]) -> None:
    """Refuse an --out that must not be written, before any work is done.

    `inputs` are every file the run reads (see `run_inputs`). Leftovers of a
    killed run are tidied first: a plan it had moved aside is put back, so
    that it too is protected. --force replaces only a folder this tool wrote.
    """
    target = real_target(out)
    if target.is_symlink():  # realpath leaves a symlink loop as it is
        raise OutputError(f"{out}: is a symbolic link that leads nowhere (a loop); choose another --out")
    if target.parent.is_dir():
        remove_stale(target)
    protect_inputs(out, inputs)
    if target.exists() and not target.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if not target.is_dir() or not any(target.iterdir()):
        return
    if not is_plan_folder(target):
        raise OutputError(f"{out}: folder is not empty and holds no plan written by allocator (no run.json of one); "
                          "--force replaces only plan folders - choose another --out")
    if not force:
        raise OutputError(f"{out}: folder exists and is not empty; pass --force to replace it, or choose another --out")


# Text columns holding only the tool's own vocabulary ("<=", ">=", "="): written as they are.
OWN_VOCABULARY = ("sense",)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Every other text column is neutralised against formula injection (names reach many of them)."""
    columns = tuple(c for c in frame.columns if c not in OWN_VOCABULARY)
    path.write_bytes(frame_to_csv(frame, text_transform=neutralise, transform_columns=columns))


def write_folder(out: Path, tables: dict[str, pd.DataFrame], run: dict, *, inputs: Iterable[Path],
                 extra_files: dict[str, str | bytes] | None = None, force: bool = False) -> float:
    """Write tables as CSVs plus run.json into `out` atomically; returns seconds spent writing.

    `inputs` are every file the run read (`run_inputs`): an `out` holding one
    of them is refused, as is anything `prepare_target` refuses.
    """
    started = time.perf_counter()
    inputs = list(inputs)
    prepare_target(out, force, inputs)
    target = real_target(out)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{target.parent}: cannot create the folder ({exc.strerror})") from None
    work = None
    try:
        work = open_workspace(target)
        staging = work / "new"
        for stem, frame in tables.items():
            write_csv(frame, staging / f"{stem}.csv")
        for name, content in (extra_files or {}).items():
            if isinstance(content, bytes):
                (staging / name).write_bytes(content)
            else:
                (staging / name).write_text(content)
        run = {**run, "write_seconds": round(time.perf_counter() - started, 6)}
        (staging / "run.json").write_text(json.dumps(run, indent=2, sort_keys=False, default=str) + "\n")
        replace_folder(work, target)
    except OSError as exc:
        if work is not None:
            discard(work)
        raise OutputError(f"{out}: could not write the plan ({exc.strerror or exc})") from None
    except BaseException:  # Ctrl-C included: the old folder stays, the workspace goes
        if work is not None:
            discard(work)
        raise
    return time.perf_counter() - started


def plan_inputs(plans: Iterable[Path], allow_outside: Iterable[Path] = ()) -> list[Path]:
    """What `compare` reads: each plan folder with the files its run.json names, each scenario file with its own."""
    from allocator.scenario.loader import load_scenario

    inputs: list[Path] = []
    for plan in map(Path, plans):
        inputs += recorded_inputs(plan) if plan.is_dir() else run_inputs(load_scenario(plan, (), tuple(allow_outside)))
    return inputs
