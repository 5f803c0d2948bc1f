"""Read the attainment table `allocator incentives` pays from: each payee's monthly target and actual.

Public API: `read_attainment(path, people) -> DataFrame` and `COLUMNS` (the documented columns).

A CSV file, one row per payee x month (x product x channel when commission rates differ by them):

- ``person`` (required): a payee named in the rules' people (a person, or a team paid as one);
- ``month`` (required): ``YYYY-MM``;
- ``target``, ``actual`` (required): the month's quota and what was achieved, in one unit (money for a
  revenue quota; a count for a customer quota); numbers >= 0. Rows of one payee and month are summed, and
  attainment = sum(actual) / sum(target), which must have a target > 0;
- ``sales`` (optional): attributed sales (money) that commission is paid on; without the column, ``actual``
  is the attributed sales;
- ``new_customers`` (optional): whole count, for awards on new customers;
- ``product``, ``channel`` (optional): names matched by commission rates `by:` (blank: none);
- ``reached_on`` (optional): ``YYYY-MM-DD`` within the month, the day the payee's month reached its target
  (blank: not reached, or not known); breaks ties of first_to awards.

Other columns are ignored. A payee x month x product x channel appears once.

`allocator track`'s ``kpis_monthly.csv`` is read too (a table with no ``person`` column and the columns
month, channel, revenue, plan_month_revenue): each channel is a payee, its team paid as one, named in the
rules' people by the channel's name; target = the month's whole planned revenue, actual = attributed
sales = its revenue. The ``all`` rows, months not yet finished (days < month_days) and channels that are
no payee are left out (the last are listed in ``frame.attrs["left_out"]``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from allocator.errors import Text
from allocator.scenario.fields import NAME_PATTERN
from allocator.tracking.incentive_rules import IncentiveError, Person, read_csv_text

REQUIRED = ("person", "month", "target", "actual")
OPTIONAL = ("sales", "new_customers", "product", "channel", "reached_on")
COLUMNS = REQUIRED + OPTIONAL
# `allocator track`'s kpis_monthly.csv (allocator.tracking.kpis MONTHLY), read when the table has no person column.
TRACK_COLUMNS = ("month", "channel", "revenue", "plan_month_revenue")
MAX_TABLE_BYTES = 200 * 1024 * 1024
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_NAME = re.compile(NAME_PATTERN)


def read_attainment(path: str | Path, people: dict[str, Person]) -> pd.DataFrame:
    """The table's rows, checked: columns person, month (``YYYY-MM``), target, actual, sales, new_customers
    (floats; sales = actual when the file has no sales column, new_customers NaN when it has none),
    product, channel (text, "" for none), reached_on (Timestamp or NaT) and line (the file's line)."""
    path = Path(path)
    raw = read_csv_text(path, "attainment table (CSV)", MAX_TABLE_BYTES)
    columns = {str(c).strip().lower(): c for c in raw.columns}
    left_out: list[str] = []
    if "person" not in columns and all(c in columns for c in TRACK_COLUMNS):
        raw, left_out = _from_track(raw.rename(columns={original: name for name, original in columns.items()}),
                                    path, people)
        columns = {name: name for name in raw.columns}
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise IncentiveError(path, f"column {missing[0]}", Text("missing"),
                             "the columns " + ", ".join(REQUIRED) + " (optionally " + ", ".join(OPTIONAL) + ")")
    if raw.empty:
        raise IncentiveError(path, "rows", Text("none"), "at least one payee's month")
    raw = raw.rename(columns={original: name for name, original in columns.items()})
    lines = raw.attrs.get("lines") or list(range(2, len(raw) + 2))
    frame = pd.DataFrame({"line": lines})
    frame["person"] = [_person(v, path, n, people) for v, n in zip(raw["person"], lines)]
    frame["month"] = [_month(v, path, n) for v, n in zip(raw["month"], lines)]
    for name in ("target", "actual", "sales", "new_customers"):
        if name in raw:
            frame[name] = [_amount(v, path, n, name) for v, n in zip(raw[name], lines)]
    if "sales" not in frame:
        frame["sales"] = frame["actual"]
    if "new_customers" not in frame:
        frame["new_customers"] = np.nan
    for name in ("product", "channel"):
        frame[name] = [_name(v, path, n, name) for v, n in zip(raw[name], lines)] if name in raw else ""
    frame["reached_on"] = ([_day(v, m, path, n) for v, m, n in zip(raw["reached_on"], frame["month"], lines)]
                           if "reached_on" in raw else pd.NaT)
    frame["reached_on"] = pd.to_datetime(frame["reached_on"])
    _check_keys(frame, path)
    frame.attrs["left_out"] = left_out
    return frame


def _from_track(raw: pd.DataFrame, path: Path, people: dict[str, Person]) -> tuple[pd.DataFrame, list[str]]:
    """`allocator track`'s kpis_monthly.csv as the table: each channel is a payee (its team, paid as one)
    with the month's planned revenue as target and its revenue as actual and attributed sales. Left out:
    the ``all`` rows (their sum), months the track run has not finished (days < month_days), and
    channels that are no payee of the rules (returned, to be said)."""
    raw = raw.assign(line=range(2, len(raw) + 2))
    raw = raw[raw["channel"].str.strip() != "all"]
    if "days" in raw and "month_days" in raw:
        raw = raw[raw["days"].str.strip() == raw["month_days"].str.strip()]
    if raw.empty:
        raise IncentiveError(path, "rows", Text("no finished month (days = month_days) of any channel"),
                             "kpis_monthly.csv of a track run past at least one month's end")
    payee = raw["channel"].str.strip().isin(list(people))
    left_out = sorted(set(raw.loc[~payee, "channel"].str.strip()))
    raw = raw[payee]
    if raw.empty:
        raise IncentiveError(path, "channel", Text(", ".join(left_out[:8])), "a channel named as a payee in the "
                             "rules' people (each channel's team, paid as one)")
    table = pd.DataFrame({"person": raw["channel"], "month": raw["month"], "target": raw["plan_month_revenue"],
                          "actual": raw["revenue"], "channel": raw["channel"]})
    table.attrs["lines"] = raw["line"].tolist()
    return table.reset_index(drop=True), left_out


def _check_keys(frame: pd.DataFrame, path: Path) -> None:
    """Each payee x month x product x channel once; each payee's month with a target above 0."""
    repeated = frame.duplicated(["person", "month", "product", "channel"])
    if repeated.any():
        row = frame[repeated].iloc[0]
        raise IncentiveError(path, f"line {row['line']}, person", row["person"],
                             f"each person x month x product x channel once ({row['month']} is there twice)")
    targets = frame.groupby(["person", "month"], sort=False)["target"].sum()
    for (person, month), target in targets.items():
        if not target > 0:
            line = frame[(frame["person"] == person) & (frame["month"] == month)]["line"].iloc[0]
            raise IncentiveError(path, f"line {line}, target", Text(f"{target:g} in all for {person} in {month}"),
                                 "a target above 0 for each person's month (attainment = actual / target)")


def _person(value: str, path: Path, line: int, people: dict[str, Person]) -> str:
    text = str(value).strip()
    if text not in people:
        known = ", ".join(sorted(people)[:8]) + (", ..." if len(people) > 8 else "")
        raise IncentiveError(path, f"line {line}, person", text, f"a payee of the rules' people ({known})")
    return text


def _month(value: str, path: Path, line: int) -> str:
    text = str(value).strip()
    if not _MONTH.match(text):
        raise IncentiveError(path, f"line {line}, month", text, "a month YYYY-MM")
    return text


def _amount(value: str, path: Path, line: int, name: str) -> float:
    text = str(value).strip()
    expected = "a whole number >= 0" if name == "new_customers" else "a number >= 0"
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not np.isfinite(number) or number < 0 or (name == "new_customers" and number != round(number)):
        raise IncentiveError(path, f"line {line}, {name}", text, expected + " (write 0 for none)")
    return number


def _name(value: str, path: Path, line: int, name: str) -> str:
    text = str(value).strip()
    if text and (len(text) > 80 or not _NAME.match(text)):
        raise IncentiveError(path, f"line {line}, {name}", text, "a name of 1-80 printable characters, or blank")
    return text


def _day(value: str, month: str, path: Path, line: int):
    text = str(value).strip()
    if not text:
        return pd.NaT
    day = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if pd.isna(day) or f"{day:%Y-%m}" != month:
        raise IncentiveError(path, f"line {line}, reached_on", text, f"a date YYYY-MM-DD in {month}, or blank")
    return day
