"""The run store's approved runs in the workspace: listed, and opened as the base of a what-if session.

A run opens as `allocator solve` made it: its scenario file with its recorded --set overrides (and its
objective), the base solved cold by `allocator.Session(path, set=overrides)`. Only a solve run whose
scenario file lies in a folder the workspace serves can be opened (checked by `Folders.scenario`, as a
scenario the browser names); any other is listed with the reason in words. When the run's inputs in the
served folders no longer match the SHA-256 the store recorded (as `allocator runs show` compares them),
the listing and the opened run say so; the run still opens, labelled.

The browser names a run as ``run/<id>`` where it names a scenario ("0/example_q1.yaml"); every endpoint
that takes a scenario takes a run the same way.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from allocator.errors import InputError, Text, UsageError
from allocator.web.folders import Folders, ScenarioRef
from allocator.web.variants import Solved, Variants

RUN_ID = re.compile(r"^run/(\d{1,12}-[0-9a-f]{8})$")


@dataclass(frozen=True)
class RunRef(ScenarioRef):
    """An approved run opened in the workspace: its scenario (`folder`, `name`) and how the run solved it."""

    run: str = ""
    overrides: tuple[str, ...] = ()
    objective: str | None = None


def is_run(scenario_id) -> bool:
    return isinstance(scenario_id, str) and scenario_id.startswith("run/")


class RunVariants(Variants):
    """`Variants`, where a run's sessions are opened with the run's overrides and objective."""

    def _open_session(self, ref: ScenarioRef):
        if not isinstance(ref, RunRef):
            return super()._open_session(ref)
        from allocator.api import Session

        return Session(ref.path, solver=self.solver, set=list(ref.overrides), objective=ref.objective)


def as_saved(solved: Solved) -> Solved:
    """The variant as a file saves it: a run's variant names the run's overrides first, then its levers."""
    if not isinstance(solved.ref, RunRef):
        return solved
    changes = dict(line.partition("=")[::2] for line in solved.ref.overrides)
    changes.update(solved.changes)
    return replace(solved, changes=tuple(changes.items()), extra={})


class Runs:
    """The approved runs of the store given to `allocator serve --store`, as the page lists and opens them."""

    def __init__(self, folders: Folders, store: str | None):
        self.folders = folders
        self.store = store
        self._opened: dict[str, tuple[RunRef, dict]] = {}
        self._lock = threading.Lock()

    def listing(self) -> dict:
        """Every approved run (newest approval first): what it is, and whether and how it can be opened."""
        if not self.store:
            return {"available": False, "reason": "no run store given (allocator serve ... --store PATH)", "runs": []}
        import allocator

        with allocator.open_store(self.store) as opened:
            approvals = opened.approvals()
            records = {a.run_id: opened.get(a.run_id) for a in approvals}
        current = {}
        for approval in approvals:
            current.setdefault(approval.quarter, approval.run_id)
        shown, seen = [], set()
        for approval in approvals:
            if approval.run_id not in seen:
                seen.add(approval.run_id)
                _, about = self._describe(records[approval.run_id], approval,
                                          current[approval.quarter] == approval.run_id)
                shown.append(about)
        if not shown:
            return {"available": False, "reason": "the run store holds no approved run (allocator runs approve RUN)",
                    "runs": []}
        return {"available": True, "reason": "", "runs": shown}

    def ref(self, scenario_id) -> RunRef:
        """The run the browser named (kept once opened), or UsageError (one line) for anything else."""
        key = self._key(scenario_id)
        with self._lock:
            if key in self._opened:
                return self._opened[key][0]
        return self.open(scenario_id)

    def open(self, scenario_id) -> RunRef:
        """The run the browser named, read from the store afresh: an approved run that can be opened."""
        key = self._key(scenario_id)
        if not self.store:
            raise UsageError("run", "", Text(key), "a run of the store (allocator serve ... --store PATH)")
        import allocator

        with allocator.open_store(self.store) as opened:
            try:
                record = opened.get(key)
            except InputError:
                record = None
            mine = [a for a in opened.approvals(record.quarter) if a.run_id == key] if record else []
            current = bool(mine) and opened.approved(record.quarter).id == key
        if not mine:
            raise UsageError("run", "", Text(key), "one of the approved runs the workspace lists")
        ref, about = self._describe(record, mine[0], current)
        if ref is None:
            raise UsageError("run", key, Text(about["reason"]), "a run whose scenario the workspace serves")
        with self._lock:
            self._opened[key] = (ref, about)
        return ref

    def about(self, ref: ScenarioRef) -> dict | None:
        """What the page says of an opened run (None for a scenario)."""
        if not isinstance(ref, RunRef):
            return None
        with self._lock:
            return self._opened[ref.run][1]

    @staticmethod
    def _key(scenario_id) -> str:
        found = RUN_ID.match(scenario_id) if isinstance(scenario_id, str) else None
        if found is None:
            raise UsageError("run", "", Text(str(scenario_id)[:80]), "one of the approved runs the workspace lists")
        return found.group(1)

    def _describe(self, record, approval, current: bool) -> tuple[RunRef | None, dict]:
        """(the run's ref, or None when it cannot be opened; what the page shows of it)."""
        from allocator.plan.words import figure

        ref, reason = self._openable(record)
        changed = self._changes(record) if ref is not None else []
        totals = record.totals
        about = {
            "id": f"run/{record.id}", "run": record.id, "scenario_name": record.scenario_name,
            "file": ref.name if ref else "", "quarter": record.quarter, "overrides": list(record.overrides),
            "approved_at": approval.approved_at, "approved_by": approval.who, "note": approval.note,
            "current": current, "revenue": figure(totals["revenue_total"]) if "revenue_total" in totals else "-",
            "spend": figure(totals["spend"]) if "spend" in totals else "-", "totals": totals,
            "openable": ref is not None, "reason": reason, "changed": changed,
            "warning": f"the scenario changed since run {record.id} was approved" if changed else ""}
        return ref, about

    def _openable(self, record) -> tuple[RunRef | None, str]:
        if record.kind != "solve":
            return None, (f"a {record.kind} run: its plan comes from actuals as well as its scenario, "
                          "so it cannot be re-solved here (open its scenario instead)")
        entry = next((e for e in record.inputs if e.role == "scenario"), None)
        if entry is None:
            return None, "the store records no scenario file for this run"
        path = Path(entry.path)
        folder = path.parent.resolve()
        if folder not in self.folders.folders:
            return None, (f"its scenario {path} lies outside the folders this workspace serves "
                          "(serve a scenario of that folder to open it)")
        try:
            scenario = self.folders.scenario(f"{self.folders.folders.index(folder)}/{path.name}")
        except UsageError:
            return None, f"its scenario {path.name} is no longer a scenario file in {folder}"
        ref = RunRef(f"run/{record.id}", scenario.folder, scenario.name, record.id, tuple(record.overrides),
                     record.objective_kind or None)
        return ref, ""

    def _changes(self, record) -> list[str]:
        """The run's input files in the served folders whose bytes differ now from what the store recorded."""
        from allocator.io.provenance import file_sha256

        lines = []
        for entry in record.inputs:
            path = Path(entry.path)
            if not any(path.resolve().is_relative_to(folder) for folder in self.folders.folders):
                continue  # the workspace reads nothing outside its folders
            now = file_sha256(path)
            if now is None:
                lines.append(f"{path.name}: missing (recorded with the run)")
            elif now != entry.sha256:
                lines.append(f"{path.name}: changed since it was recorded (sha256 {entry.sha256[:12]} -> {now[:12]})")
        return lines
