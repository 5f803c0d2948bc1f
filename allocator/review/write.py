"""Render the review pack (plan.xlsx, report.html) and write each file atomically, refusing any target
that is one of the run's inputs, a folder, of the wrong kind, or an existing file without --force."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from allocator.errors import OutputError, UsageError
from allocator.review.sections import Report

SUFFIXES = {"xlsx": (".xlsx",), "html": (".html", ".htm")}
DEFAULT_NAMES = {"xlsx": "plan.xlsx", "html": "report.html"}


def render(report: Report, comparison=None, kinds=("xlsx", "html")) -> dict[str, bytes]:
    """The files' bytes by kind."""
    out: dict[str, bytes] = {}
    if "xlsx" in kinds:
        from allocator.review.workbook import workbook_bytes

        out["xlsx"] = workbook_bytes(report, comparison)
    if "html" in kinds:
        from allocator.review.html import report_html

        out["html"] = report_html(report).encode("utf-8")
    return out


def check_target(kind: str, path: Path, inputs: list[Path], force: bool, ours: bool = False) -> None:
    """Refuse, in one line: a path that is an input, a folder, a file of another kind, or an existing file
    without --force (`ours`: the default file in a plan folder, which a new report replaces)."""
    option = f"--{kind}"
    if path.suffix.lower() not in SUFFIXES[kind]:
        raise UsageError(option, "", str(path), f"a {' or '.join(SUFFIXES[kind])} file")
    resolved = path.resolve()
    if any(resolved == Path(i).resolve() for i in inputs):
        raise OutputError(f"{path}: is one of this report's inputs; choose another {option} file")
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; expected a {SUFFIXES[kind][0]} file")
    if path.exists() and not (force or ours):
        raise OutputError(f"{path}: already exists; use --force to replace it")
    if not path.parent.is_dir():
        raise OutputError(f"{path.parent}: no such folder")


def write_all(files: dict[Path, bytes]) -> None:
    """Write every file atomically, and all or none: each is staged beside its target first, and only when
    every one is staged are they renamed over their targets (a reader sees the old file or the whole new
    one). A target that cannot be written (a missing or read-only folder) raises `OutputError` with nothing
    written."""
    staged: list[Path] = []
    current = None
    try:
        for current, data in files.items():
            staged.append(_stage(current, data))
        for current, temporary in zip(files, staged):
            os.replace(temporary, current.resolve() if current.is_symlink() else current)
    except OSError as exc:
        raise OutputError(f"{current}: could not write ({exc.strerror or exc})") from None
    finally:
        for temporary in staged:
            temporary.unlink(missing_ok=True)


def _stage(path: Path, data: bytes) -> Path:
    """The bytes in a new hidden file beside `path` (its name tells whose it is)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.partial-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)
