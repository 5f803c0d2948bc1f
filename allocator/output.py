"""Write a plan's folder: every file goes to a temporary folder that is renamed into place.

A failed or interrupted run therefore leaves either the old folder or the
complete new one, never half of each.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from .atomic import remove_stale, replace_folder
from .csvsafe import neutralise
from .csvwrite import frame_to_csv
from .errors import OutputError
from .results import DECIMALS



def protect_inputs(out: Path, inputs: list[Path]) -> None:
    """Refuse an --out folder that holds (or is) one of the run's input files: --force would delete it."""
    target = out.absolute().resolve()
    for item in inputs:
        source = Path(item).absolute().resolve()
        if source == target or target in source.parents:
            raise OutputError(f"{out}: holds the input {item}; writing the plan there would replace it - choose another --out")


def prepare_target(out: Path, force: bool) -> None:
    """Refuse an existing non-empty folder (unless force) before any work is done.

    Leftovers of a killed run are tidied first: a plan it had moved aside is
    put back, so that it too is protected by --force.
    """
    if out.parent.is_dir():
        remove_stale(out.absolute())
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise OutputError(f"{out}: folder exists and is not empty; pass --force to replace it, or choose another --out")


# Text columns holding only the tool's own vocabulary ("<=", ">=", "="): written as they are.
OWN_VOCABULARY = ("sense",)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Every other text column is neutralised against formula injection (names reach many of them)."""
    columns = tuple(c for c in frame.columns if c not in OWN_VOCABULARY)
    path.write_bytes(frame_to_csv(frame, DECIMALS, text_transform=neutralise, transform_columns=columns))


def write_folder(out: Path, tables: dict[str, pd.DataFrame], run: dict, extra_files: dict[str, str | bytes] | None = None,
                 force: bool = False) -> float:
    """Write tables as CSVs plus run.json into `out` atomically; returns seconds spent writing."""
    started = time.perf_counter()
    prepare_target(out, force)
    out = out.absolute()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out.parent}: cannot create the folder ({exc.strerror})") from None
    remove_stale(out)
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir()
        for stem, frame in tables.items():
            write_csv(frame, staging / f"{stem}.csv")
        for name, content in (extra_files or {}).items():
            if isinstance(content, bytes):
                (staging / name).write_bytes(content)
            else:
                (staging / name).write_text(content)
        run = {**run, "write_seconds": round(time.perf_counter() - started, 6)}
        (staging / "run.json").write_text(json.dumps(run, indent=2, sort_keys=False, default=str) + "\n")
        replace_folder(staging, out)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError(f"{out}: could not write the plan ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return time.perf_counter() - started
