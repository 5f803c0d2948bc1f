"""The plan as one self-contained HTML file for the budget review.

One file that opens offline: its CSS is inlined, its charts are inline SVG, it runs no script and loads
nothing (no fonts, images or styles from anywhere). Every number is printed by the same `show` the
workbook and the terminal use, from the rounded rows of `build_report`, so the page reads exactly as
they do and a table's rows add up to its total row as printed. Text from the scenario (its name, the
names of channels, tiers, products) is escaped by the template (autoescape on): it shows as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from allocator.plan.display import show
from allocator.review.charts import chart_svg
from allocator.review.content import Report, Table

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Columns of sentences: they wrap, where names and numbers keep to one line.
WORDS = {"statement", "effect", "note", "message", "limit"}
# Printed, a table must fit A4 less the page's margins (report.css: 12 mm a side), in CSS px. A character
# of a table takes about this much at the normal (8pt) and the small (6.5pt) print size (bold figures of
# DejaVu Sans, the widest of the common system fonts: narrower fonts leave room), a cell this much padding.
PRINT_WIDTH = 700
CHAR_PX = {"normal": 7.5, "small": 6.1}
CELL_PADDING_PX = 10
PART_COLUMNS = 13  # columns of numbers a table part holds at most: a year of weeks, a quarter at a time
SHORT = 12  # a headline in words this short ("13 of 13") gets a card the size of a number's


@dataclass
class Cell:
    text: str
    align: str  # "text", "num" or "flag": the CSS class that sets its alignment


@dataclass
class Part:
    """One printed table: a section's rows with some of its columns (all of them, unless there are many)."""

    caption: str  # which columns this part holds ("2027-W01 to 2027-W13"), or "" for the whole table
    headers: list[Cell]
    rows: list[list[Cell]]
    total: list[Cell] | None
    wide: bool


@dataclass
class TableView:
    """One section as the template prints it: every cell already text."""

    key: str
    title: str
    parts: list[Part]
    note: str
    more: str  # "and 3 more (see sensitivity.csv)", or ""
    chart: Markup | None = None


@dataclass
class Card:
    label: str
    value: str
    short: bool  # a number or a few words: a small card


@dataclass
class PageView:
    title: str
    facts: list[str]
    status: str
    solved: bool
    cards: list[Card]
    checked: list[str]
    costliest: list[str]
    sections: list[TableView] = field(default_factory=list)
    css: Markup = Markup("")


def _align(table: Table, row: dict, column) -> str:
    kind = table.kind(row, column)
    return "text" if kind == "text" else "flag" if kind == "flag" else "num"


def _cells(table: Table, row: dict) -> list[Cell]:
    cells = []
    for column in table.columns:
        align = _align(table, row, column)
        words = align == "text" and column.key in WORDS
        cells.append(Cell(table.text(row, column), "words" if words else align))
    return cells


def _min_chars(header: Cell, cells: list[Cell]) -> int:
    """The characters a column needs at least: a number's whole text, a header's or a text's longest word
    (they wrap at spaces)."""
    words = [len(w) for cell in [header] + [c for c in cells if c.align not in ("num", "flag")] for w in cell.text.split()]
    return max(words + [len(c.text) for c in cells if c.align in ("num", "flag")] + [1])


def _print_px(chars: list[int], size: str) -> float:
    return sum(CHAR_PX[size] * n + CELL_PADDING_PX for n in chars)


def _column_groups(table: Table, chars: list[int]) -> list[tuple[str, list[int]]]:
    """(caption, column indices) of each printed part: the whole table when it fits A4's width in the
    small print size, else the row names again with as many next columns as fit (a year of weeks), so
    that nothing is clipped or shrunk past reading. A part's caption names its first and last column."""
    count = len(table.columns)
    keep = list(range(1 if table.columns and table.columns[0].kind == "text" else 0))
    if count - len(keep) <= PART_COLUMNS and _print_px(chars, "small") <= PRINT_WIDTH:
        return [("", list(range(count)))]
    groups: list[list[int]] = []
    for i in range(len(keep), count):
        group = groups[-1] if groups else None
        if group and len(group) < PART_COLUMNS and _print_px([chars[j] for j in keep + group + [i]], "small") \
                <= PRINT_WIDTH:
            group.append(i)
        else:
            groups.append([i])
    return [(f"{table.columns[g[0]].title} to {table.columns[g[-1]].title}", keep + g) for g in groups]


def table_view(table: Table) -> TableView:
    first = table.rows[0] if table.rows else {}
    headers = [Cell(table.header(c), _align(table, first, c) if c.kind != "row" else "num") for c in table.columns]
    rows = [_cells(table, row) for row in table.rows]
    total = _cells(table, table.total) if table.total else None
    body = rows + ([total] if total else [])
    chars = [_min_chars(headers[i], [row[i] for row in body]) for i in range(len(headers))]
    parts = [Part(caption, [headers[i] for i in group], [[row[i] for i in group] for row in rows],
                  [total[i] for i in group] if total else None,
                  _print_px([chars[i] for i in group], "normal") > PRINT_WIDTH)
             for caption, group in _column_groups(table, chars)]
    more = f"and {table.hidden:,} more (see {table.source})" if table.hidden > 0 else ""
    svg = chart_svg(table, table.title)
    return TableView(table.key, table.title, parts, table.note, more, Markup(svg) if svg else None)


def _facts(report: Report) -> list[str]:
    """The line under the title: where the plan came from and how it was solved."""
    run = report.document.run
    scenario = run.get("scenario") or {}
    facts = []
    if scenario.get("file"):
        facts.append(f"scenario {Path(str(scenario['file'])).name}")
    if report.document.currency:
        facts.append(f"money in {report.document.currency}")
    solver = f"{run.get('solver', '')} {run.get('solver_version', '')}".strip()
    if solver:
        facts.append(f"solved with {solver}")
    if run.get("created_at"):
        facts.append(f"on {str(run['created_at'])[:16].replace('T', ' ')} UTC")
    return facts


def page_view(report: Report) -> PageView:
    style = report.document.style
    status, cards = "", []
    for item in report.headline:
        if item.label == "status":
            status = str(item.value)
        else:
            value = show(item.value, item.kind, style)
            cards.append(Card(item.label, value, item.kind != "text" or len(value) <= SHORT))
    return PageView(report.document.name, _facts(report), status, report.document.solved, cards,
                    report.statements.get("checked", []), report.statements.get("costliest", []),
                    [table_view(t) for t in report.sections])


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def report_html(report: Report) -> str:
    """The report as one HTML document (text): open it in any browser, offline, or print it to A4."""
    view = page_view(report)
    view.css = Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))
    return _environment().get_template("report.html.j2").render(page=view)
