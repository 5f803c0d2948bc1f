"""Read and check a history table: what each channel x tier (x product) spent and won, period by period.

Public API:

- `read_history(path) -> DataFrame`: the table, checked, one row per date x channel x tier x product.
- `history_before(frame, as_of, window=None) -> DataFrame`: the rows dated before `as_of`, at most `window`
  back (``8q``, ``24m``, ``2y``, ``52w``); `parse_window` reads such a text.
- `HistoryError`: the typed error every bad value raises (an `InputError`: the CLI exits 2, writes nothing).

The file is CSV (any other suffix) or Parquet (``.parquet``/``.pq``; needs pyarrow). Its columns, named
in any case and order, are ``date, channel, tier, [product], spend, leads, customers, revenue``; other
columns are ignored. Gaps (a channel missing for some periods), zero-spend periods and channels that start
late are normal and kept as they are: nothing is filled in.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import InputError, Text
from allocator.scenario.schema import NAME_PATTERN

REQUIRED = ("date", "channel", "tier", "spend", "leads", "customers", "revenue")
NAMES = ("channel", "tier", "product")
AMOUNTS = ("spend", "leads", "customers", "revenue")
COUNTS = ("leads", "customers")  # whole numbers: the binomial intervals of calibration count them
KEY = ("date", "channel", "tier", "product")
PARQUET_SUFFIXES = (".parquet", ".pq")
MAX_FILE_BYTES = 500 * 1024 * 1024
# The largest amount one cell may hold: above any real row of spend, revenue or counts, even in rupiah or
# dong, and far enough below the float limit that sums and the intervals' squared residuals stay finite.
MAX_AMOUNT = 1e15
_NAME = re.compile(NAME_PATTERN)
_WINDOW = re.compile(r"^\s*(\d+)\s*([dwmqy])\s*$", re.IGNORECASE)


class HistoryError(InputError):
    """A history (or transactions) table, or an option about it, that cannot be used: one line naming the
    file, the row and column, the bad value and what was expected."""


def read_history(path: str | Path) -> pd.DataFrame:
    """The history table at `path`, checked and normalised.

    Returns one row per date x channel x tier x product (rows repeating a key are summed: an export may
    split a day), sorted by date, with columns:

    - ``date``: datetime64 (a ``2026-01`` cell reads as the 1st of the month);
    - ``channel``, ``tier``, ``product``: text (NFC); ``product`` is ``""`` when the file has none;
    - ``spend``, ``revenue``: money, float >= 0; ``leads``, ``customers``: whole counts, float >= 0,
      customers <= leads;
    - ``period``: the month of ``date``, ``"YYYY-MM"`` (a scenario's period names);
    - ``week``: the ISO week of ``date``, ``"YYYY-Www"``.

    ``frame.attrs`` holds ``grain`` ("daily", "weekly" or "monthly", see `detect_grain`), ``has_product``
    (bool) and ``source`` (the path). Raises `HistoryError` on a missing column, an unreadable date, a
    number that is not one, a negative amount, a fractional count, customers above leads, a bad name or an
    empty table.
    """
    path = Path(path)
    raw, unit, first = _read_raw(path)
    columns = {str(c).strip().lower(): c for c in raw.columns}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise HistoryError(path, f"column {missing[0]}", Text("missing"),
                           "the columns " + ", ".join(REQUIRED) + " (and optionally product)")
    has_product = "product" in columns
    raw = raw.rename(columns={original: name for name, original in columns.items()})
    if raw.empty:
        raise HistoryError(path, "rows", Text("none"), "at least one row of history")
    lines = [f"{unit} {n}" for n in range(first, first + len(raw))]  # CSV: the file's line; Parquet: the row
    frame = typed_rows(raw, path, lines)
    frame = frame.groupby(list(KEY), as_index=False, sort=True)[list(AMOUNTS)].sum()
    frame["period"] = frame["date"].dt.strftime("%Y-%m")
    iso = frame["date"].dt.isocalendar()
    frame["week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    frame.attrs.update(grain=detect_grain(frame["date"]), has_product=has_product, source=str(path))
    return frame


def detect_grain(dates: pd.Series) -> str:
    """"monthly" when every date is a month's 1st and distinct dates lie at least 28 days apart, "weekly"
    when all fall on one weekday at least 7 days apart, else "daily" (gaps between dates are allowed)."""
    distinct = pd.Series(pd.to_datetime(dates).unique()).sort_values()
    gaps = distinct.diff().dropna().dt.days
    smallest = gaps.min() if len(gaps) else np.inf
    if (distinct.dt.day == 1).all() and smallest >= 28:
        return "monthly"
    if distinct.dt.day_of_week.nunique() == 1 and smallest >= 7:
        return "weekly"
    return "daily"


def parse_window(text: str, option: str = "--window") -> pd.DateOffset:
    """``8q`` (quarters), ``24m`` (months), ``2y`` (years), ``52w`` (weeks) or ``90d`` (days) as an offset."""
    match = _WINDOW.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise HistoryError(option, "", text, "a positive count and a unit: 8q, 24m, 2y, 52w or 90d")
    count, unit = int(match.group(1)), match.group(2).lower()
    return {"d": pd.DateOffset(days=count), "w": pd.DateOffset(weeks=count), "m": pd.DateOffset(months=count),
            "q": pd.DateOffset(months=3 * count), "y": pd.DateOffset(years=count)}[unit]


def history_before(frame: pd.DataFrame, as_of, window: str | None = None, option: str = "--as-of") -> pd.DataFrame:
    """The rows dated strictly before `as_of` (a date or ``YYYY-MM-DD`` text) and, with `window`, on or after
    ``as_of - window``. Raises `HistoryError` when `as_of` is not a date or no history lies before it.
    The returned frame keeps `frame.attrs` and adds ``as_of``, ``window`` and ``first``/``last`` dates used."""
    moment = parse_date(as_of, option)
    kept = frame[frame["date"] < moment]
    if kept.empty:
        first = frame["date"].min()
        shown = as_of.strip() if isinstance(as_of, str) else f"{moment:%Y-%m-%d}"
        raise HistoryError(option, "", shown, f"a date after the history's first date ({first:%Y-%m-%d})")
    if window is not None:
        try:
            start = moment - parse_window(window)
        except (OverflowError, ValueError):  # a window longer than the calendar: all history before as_of
            start = pd.Timestamp.min
        kept = kept[kept["date"] >= start]
        if kept.empty:
            raise HistoryError("--window", "", window, f"a window reaching back to the history before {moment:%Y-%m-%d}")
    kept = kept.reset_index(drop=True)
    kept.attrs = {**frame.attrs, "as_of": f"{moment:%Y-%m-%d}", "window": window,
                  "first": f"{kept['date'].min():%Y-%m-%d}", "last": f"{kept['date'].max():%Y-%m-%d}"}
    return kept


def parse_date(text, option: str = "--as-of") -> pd.Timestamp:
    """A date given as ``YYYY-MM-DD`` (or a date/Timestamp) as a Timestamp; HistoryError otherwise."""
    try:
        moment = pd.Timestamp(text) if not isinstance(text, str) else pd.to_datetime(text.strip(), format="%Y-%m-%d")
    except (ValueError, TypeError):
        raise HistoryError(option, "", text, "a date YYYY-MM-DD") from None
    if pd.isna(moment):
        raise HistoryError(option, "", text, "a date YYYY-MM-DD")
    try:  # the tables hold nanosecond dates: a date outside their range cannot be compared with them
        moment = moment.as_unit("ns")
    except (OverflowError, ValueError):
        shown = text.strip() if isinstance(text, str) else f"{moment:%Y-%m-%d}"
        raise HistoryError(option, "", shown, f"a date YYYY-MM-DD from {pd.Timestamp.min.ceil('D'):%Y-%m-%d} to "
                           f"{pd.Timestamp.max:%Y-%m-%d}") from None
    return moment.normalize()


# --- reading ------------------------------------------------------------------------------------------------


def _read_raw(path: Path) -> tuple[pd.DataFrame, str, int]:
    """The file's records (CSV cells as text), how a record is named ("line" of a CSV file, "row" of a
    Parquet table) and the number of the first (a CSV header is line 1)."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise HistoryError(path, "", Text("unreadable"), f"a readable file ({exc.strerror})") from None
    if not path.is_file():
        raise HistoryError(path, "", Text("not a file"), "a CSV or Parquet file")
    if size > MAX_FILE_BYTES:
        raise HistoryError(path, "", Text(f"{size} bytes"), f"a file of at most {MAX_FILE_BYTES} bytes")
    if path.suffix.lower() in PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path), "row", 1
        except ImportError:
            raise HistoryError(path, "", Text("a Parquet file"), "pyarrow to read it: pip install pyarrow "
                               "(or save the table as CSV)") from None
        except Exception as exc:  # pyarrow's own errors for a damaged file
            raise HistoryError(path, "", Text("an unreadable Parquet file"), f"a valid Parquet file ({exc})") from None
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise HistoryError(path, "", Text("bytes that are not UTF-8"), "a UTF-8 CSV file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise HistoryError(path, "", Text("not a readable CSV table"), f"a CSV table with a header row "
                           f"({' '.join(str(exc).split())})") from None
    return raw, "line", 2


def _dates(column: pd.Series, path: Path, lines: list[str]) -> pd.Series:
    """Dates written ``YYYY-MM-DD`` (or ``YYYY-MM`` for a month); in Parquet, date or timestamp values."""
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = pd.to_datetime(column).dt.tz_localize(None) if getattr(column.dt, "tz", None) else column
    else:
        text = column.astype(str).str.strip()
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
        months = pd.to_datetime(text, format="%Y-%m", errors="coerce")
        parsed = parsed.fillna(months)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        raise HistoryError(path, f"{lines[bad[0]]}, date", column.iat[bad[0]], "a date YYYY-MM-DD (or YYYY-MM)")
    return parsed.dt.normalize().astype("datetime64[ns]").reset_index(drop=True)


def _names(column: pd.Series, path: Path, lines: list[str], name: str) -> pd.Series:
    """Names as a scenario takes them (NFC, 1-80 printable characters, no brackets); product may be blank."""
    text = column.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
    text = text.map(lambda v: unicodedata.normalize("NFC", v))
    for row, value in enumerate(text):
        if value == "" and name == "product":
            continue
        if not value or len(value) > 80 or not _NAME.match(value):
            raise HistoryError(path, f"{lines[row]}, {name}", value,
                               "a name of 1-80 printable characters without brackets")
    return text.reset_index(drop=True)


def _amounts(column: pd.Series, path: Path, lines: list[str], name: str) -> pd.Series:
    """Finite numbers >= 0; leads and customers whole. A blank cell is an error: 0 must be written."""
    values = pd.to_numeric(column.map(lambda v: str(v).strip() if isinstance(v, str) else v), errors="coerce")
    values = values.astype(float).to_numpy()
    expected = "a whole number >= 0" if name in COUNTS else "a number >= 0"
    bad = ~np.isfinite(values)
    if bad.any():
        row = np.flatnonzero(bad)[0]
        raise HistoryError(path, f"{lines[row]}, {name}", column.iat[row], f"{expected} (write 0 for none)")
    too_large = values > MAX_AMOUNT
    if too_large.any():
        row = np.flatnonzero(too_large)[0]
        raise HistoryError(path, f"{lines[row]}, {name}", column.iat[row], f"{expected}, at most {MAX_AMOUNT:.0e}")
    wrong = values < 0
    if name in COUNTS:
        wrong |= values != np.round(values)
    if wrong.any():
        row = np.flatnonzero(wrong)[0]
        raise HistoryError(path, f"{lines[row]}, {name}", column.iat[row], expected)
    return pd.Series(values)


def _number(value: float) -> str:
    return f"{value:g}"


def typed_rows(raw: pd.DataFrame, path: Path, lines: list[str], error: type[HistoryError] = HistoryError) -> pd.DataFrame:
    """The date, names and amounts of a history-shaped table, each checked (one line naming `lines[row]`):
    dates, names, non-negative amounts with whole counts, and no more customers than leads."""
    frame = pd.DataFrame({"date": _dates(raw["date"], path, lines)})
    for name in NAMES:
        frame[name] = _names(raw[name], path, lines, name) if name in raw else ""
    for name in AMOUNTS:
        frame[name] = _amounts(raw[name], path, lines, name)
    over = np.flatnonzero(frame["customers"].to_numpy() > frame["leads"].to_numpy())
    if over.size:
        row = over[0]
        raise error(path, f"{lines[row]}, customers", Text(_number(frame["customers"].iat[row])),
                    f"at most the row's leads ({_number(frame['leads'].iat[row])})")
    return frame
