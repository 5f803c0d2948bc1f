"""The budget review's Excel workbook: a Summary sheet first, the charts, then every table of the plan.

The Summary and Charts sheets show the report's rounded tables (`allocator.review.content`): each number
stored rounded as printed, so a breakdown's rows sum exactly to its total row, and formatted per unit.
The sheets after them hold the CSVs' values at full precision (`workbook_sheets`), then the scenario's
parameters as entered (`inputs`) and, with a comparison, one sheet of deltas per other plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from allocator.review.content import Column, Report, Table
from allocator.review.sections import is_number
from allocator.review.workbook_sheets import (
    ExactWorksheet,
    Formats,
    comparison_sheets,
    inputs_sheet,
    number_format,
    sheet_name,
    table_sheet,
    write_value,
)

# Never let user text turn into a number, a formula or a link; NaN and infinity are never written as numbers.
OPTIONS = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
           "nan_inf_to_errors": False}
MAX_SERIES = 12  # channels a stacked chart shows one by one; the rest are one series
CHART_SIZE = {"width": 640, "height": 340}
CHART_ROWS = 19  # rows the charts take at the top of the Charts sheet
LABEL_WIDTH = 36
# The report's sections the Summary shows, when the plan has them (no plan: why, in the diagnosis).
SUMMARY_SECTIONS = ("targets", "tracking", "flags", "milestones", "checks", "by_channel", "shortfalls", "diagnosis", "risk", "deltas")
VALUE_WIDTH = 16


@dataclass
class Placed:
    """Where a table landed on a sheet: its header row, first and last data rows, column of each key."""

    header_row: int
    first_row: int
    last_row: int
    columns: dict[str, int] = field(default_factory=dict)
    end: int = 0  # the first free row after the table


def shown_number(value: float, kind: str, decimals: int) -> float:
    """The number as a person reads it (percent: a fraction rounded to 0.1%), so a cell holds what it shows."""
    places = 3 if kind == "percent" else decimals if kind in ("money", "count", "multiple") else None
    return value if places is None else round(float(value), places) + 0.0  # + 0.0: never -0


def write_cell(sheet: Worksheet, row: int, col: int, table: Table, values: dict, column: Column, formats: Formats,
               bold: bool = False) -> None:
    kind = table.kind(values, column)
    value = values.get(column.key)
    if kind in ("text", "flag"):
        text = table.text(values, column)
        if text:
            sheet.write_string(row, col, text, formats.bold if bold else None)
    elif is_number(value):
        sheet.write_number(row, col, shown_number(value, kind, table.style.decimals(kind)), formats.kind(kind, bold))


def write_table(sheet: Worksheet, row: int, table: Table, formats: Formats, unit_in_title: bool = False) -> Placed:
    """A report table from `row` down: bold title, its note, the header with units, the rows, the total row in
    bold, and "and N more" when rows were left out. `unit_in_title`: every number column has the same unit,
    named once in the title (the headers then serve as a chart's categories)."""
    title = table.title
    if unit_in_title:
        title = f"{title} ({table.style.currency})"
    sheet.write_string(row, 0, title, formats.bold)
    row += 1
    if table.note:
        sheet.write_string(row, 0, table.note, formats.note)
        row += 1
    for col, column in enumerate(table.columns):
        sheet.write_string(row, col, column.title if unit_in_title else table.header(column), formats.header)
    placed = Placed(row, row + 1, row + len(table.rows), {c.key: i for i, c in enumerate(table.columns)})
    for at, values in enumerate(table.rows, placed.first_row):
        for col, column in enumerate(table.columns):
            write_cell(sheet, at, col, table, values, column, formats)
    row = placed.last_row + 1
    if table.total is not None:
        for col, column in enumerate(table.columns):
            write_cell(sheet, row, col, table, table.total, column, formats, bold=True)
        row += 1
    if table.hidden:
        sheet.write_string(row, 0, f"and {table.hidden} more (see the {table.source.removesuffix('.csv')} sheet)",
                           formats.note)
        row += 1
    placed.end = row
    return placed


def write_sentences(sheet: Worksheet, row: int, title: str, sentences: list[str], formats: Formats) -> int:
    sheet.write_string(row, 0, title, formats.bold)
    sentences = sentences or ["(none)"]
    for at, sentence in enumerate(sentences, row + 1):
        sheet.write_string(at, 0, sentence)
    return row + len(sentences) + 2


def plan_facts(report: Report) -> list[tuple[str, object, str]]:
    """(label, value, kind): what the plan is, where it comes from, and the headline."""
    document = report.document
    run = document.run
    budget = (document.scenario.get("budget") or {}).get("total")
    solver = " ".join(str(run.get(k) or "") for k in ("solver", "solver_version")).strip()
    method = f" ({run['lp_method']})" if run.get("lp_method") else ""
    file = str((run.get("scenario") or {}).get("file") or "")
    facts = [("scenario", document.name, "text"), ("file", file, "text"),
             ("solver", solver + method, "text"), ("currency", document.style.currency, "text"),
             ("budget", budget, "money"), ("verified", document.checked, "text")]
    return facts + [(h.label, h.value, h.kind) for h in report.headline]


def summary_sheet(book: Workbook, name: str, report: Report, formats: Formats) -> Worksheet:
    sheet = book.add_worksheet(name, worksheet_class=ExactWorksheet)
    style = report.document.style
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_column(1, 12, VALUE_WIDTH)
    sheet.write_string(0, 0, f"Budget review: {report.document.name}", formats.title)
    facts = plan_facts(report)
    for row, (label, value, kind) in enumerate(facts, 2):
        sheet.write_string(row, 0, label, formats.bold)
        if kind != "text" and is_number(value):
            sheet.write_number(row, 1, shown_number(value, kind, style.decimals(kind)), formats.kind(kind))
        elif value is not None and kind == "text":
            write_value(sheet, row, 1, str(value))
    row = 2 + len(facts) + 1
    for key in SUMMARY_SECTIONS:
        table = report.section(key)
        if table is not None:
            row = write_table(sheet, row, table, formats).end + 1
    if report.document.solved:
        row = write_sentences(sheet, row, "What costs the most (binding limits, by the gain from relaxing each by 10%)",
                              report.statements.get("costliest", []), formats)
        write_sentences(sheet, row, "What each budget line buys", line_sentences(report), formats)
    sheet.activate()
    return sheet


def line_sentences(report: Report) -> list[str]:
    """The named lines' statements, or without named lines the largest channel x tier lines'."""
    if report.statements.get("lines"):
        return list(report.statements["lines"])
    table = report.section("budget_lines")
    if table is None:
        return []
    sentences = [str(row.get("statement")) for row in table.rows if isinstance(row.get("statement"), str)]
    more = [f"and {table.hidden} more (see the budget_lines sheet)"] if table.hidden else []
    return sentences + more


def chart_rows(sheet: Worksheet, row: int, placed: Placed, table: Table, formats: Formats) -> tuple[list[int], int]:
    """Rows the stacked chart plots: each channel's, or with many channels the largest MAX_SERIES - 1 and,
    written under the table as chart data, the rest together. Returns (rows, first free row)."""
    if len(table.rows) <= MAX_SERIES:
        return list(range(placed.first_row, placed.last_row + 1)), row
    keys = [c.key for c in table.columns[1:]]
    totals = [sum(float(r.get(k) or 0.0) for k in keys) for r in table.rows]
    order = sorted(range(len(table.rows)), key=lambda i: -totals[i])
    largest, rest = sorted(order[: MAX_SERIES - 1]), order[MAX_SERIES - 1:]
    sheet.write_string(row, 0, f"Chart data: the {len(rest)} smaller channels together", formats.bold)
    sheet.write_string(row + 1, 0, f"other channels ({len(rest)})")
    money = formats.kind("money")
    decimals = table.style.money_decimals
    for col, key in enumerate(keys, 1):
        other = math.fsum(float(table.rows[i].get(key) or 0.0) for i in rest)
        sheet.write_number(row + 1, col, round(other, decimals), money)
    return [placed.first_row + i for i in largest] + [row + 1], row + 3


def spend_chart(book: Workbook, sheet: Worksheet, rows: list[int], placed: Placed, table: Table):
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    last_col = len(table.columns) - 1
    for row in rows:
        chart.add_series({"name": [sheet.name, row, 0],
                          "categories": [sheet.name, placed.header_row, 1, placed.header_row, last_col],
                          "values": [sheet.name, row, 1, row, last_col], "gap": 50})
    chart.set_title({"name": "Spend by channel and period"})
    chart.set_y_axis({"name": table.style.currency, "num_format": number_format("money", table.style)})
    chart.set_legend({"position": "right"})
    chart.set_size(CHART_SIZE)
    return chart


def phasing_chart(book: Workbook, sheet: Worksheet, placed: Placed, table: Table):
    """Revenue by period as columns, the phased target and the band's edges as lines."""
    columns = placed.columns
    categories = [sheet.name, placed.first_row, columns["period"], placed.last_row, columns["period"]]

    def series(key: str, extra: dict) -> dict:
        return {"name": [sheet.name, placed.header_row, columns[key]], "categories": categories,
                "values": [sheet.name, placed.first_row, columns[key], placed.last_row, columns[key]], **extra}

    chart = book.add_chart({"type": "column"})
    chart.add_series(series("revenue_total", {"gap": 80}))
    lines = book.add_chart({"type": "line"})
    looks = {"phased_target": {"line": {"width": 2.25}},
             "band_low": {"line": {"dash_type": "dash", "width": 1.25}},
             "band_high": {"line": {"dash_type": "dash", "width": 1.25}}}
    for key, look in looks.items():
        if key in columns:
            lines.add_series(series(key, look))
    if len(lines.series):
        chart.combine(lines)
    chart.set_title({"name": "Revenue by period vs the phased target"})
    chart.set_y_axis({"name": table.style.currency, "num_format": number_format("money", table.style)})
    chart.set_legend({"position": "bottom"})
    chart.set_size(CHART_SIZE)
    return chart


def charts_sheet(book: Workbook, name: str, report: Report, formats: Formats) -> Worksheet | None:
    """Native charts over the report's rounded tables, which sit under them on the same sheet."""
    matrix, phasing = report.section("spend_matrix"), report.section("phasing")
    if matrix is None and phasing is None:
        return None
    sheet = book.add_worksheet(name, worksheet_class=ExactWorksheet)
    sheet.set_column(0, 0, LABEL_WIDTH / 2)
    sheet.set_column(1, max(len(matrix.columns) if matrix else 0, 6), VALUE_WIDTH - 3)
    row = CHART_ROWS + 1
    if matrix is not None:
        placed = write_table(sheet, row, matrix, formats, unit_in_title=True)
        rows, row = chart_rows(sheet, placed.end + 1, placed, matrix, formats)
        sheet.insert_chart(0, 0, spend_chart(book, sheet, rows, placed, matrix))
    if phasing is not None:
        placed = write_table(sheet, row, phasing, formats)
        sheet.insert_chart(0, 9, phasing_chart(book, sheet, placed, phasing))
    return sheet


def _created(run: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(str(run.get("created_at")))
    except ValueError:
        return None


def workbook_bytes(report: Report, comparison: pd.DataFrame | None = None) -> bytes:
    """The workbook (.xlsx) of `report`'s plan; with `comparison` (comparison.csv, this plan first) a sheet of
    deltas per other plan. Sheets: Summary, Charts, one per plan table, inputs, then `vs <label>` sheets."""
    document = report.document
    buffer = BytesIO()
    book = Workbook(buffer, OPTIONS)
    created = _created(document.run)  # the plan's time, not now: the same plan gives the same file
    book.set_properties({"title": f"Budget review: {document.name}", "comments": "written by allocator",
                         **({"created": created} if created else {})})
    formats = Formats(book, document.style)
    taken: set[str] = set()
    summary_sheet(book, sheet_name("Summary", taken), report, formats)
    if report.section("spend_matrix") is not None or report.section("phasing") is not None:
        charts_sheet(book, sheet_name("Charts", taken), report, formats)
    for stem, frame in document.tables.items():
        table_sheet(book, sheet_name(stem, taken), stem, frame, formats)
    inputs_sheet(book, sheet_name("inputs", taken), document.scenario, formats)
    if comparison is not None and not comparison.empty:
        comparison_sheets(book, comparison, formats, taken, str(document.run.get("objective_kind") or ""))
    book.close()
    return buffer.getvalue()
