"""Keep exported text cells from being read as formulas by spreadsheet programs.

Following OWASP's CSV-injection guidance, a text cell that starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
leading apostrophe (and so is one that starts with an apostrophe, to keep the
mapping reversible); `restore` undoes it when our own tools read the file back.
Every text column is treated so; numbers are formatted apart and never are.
A text cell that is itself a plain number (a channel named ``-1``) is left as
it is: a spreadsheet reads it as that number, never as a formula, and the
apostrophe would change the data.
"""

from __future__ import annotations

import re

import pandas as pd

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Optional sign, digits with an optional decimal point, optional exponent: nothing a formula could hide in.
PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def neutralise(value: object) -> object:
    # A value that already starts with an apostrophe gets one more, so that `restore` is exact.
    if isinstance(value, str) and value.startswith(DANGEROUS_STARTS + ("'",)) and not PLAIN_NUMBER.fullmatch(value):
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
