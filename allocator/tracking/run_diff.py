"""Two recorded runs side by side (`allocator runs diff`): totals, targets, the files that differ, the
inputs that differ.

When both output folders are still where they were recorded and hold plans, the plans are compared by
`allocator.whatif.compare` (every number derived from each verified allocation.csv, targets and the
scenario parameters that differ included). Otherwise, or when that comparison refuses a folder, the
comparison falls back to what the store holds (headline totals, status, solver and versions, overrides)
and says why. Files and inputs are always compared by the SHA-256 recorded with each run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from allocator.errors import InputError
from allocator.plan.words import figure
from allocator.tracking.store import Store
from allocator.tracking.store_records import RunRecord


@dataclass(frozen=True)
class RunDiff:
    """`first` and `second` compared: `totals` rows (metric, first, second), `targets` rows (target,
    attainment first, attainment second, as recorded from targets.csv), `files` and `inputs` (one line
    each that differs), `settings` (status, solver, versions, overrides that differ), `compared` (the
    whatif comparison's lines, when the folders could be compared) and `note` (why not)."""

    first: RunRecord
    second: RunRecord
    totals: list[tuple[str, float | None, float | None]]
    targets: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    compared: list[str] = field(default_factory=list)
    note: str = ""

    def lines(self) -> list[str]:
        """What `allocator runs diff` prints."""
        a, b = self.first, self.second
        out = [f"A = run {a.id} ({a.kind}, {a.created_at}, {a.scenario_name}): {a.folder}",
               f"B = run {b.id} ({b.kind}, {b.created_at}, {b.scenario_name}): {b.folder}"]
        if self.compared:
            out += ["", "Plans compared from their folders (A is the first column):", *self.compared]
        else:
            width = max([22] + [len(row[0]) + 4 for row in self.totals + self.targets])
            out += ["", f"{'':<{width}}{'A':>16}{'B':>16}{'B - A':>16}"]
            out += [f"{name:<{width}}{_cell(x):>16}{_cell(y):>16}{_delta(x, y):>16}" for name, x, y in self.totals]
            if self.targets:
                out += ["", "Target attainment:"]
                out += [f"  {name:<{width - 2}}{_cell(x, True):>16}{_cell(y, True):>16}"
                        for name, x, y in self.targets]
        if self.note:
            out += ["", f"note: {self.note}"]
        for title, rows in (("Settings that differ", self.settings), ("Inputs that differ", self.inputs),
                            ("Output files that differ", self.files)):
            out += ["", f"{title} ({len(rows)}):", *[f"  {row}" for row in rows]] if rows else ["", f"{title}: none"]
        return out


def diff_runs(store: Store, first_id: str, second_id: str) -> RunDiff:
    """Compare two recorded runs (see the module docstring)."""
    first, second = store.get(first_id), store.get(second_id)
    totals = [(name, _number(first.totals.get(name)), _number(second.totals.get(name)))
              for name in _keys(first.totals, second.totals)]
    totals.insert(0, ("objective", first.objective, second.objective))
    compared, note = _compare_folders(first, second)
    return RunDiff(first, second, totals, _targets(first, second), _entry_differences(first.outputs, second.outputs, by_path=True),
                   _entry_differences(first.inputs, second.inputs, by_path=False), _settings(first, second),
                   compared, note)


def _compare_folders(first: RunRecord, second: RunRecord) -> tuple[list[str], str]:
    """The whatif comparison's lines for two plan folders, or why they could not be compared."""
    notes = []  # each run's reason: a folder gone from B matters as much as an extra file in A
    for run in (first, second):
        changes = run.folder_changes()
        if changes:
            notes.append(f"run {run.id}'s folder is not as recorded ({changes[0]})")
        elif run.kind == "track":
            notes.append(f"run {run.id} is a track run, not a plan")
    if notes:
        return [], "; ".join(notes) + "; totals are the store's"
    from allocator.whatif.compare import compare_plans

    try:
        comparison = compare_plans([first.folder, second.folder])
    except InputError as exc:
        return [], f"the folders could not be compared ({exc}); totals are the store's"
    return comparison.summary(), ""


def _targets(first: RunRecord, second: RunRecord) -> list[tuple[str, float | None, float | None]]:
    a = {row["target"]: row.get("attainment") for row in first.targets}
    b = {row["target"]: row.get("attainment") for row in second.targets}
    return [(name, a.get(name), b.get(name)) for name in _keys(a, b)]


def _entry_differences(a_entries, b_entries, by_path: bool) -> list[str]:
    """Files whose recorded SHA-256 differs, or that only one run has. Outputs are matched by their name
    in the folder; inputs by their role (scenario, extends, table:funnel...) and path."""
    key = (lambda e: e.path) if by_path else (lambda e: f"{e.role} {e.path}")
    a = {key(e): e.sha256 for e in a_entries}
    b = {key(e): e.sha256 for e in b_entries}
    lines = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            lines.append(f"{name}: only in A")
        elif name not in a:
            lines.append(f"{name}: only in B")
        elif a[name] != b[name]:
            lines.append(f"{name}: differs (sha256 {a[name][:12]} -> {b[name][:12]})")
    return lines


def _settings(first: RunRecord, second: RunRecord) -> list[str]:
    pairs = [("kind", first.kind, second.kind), ("status", first.status, second.status),
             ("objective_kind", first.objective_kind, second.objective_kind),
             ("solver", first.solver, second.solver), ("quarter", first.quarter, second.quarter),
             ("overrides", "; ".join(first.overrides) or "-", "; ".join(second.overrides) or "-")]
    pairs += [(f"version {name}", first.versions.get(name, "-"), second.versions.get(name, "-"))
              for name in _keys(first.versions, second.versions)]
    return [f"{name}: {x} -> {y}" for name, x, y in pairs if x != y]


def _keys(a: dict, b: dict) -> list[str]:
    return list(a) + [k for k in b if k not in a]


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _cell(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if percent else figure(value)


def _delta(x: float | None, y: float | None) -> str:
    return "-" if x is None or y is None else ("+" if y - x > 0 else "") + figure(y - x)
