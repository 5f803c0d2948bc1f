"""verify's checks of the plan folder's other files against its allocation.csv.

A reader takes by_channel/by_tier/by_product/by_period.csv, targets.csv and run.json's `objective` at their
word, so each must agree with allocation.csv re-summed here (after allocation.csv itself has been checked
against the scenario): every number within the shared relative tolerance, every `met` as the shared row
test decides it. A disagreement names the file, its line and row, and both values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from allocator.io.run_record import read_run_record
from allocator.plan.lines_table import line_checks
from allocator.plan.tolerance import holds
from allocator.plan.verify_calendar import check_weekly
from allocator.plan.verify import Report, picked_rows, read_plan_table
from allocator.plan.verify_lines import selected, sums
from allocator.scenario.schema import Scenario

BREAKDOWNS = ("channel", "tier", "product", "period")
AMOUNTS = ["spend", "leads", "customers", "new_customers", "revenue", "baseline_revenue", "revenue_total"]
RATIOS = ["roi", "share_of_revenue", "share_of_spend"]


def check_folder_files(s: Scenario, folder: Path, a: pd.DataFrame, report: Report) -> None:
    """Each by_*.csv, targets.csv, lines.csv, weekly.csv and run.json's objective the folder holds, against `a`."""
    folder = Path(folder)
    for dim in BREAKDOWNS:
        path = folder / f"by_{dim}.csv"
        if path.is_file():
            _check_breakdown(path, dim, a, report)
    if (folder / "targets.csv").is_file():
        _check_targets(s, folder / "targets.csv", a, report)
    if (folder / "lines.csv").is_file():
        _check_lines_file(s, folder / "lines.csv", a, report)
    if (folder / "weekly.csv").is_file():
        check_weekly(list(s.periods), folder / "weekly.csv", a, report)
    run = read_run_record(folder)
    if run is not None and run.get("objective") is not None:
        _check_objective(s, folder / "run.json", run, a, report)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def _same(report: Report, name: str, got: float, want: float) -> None:
    """got = want within the tolerance; NaN (a blank ratio) only matches NaN."""
    if np.isnan(got) or np.isnan(want):
        if np.isnan(got) != np.isnan(want):
            report.problems.append(f"{name}: {got!r} but allocation.csv gives {want!r}")
        return
    report.add(name, got, "=", want)


def _check_breakdown(path: Path, dim: str, a: pd.DataFrame, report: Report) -> None:
    table = read_plan_table(path, [dim] + AMOUNTS + RATIOS, AMOUNTS)
    sums = a.groupby(dim, sort=False)[AMOUNTS].sum()
    total_spend, total_revenue = float(a["spend"].sum()), float(a["revenue_total"].sum())
    ratios = table[RATIOS].apply(pd.to_numeric, errors="coerce")  # a blank ratio (no spend) reads as NaN
    seen = set()
    for i, row in enumerate(table.itertuples(index=False)):
        name = str(getattr(row, dim))
        where = f"{path.name} line {i + 2} [{name}]"
        if name not in sums.index or name in seen:
            report.problems.append(f"{where}: {'listed twice' if name in seen else f'no {dim} of that name in allocation.csv'}")
            continue
        seen.add(name)
        want = sums.loc[name]
        for column in AMOUNTS:
            _same(report, f"{where} {column}", float(getattr(row, column)), float(want[column]))
        expected = {"roi": _ratio(want["revenue"], want["spend"]),
                    "share_of_revenue": _ratio(want["revenue_total"], total_revenue),
                    "share_of_spend": _ratio(want["spend"], total_spend)}
        for column, value in expected.items():
            _same(report, f"{where} {column}", float(ratios.iloc[i][column]), float(value))
    for name in sums.index:
        if str(name) not in seen:
            report.problems.append(f"{path.name}: {dim} {name!r} of allocation.csv is missing")


def _check_targets(s: Scenario, path: Path, a: pd.DataFrame, report: Report) -> None:
    table = read_plan_table(path, ["target", "achieved", "met"], [], ["target", "kind"])
    achieved = pd.to_numeric(table["achieved"], errors="coerce")
    expected = _targets(s, a)
    for i, (target, got, met) in enumerate(zip(table["target"], achieved, table["met"])):
        where = f"{path.name} line {i + 2} [{target}]"
        if target not in expected:
            report.problems.append(f"{where}: not a target of the scenario")
            continue
        want, sense, row = expected[target]
        _same(report, f"{where} achieved", float(got), want)
        should = True if np.isnan(want) else holds(row[0], sense, row[1], row[2])
        if str(met).strip().lower() != str(should).lower():
            report.problems.append(f"{where} met: {met} but allocation.csv gives {should}")


def _targets(s: Scenario, a: pd.DataFrame) -> dict[str, tuple[float, str, tuple]]:
    """target -> (achieved, sense, (lhs, rhs, magnitude) of its row), as allocation.csv gives them."""
    t = s.targets
    spend, revenue_total = float(a["spend"].sum()), float(a["revenue_total"].sum())
    multiplier = a["tier"].map({x.name: x.value_multiplier for x in s.tiers}) if s.roi_basis == "lifetime_value" else 1.0
    value = a["revenue"] * multiplier
    out = {}
    for name, amount, goal in (("revenue", revenue_total, t.revenue), ("new_customers", float(a["new_customers"].sum()), t.new_customers),
                               ("leads", float(a["leads"].sum()), t.leads)):
        if goal is not None:
            out[name] = (amount, ">=", (amount, t.planned(goal), abs(amount)))
    if s.budget.total is not None:
        out["budget_total"] = (spend, "<=", (spend, s.budget.total, abs(spend)))
    if t.min_roi is not None:
        out["min_roi[portfolio]"] = _ratio_target(float(value.sum()), spend, t.min_roi, ">=")
    for c in s.channels:
        if c.min_roi is not None:
            mine = a["channel"] == c.name
            out[f"min_roi[{c.name}]"] = _ratio_target(float(value[mine].sum()), float(a.loc[mine, "spend"].sum()), c.min_roi, ">=")
    for target in t.by:
        got = sums(a, selected(a, target.select), value)
        for goal, column in (("revenue", "revenue_total"), ("new_customers", "new_customers"), ("leads", "leads"),
                             ("customers", "customers")):
            if getattr(target, goal) is not None:
                planned = t.planned(getattr(target, goal))
                out[f"by_{goal}[{target.select.label()}]"] = (got[column], ">=", (got[column], planned, abs(got[column])))
        if target.max_spend is not None:
            out[f"by_max_spend[{target.select.label()}]"] = (got["spend"], "<=", (got["spend"], target.max_spend, abs(got["spend"])))
    for mix in t.mix:
        column = "revenue_total" if mix.of == "revenue" else "spend"
        picked, total = float(a.loc[picked_rows(a, mix.select), column].sum()), float(a[column].sum())
        for kind, bound, sense in (("min", mix.min_share, ">="), ("max", mix.max_share, "<=")):
            if bound is not None:
                out[f"mix_{kind}_{mix.of}[{mix.select.label()}]"] = _ratio_target(picked, total, bound, sense)
    return out


def _check_lines_file(s: Scenario, path: Path, a: pd.DataFrame, report: Report) -> None:
    """lines.csv: one row per budget line, in the scenario's order, its amounts re-summed from allocation.csv
    over the line's selection; its `met` as verify's own checks of the line's rows decide it."""
    table = read_plan_table(path, ["line", "spend", "new_customers", "revenue", "leads", "met"],
                            ["spend", "new_customers", "revenue", "leads"], ["line", "selection"])
    lines = {line.name: line for line in s.budget.lines}
    if list(table["line"]) != list(lines):
        report.problems.append(f"{path.name}: lines {list(table['line'])} but the scenario has {list(lines)}")
        return
    multiplier = a["tier"].map({x.name: x.value_multiplier for x in s.tiers}) if s.roi_basis == "lifetime_value" else 1.0
    total = float(a["spend"].sum())
    for i, row in enumerate(table.itertuples()):
        line, where = lines[row.line], f"{path.name} line {i + 2} [{row.line}]"
        got = sums(a, selected(a, line.select), a["revenue"] * multiplier)
        for column in ("spend", "new_customers", "revenue", "leads"):
            _same(report, f"{where} {column}", float(getattr(row, column)), got[column])
        should = all(holds(*check) for check in line_checks(line, got, total))
        if str(row.met).strip().lower() != str(should).lower():
            report.problems.append(f"{where} met: {row.met} but allocation.csv gives {should}")


def _ratio_target(numerator: float, denominator: float, bound: float, sense: str) -> tuple[float, str, tuple]:
    # The row behind a ratio is numerator (sense) bound x denominator; both sides count toward its scale.
    return _ratio(numerator, denominator), sense, (numerator, bound * denominator, abs(numerator) + abs(bound * denominator))


def objective_from_allocation(allocation: pd.DataFrame, kind: str | None, scenario: Scenario | None) -> float | None:
    """The plan's objective of kind `kind` summed from its allocation rows (as model/objective.py defines it,
    worked out again here); None for an unknown kind, or for profit without the scenario's margins."""
    if kind == "max_revenue":
        return float(allocation["revenue_total"].sum())
    if kind == "min_spend":
        return float(allocation["spend"].sum())
    if kind == "max_new_customers":
        return float(allocation["new_customers"].sum())
    if kind == "max_profit" and scenario is not None:
        margins = allocation["product"].astype(str).map({p.name: p.margin for p in scenario.products}).astype(float)
        return float((allocation["revenue_total"] * margins).sum() - allocation["spend"].sum())
    return None


def _check_objective(s: Scenario, path: Path, run: dict, a: pd.DataFrame, report: Report) -> None:
    kind, got = run.get("objective_kind") or s.objective, run.get("objective")
    if not isinstance(got, (int, float)) or isinstance(got, bool):
        report.problems.append(f"{path.name} objective: not a number")
        return
    want = objective_from_allocation(a, kind, s)
    if want is None:
        report.problems.append(f"{path.name} objective_kind: not an objective allocator knows")
        return
    _same(report, f"{path.name} objective ({kind})", float(got), want)
