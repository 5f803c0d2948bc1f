"""A plan as the report reads it: every table at full precision, run.json, the scenario as entered.

Read from a plan folder (`read_plan_folder`, with the checks `compare` makes:
run.json's shape, each CSV rectangular with finite numbers where numbers
belong, and the allocation verified against its scenario when that is still
the file run.json hashed) or taken from a plan solved in this process
(`from_plan`, for `solve --report`). Either way the report shows exactly the
numbers the CSVs hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from allocator.errors import PlanFolderError, Text
from allocator.io.run_record import read_run_record
from allocator.plan.display import Style
from allocator.plan.units import COLUMN_KINDS
from allocator.plan.verify import read_plan_table
from allocator.plan.verify_replan import verify_recorded
from allocator.whatif.compare import _check_rectangular, _check_run, _scenario_of

# The CSVs a report shows, in the order its sections and the workbook's sheets follow.
PLAN_TABLES = ("allocation", "by_channel", "by_period", "weekly", "by_tier", "by_product", "targets", "milestones",
               "checks", "lines", "budget_lines", "shortfalls", "diagnosis", "sensitivity", "marginal", "constraints")
# Tables of other commands' folders a report can show beside the plan (`--with FOLDER`).
STUDY_TABLES = ("risk", "frontier", "tracking", "flags", "kpis_monthly")
NUMERIC_KINDS = {"money", "count", "percent", "multiple", "price", "row", "number"}
TEXT_COLUMNS = [c for c, kind in COLUMN_KINDS.items() if kind == "text"]
MAX_SCENARIO_JSON = 16 * 2**20


@dataclass
class PlanDocument:
    """One plan: its tables (full precision, as the CSVs hold them), run.json and scenario.json."""

    name: str
    run: dict
    tables: dict[str, pd.DataFrame]
    scenario: dict = field(default_factory=dict)
    checked: str = ""  # what was verified, in words, or why it could not be
    folder: Path | None = None

    @property
    def currency(self) -> str:
        return str(self.run.get("currency") or self.scenario.get("currency") or "")

    @property
    def status(self) -> str:
        return str(self.run.get("status") or "unknown")

    @property
    def solved(self) -> bool:
        return "allocation" in self.tables and len(self.tables["allocation"]) > 0

    @property
    def style(self) -> Style:
        totals = self.run.get("totals") or {}
        return Style.for_totals(self.currency or "CNY", totals.get("spend"), totals.get("revenue_total"))

    def table(self, stem: str) -> pd.DataFrame:
        return self.tables.get(stem, pd.DataFrame())


def _numeric_columns(frame_columns) -> list[str]:
    return [c for c in frame_columns if COLUMN_KINDS.get(c) in NUMERIC_KINDS]


def read_table(path: Path, required: list[str] | tuple = ()) -> pd.DataFrame:
    """One CSV, rectangular, with the `required` columns, and every column the units table calls numeric
    holding numbers (blank = missing, as the writer leaves a ratio that does not exist)."""
    _check_rectangular(path)
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise PlanFolderError(path, "", Text(f"an unreadable table ({' '.join(str(exc).split())})"),
                              "the CSV written by `allocator solve`") from None
    frame = read_plan_table(path, list(required), [], [c for c in header if c in TEXT_COLUMNS])
    for column in _numeric_columns(frame.columns):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = numbers.isna() & frame[column].notna()
        if bad.any():
            line = int(bad.to_numpy().nonzero()[0][0]) + 2
            raise PlanFolderError(path, f"line {line}, column {column}", frame[column].iloc[line - 2], "a number")
        frame[column] = numbers.astype(float)
    return frame


def _scenario_json(path: Path) -> dict:
    if not path.is_file():
        return {}
    data = path.read_bytes()[: MAX_SCENARIO_JSON + 1]
    try:
        value = json.loads(data.decode("utf-8")) if len(data) <= MAX_SCENARIO_JSON else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        value = None
    if not isinstance(value, dict):
        raise PlanFolderError(path, "", Text("not the JSON object allocator solve writes"), "the plan's scenario.json")
    return value


def _written_columns(path: Path) -> dict[str, list[str]]:
    """Each CSV's columns as units.csv lists them (solve writes it with the tables): a table that lost one
    by a hand edit is refused in one line, not met later as a crash while the report is built."""
    if not path.is_file():
        return {}
    units = read_plan_table(path, ["file", "column"], [], ["file", "column", "kind", "unit"])
    return {name: list(group) for name, group in units.groupby("file", sort=False)["column"]}


def read_plan_folder(folder: str | Path, allow_outside: tuple | list = ()) -> PlanDocument:
    """A plan folder written by `allocator solve`, checked; refused in one line when it is not one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise PlanFolderError(folder, "", Text("no such folder"), "a plan folder written by allocator solve")
    run = read_run_record(folder)
    if run is None:
        raise PlanFolderError(folder, "", Text("a folder without run.json"), "a plan folder written by allocator solve")
    _check_run(folder / "run.json", run)
    if "objective_kind" not in run or not isinstance(run.get("scenario"), dict):
        raise PlanFolderError(folder / "run.json", "", Text("the record of another command"),
                              "the run.json of a plan folder written by allocator solve")
    columns = _written_columns(folder / "units.csv")
    tables = {stem: read_table(folder / f"{stem}.csv", columns.get(f"{stem}.csv", ()))
              for stem in PLAN_TABLES if (folder / f"{stem}.csv").is_file()}
    document = PlanDocument(str(run["scenario"].get("name") or folder.name), run, tables,
                            _scenario_json(folder / "scenario.json"), folder=folder)
    document.checked = _verification(document, folder, allow_outside)
    return document


def _verification(document: PlanDocument, folder: Path, allow_outside) -> str:
    """Verify the allocation against its scenario when that is still the file run.json hashed."""
    if not document.solved:
        return "no plan to verify"
    scenario, note = _scenario_of(document.run, folder, allow_outside)
    if scenario is None:
        return f"not verified: {note.replace(': its inputs are not compared', '')}"
    report = verify_recorded(scenario, document.tables["allocation"], folder, document.run)  # a re-plan: against its actuals
    if not report.ok:
        raise PlanFolderError(folder / "allocation.csv", "", Text(
            f"{len(report.violations)} violation(s) of its scenario, first {report.violations[0]}"),
            "a plan that passes `allocator verify` (its numbers were changed after the solve)")
    name = Path(str(document.run["scenario"].get("file") or "its scenario")).name  # the full path is in run.json
    return f"verified: the allocation meets every constraint of {name}"


def from_plan(plan, folder: str | Path | None = None) -> PlanDocument:
    """A plan solved in this process, as its folder will hold it (for `solve --report`)."""
    tables = plan.tables
    ordered = {stem: tables[stem] for stem in PLAN_TABLES if stem in tables}
    scenario = json.loads(plan.scenario_record())
    checked = "no plan to verify"
    if plan.solved:
        report = plan.verify()
        name = Path(plan.solution.loaded.path).name if plan.solution.loaded.sources else "its scenario"
        checked = (f"verified: the allocation meets every constraint of {name}" if report.ok
                   else f"NOT verified: {len(report.violations)} violation(s), first {report.violations[0]}")
    return PlanDocument(plan.scenario.name, plan.run_record(folder), ordered, scenario, checked,
                        Path(folder) if folder is not None else None)


def read_study_folder(folder: str | Path) -> dict[str, pd.DataFrame]:
    """risk.csv, frontier.csv, or tracking.csv with flags.csv and kpis_monthly.csv, from a folder that
    `allocator risk`, `allocator sweep` or `allocator track` wrote."""
    folder = Path(folder)
    found = {stem: read_table(folder / f"{stem}.csv") for stem in STUDY_TABLES if (folder / f"{stem}.csv").is_file()}
    if not found:
        raise PlanFolderError(folder, "", Text("no risk.csv, frontier.csv or tracking.csv"),
                              "a folder written by allocator risk, sweep or track")
    return found
