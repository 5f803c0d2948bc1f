"""Side-by-side comparison of plans: totals, attainment, breakdowns, binding limits and the inputs that differ.

Each input is a scenario file (solved here) or a folder written by
`allocator solve` (read back). Every figure is given per plan and as the
difference from the first plan: `comparison.csv` holds the numbers in long form
(float columns, written at full precision like every other CSV), and
`differences.csv` what is not a number (statuses, notes, limits that bind in
some plans only, inputs that differ).

From a plan folder only allocation.csv is trusted, once it parses and passes
`verify` against its scenario: totals, breakdowns, targets and the objective
are derived from it here, never read from by_*.csv, targets.csv or run.json,
which a hand edit could change without changing the plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solvers import SolveOptions, Status
from solvers.warm import warmed

from allocator.analysis.solution import Plan
from allocator.errors import InputError, PlanFolderError, Text, UsageError
from allocator.history.targets import history_targets
from allocator.io.output import plan_inputs, prepare_target, write_folder
from allocator.io.run_record import read_run_record
from allocator.scenario.loader import load_scenario
from allocator.model.build import build_model
from allocator.plan.tables import DIMENSIONS, RowIndex, _ratio, breakdown, named_lines, targets_table
from allocator.scenario.objectives import OBJECTIVE_NAMES
from allocator.scenario.schema import Scenario
from allocator.plan.verify import REQUIRED_COLUMNS, read_plan_table
from allocator.plan.verify_replan import verify_recorded
from allocator.plan.verify_files import objective_from_allocation
from allocator.whatif.compare_text import summary_lines

TOTALS = ["spend", "revenue_total", "revenue", "baseline_revenue", "new_customers", "leads", "customers"]
BREAKDOWNS = DIMENSIONS
NAME_COLUMNS = ["channel", "group", "tier", "kind", "product", "stage", "period", "name", "target"]
# The CSVs of a plan folder the comparison reads: (columns, of which numbers). Everything else it shows is
# derived from the verified allocation.
FOLDER_TABLES = {
    "allocation": (REQUIRED_COLUMNS, REQUIRED_COLUMNS[4:]),
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
    objective_kind: str = ""  # what `objective` measures (max_revenue, min_spend, ...)
    solver: str = ""


@dataclass(frozen=True)
class Comparison:
    """Plans side by side: `table` (comparison.csv: the numbers, long form, one float column per plan and
    per difference), `differences` (differences.csv: statuses, notes, binding flips, inputs), labels, statuses."""

    table: pd.DataFrame
    differences: pd.DataFrame
    labels: list[str]
    statuses: list[str]
    record: dict = field(default_factory=dict)  # what run.json records
    inputs: list[Path] = field(default_factory=list)  # what an output folder must not hold

    def summary(self) -> list[str]:
        """The lines `allocator compare` prints: totals and attainment per plan, inputs and limits that differ."""
        return summary_lines(self.table, self.differences, self.labels, self.record.get("currency", ""))

    def write(self, folder: str | Path, force: bool = False) -> list[str]:
        """Write comparison.csv, differences.csv and run.json into `folder`, all at once or none."""
        write_folder(Path(folder), {"comparison": self.table, "differences": self.differences}, self.record,
                     inputs=self.inputs, force=force)
        return FILES


FILES = ["comparison.csv", "differences.csv", "run.json"]


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
    options = warmed(options or SolveOptions())  # scenario files after the first re-solve from its basis (HiGHS)
    views = [view_of(p, solver, options, allow_outside) for p in plans]
    labels = unique_labels(views)
    record = {"plans": [p.scenario.name if isinstance(p, Plan) else str(Path(p).absolute()) for p in plans],
              "labels": labels, "statuses": [v.status for v in views],
              "currency": next((v.scenario.currency for v in views if v.scenario is not None), "")}
    numbers, differences = comparison_tables(views)
    comparison = Comparison(numbers, differences, labels, [v.status for v in views], record, inputs)
    if out is not None:
        comparison.write(out, force)
    return comparison


def view_of(source: Path | Plan, solver: str, options: SolveOptions, allow_outside: tuple | list = ()) -> PlanView:
    """A solved plan from a scenario file (solving it), a plan folder or a `Plan`."""
    if isinstance(source, Plan):
        return PlanView(source.scenario.name, source.status, source.objective, source.tables, source.scenario,
                        objective_kind=source.objective_kind, solver=source.solver)
    source = Path(source)
    if source.is_dir():
        return _read_folder(source, allow_outside)
    from allocator.solving.pipeline import solve_file

    solved = solve_file(source, solver=solver, options=options, allow_outside=allow_outside)
    plan = solved.plan
    return PlanView(source.stem, plan.status.value, plan.objective, dict(plan.tables), solved.loaded.scenario,
                    objective_kind=plan.objective_kind, solver=plan.solver)


def _read_folder(folder: Path, allow_outside: tuple | list = ()) -> PlanView:
    """A plan folder read back with the checks `verify` makes; its numbers are verified against its
    scenario when that is still the one run.json hashed (a hand-edited number is refused, not compared).
    Every number shown is derived from allocation.csv (see the module's docstring)."""
    run_file = folder / "run.json"
    run = read_run_record(folder)  # size, nesting, UTF-8 and object checked there
    if run is None:
        raise PlanFolderError(folder, "", Text("a folder without run.json"), "a scenario file or a folder written by allocator solve")
    _check_run(run_file, run)
    has_plan = run.get("status") in {s.value for s in Status if s.has_solution}  # no plan: nothing to verify
    tables = {}
    for stem, (required, numeric) in FOLDER_TABLES.items():
        path = folder / f"{stem}.csv"
        if path.is_file():
            _check_rectangular(path)
            tables[stem] = read_plan_table(path, required, numeric, NAME_COLUMNS)
        elif has_plan and stem == "allocation":
            raise PlanFolderError(path, "", Text("no such file"), "the allocation.csv of the plan run.json says was solved")
    scenario, note = _scenario_of(run, folder, allow_outside)
    objective = None
    if scenario is not None and "allocation" in tables and has_plan:
        report = verify_recorded(scenario, tables["allocation"], folder, run)  # a re-plan: against its actuals
        if not report.ok:
            raise PlanFolderError(folder / "allocation.csv", "", Text(
                f"{len(report.violations)} violation(s) of its scenario, first {report.violations[0]}"),
                "a plan that passes `allocator verify` (its numbers were changed after the solve)")
    elif "allocation" in tables and has_plan:
        note = note.replace("are not compared", "are not compared and its numbers are not verified")
    if "allocation" in tables and has_plan:
        kind = run.get("objective_kind") or (scenario.objective if scenario is not None else None)
        tables.update(derived_tables(tables["allocation"], scenario))
        objective = objective_from_allocation(tables["allocation"], kind, scenario)
    kind = run.get("objective_kind") or (scenario.objective if scenario is not None else "")
    return PlanView(folder.name, run.get("status", "unknown"), objective, tables, scenario, note,
                    objective_kind=str(kind or ""), solver=str(run.get("solver") or ""))


def _check_rectangular(path: Path) -> None:
    """Every line of a plan CSV has as many cells as its header: pandas fills a short row with blanks
    (and takes a long first row's extra cell for an index), so a ragged row would be read as another plan."""
    import csv

    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = csv.reader(handle)
            width = len(next(rows, []))
            for number, row in enumerate(rows, start=2):
                if len(row) != width:
                    raise PlanFolderError(path, f"line {number}", Text(f"{len(row)} cells"),
                                          f"{width} cells, as many as the header has")
    except (UnicodeDecodeError, csv.Error):
        return  # read_plan_table says what is wrong with the file as a whole


def derived_tables(allocation: pd.DataFrame, scenario: Scenario | None) -> dict[str, pd.DataFrame]:
    """The breakdowns (and, with its scenario, the targets) of a plan, summed from its allocation rows
    the way `allocator solve` sums them (so a folder and the same plan solved here agree to the bit)."""
    tables = {}
    codes = {}
    for dim, stem in BREAKDOWNS.items():
        codes[dim], names = pd.factorize(allocation[dim].astype(str))
        tables[stem] = breakdown(allocation, dim, codes[dim], np.asarray(names, dtype=object))
    if scenario is not None:  # the allocation passed verify: every name is the scenario's
        model = build_model(scenario)
        dims = model.cells.dims
        lists = {"channel": dims.channels, "tier": dims.tiers, "product": dims.products, "period": dims.periods}
        index = RowIndex(**{dim: allocation[dim].astype(str).map({n: i for i, n in enumerate(names)}).to_numpy(dtype=int)
                            for dim, names in lists.items()})
        tables["targets"] = targets_table(model, allocation, index)
        if scenario.budget.lines:
            tables["lines"] = named_lines(model, allocation, index)
    return tables


def _check_run(run_file: Path, run) -> None:
    """run.json holds an object whose status, objective and scenario have the types `allocator solve` writes."""
    if not isinstance(run, dict):
        raise PlanFolderError(run_file, "", Text(f"a JSON {type(run).__name__}"), "a JSON object (the run.json written by allocator solve)")
    statuses = [status.value for status in Status]
    if "status" in run and run["status"] not in statuses:  # never shown as given: it may be anything
        raise PlanFolderError(run_file, "status", Text("a status allocator does not write"), ", ".join(statuses))
    kind = run.get("objective_kind")
    if kind is not None and kind not in OBJECTIVE_NAMES:
        raise PlanFolderError(run_file, "objective_kind", Text("an unknown objective"), ", ".join(OBJECTIVE_NAMES))
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
        loaded = history_targets(load_scenario(scenario_file, [str(o) for o in recorded.get("overrides") or []],
                                               allow_outside))  # growth targets: as the plan was solved with them
    except InputError:  # the scenario, or the history file it names
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


def comparison_tables(views: list[PlanView]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(numbers, differences): comparison.csv, whose plan and delta columns are floats (NaN where a plan has
    no such figure), and differences.csv, whose plan columns are text and flags."""
    labels = unique_labels(views)
    numbers: list[tuple[str, str, str, list]] = []
    texts: list[tuple[str, str, str, list]] = []

    numbers.append(("totals", "plan", "objective", [v.objective for v in views]))
    for metric in TOTALS:
        numbers.append(("totals", "plan", metric, [_total(v, metric) for v in views]))
    numbers.append(("totals", "plan", "roi", [_ratio(_total(v, "revenue"), _total(v, "spend")) for v in views]))
    for target in _union(v.tables.get("targets", pd.DataFrame()).get("target", pd.Series(dtype=str)) for v in views):
        for metric in ("attainment", "achieved"):
            numbers.append(("targets", target, metric, [_lookup(v, "targets", "target", target, metric) for v in views]))
    for name in _union(v.tables.get("lines", pd.DataFrame()).get("line", pd.Series(dtype=str)) for v in views):
        for metric in ("spend", "new_customers", "revenue", "roi"):  # what each budget line buys
            numbers.append(("lines", name, metric, [_lookup(v, "lines", "line", name, metric) for v in views]))
    for dim, stem in BREAKDOWNS.items():
        for name in _union(v.tables.get(stem, pd.DataFrame()).get(dim, pd.Series(dtype=str)) for v in views):
            for metric in ("spend", "revenue_total"):
                numbers.append((dim, name, metric, [_lookup(v, stem, dim, name, metric) for v in views]))

    texts.append(("totals", "plan", "status", [v.status for v in views]))
    texts.append(("totals", "plan", "objective_kind", [v.objective_kind for v in views]))
    texts.append(("totals", "plan", "solver", [v.solver for v in views]))
    binding = [_binding(v) for v in views]
    for name in sorted(set().union(*binding)):
        flags = [name in b for b in binding]
        if len(set(flags)) > 1:
            texts.append(("binding", name, "binding", flags))
    if any(v.note for v in views):
        texts.append(("notes", "plan", "note", [v.note for v in views]))
    flat = [_flatten(v.scenario.model_dump()) if v.scenario is not None else None for v in views]
    if all(f is not None for f in flat):
        for path in sorted(set().union(*(f.keys() for f in flat))):
            values = [f.get(path) for f in flat]
            if len({json.dumps(x, sort_keys=True, default=str) for x in values}) > 1:
                texts.append(("parameters", path, "value", [_text(x) for x in values]))
    return _number_frame(numbers, labels), _text_frame(texts, labels)


def _number_frame(records: list, labels: list[str]) -> pd.DataFrame:
    """Float columns throughout, so that csvwrite writes each value at full precision, as a number."""
    keys = pd.DataFrame([r[:3] for r in records], columns=["section", "item", "metric"], dtype=object)
    values = np.array([[np.nan if x is None else float(x) for x in r[3]] for r in records], dtype=float)
    values = values.reshape(len(records), len(labels))
    columns = {label: values[:, i] for i, label in enumerate(labels)}
    columns.update({f"delta_{label}": values[:, i] - values[:, 0] for i, label in enumerate(labels) if i})
    return pd.concat([keys, pd.DataFrame(columns)], axis=1)


def _text_frame(records: list, labels: list[str]) -> pd.DataFrame:
    rows = [{"section": section, "item": item, "metric": metric, **dict(zip(labels, values))}
            for section, item, metric, values in records]
    return pd.DataFrame(rows, columns=["section", "item", "metric", *labels])


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
    return set() if table is None else binding_names(table)


def binding_names(table: pd.DataFrame) -> set[str]:
    """The binding limits of a constraints table by name (rows that only define a total are no limit)."""
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
