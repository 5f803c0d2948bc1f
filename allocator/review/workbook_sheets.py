"""The workbook's machine-readable sheets: one per plan table at full precision, the scenario's inputs, and
one per compared plan; with the pieces every sheet shares (sheet names, number formats, cell writing).

Every value goes in through a typed writer (`write_number`, `write_string`, `write_boolean`): a scenario's
names are user text and must never become a formula, whatever they start with. Missing numbers are left
blank. Numbers are stored exactly as the CSVs hold them (see `ExactWorksheet`); the number format per
column's unit is what rounds them for the eye.
"""

from __future__ import annotations

import math
import re

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from allocator.plan.display import Style
from allocator.plan.units import COLUMN_KINDS, target_kind

MAX_SHEET_NAME = 31
FORBIDDEN_IN_SHEET_NAME = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
RESERVED_SHEET_NAMES = {"history"}  # Excel keeps this name for itself
MAX_WIDTH = 60
MIN_WIDTH = 8
# Columns whose unit each row names: targets.csv rows say theirs by the target's name.
PER_ROW_KIND = {"targets": ("target", ("committed", "planned", "achieved"))}
COMPARISON_KEYS = ("section", "item", "metric")


class ExactWorksheet(Worksheet):
    """A worksheet that stores each float as the shortest text that reads back as the same float64.

    xlsxwriter writes numbers with 16 significant digits, which changes about one float in ten
    (14906.341217979418 becomes 14906.34121797942); the table sheets promise the CSVs' values exactly.
    """

    def _xml_number_element(self, number, attributes=[]) -> None:  # noqa: B006 (xlsxwriter's signature)
        attr = ""
        for key, value in attributes:  # a cell reference and a style index: nothing to escape
            attr += f' {key}="{value}"'
        # repr: the shortest exact text; upper case as xlsxwriter writes exponents (1E-10), which Excel reads
        self.fh.write(f"<c{attr}><v>{repr(float(number)).upper()}</v></c>")


def sheet_name(text: str, taken: set[str]) -> str:
    """`text` as a sheet name Excel accepts (at most 31 characters, none of []:*?/\\, not starting or ending
    with an apostrophe), made unique against `taken` (compared without case, as Excel does); added to it."""
    base = FORBIDDEN_IN_SHEET_NAME.sub("_", str(text)).strip().strip("'") or "sheet"
    if base.lower() in RESERVED_SHEET_NAMES:
        base = f"{base}_"
    name, number = base[:MAX_SHEET_NAME], 1
    while name.lower() in taken:
        number += 1
        suffix = f" ({number})"
        name = base[: MAX_SHEET_NAME - len(suffix)].rstrip("'") + suffix
    taken.add(name.lower())
    return name


def number_format(kind: str, style: Style) -> str | None:
    """The Excel number format of a display kind; None leaves Excel's General."""
    if kind == "money":
        return "#,##0" + ("." + "0" * style.money_decimals if style.money_decimals else "")
    return {"count": "#,##0", "percent": "0.0%", "multiple": '0.00"x"', "price": "#,##0.000"}.get(kind)


class Formats:
    """The workbook's cell formats, each made once (Excel keeps a table of them)."""

    def __init__(self, book: Workbook, style: Style):
        self.book = book
        self.style = style
        self._made: dict[tuple, object] = {}
        self.bold = self.make(bold=True)
        self.header = self.make(bold=True, bottom=1, text_wrap=True, valign="top")
        self.title = self.make(bold=True, font_size=14)
        self.note = self.make(italic=True, font_color="#595959")

    def make(self, **properties):
        key = tuple(sorted(properties.items()))
        if key not in self._made:
            self._made[key] = self.book.add_format(properties)
        return self._made[key]

    def kind(self, kind: str, bold: bool = False):
        """The format of a number of this display kind (None: General, not bold)."""
        code = number_format(kind, self.style)
        properties = ({"num_format": code} if code else {}) | ({"bold": True} if bold else {})
        return self.make(**properties) if properties else None


def write_value(sheet: Worksheet, row: int, col: int, value, cell_format=None) -> None:
    """One cell: a number as a number (NaN blank, infinity as text: Excel has none), a boolean as TRUE/FALSE,
    anything else as literal text."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value, cell_format)
    elif isinstance(value, (int, float)):
        if math.isnan(value):
            return
        if math.isinf(value):
            sheet.write_string(row, col, "inf" if value > 0 else "-inf", cell_format)
        else:
            sheet.write_number(row, col, value, cell_format)
    else:
        sheet.write_string(row, col, str(value), cell_format)


def write_column(sheet: Worksheet, col: int, values: pd.Series) -> None:
    """A column from row 1 down, in the column's format; a float column the fast way (a large plan's
    allocation holds a million cells)."""
    if values.dtype.kind != "f":
        for row, value in enumerate(values.tolist(), 1):
            write_value(sheet, row, col, value)
        return
    write_number = sheet.write_number
    for row, value in enumerate(values.tolist(), 1):
        if -math.inf < value < math.inf:  # False for NaN (left blank) and for infinities
            write_number(row, col, value)
        elif not math.isnan(value):
            write_value(sheet, row, col, value)


def column_header(column: str, kind: str, style: Style) -> str:
    """The CSV's column name with the unit its number format shows: `spend (CNY)`, `roi (x)`, `conversion (%)`."""
    unit = {"money": style.currency, "percent": "%", "multiple": "x"}.get(kind)
    return f"{column} ({unit})" if unit else str(column)


def _shown_length(biggest: float, kind: str, style: Style) -> int:
    """Characters of the widest number as its format shows it (General: at most 11, as Excel shows it)."""
    if kind == "percent":
        return len(f"{biggest * 100:,.1f}%")
    decimals = {"money": style.money_decimals, "count": 0, "price": 3, "multiple": 2}.get(kind)
    if decimals is None:
        return min(11, len(repr(biggest)))
    return len(f"{biggest:,.{decimals}f}") + (1 if kind == "multiple" else 0)


def _width(values: pd.Series, header: str, kind: str, style: Style) -> float:
    """A width that shows the header's longest word and the column's longest value as formatted."""
    longest = max((len(word) for word in header.split()), default=0)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        finite = values[values.abs() < math.inf].abs()
        if len(finite):
            longest = max(longest, _shown_length(float(finite.max()), kind, style) + 1)
    else:
        lengths = values.dropna().astype(str).str.len()
        if len(lengths):
            longest = max(longest, int(lengths.max()))
    return float(min(MAX_WIDTH, max(MIN_WIDTH, longest + 2)))


def write_frame(book: Workbook, name: str, frame: pd.DataFrame, kinds: list[str], formats: Formats,
                headers: list[str] | None = None, row_kinds: dict[str, list[str]] | None = None) -> Worksheet:
    """A sheet holding `frame` as a table: a bold header row (frozen), an autofilter over it, each column's
    number format from its kind, and, for the columns in `row_kinds`, each cell's format from its row's kind."""
    sheet = book.add_worksheet(name, worksheet_class=ExactWorksheet)
    headers = headers or [str(c) for c in frame.columns]
    row_kinds = row_kinds or {}
    for col, (column, kind, header) in enumerate(zip(frame.columns, kinds, headers)):
        sheet.write_string(0, col, header, formats.header)
        sheet.set_column(col, col, _width(frame[column], header, kind, formats.style), formats.kind(kind))
        if column in row_kinds:
            for row, (value, cell_kind) in enumerate(zip(frame[column].tolist(), row_kinds[column]), 1):
                write_value(sheet, row, col, value, formats.kind(cell_kind))
        else:
            write_column(sheet, col, frame[column])
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))
    return sheet


def table_sheet(book: Workbook, name: str, stem: str, frame: pd.DataFrame, formats: Formats) -> Worksheet:
    """One CSV of the plan folder, every value as the CSV holds it."""
    kinds = [COLUMN_KINDS.get(str(c), "number") for c in frame.columns]
    row_kinds = {}
    if stem in PER_ROW_KIND and PER_ROW_KIND[stem][0] in frame.columns:
        name_column, columns = PER_ROW_KIND[stem]
        per_row = [target_kind(t) for t in frame[name_column].tolist()]
        row_kinds = {c: per_row for c in columns if c in frame.columns}
    headers = [column_header(c, k, formats.style) for c, k in zip(frame.columns, kinds)]
    return write_frame(book, name, frame, kinds, formats, headers, row_kinds)


def flatten_parameters(value, path: str = "") -> list[tuple[str, object]]:
    """(parameter, value) for every scalar of the scenario: `budget.total`, `channels[livestream].max_spend`,
    `targets.mix[1].min_share`. List items are named by their `name` field when they have one, else by
    index; an empty list or mapping is one row, so that the parameter shows as entered."""
    if isinstance(value, dict):
        if not value and path:
            return [(path, "{}")]
        return [row for key, item in value.items()
                for row in flatten_parameters(item, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        if not value:
            return [(path, "[]")]
        rows = []
        for index, item in enumerate(value):
            label = item.get("name") if isinstance(item, dict) else None
            rows += flatten_parameters(item, f"{path}[{label if isinstance(label, str) and label else index}]")
        return rows
    return [(path, value)]


def inputs_sheet(book: Workbook, name: str, scenario: dict, formats: Formats) -> Worksheet:
    frame = pd.DataFrame(flatten_parameters(scenario), columns=["parameter", "value"], dtype=object)
    return write_frame(book, name, frame, ["text", "number"], formats)


def comparison_kind(item: str, metric: str, objective_kind: str) -> str:
    """The unit of one comparison.csv row, from its metric (and the target it belongs to)."""
    if metric == "achieved":
        return target_kind(item)
    if metric == "objective":
        return "count" if objective_kind == "max_new_customers" else "money"
    return COLUMN_KINDS.get(metric, "number")


def comparison_sheets(book: Workbook, comparison: pd.DataFrame, formats: Formats, taken: set[str],
                      objective_kind: str = "") -> list[Worksheet]:
    """One sheet per other plan of comparison.csv: this plan's value, that plan's and the delta (that - this)."""
    plans = [c for c in comparison.columns if c not in COMPARISON_KEYS and not str(c).startswith("delta_")]
    if len(plans) < 2:
        return []
    this = plans[0]
    row_kinds = [comparison_kind(str(i), str(m), objective_kind)
                 for i, m in zip(comparison["item"].tolist(), comparison["metric"].tolist())]
    sheets = []
    for other in plans[1:]:
        delta = f"delta_{other}"
        frame = comparison[list(COMPARISON_KEYS)].copy()
        frame["this plan"] = comparison[this].astype(float)
        frame["that plan"] = comparison[other].astype(float)
        difference = comparison[delta] if delta in comparison else comparison[other] - comparison[this]
        frame["delta"] = difference.astype(float)
        headers = list(COMPARISON_KEYS) + [f"this plan: {this}", f"that plan: {other}", f"delta ({other} - {this})"]
        kinds = ["text"] * 3 + ["number"] * 3
        sheets.append(write_frame(book, sheet_name(f"vs {other}", taken), frame, kinds, formats, headers,
                                  {c: row_kinds for c in ("this plan", "that plan", "delta")}))
    return sheets
