"""Side-by-side comparison of plans: totals, attainment, breakdowns, binding limits and the inputs that differ.

Each input is a scenario file (solved here) or a folder written by
`allocator solve` (read back). Every figure is given per plan and as the
difference from the first plan; `comparison.csv` holds them all in long form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solvers import SolveOptions, Status

from allocator.analysis.solution import Plan
from allocator.errors import PlanFolderError, ScenarioError, Text, UsageError
from allocator.io.output import plan_inputs, prepare_target, write_folder
from allocator.scenario.loader import load_scenario
from allocator.plan.tables import _ratio
from allocator.scenario.schema import Scenario
from allocator.plan.verify import REQUIRED_COLUMNS, read_plan_table, verify

TOTALS = ["spend", "revenue_total", "revenue", "baseline_revenue", "new_customers", "leads", "customers"]
BREAKDOWNS = {"channel": "by_channel", "tier": "by_tier", "product": "by_product", "period": "by_period"}
NAME_COLUMNS = ["channel", "group", "tier", "kind", "product", "stage", "period", "name", "target"]
# What each CSV of a plan folder must hold for the comparison: (columns, of which numbers).
FOLDER_TABLES = {
    "allocation": (REQUIRED_COLUMNS, REQUIRED_COLUMNS[4:]),
    **{stem: ([dim, "spend", "revenue_total"], ["spend", "revenue_total"]) for dim, stem in BREAKDOWNS.items()},
    "targets": (["target", "achieved"], ["achieved"]),
    "constraints": (["name", "binding"], []),
}


@dataclass(frozen=True)
class PlanView:
    label: str
    status: str
    objective: float | None
    tables: dict[str, pd.DataFrame]
    scenario: Scenario | None
    note: str = ""  # why the plan's inputs cannot be compared, when they cannot


@dataclass(frozen=True)
class Comparison:
    """Plans side by side: `table` (comparison.csv, long form), the plans' labels and statuses."""

    table: pd.DataFrame
    labels: list[str]
    statuses: list[str]
    record: dict = field(default_factory=dict)  # what run.json records
    inputs: list[Path] = field(default_factory=list)  # what an output folder must not hold

    def summary(self) -> list[str]:
        """The lines `allocator compare` prints: totals and attainment per plan, inputs and limits that differ."""
        return summary_lines(self.table, self.labels)

    def write(self, folder: str | Path, force: bool = False) -> list[str]:
        """Write comparison.csv and run.json into `folder`, all at once or none."""
        write_folder(Path(folder), {"comparison": self.table}, self.record, inputs=self.inputs, force=force)
        return ["comparison.csv", "run.json"]


def compare_plans(plans: list, solver: str = "cbc", options: SolveOptions | None = None,
                  allow_outside: tuple | list = (), out: Path | None = None, force: bool = False) -> Comparison:
    """Compare scenario files (solved here), plan folders and solved `Plan` objects; differences are against
    the first. With `out`, the folder is checked before any solve and comparison.csv written into it."""
    if len(plans) < 2:
        raise UsageError("compare", "PLANS", len(plans), "at least two scenario files or plan folders")
    paths = [p for p in plans if not isinstance(p, Plan)]
    inputs = plan_inputs(paths, allow_outside) if out is not None else []
    if out is not None:
        prepare_target(out, force, inputs + [i for p in plans if isinstance(p, Plan) for i in p.inputs()])
    views = [view_of(p, solver, options or SolveOptions(), allow_outside) for p in plans]
    labels = unique_labels(views)
    record = {"plans": [p.scenario.name if isinstance(p, Plan) else str(Path(p).absolute()) for p in plans],
              "labels": labels, "statuses": [v.status for v in views]}
    comparison = Comparison(comparison_table(views), labels, [v.status for v in views], record, inputs)
    if out is not None:
        comparison.write(out, force)
    return comparison


def view_of(source: Path | Plan, solver: str, options: SolveOptions, allow_outside: tuple | list = ()) -> PlanView:
    """A solved plan from a scenario file (solving it), a plan folder or a `Plan`."""
    if isinstance(source, Plan):
        return PlanView(source.scenario.name, source.status, source.objective, source.tables, source.scenario)
    source = Path(source)
    if source.is_dir():
        return _read_folder(source, allow_outside)
    from allocator.solving.pipeline import solve_file

    solved = solve_file(source, solver=solver, options=options, allow_outside=allow_outside)
    plan = solved.plan
    return PlanView(source.stem, plan.status.value, plan.objective, dict(plan.tables), solved.loaded.scenario)


def _read_folder(folder: Path, allow_outside: tuple | list = ()) -> PlanView:
    """A plan folder read back with the checks `verify` makes; its numbers are verified against its
    scenario when that is still the one run.json hashed (a hand-edited number is refused, not compared)."""
    run_file = folder / "run.json"
    if not run_file.is_file():
        raise PlanFolderError(folder, "", Text("a folder without run.json"), "a scenario file or a folder written by allocator solve")
    try:
        run = json.loads(run_file.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlanFolderError(run_file, "", Text(f"unreadable JSON ({exc.__class__.__name__})"),
                            "the run.json written by allocator solve") from None
    _check_run(run_file, run)
    tables = {}
    for stem, (required, numeric) in FOLDER_TABLES.items():
        path = folder / f"{stem}.csv"
        if path.is_file():
            tables[stem] = read_plan_table(path, required, numeric, NAME_COLUMNS)
    scenario, note = _scenario_of(run, folder, allow_outside)
    has_plan = run.get("status") in {s.value for s in Status if s.has_solution}  # no plan: nothing to verify
    if scenario is not None and "allocation" in tables and has_plan:
        report = verify(scenario, tables["allocation"])
        if not report.ok:
            raise PlanFolderError(folder / "allocation.csv", "", Text(
                f"{len(report.violations)} violation(s) of its scenario, first {report.violations[0]}"),
                "a plan that passes `allocator verify` (its numbers were changed after the solve)")
    elif "allocation" in tables and has_plan:
        note = note.replace("are not compared", "are not compared and its numbers are not verified")
    return PlanView(folder.name, run.get("status", "unknown"), run.get("objective"), tables, scenario, note)


def _check_run(run_file: Path, run) -> None:
    """run.json holds an object whose status, objective and scenario have the types `allocator solve` writes."""
    if not isinstance(run, dict):
        raise PlanFolderError(run_file, "", Text(f"a JSON {type(run).__name__}"), "a JSON object (the run.json written by allocator solve)")
    if not isinstance(run.get("status", ""), str):
        raise PlanFolderError(run_file, "status", Text(type(run["status"]).__name__), "a status such as optimal")
    objective = run.get("objective")
    if objective is not None and (isinstance(objective, bool) or not isinstance(objective, (int, float))):
        raise PlanFolderError(run_file, "objective", Text(type(objective).__name__), "a number or null")
    scenario = run.get("scenario")
    fields = (("file", str), ("file_from_plan", str), ("sha256", str), ("overrides", list))
    if scenario is not None and not (isinstance(scenario, dict) and all(
            scenario.get(key) is None or isinstance(scenario[key], kind) for key, kind in fields)):
        raise PlanFolderError(run_file, "scenario", Text("a changed record"),
                            "the object allocator solve writes (file, sha256 and overrides)")


def _scenario_of(run: dict, folder: Path, allow_outside: tuple | list = ()) -> tuple[Scenario | None, str]:
    """The scenario a plan folder was solved from, if its files are still the ones run.json hashed.

    Found at its recorded (absolute) path, or by its path from the plan folder when both have moved."""
    recorded = run.get("scenario") or {}
    candidates = [recorded.get("file"), recorded.get("file_from_plan") and str(folder / recorded["file_from_plan"])]
    scenario_file = next((c for c in candidates if c and Path(c).is_file()), None)
    if scenario_file is None:
        shown = recorded.get("file") or "(not recorded)"
        return None, f"scenario file {shown} not found: its inputs are not compared"
    try:
        loaded = load_scenario(scenario_file, [str(o) for o in recorded.get("overrides") or []], allow_outside)
    except ScenarioError:
        return None, f"{scenario_file} is no longer a valid scenario: its inputs are not compared"
    if recorded.get("sha256") and loaded.sha256 != recorded["sha256"]:
        return None, f"{scenario_file} changed since this plan was solved (SHA-256 differs from run.json): its inputs are not compared"
    return loaded.scenario, ""


def unique_labels(views: list[PlanView]) -> list[str]:
    labels, seen = [], {}
    for v in views:
        count = seen.get(v.label, 0) + 1
        seen[v.label] = count
        labels.append(v.label if count == 1 else f"{v.label}#{count}")
    return labels


def comparison_table(views: list[PlanView]) -> pd.DataFrame:
    labels = unique_labels(views)
    records: list[tuple[str, str, str, list]] = []

    def add(section, item, metric, values):
        records.append((section, item, metric, values))

    add("totals", "plan", "status", [v.status for v in views])
    add("totals", "plan", "objective", [v.objective for v in views])
    for metric in TOTALS:
        add("totals", "plan", metric, [_total(v, metric) for v in views])
    add("totals", "plan", "roi", [_ratio(_total(v, "revenue"), _total(v, "spend")) for v in views])

    for target in _union(v.tables.get("targets", pd.DataFrame()).get("target", pd.Series(dtype=str)) for v in views):
        add("targets", target, "attainment", [_lookup(v, "targets", "target", target, "attainment") for v in views])
        add("targets", target, "achieved", [_lookup(v, "targets", "target", target, "achieved") for v in views])

    for dim, stem in BREAKDOWNS.items():
        for name in _union(v.tables.get(stem, pd.DataFrame()).get(dim, pd.Series(dtype=str)) for v in views):
            for metric in ("spend", "revenue_total"):
                add(dim, name, metric, [_lookup(v, stem, dim, name, metric) for v in views])

    binding = [_binding(v) for v in views]
    for name in sorted(set().union(*binding)):
        flags = [name in b for b in binding]
        if len(set(flags)) > 1:
            add("binding", name, "binding", flags)

    if any(v.note for v in views):
        add("notes", "plan", "note", [v.note for v in views])
    flat = [_flatten(v.scenario.model_dump()) if v.scenario is not None else None for v in views]
    if all(f is not None for f in flat):
        for path in sorted(set().union(*(f.keys() for f in flat))):
            values = [f.get(path) for f in flat]
            if len({json.dumps(x, sort_keys=True, default=str) for x in values}) > 1:
                add("parameters", path, "value", [_text(x) for x in values])

    rows = []
    for section, item, metric, values in records:
        row = {"section": section, "item": item, "metric": metric}
        for label, value in zip(labels, values):
            row[label] = _rounded(value)
        for label, value in zip(labels[1:], values[1:]):
            row[f"delta_{label}"] = _rounded(_delta(values[0], value))
        rows.append(row)
    columns = ["section", "item", "metric", *labels, *[f"delta_{label}" for label in labels[1:]]]
    return pd.DataFrame(rows, columns=columns)


def _total(view: PlanView, metric: str) -> float:
    allocation = view.tables.get("allocation")
    if allocation is None or metric not in allocation.columns:
        return float("nan")
    return float(allocation[metric].sum())


def _lookup(view: PlanView, stem: str, key: str, name: str, metric: str):
    table = view.tables.get(stem)
    if table is None or key not in table.columns or metric not in table.columns:
        return float("nan")
    hit = table.loc[table[key].astype(str) == str(name), metric]
    return hit.iloc[0] if len(hit) else float("nan")


def _binding(view: PlanView) -> set[str]:
    table = view.tables.get("constraints")
    if table is None:
        return set()
    flags = table["binding"].astype(str).str.lower() == "true"
    kinds = table["kind"] if "kind" in table.columns else pd.Series("", index=table.index)
    return set(table.loc[flags & (kinds != "definition"), "name"])


def _union(series_list) -> list[str]:
    out: list[str] = []
    for series in series_list:
        for value in series.astype(str).tolist():
            if value not in out:
                out.append(value)
    return out


def _rounded(value):
    """Numbers as written elsewhere (4 decimals); text and flags as they are."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, bool):
        return "" if np.isnan(value) else f"{value:.4f}"
    return value


def _delta(first, value):
    if isinstance(first, (bool, np.bool_)) or isinstance(value, (bool, np.bool_)):
        return ""
    if isinstance(first, (int, float)) and isinstance(value, (int, float)) and first is not None and value is not None:
        return value - first
    return "" if first == value else "changed"


def _text(value) -> str:
    return json.dumps(value, default=str) if isinstance(value, (list, dict)) else ("" if value is None else str(value))


def _flatten(obj, prefix: str = "") -> dict:
    """Scenario fields by path: lists of named items are keyed by [name], others by [index]."""
    out = {}
    if isinstance(obj, dict):
        for key, value in obj.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) and "name" in x for x in obj):
        for item in obj:
            out.update(_flatten(item, f"{prefix}[{item['name']}]"))
    elif isinstance(obj, list) and obj and all(isinstance(x, dict) for x in obj):
        for i, item in enumerate(obj):
            out.update(_flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = obj
    return out


def summary_lines(table: pd.DataFrame, labels: list[str]) -> list[str]:
    width = max(14, *(len(label) for label in labels))
    head = f"{'':<34}" + "".join(f"{label:>{width + 2}}" for label in labels)
    lines = [head, "-" * len(head)]
    records = table.to_dict("records")
    for row in records:
        if row["section"] not in ("totals", "targets"):
            continue
        name = row["metric"] if row["section"] == "totals" else f"{row['item']} {row['metric']}"
        lines.append(f"{name[:34]:<34}" + "".join(f"{_cell(row[label]):>{width + 2}}" for label in labels))
    for row in records:
        if row["section"] == "notes":
            lines += [""] + [f"Note on {label}: {row[label]}" for label in labels if row[label]]
    changed = [row for row in records if row["section"] == "parameters"]
    if changed:
        lines += ["", f"Inputs that differ ({len(changed)}):"]
        lines += [f"  {row['item']}: " + " | ".join(_cell(row[label]) for label in labels) for row in changed[:15]]
    flips = [row for row in records if row["section"] == "binding"]
    if flips:
        lines += ["", f"Limits binding in some plans but not others ({len(flips)}):"]
        lines += [f"  {row['item']}: " + " | ".join("binding" if row[label] else "-" for label in labels)
                  for row in flips[:10]]
    return lines


def _cell(value) -> str:
    if isinstance(value, str):
        try:
            value = float(value) if value else float("nan")
        except ValueError:
            return value[:24]
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.floating)) and value is not None:
        if np.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"
    return str(value)[:24]
