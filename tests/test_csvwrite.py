"""The fast CSV writer: every cell as the standard library's csv module reads it back, byte-stable."""

import csv
import io

import numpy as np
import pandas as pd
import pytest

from allocator.csvsafe import neutralise
from allocator.csvwrite import frame_to_csv


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
    rows = _read(frame_to_csv(frame, 4, neutralise, transformed))
    assert rows[0] == list(frame.columns)
    body = rows[1:]
    assert [r[0] for r in body] == ["web", "直播, live", 'say "hi"', "line\nbreak", "'=cmd", ""]
    assert [r[1] for r in body] == ["new", "new", "existing", "key", "new", "new"]
    # Fixed four decimals, half-even on the scaled value, no "-0.0000", NaN as an empty cell.
    assert [r[2] for r in body] == ["0.0000", "1234567.8912", "0.0000", "25000000.0000", "", "0.0000"]
    assert [r[3] for r in body] == ["0.1235", "1.0000", "0.5000", "", "0.0000", "1.0000"]
    assert [r[4] for r in body] == ["1", "22", "333", "4444", "0", "-5"]
    assert [r[5] for r in body] == ["True", "False", "True", "False", "False", "True"]
    assert [r[6] for r in body] == [">=", "<=", "=", ">=", "<=", "="]  # not neutralised: the tool's own words


def test_same_frame_same_bytes_and_one_line_per_row():
    frame = _mixed_frame()
    a = frame_to_csv(frame, 4, neutralise, ("channel",))
    b = frame_to_csv(frame.copy(), 4, neutralise, ("channel",))
    assert a == b
    assert a.endswith(b"\n") and a.count(b"\n") == len(frame) + 2  # header, rows, and the quoted line break


def test_many_rows_match_the_standard_writer():
    # A large frame exercises the byte-matrix join; pandas' own to_csv (with the same number format) is the
    # reference for every cell.
    rng = np.random.default_rng(4)
    n = 5000
    names = np.array([f"channel_{i:03d}" for i in range(60)] + ["a,b", "ünïcode"], dtype=object)
    frame = pd.DataFrame({
        "name": names[rng.integers(0, len(names), n)],
        "value": np.round(rng.normal(0, 1e6, n), 4),
        "small": np.where(rng.random(n) < 0.5, 0.0, rng.random(n)),
        "flag": rng.random(n) < 0.3,
    })
    ours = _read(frame_to_csv(frame, 4))
    theirs = _read(frame.to_csv(index=False, float_format="%.4f", lineterminator="\n").encode("utf-8"))
    assert ours == [[cell.replace("-0.0000", "0.0000") for cell in row] for row in theirs]


def test_empty_frame_is_only_the_header():
    assert frame_to_csv(pd.DataFrame({"a": pd.Series([], dtype=float), "b": pd.Series([], dtype=object)}), 4) == b"a,b\n"


def test_nul_in_text_cannot_break_the_row():
    rows = _read(frame_to_csv(pd.DataFrame({"a": ["x\0y", "z"], "b": [1.0, 2.0]}), 4))
    assert rows == [["a", "b"], ["x\ufffdy", "1.0000"], ["z", "2.0000"]]


@pytest.mark.parametrize("value", [1e19, -3.3e20])
def test_values_too_large_for_integer_formatting(value):
    rows = _read(frame_to_csv(pd.DataFrame({"v": [value, 1.5]}), 4))
    assert float(rows[1][0]) == value and rows[2][0] == "1.5000"
