"""Replace a folder by another in one step, so a reader (or a killed run) never sees half of each.

A run works in a hidden workspace beside the target (``.NAME.partial-PID-XXXX``)
that carries a marker file with the run's own record (tool, pid, host, start
time, target). The new folder is built in ``WORKSPACE/new`` and swapped with the
target; the old folder ends inside the workspace, which is then removed. Only a
folder holding that marker is ever taken for a leftover: a user's folder named
like one is never moved or deleted.

On Linux, renameat2(RENAME_EXCHANGE) swaps two paths atomically; elsewhere, or
on a file system without it, two renames are used. A kill between them leaves
no target and the old folder at ``WORKSPACE/old``; the next run (any command
writing to that target) puts it back before it does anything else.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import shutil
import socket
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
MARKER = ".allocator-staging"
_MARKER_MAX_BYTES = 4096  # a marker is a few hundred bytes; anything larger is not ours


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap paths a and b; False if this system cannot (then nothing happened)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def open_workspace(target: Path) -> Path:
    """A new marked workspace beside `target` (an absolute path without symlinks); build the folder in its ``new``."""
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-{os.getpid()}-", dir=target.parent))
    record = {"tool": "allocator", "pid": os.getpid(), "host": socket.gethostname(),
              "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "target": str(target)}
    try:
        (work / MARKER).write_text(json.dumps(record) + "\n")
        (work / "new").mkdir()
    except BaseException:  # unmarked, it would be nobody's to remove
        discard(work)
        raise
    return work


def replace_folder(work: Path, target: Path) -> None:
    """Put ``work/new`` at `target`, replacing any folder there, then remove the workspace."""
    new, retired = work / "new", work / "old"
    if not target.exists():
        new.rename(target)
    elif not exchange(new, target):  # `new` now holds the old contents when the exchange happened
        try:
            target.rename(retired)
            new.rename(target)
        except BaseException:  # an OSError, or Ctrl-C just after either rename: the old folder goes back
            if retired.is_dir() and not target.exists():
                retired.rename(target)
            raise
    discard(work)


def discard(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)


def remove_stale(target: Path) -> None:
    """Tidy the workspaces that runs which died left next to `target` (an absolute path without symlinks).

    When the kill fell between the two renames of the fallback swap, `target`
    is missing and the old folder is in the workspace: it is put back.
    """
    prefix = f".{target.name}.partial-"  # compared as text: a name may hold glob characters ("q[1]")
    for work in sorted(p for p in target.parent.iterdir() if p.name.startswith(prefix)):
        record = _record(work)
        if record is None:
            _remove_unmarked(work, work.name[len(prefix):])
            continue
        if record.get("target") != str(target) or not _dead(record):
            continue
        retired = work / "old"
        if retired.is_dir() and not target.exists():
            retired.rename(target)
        discard(work)


def _remove_unmarked(work: Path, suffix: str) -> None:
    """A run killed between making its workspace and marking it leaves an empty folder named with its PID:
    removed when that process is gone here. Only an empty folder is removed (rmdir refuses any other)."""
    pid_text = suffix.split("-", 1)[0]
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return
    try:
        os.kill(int(pid_text), 0)
        return  # alive (or another host's run): not ours to touch
    except ProcessLookupError:
        pass
    except (PermissionError, OverflowError):
        return
    try:
        if not work.is_symlink():
            work.rmdir()
    except OSError:
        pass


def _record(work: Path) -> dict | None:
    """The workspace's marker record, or None when `work` is not a workspace of this tool."""
    marker = work / MARKER
    try:
        if work.is_symlink() or not work.is_dir() or marker.is_symlink() or marker.stat().st_size > _MARKER_MAX_BYTES:
            return None
        record = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("tool") == "allocator" else None


def _dead(record: dict) -> bool:
    """True only when the run that made the workspace is known to have ended (same host, process gone)."""
    pid = record.get("pid")
    if record.get("host") != socket.gethostname() or not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
