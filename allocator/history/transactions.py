"""Read and check a transactions table: one row per purchase (or return) of a customer.

Public API:

- `read_transactions(path) -> Transactions`: the table, checked; its SHA-256 for the run record.

The file is CSV (any suffix but Parquet's) or Parquet (``.parquet``/``.pq``; needs pyarrow). Columns,
named in any case and order: ``customer_id``, ``date`` (``YYYY-MM-DD``; a time after it is ignored),
``amount`` (money; negative for a return or refund), optional ``order_id`` and ``product``; other columns
(``quantity``...) are ignored. A bad value is one `HistoryError` naming the file, the line (CSV; the
header is line 1) or row (Parquet, from 1), the column, the value and what was expected.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import Text
from allocator.history.history_table import MAX_AMOUNT, HistoryError
from allocator.scenario.tables import csv_records

REQUIRED = ("customer_id", "date", "amount")
OPTIONAL = ("order_id", "product")
PARQUET_SUFFIXES = (".parquet", ".pq")
MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024  # 2 GiB: tens of millions of rows; a larger file is refused unread
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ].*)?$")


@dataclass(frozen=True)
class Transactions:
    """A checked transactions table.

    ``frame`` columns: ``customer_id`` (text), ``date`` (datetime64, midnight), ``amount`` (float, money),
    ``order_id`` and ``product`` (text, ``""`` when the file has no such column), in the file's order.
    """

    path: Path
    frame: pd.DataFrame
    sha256: str
    has_order_id: bool


def read_transactions(path: str | Path) -> Transactions:
    """The transactions at `path`, checked. Raises `HistoryError` (exit 2) on an unreadable file, a missing
    column, an empty table, a blank customer id, a date that is not ``YYYY-MM-DD``, or an amount that is
    not a finite number."""
    path = Path(path)
    data = _read_bytes(path)
    raw, lines = _read_parquet(path, data) if path.suffix.lower() in PARQUET_SUFFIXES else _read_csv(path, data)
    columns = {}
    for original in raw.columns:
        name = str(original).strip().lower()
        if name in columns and name in REQUIRED + OPTIONAL:
            raise HistoryError(path, "header", Text(f"the column {name} twice"), "each column once")
        columns[name] = original
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise HistoryError(path, "header", Text(f"no column {missing[0]}"),
                           "the columns customer_id, date, amount (and optionally order_id, product)")
    raw = raw.rename(columns={original: name for name, original in columns.items()})
    if raw.empty:
        raise HistoryError(path, "rows", Text("none (a header only)"), "at least one transaction")
    frame = pd.DataFrame({
        "customer_id": _ids(raw["customer_id"], path, lines, "customer_id", blank_ok=False),
        "date": _dates(raw["date"], path, lines),
        "amount": _amounts(raw["amount"], path, lines),
    })
    for name in OPTIONAL:
        frame[name] = _ids(raw[name], path, lines, name, blank_ok=True) if name in raw else ""
    return Transactions(path, frame, hashlib.sha256(data).hexdigest(), "order_id" in raw)


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, read once (what is parsed is what is hashed)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise HistoryError(path, "", Text(f"no readable file ({exc.strerror})"), "a CSV or Parquet file") from None
    if not path.is_file():
        raise HistoryError(path, "", Text("a folder"), "a CSV or Parquet file of transactions")
    if size == 0:
        raise HistoryError(path, "", Text("an empty file"), "a header row: customer_id, date, amount")
    if size > MAX_FILE_BYTES:
        raise HistoryError(path, "", Text(f"{size} bytes"), f"a file of at most {MAX_FILE_BYTES} bytes")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HistoryError(path, "", Text(f"no readable file ({exc.strerror})"), "a CSV or Parquet file") from None


def _read_parquet(path: Path, data: bytes) -> tuple[pd.DataFrame, list[str]]:
    """A Parquet table's columns with each record's place ("row 1" first), for messages."""
    try:
        raw = pd.read_parquet(io.BytesIO(data))
    except ImportError:
        raise HistoryError(path, "", Text("a Parquet file"), "pyarrow to read it: pip install pyarrow "
                           "(or save the table as CSV)") from None
    except Exception as exc:  # the Parquet library's own errors for a damaged file
        raise HistoryError(path, "", Text("an unreadable Parquet file"),
                           f"a valid Parquet file ({' '.join(str(exc).split())})") from None
    return raw.reset_index(drop=True), [f"row {n}" for n in range(1, len(raw) + 1)]


def _read_csv(path: Path, data: bytes) -> tuple[pd.DataFrame, list[str]]:
    """A CSV file's cells as text with each record's line (the header is line 1; blank lines are skipped
    but counted; a record of another length than the header is refused: its cells would shift)."""
    records = csv_records(data, path, HistoryError)
    if not records:
        raise HistoryError(path, "", Text("an empty file"), "a header row: customer_id, date, amount")
    header = records[0][1]
    for line, row in records[1:]:
        if len(row) != len(header):
            raise HistoryError(path, f"line {line}", Text(f"{len(row)} fields"), f"{len(header)} fields, as in the "
                               "header (a number with a comma in it must be quoted, or written without it)")
    columns = list(zip(*(row for _, row in records[1:]))) or [()] * len(header)
    raw = pd.DataFrame({i: pd.Series(values, dtype=object) for i, values in enumerate(columns)})
    raw.columns = header
    return raw, [f"line {line}" for line, _ in records[1:]]


def _text(column: pd.Series) -> pd.Series:
    """Cells as stripped text; a missing cell (Parquet's null) is blank."""
    return column.where(column.notna(), "").astype(str).str.strip()


def _ids(column: pd.Series, path: Path, lines: list[str], name: str, blank_ok: bool) -> pd.Series:
    """Identifiers as text, stripped (``00042`` stays ``00042``); one line only."""
    text = _text(column).reset_index(drop=True)
    bad = text.str.contains(r"[\r\n]", regex=True) if blank_ok else (text == "") | text.str.contains(r"[\r\n]")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise HistoryError(path, f"{lines[row]}, column {name}", text[row], f"a {name} (not blank, one line)")
    return text


def _dates(column: pd.Series, path: Path, lines: list[str]) -> pd.Series:
    """Dates ``YYYY-MM-DD`` (a time after the date is ignored); in Parquet, date or timestamp values."""
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = column.dt.tz_localize(None) if getattr(column.dt, "tz", None) else column
    else:
        text = _text(column)
        shaped = text.str.match(_DATE)
        parsed = pd.to_datetime(text.str.slice(0, 10).where(shaped), format="%Y-%m-%d", errors="coerce")
    parsed = parsed.reset_index(drop=True)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        row = int(bad[0])
        raise HistoryError(path, f"{lines[row]}, column date", column.iat[row], "a date YYYY-MM-DD")
    return parsed.dt.normalize().astype("datetime64[ns]")


def _amounts(column: pd.Series, path: Path, lines: list[str]) -> pd.Series:
    """Finite numbers (a negative amount is a return); a blank cell is an error: 0 must be written."""
    text = column if pd.api.types.is_numeric_dtype(column) else _text(column)
    values = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        raise HistoryError(path, f"{lines[row]}, column amount", column.iat[row],
                           "a number such as 12.50 (negative for a return; no thousands separators)")
    bad = np.flatnonzero(np.abs(values) > MAX_AMOUNT)
    if bad.size:
        row = int(bad[0])
        raise HistoryError(path, f"{lines[row]}, column amount", column.iat[row],
                           f"an amount of at most {MAX_AMOUNT:.0e} either way")
    return pd.Series(values)
