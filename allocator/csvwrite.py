"""Fast, deterministic CSV text for the plan's tables.

pandas' ``to_csv`` formats every float through Python, which costs more than
CBC's own solve on a 20k-cell plan. Here each column is formatted at once with
numpy string ufuncs: floats with a fixed number of decimals (NaN as an empty
cell), booleans as True/False, text quoted per RFC 4180 when it holds a comma,
quote or line break. The same input always gives the same bytes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Beyond this magnitude x * 10**decimals no longer fits an int64; such values use Python formatting.
_INT_SAFE = 9.0e18


def format_float(values: np.ndarray, decimals: int) -> np.ndarray:
    """Fixed-decimal text; each distinct value is formatted once (plans are mostly zeros and repeats)."""
    codes, distinct = pd.factorize(np.asarray(values, dtype=np.float64), use_na_sentinel=False)
    return _format_distinct(np.asarray(distinct, dtype=np.float64), decimals)[codes]


def _format_distinct(values: np.ndarray, decimals: int) -> np.ndarray:
    if values.size == 0:
        return np.array([], dtype=str)
    finite = np.isfinite(values)
    scale = 10 ** decimals
    clean = np.where(finite, values, 0.0)
    if np.abs(clean).max(initial=0.0) * scale >= _INT_SAFE:
        text = np.array([f"{v:.{decimals}f}" for v in clean.tolist()], dtype=str)
        return np.where(finite, text, "")
    scaled = np.round(clean * scale).astype(np.int64)
    magnitude = np.abs(scaled)
    whole = (magnitude // scale).astype(str)
    text = np.strings.add(whole, ".") if decimals else whole
    if decimals:
        text = np.strings.add(text, np.strings.zfill((magnitude % scale).astype(str), decimals))
    text = np.where(scaled < 0, np.strings.add("-", text), text)
    return np.where(finite, text, "")


def quote(value: str) -> str:
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def format_text(values: pd.Series, transform=None) -> np.ndarray:
    """Strings for a text column; `transform` (e.g. formula neutralising) runs once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    done = [quote(transform(str(u)) if transform else str(u)) for u in uniques]
    table = np.asarray(done + [""], dtype=object)  # code -1 (missing) -> empty cell
    return table[codes]


def frame_to_csv(frame: pd.DataFrame, decimals: int, text_transform=None, transform_columns=()) -> str:
    """The CSV text of `frame` (header line, one line per row, trailing newline)."""
    header = ",".join(quote(text_transform(str(c)) if text_transform else str(c)) for c in frame.columns)
    if len(frame) == 0:
        return header + "\n"
    columns = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_bool_dtype(series):
            columns.append(np.where(series.to_numpy(dtype=bool), "True", "False"))
        elif pd.api.types.is_integer_dtype(series):
            columns.append(series.to_numpy().astype(str))
        elif pd.api.types.is_float_dtype(series):
            columns.append(format_float(series.to_numpy(dtype=np.float64), decimals))
        else:
            columns.append(format_text(series, text_transform if name in transform_columns else None))
    if not columns:
        return header + "\n"
    lines = map(",".join, zip(*(column.tolist() for column in columns)))
    return header + "\n" + "\n".join(lines) + "\n"
