"""Fast, deterministic CSV text for the plan's tables.

pandas' ``to_csv`` formats every float through Python, which costs more than
CBC's own solve on a 20k-cell plan. Here each distinct value is formatted once
and the cells are laid out with numpy: floats at full precision (the shortest
text that reads back as the same float64, so no amount is lost at any money
scale; NaN as an empty cell), booleans as True/False, text quoted per RFC 4180
when it holds a comma, quote or line break. The same input always gives the same bytes.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd


def format_float(values: np.ndarray) -> np.ndarray:
    """Full-precision ASCII cells (a bytes array as wide as the longest): the shortest text that reads back
    as the same float64 (Python's repr), NaN as an empty cell, no "-0.0". Each distinct value is formatted
    once (plans are mostly zeros and repeats)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=np.float64), use_na_sentinel=False)
    if distinct.size == 0:
        return np.array([], dtype="S1")
    # + 0.0 turns -0.0 into 0.0; NaN != NaN, so it alone gets an empty cell.
    text = [repr(v).encode("ascii") if v == v else b"" for v in (np.asarray(distinct, dtype=np.float64) + 0.0).tolist()]
    return np.array(text, dtype=bytes)[codes]


_NEEDS_QUOTES = re.compile(r'[,"\n\r]')


def quote(value: str) -> str:
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def format_text(values: pd.Series, transform=None) -> np.ndarray:
    """UTF-8 cells of a text column (a bytes array); `transform` (e.g. formula neutralising) runs once per
    distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # NUL cannot stand in a cell (it marks padding below; names are printable by the schema anyway).
    texts = [str(u) for u in uniques]
    if transform is not None:
        texts = [transform(t) for t in texts]
    done = [quote(t).replace("\0", "\ufffd").encode("utf-8") for t in texts]
    table = np.array(done + [b""], dtype=bytes)  # code -1 (missing) -> empty cell
    return table[codes]


def column_bytes(series: pd.Series, transform=None) -> np.ndarray:
    """The cells of one column as a fixed-width bytes array (blank cells are empty)."""
    if pd.api.types.is_bool_dtype(series):  # numpy bool, or pandas' nullable "boolean" (a missing value: blank)
        missing = series.isna().to_numpy(dtype=bool)
        values = series.fillna(False).to_numpy(dtype=bool)
        return np.where(missing, b"", np.where(values, b"True", b"False"))
    if pd.api.types.is_integer_dtype(series):
        return series.to_numpy().astype(bytes)
    if pd.api.types.is_float_dtype(series):
        return format_float(series.to_numpy(dtype=np.float64))
    return format_text(series, transform)


def frame_to_csv(frame: pd.DataFrame, text_transform=None, transform_columns=()) -> bytes:
    """The UTF-8 CSV of `frame` (header line, one line per row, trailing newline).

    All float columns are formatted together, and so are the text columns that share a transform
    (one pass each instead of one per column). The cells are then laid side by side in one byte
    matrix, with the separators, and the padding of the fixed-width columns is dropped in one pass;
    no Python loop runs per row.
    """
    header = ",".join(quote(text_transform(str(c)) if text_transform else str(c)) for c in frame.columns) + "\n"
    n = len(frame)
    if n == 0 or len(frame.columns) == 0:
        return header.encode("utf-8")
    series = [column for _, column in frame.items()]
    cells: list = [None] * len(series)
    floats, texts = [], {True: [], False: []}
    for i, column in enumerate(series):
        dtype = column.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            floats.append(i)
        elif (isinstance(dtype, np.dtype) and dtype.kind == "O") or isinstance(dtype, pd.StringDtype):
            texts[frame.columns[i] in transform_columns and text_transform is not None].append(i)
        else:
            cells[i] = column_bytes(column)
    if floats:
        _spread(cells, floats, n, format_float(np.concatenate([series[i].to_numpy(dtype=np.float64) for i in floats])))
    for transformed, group in texts.items():
        if group:
            values = pd.Series(np.concatenate([series[i].to_numpy(dtype=object) for i in group]), dtype=object)
            _spread(cells, group, n, format_text(values, text_transform if transformed else None))
    return header.encode("utf-8") + _join_rows(cells)


def _spread(cells: list, positions: list[int], n: int, stacked: np.ndarray) -> None:
    """Columns formatted together (one after another in `stacked`) back to their places, each cut to the
    width of its own longest cell (less padding to drop when the rows are joined)."""
    for k, i in enumerate(positions):
        column = stacked[k * n:(k + 1) * n]
        width = max(1, int(np.strings.str_len(column).max()))
        cells[i] = column if width == column.dtype.itemsize else column.astype(f"S{width}")


def _join_rows(cells: list[np.ndarray]) -> bytes:
    n = cells[0].shape[0]
    widths = [c.dtype.itemsize for c in cells]
    matrix = np.zeros((n, sum(widths) + len(widths)), dtype=np.uint8)
    position = 0
    for k, (column, width) in enumerate(zip(cells, widths)):
        matrix[:, position:position + width] = column.view(np.uint8).reshape(n, width)
        position += width
        matrix[:, position] = ord("\n") if k == len(cells) - 1 else ord(",")
        position += 1
    return matrix[matrix != 0].tobytes()  # row-major: the rows in order, the padding (NUL bytes) dropped
