"""Keep exported text cells from being read as formulas by spreadsheet programs.

Following OWASP's CSV-injection guidance, a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
leading apostrophe (and so is one that starts with an apostrophe, to keep the
mapping reversible); `restore` undoes it when our own tools read the file back.
Every text column is treated so; numbers are formatted apart and never are.
"""

from __future__ import annotations

import pandas as pd

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    # A value that already starts with an apostrophe gets one more, so that `restore` is exact.
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS + ("'",)):
        return "'" + value
    return value


def restore(value: object) -> object:
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(DANGEROUS_STARTS + ("'",)):
        return value[1:]
    return value


def restore_frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for column in columns:
        if column in out.columns:
            out[column] = out[column].map(restore)
    return out
