"""A scenario's CSV table (funnel, baseline) read into rows: each distinct file content parsed once.

A what-if session or a sweep loads its scenario once per variant; the tables it names do not change
between variants, so their rows are parsed once per content (the bytes are still read, and hashed into
the scenario's digest, every time) and each caller gets its own copy.
"""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

from pydantic import BaseModel

from allocator.errors import ScenarioError, Text
from allocator.scenario.csvsafe import restore


def table_rows(raw: bytes, csv_path: Path, section: str, model: type[BaseModel],
               required: tuple[str, ...]) -> tuple[list[dict], list[int]]:
    """The table's rows (column -> text, empty cells left out) and the line number of each, or ScenarioError."""
    rows, line_numbers = _parsed(raw, str(csv_path), section, model, tuple(required))
    return [dict(row) for row in rows], list(line_numbers)  # each row's own dict; its values are text


@functools.lru_cache(maxsize=32)
def _parsed(raw: bytes, name: str, section: str, model: type[BaseModel], required: tuple[str, ...]):
    csv_path = Path(name)
    all_rows = csv_records(raw, csv_path, ScenarioError)
    if not all_rows:
        raise ScenarioError(csv_path, "", Text("an empty file"), f"a header row with columns {', '.join(required)}")
    header = _check_header([h.strip() for h in all_rows[0][1]], csv_path, section, model, required)
    rows = []
    line_numbers = []
    for line_no, row in all_rows[1:]:
        if len(row) != len(header):
            raise ScenarioError(csv_path, f"line {line_no}", Text(f"{len(row)} fields"), f"{len(header)} fields, as in the header")
        # restore: our tables (calibrate's funnel.csv) write "@shop" as "'@shop" against spreadsheet formulas.
        rows.append({k: restore(v.strip()) for k, v in zip(header, row) if v.strip() != ""})
        line_numbers.append(line_no)
    return rows, tuple(line_numbers)


def utf8_text(raw: bytes, path: Path, expected: str, error: type[Exception] = ScenarioError) -> str:
    """A file's bytes as text (a byte-order mark dropped); `error` for bytes that are not UTF-8 text."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(path, "", Text(f"bytes that are not UTF-8 text (at byte {exc.start})"), expected) from None
    if "\x00" in text:
        raise error(path, "", Text("binary data (NUL bytes)"), expected)
    return text


def csv_records(raw: bytes, path: Path, error: type[Exception] = ScenarioError) -> list[tuple[int, list[str]]]:
    """A CSV file's records as (line number, cells), blank lines skipped but counted; `error` (ScenarioError,
    or a kind with its arguments: file, field, value, expected) for text that is not UTF-8 or not CSV."""
    text = utf8_text(raw, path, "a UTF-8 CSV file", error)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise error(path, f"line {reader.line_num}", Text(f"malformed CSV ({exc})"),
                    "a comma-separated table with a header row") from None


def _check_header(header: list[str], csv_path: Path, section: str, model: type[BaseModel], required: tuple[str, ...]) -> list[str]:
    """The header of a table of ours, or ScenarioError.

    Until the header shows the table's key columns the file may be anything (a
    CSV the scenario should never have named), so nothing of it is quoted.
    """
    keys = [c for c in required[:2] if c not in header]  # channel, tier: every table has them
    if keys:
        raise ScenarioError(csv_path, "header", Text(f"a first row of {len(header)} cells without the column {keys[0]}"),
                            f"a {section} table: a header row with columns {', '.join(required)}")
    allowed = list(model.model_fields)
    for name in header:
        if name not in allowed:
            raise ScenarioError(csv_path, "header", name, f"a column among: {', '.join(allowed)}")
    for name in header:
        if header.count(name) > 1:
            raise ScenarioError(csv_path, "header", Text(f"the column {name} {header.count(name)} times"),
                                "each column once (a repeated column would silently replace the first)")
    missing = [c for c in required if c not in header]
    if missing:
        raise ScenarioError(csv_path, "header", ", ".join(header), f"columns including {', '.join(missing)}")
    return header
