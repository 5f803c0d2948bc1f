"""The fast CSV writer: every cell as the standard library's csv module reads it back, byte-stable."""

import csv
import io

import numpy as np
import pandas as pd
import pytest

from allocator.scenario.csvsafe import neutralise
from allocator.io.csvwrite import frame_to_csv


def _read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "channel": ["web", "直播, live", 'say "hi"', "line\nbreak", "=cmd", None],
        "kind": pd.Series(["new", "new", "existing", "key", "new", "new"], dtype="str"),
        "spend": [0.0, 1234567.891249, -0.00004, 2.5e7, np.nan, 1e-12],
        "share": [0.123456, 1.0, 0.5, np.nan, 0.0, 0.99995],
        "count": np.array([1, 22, 333, 4444, 0, -5], dtype=np.int64),
        "binding": [True, False, True, False, False, True],
        "sense": [">=", "<=", "=", ">=", "<=", "="],
    })


def test_cells_read_back_as_written():
    frame = _mixed_frame()
    transformed = tuple(c for c in frame.columns if c != "sense")
    rows = _read(frame_to_csv(frame, neutralise, transformed))
    assert rows[0] == list(frame.columns)
    body = rows[1:]
    assert [r[0] for r in body] == ["web", "直播, live", 'say "hi"', "line\nbreak", "'=cmd", ""]
    assert [r[1] for r in body] == ["new", "new", "existing", "key", "new", "new"]
    # Full precision, the shortest text that reads back as the same float64: nothing a fixed number of
    # decimals would round away (-0.00004 and 1e-12 stay themselves), NaN as an empty cell.
    assert [r[2] for r in body] == ["0.0", "1234567.891249", "-4e-05", "25000000.0", "", "1e-12"]
    assert [r[3] for r in body] == ["0.123456", "1.0", "0.5", "", "0.0", "0.99995"]
    assert [r[4] for r in body] == ["1", "22", "333", "4444", "0", "-5"]
    assert [r[5] for r in body] == ["True", "False", "True", "False", "False", "True"]
    assert [r[6] for r in body] == [">=", "<=", "=", ">=", "<=", "="]  # not neutralised: the tool's own words


def test_same_frame_same_bytes_and_one_line_per_row():
    frame = _mixed_frame()
    a = frame_to_csv(frame, neutralise, ("channel",))
    b = frame_to_csv(frame.copy(), neutralise, ("channel",))
    assert a == b
    assert a.endswith(b"\n") and a.count(b"\n") == len(frame) + 2  # header, rows, and the quoted line break


def test_many_rows_match_the_standard_writer():
    # A large frame exercises the byte-matrix join; pandas' own to_csv (which writes floats with Python's
    # repr) is the reference for every cell, and every number reads back as the very same float64.
    rng = np.random.default_rng(4)
    n = 5000
    names = np.array([f"channel_{i:03d}" for i in range(60)] + ["a,b", "ünïcode"], dtype=object)
    frame = pd.DataFrame({
        "name": names[rng.integers(0, len(names), n)],
        "value": rng.normal(0, 1e6, n),
        "small": np.where(rng.random(n) < 0.5, 0.0, rng.random(n) * 10.0 ** rng.integers(-12, 12, n)),
        "flag": rng.random(n) < 0.3,
    })
    ours = _read(frame_to_csv(frame))
    theirs = _read(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    assert ours == theirs
    assert [float(r[1]) for r in ours[1:]] == frame["value"].tolist()
    assert [float(r[2]) for r in ours[1:]] == frame["small"].tolist()


def test_scale_does_not_change_the_digits():
    # The same amounts in millions keep every significant digit (a fixed 4 decimals wrote 9e-05 as 0.0001).
    rows = _read(frame_to_csv(pd.DataFrame({"cpl": [90.0, 9e-05, 0.000457, -0.0]})))
    assert [r[0] for r in rows[1:]] == ["90.0", "9e-05", "0.000457", "0.0"]


def test_empty_frame_is_only_the_header():
    assert frame_to_csv(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)})) == b"a,b\n"


def test_nul_in_text_cannot_break_the_row():
    rows = _read(frame_to_csv(pd.DataFrame({"a": ["x\0y", "z"], "b": [1.0, 2.0]})))
    assert rows == [["a", "b"], ["x\ufffdy", "1.0"], ["z", "2.0"]]


@pytest.mark.parametrize("value", [1e19, -3.3e20])
def test_values_too_large_for_integer_formatting(value):
    rows = _read(frame_to_csv(pd.DataFrame({"v": [value, 1.5]})))
    assert float(rows[1][0]) == value and rows[2][0] == "1.5"


def test_a_nullable_boolean_column_writes_missing_values_blank():
    # explain's valid_from_open is True/False for ranged rows and missing for the others: writing it crashed.
    frame = pd.DataFrame({"name": ["a", "b", "c"], "open": pd.array([True, None, False], dtype="boolean")})
    assert frame_to_csv(frame).decode() == "name,open\na,True\nb,\nc,False\n"
