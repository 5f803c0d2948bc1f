"""The budget review workbook, read back with openpyxl (and, for what openpyxl does not load, as the zip
Excel opens): every cell of the table sheets is the CSV's value, formats follow each column's unit, the
Summary's rounded breakdown adds up, the charts are native, user text never becomes a formula."""

from __future__ import annotations

import io
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from helpers import (
    EXAMPLE,
    REPO,
    base_scenario,
    invoke,
    write_generated,
    write_scenario,
)
from openpyxl.utils import range_boundaries

from allocator.scenario.csvsafe import restore
from allocator.plan.display import Style
from allocator.review.sections import build_report
from allocator.review.source import read_plan_folder
from allocator.review.workbook import workbook_bytes
from allocator.review.workbook_sheets import (
    flatten_parameters,
    number_format,
    sheet_name,
)
from allocator.whatif.compare import compare_plans

BUDGET_LINES = REPO / "scenarios" / "example_q1_budget_lines.yaml"
PLANS = {"example": EXAMPLE, "lines": BUDGET_LINES}


def solve_into(path: Path, out: Path) -> Path:
    result = invoke("solve", str(path), "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    """name -> (plan folder, report, workbook bytes, openpyxl workbook) for the bundled examples."""
    root = tmp_path_factory.mktemp("plans")
    found = {}
    for name, scenario in PLANS.items():
        folder = solve_into(scenario, root / name)
        report = build_report(read_plan_folder(folder))
        data = workbook_bytes(report)
        found[name] = (folder, report, data, openpyxl.load_workbook(io.BytesIO(data)))
    return found


def csv_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Every CSV of the folder but units.csv, read by pandas on its own ."""
    return {path.stem: pd.read_csv(path, keep_default_na=False, na_values=[""])
            for path in sorted(folder.glob("*.csv")) if path.stem != "units"}


def column_of(sheet, header: str) -> int:
    """1-based column whose header is `header` or `header (unit)`."""
    for cell in sheet[1]:
        if cell.value == header or str(cell.value).startswith(f"{header} ("):
            return cell.column
    raise AssertionError(f"{sheet.title}: no column {header}")


@pytest.mark.parametrize("name", PLANS)
def test_summary_first_then_a_sheet_per_csv_and_inputs(plans, name):
    folder, _, _, book = plans[name]
    assert book.sheetnames[0] == "Summary"
    assert set(csv_tables(folder)) | {"inputs"} <= set(book.sheetnames)
    assert len({n.lower() for n in book.sheetnames}) == len(book.sheetnames)


@pytest.mark.parametrize("name", PLANS)
def test_every_table_sheet_cell_is_the_csv_value(plans, name):
    folder, _, _, book = plans[name]
    for stem, frame in csv_tables(folder).items():
        sheet = book[stem]
        assert sheet.max_row == len(frame) + 1 and sheet.max_column == len(frame.columns), stem
        headers = [c.value for c in sheet[1]]
        assert [h.split(" (")[0] for h in headers] == list(frame.columns), stem
        for row, values in zip(sheet.iter_rows(min_row=2, values_only=True), frame.itertuples(index=False)):
            for cell, expected in zip(row, values):
                where = f"{stem}: {values}"
                if isinstance(expected, float) and math.isnan(expected):
                    assert cell is None, where
                elif isinstance(expected, (bool, np.bool_)):
                    assert cell is bool(expected), where
                elif isinstance(expected, (int, float)):
                    assert type(cell) in (int, float) and float(cell) == float(expected), where
                else:
                    assert cell == restore(expected), where


def test_number_formats_follow_each_columns_unit(plans):
    _, _, _, book = plans["example"]
    allocation = book["allocation"]
    expected = {"spend": "#,##0", "cost_per_lead": "#,##0", "leads": "#,##0", "conversion": "0.0%",
                "roi": '0.00"x"', "channel": "General"}
    for column, code in expected.items():
        cells = next(allocation.iter_cols(min_col=column_of(allocation, column), min_row=2))
        assert {c.number_format for c in cells if c.value is not None} == {code}, column
    by_channel = book["by_channel"]
    assert by_channel.cell(2, column_of(by_channel, "share_of_revenue")).number_format == "0.0%"
    constraints = book["constraints"]
    assert constraints.cell(2, column_of(constraints, "shadow_price")).number_format == "#,##0.000"
    # targets.csv: each row's unit, named by the target
    targets = book["targets"]
    committed = column_of(targets, "committed")
    formats = {targets.cell(r, 1).value: targets.cell(r, committed).number_format
               for r in range(2, targets.max_row + 1)}
    assert formats["revenue"] == "#,##0" and formats["new_customers"] == "#,##0"
    assert formats["min_roi[livestream]"] == '0.00"x"'
    assert formats["mix_min_revenue[kind=key_account]"] == "0.0%"


def test_money_format_follows_the_plans_decimals():
    assert number_format("money", Style("CNY", 0)) == "#,##0"
    assert number_format("money", Style("CNY", 2)) == "#,##0.00"
    assert number_format("money", Style("KWD", 3)) == "#,##0.000"


@pytest.mark.parametrize("name", PLANS)
def test_table_sheets_have_frozen_header_and_autofilter(plans, name):
    folder, _, _, book = plans[name]
    for stem, frame in list(csv_tables(folder).items()) + [("inputs", None)]:
        sheet = book[stem]
        assert sheet.freeze_panes == "A2", stem
        assert range_boundaries(sheet.auto_filter.ref) == (1, 1, sheet.max_column, sheet.max_row), stem
        widths = [sheet.column_dimensions[c.column_letter].width for c in sheet[1]]
        assert all(8 <= w <= 61 for w in widths), (stem, widths)  # 8 to 60 characters, plus Excel's padding
    statement = book["budget_lines"].column_dimensions["J"]
    assert book["budget_lines"]["J1"].value == "statement" and 60 <= statement.width <= 61  # the longest, capped


def summary_breakdown(sheet, first_header: str) -> tuple[list[str], list[tuple], tuple]:
    """(headers, rows, total row) of the Summary table whose header row starts with `first_header`."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == first_header and r[1] is not None)
    end = next(i for i in range(start + 1, len(rows)) if rows[i][0] == "total")
    return list(rows[start]), rows[start + 1:end], rows[end]


def test_summary_by_channel_adds_up_to_the_budget(plans):
    folder, _, _, book = plans["example"]
    headers, rows, total = summary_breakdown(book["Summary"], "channel")
    spend = headers.index("spend (CNY)")
    values = [r[spend] for r in rows]
    assert all(isinstance(v, (int, float)) and v == round(v) for v in values)  # whole CNY, stored as numbers
    budget = yaml.safe_load(EXAMPLE.read_text())["budget"]["total"]
    assert budget == 3_400_000
    assert math.fsum(values) == total[spend] == budget
    assert round(pd.read_csv(folder / "by_channel.csv")["spend"].sum()) == budget
    revenue = headers.index("revenue (CNY)")
    assert math.fsum(r[revenue] for r in rows) == total[revenue] == round(
        pd.read_csv(folder / "by_channel.csv")["revenue_total"].sum())
    share = headers.index("share of spend (%)")
    assert round(math.fsum(r[share] or 0 for r in rows), 9) == total[share] == 1


def test_summary_states_targets_costliest_limits_and_lines(plans):
    _, report, _, book = plans["lines"]
    text = [v for row in book["Summary"].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert "Q1 2027 plan - budget lines" in text
    assert any(t.startswith("verified:") for t in text)
    assert any(t.startswith("acquisition: ") and "new customers (promised 1,200: met)" in t for t in text)
    assert len(report.statements["costliest"]) == 3 and set(report.statements["costliest"]) <= set(text)
    rows = list(book["Summary"].iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "target")
    committed = header.index("committed")
    target_rows = {r[0]: r for r in rows if isinstance(r[0], str) and r[0].startswith("by_revenue[")}
    assert target_rows and all(r[committed] == 5_000_000 for r in target_rows.values())  # as in the YAML


def chart_ranges(data: bytes, chart: str, tag: str) -> list[str]:
    xml = zipfile.ZipFile(io.BytesIO(data)).read(f"xl/charts/{chart}.xml").decode()
    return re.findall(rf"<c:{tag}><c:numRef><c:f>(.*?)</c:f>", xml)


def range_sum(book, reference: str) -> float:
    sheet, cells = reference.split("!")
    values = [c.value for row in book[sheet.strip("'")][cells.replace("$", "")] for c in row]
    return math.fsum(v for v in values if isinstance(v, (int, float)))


def test_charts_are_native_and_plot_the_plans_numbers(plans):
    folder, _, data, book = plans["example"]
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert {"xl/charts/chart1.xml", "xl/charts/chart2.xml"} <= set(names)
    assert not any(n.startswith("xl/media/") for n in names)  # no pictures of charts
    spend_series = chart_ranges(data, "chart1", "val")
    assert len(spend_series) == 7  # one per channel of the example
    assert math.fsum(range_sum(book, r) for r in spend_series) == 3_400_000
    revenue, *lines = chart_ranges(data, "chart2", "val")
    assert range_sum(book, revenue) == round(pd.read_csv(folder / "by_period.csv")["revenue_total"].sum())
    assert len(lines) == 3  # phased target, band low, band high
    assert "<c:lineChart>" in zipfile.ZipFile(io.BytesIO(data)).read("xl/charts/chart2.xml").decode()


def test_many_channels_chart_the_largest_and_the_rest_together(tmp_path):
    scenario = write_generated(tmp_path / "wide.yaml", products=1, channels=14, tiers=2, periods=3, seed=1)
    folder = solve_into(scenario, tmp_path / "plan")
    data = workbook_bytes(build_report(read_plan_folder(folder)))
    book = openpyxl.load_workbook(io.BytesIO(data))
    series = chart_ranges(data, "chart1", "val")
    assert len(series) == 12  # 11 channels and "other channels"
    spend = pd.read_csv(folder / "by_channel.csv")["spend"]
    assert len(spend) == 14 and math.fsum(range_sum(book, r) for r in series) == round(spend.sum())


def test_no_plan_summary_says_what_must_move(tmp_path):
    # 5 revenue per unit of spend (base_scenario) and a budget of 1,000: at most 5,000 revenue
    folder = tmp_path / "plan"
    scenario = write_scenario(tmp_path, base_scenario(targets={"revenue": 10**9}))
    result = invoke("solve", str(scenario), "--out", str(folder))
    assert result.exit_code == 1 and (folder / "diagnosis.csv").is_file()
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(build_report(read_plan_folder(folder)))))
    assert book.sheetnames == ["Summary", "diagnosis", "inputs"]
    summary = list(book["Summary"].iter_rows(values_only=True))
    header = next(r for r in summary if r[0] == "demand")
    revenue = next(r for r in summary if r[1] == "targets.revenue")
    assert revenue[header.index("feasible at")] == 5_000 and revenue[header.index("now")] == 10**9


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    data = base_scenario(name="=SUM(1,2)")
    data["channels"][0]["name"] = "=1+2"
    folder = solve_into(write_scenario(tmp_path, data), tmp_path / "plan")
    xlsx = workbook_bytes(build_report(read_plan_folder(folder)))
    archive = zipfile.ZipFile(io.BytesIO(xlsx))
    sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert book["by_channel"]["A2"].value == "=1+2" and book["by_channel"]["A2"].data_type == "s"
    summary = [c for row in book["Summary"].iter_rows() for c in row if c.value in ("=1+2", "=SUM(1,2)")]
    assert {c.value for c in summary} == {"=1+2", "=SUM(1,2)"} and {c.data_type for c in summary} == {"s"}
    inputs = {r[0]: r[1] for r in book["inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs["name"] == "=SUM(1,2)" and inputs["channels[=1+2].cost_per_lead"] == 10


def test_inputs_sheet_holds_the_parameters_as_entered(plans):
    _, _, _, book = plans["lines"]
    inputs = {r[0]: r[1] for r in book["inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs["budget.total"] == 3_400_000
    assert inputs["channels[livestream].cost_per_lead"] == 60
    assert inputs["channels[livestream].response[1].efficiency"] == 0.75
    assert inputs["targets.mix[1].min_share"] == 0.2
    assert inputs["budget.lines[acquisition].new_customers"] == 1200
    assert inputs["periods[0]"] == "2027-01"


def test_flatten_parameters_names_items_by_name_else_index():
    scenario = {"a": {"b": 1}, "items": [{"name": "x", "v": 2}, {"v": 3}], "tags": ["p", "q"], "empty": []}
    assert flatten_parameters(scenario) == [("a.b", 1), ("items[x].name", "x"), ("items[x].v", 2), ("items[1].v", 3),
                                            ("tags[0]", "p"), ("tags[1]", "q"), ("empty", "[]")]


def test_comparison_sheet_holds_each_plans_spend_and_the_delta(plans):
    folder, report, _, _ = plans["example"]
    other, _, _, _ = plans["lines"]
    comparison = compare_plans([folder, other]).table
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(report, comparison)))
    assert book.sheetnames[-1] == "vs lines"
    sheet = book["vs lines"]
    assert sheet.freeze_panes == "A2"
    this_csv = pd.read_csv(folder / "by_channel.csv").set_index("channel")["spend"]
    that_csv = pd.read_csv(other / "by_channel.csv").set_index("channel")["spend"]
    checked = 0
    for row in sheet.iter_rows(min_row=2):
        section, item, metric, this, that, delta = row
        if section.value == "channel" and metric.value == "spend":
            assert delta.value == that.value - this.value
            assert this.value == pytest.approx(this_csv[item.value], rel=1e-12, abs=1e-6)
            assert that.value == pytest.approx(that_csv[item.value], rel=1e-12, abs=1e-6)
            assert this.number_format == "#,##0"
            checked += 1
        if metric.value == "attainment" and delta.value is not None:
            assert this.number_format == delta.number_format == "0.0%"
    assert checked == len(this_csv) == 7


def test_sheet_names_follow_excels_rules():
    taken: set[str] = set()
    assert sheet_name("vs a/b:c*d?[e]\\f", taken) == "vs a_b_c_d__e__f"
    assert sheet_name("x" * 40, taken) == "x" * 31
    assert sheet_name("X" * 40, taken) == "X" * 27 + " (2)"  # Excel compares names without case
    assert sheet_name("'quoted'", taken) == "quoted"
    assert sheet_name("History", taken) == "History_"
    assert sheet_name("", taken) == "sheet"
