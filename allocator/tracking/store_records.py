"""What the run store hands back (`RunRecord`, `Approval`, `FileEntry`) and what it works out before it
records a run: the quarter of a scenario's periods, the SHA-256 of a folder's files, who is running."""

from __future__ import annotations

import csv
import getpass
import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from allocator.io.provenance import file_sha256
from allocator.scenario.periods import first_and_last_day

KINDS = ("solve", "replan", "track")
# The statuses under which a run holds a plan that can be approved (solvers.Status.has_solution).
PLAN_STATUSES = ("optimal", "time_limit_with_solution")
QUARTER_SHARE = 0.9  # of a plan's days, in one calendar quarter, for the plan to be that quarter's
MAX_TARGETS = 10_000  # rows of targets.csv kept with a run (a plan has tens)


@dataclass(frozen=True)
class FileEntry:
    """A file a run read or wrote: its role (``scenario``, ``extends``, ``table:funnel``..., ``output``),
    its path (absolute for an input, relative to the run's folder for an output) and its SHA-256."""

    role: str
    path: str
    sha256: str


@dataclass(frozen=True)
class RunRecord:
    """One recorded run, as the store holds it. `id` is ``<counter>-<first 8 hex of its digest>``;
    `created_at` is UTC (ISO 8601); money in `totals` and `objective` is in the scenario's currency."""

    id: str
    seq: int
    kind: str
    created_at: str
    who: str
    scenario_name: str
    quarter: str
    periods: tuple[str, ...]
    status: str
    objective: float | None
    objective_kind: str
    solver: str
    versions: dict = field(default_factory=dict)
    overrides: tuple[str, ...] = ()
    totals: dict = field(default_factory=dict)
    targets: tuple[dict, ...] = ()  # {target, committed, achieved, attainment, met} per row of targets.csv
    inputs: tuple[FileEntry, ...] = ()
    outputs: tuple[FileEntry, ...] = ()
    folder: Path = Path()
    note: str = ""

    @property
    def has_plan(self) -> bool:
        """Whether the run holds a plan (optimal, or a solution at the time limit)."""
        return self.status in PLAN_STATUSES

    def folder_changes(self) -> list[str]:
        """How the output folder differs from what was recorded: one line per file changed, gone or
        added, or one line when the folder itself is gone (moved or deleted). Empty: as recorded."""
        if not self.folder.is_dir():
            return [f"{self.folder}: not there any more (moved or deleted)"]
        now = {entry.path: entry.sha256 for entry in hash_folder(self.folder)}
        return _differences({e.path: e.sha256 for e in self.outputs}, now, lambda name: f"{self.folder / name}")

    def input_changes(self) -> list[str]:
        """The scenario files (scenario, extends: bases, file: tables) that differ now from when the run
        was recorded, one line each."""
        recorded = {entry.path: entry.sha256 for entry in self.inputs}
        now = {path: file_sha256(Path(path)) for path in recorded}
        return _differences(recorded, {p: h for p, h in now.items() if h is not None}, str, added=False)


@dataclass(frozen=True)
class Approval:
    """One approval: run `run_id` became the reference plan of `quarter` (until a later approval)."""

    number: int
    run_id: str
    quarter: str
    approved_at: str
    who: str
    note: str


def _differences(recorded: dict, now: dict, name, added: bool = True) -> list[str]:
    lines = [f"{name(path)}: changed since it was recorded" for path in sorted(recorded)
             if path in now and now[path] != recorded[path]]
    lines += [f"{name(path)}: missing (recorded with the run)" for path in sorted(set(recorded) - set(now))]
    if added:
        lines += [f"{name(path)}: added after the run was recorded" for path in sorted(set(now) - set(recorded))]
    return lines


def hash_folder(folder: Path) -> list[FileEntry]:
    """Every file under `folder` (relative POSIX paths, sorted) with its SHA-256; hidden entries (the
    staging workspaces of a run being written) are left out."""
    entries = []
    for path in sorted(Path(folder).rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        digest = file_sha256(path)
        if digest is not None:
            entries.append(FileEntry("output", relative.as_posix(), digest))
    return entries


def targets_in(folder: Path) -> list[dict]:
    """Each target of FOLDER/targets.csv: its name, committed, achieved and attainment (floats, None
    when not a number) and met; empty when the folder has no readable targets.csv."""
    try:
        with open(Path(folder) / "targets.csv", newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))[:MAX_TARGETS]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    return [{"target": str(row.get("target") or ""), "committed": _float(row.get("committed")),
             "achieved": _float(row.get("achieved")), "attainment": _float(row.get("attainment")),
             "met": str(row.get("met") or "")} for row in rows]


def _float(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def quarter_of(periods: list[str], name: str) -> str:
    """The quarter a plan covers: ``2027-Q1`` when one calendar quarter holds at least `QUARTER_SHARE` of
    the plan's days (a 13-week ISO quarter, 2027-W01..W13, ends on 4 April); else the span of the
    quarters its days touch, ``2027-Q1..2027-Q2``; the scenario's name when it has no periods."""
    days: Counter = Counter()
    for period in periods:
        try:
            first, last = first_and_last_day(period)
        except (ValueError, IndexError):  # not a month or an ISO week: name the quarter by the scenario
            return name
        day = first
        while day <= last:
            days[f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"] += 1
            day += timedelta(days=1)
    if not days:
        return name
    quarter, count = days.most_common(1)[0]
    return quarter if count >= QUARTER_SHARE * sum(days.values()) else f"{min(days)}..{max(days)}"


def who_is_running() -> str:
    """``user@host`` of this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return f"{user}@{socket.gethostname()}"


def utc_now() -> str:
    """Now, UTC, ISO 8601 to the second (``2027-01-05T09:30:00+00:00``)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
