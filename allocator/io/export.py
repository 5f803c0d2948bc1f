"""Export the linear program as model.lp and model.mps, for auditors and other solvers.

Both files state the program exactly as it was solved: the objective's sense (the MPS file in an
OBJSENSE section, not a comment, so that CBC and HiGHS maximise what the plan maximised) and its
constant (the baseline revenue: an RHS entry on the objective row, which by MPS convention holds minus
the constant; a constant term in the LP file's objective). Another tool that reads either file
therefore reports the plan's own objective.

The readable names (``budget_max_share[group=emerging]``, ``spend[website,new,launch_x,2027-01]``)
hold characters the LP format does not allow in a name, and a scenario's names may hold any text. So
each name is mapped to an LP-safe one (letters, digits and ``_``; never starting with a digit, ``e``
or ``E``; never a keyword of the format; unique), the same in both files, and model_names.csv lists
every mapping (kind, lp_name, name) so that a solver's output can be read back in the readable names.
The LP format has no ranged row (both bounds finite): model.lp writes its upper end as a row of its own,
``<lp_name>_upper_end`` (kind row_upper_end); model.mps keeps one row and a RANGES entry.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from allocator.scenario.csvsafe import neutralise
from allocator.io.csvwrite import frame_to_csv
from solvers import LinearProgram, Sense

OBJECTIVE_ROW = "objective"
NAMES_FILE = "model_names.csv"
EXPORT_FILES = ("model.lp", "model.mps", NAMES_FILE)
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")
_MAX_NAME = 255  # the LP format's longest name
# Words the LP format reads as section headers or bound keywords wherever they stand.
_KEYWORDS = {"max", "maximize", "maximise", "maximum", "min", "minimize", "minimise", "minimum", "st", "subject",
             "such", "bound", "bounds", "free", "inf", "infinity", "general", "generals", "gen", "integer",
             "integers", "binary", "binaries", "bin", "semi", "semis", "semi-continuous", "end", "sos"}


def lp_names(names, taken: set[str]) -> list[str]:
    """An LP-safe, unique name for each of `names` (those in `taken` and each one given are reserved)."""
    out = []
    for name in names:
        safe = _NOT_NAME.sub("_", str(name))[: _MAX_NAME - 12]
        if not safe or not re.match(r"[A-DF-Za-df-z_]", safe) or safe.lower() in _KEYWORDS:
            safe = "n_" + safe
        candidate, copy = safe, 1
        while candidate.lower() in taken:  # solvers may fold case: keep names distinct without it
            copy += 1
            candidate = f"{safe}__{copy}"
        taken.add(candidate.lower())
        out.append(candidate)
    return out


def export_texts(lp: LinearProgram) -> dict[str, str | bytes]:
    """{'model.lp': text, 'model.mps': text, 'model_names.csv': bytes} for program `lp`."""
    taken = {OBJECTIVE_ROW}
    cols = lp_names(lp.col_names, taken)
    rows = lp_names(lp.row_names, taken)
    # The LP format has no ranged row: model.lp states a range's upper end as a row of its own.
    ranged = [i for i, (lo, up) in enumerate(zip(lp.row_lower, lp.row_upper)) if lo != up and np.isfinite(lo) and np.isfinite(up)]
    upper_ends = dict(zip(ranged, lp_names([f"{rows[i]}_upper_end" for i in ranged], taken)))
    names = pd.DataFrame({
        "kind": ["column"] * len(cols) + ["row"] * len(rows) + ["row_upper_end"] * len(ranged),
        "lp_name": cols + rows + list(upper_ends.values()),
        "name": [str(n) for n in lp.col_names] + [str(n) for n in lp.row_names] + [str(lp.row_names[i]) for i in ranged]})
    return {"model.lp": lp_text(lp, cols, rows, upper_ends), "model.mps": mps_text(lp, cols, rows),
            NAMES_FILE: frame_to_csv(names, text_transform=neutralise, transform_columns=("name",))}


def _number(value: float) -> str:
    return "inf" if value == np.inf else "-inf" if value == -np.inf else repr(float(value))


def _terms(pairs, any_column: str) -> str:
    """`+ 2.5 x - 1.0 y` as LP text, four terms a line (the format limits a line's length); an empty
    sum is written `0 <any column>` (the format has no empty expression)."""
    parts = [f"{'-' if v < 0 else '+'} {_number(abs(v))} {name}" for name, v in pairs]
    return "\n   ".join(" ".join(parts[i: i + 4]) for i in range(0, len(parts), 4)) if parts else f"0 {any_column}"


def lp_text(lp: LinearProgram, cols: list[str], rows: list[str], upper_ends: dict[int, str]) -> str:
    """The CPLEX LP format as HiGHS, CBC and CPLEX read it; `upper_ends`: row -> LP name of a range's upper end."""
    out = [f"\\ {lp.name}: names as in {NAMES_FILE}", "Maximize" if lp.sense is Sense.MAXIMIZE else "Minimize"]
    objective = [(cols[j], float(c)) for j, c in enumerate(lp.objective) if c != 0.0]
    constant = f" {'-' if lp.objective_offset < 0 else '+'} {_number(abs(lp.objective_offset))}" if lp.objective_offset else ""
    out.append(f" {OBJECTIVE_ROW}: {_terms(objective, cols[0])}{constant}")
    out.append("Subject To")
    for i, name in enumerate(rows):
        start, end = lp.indptr[i], lp.indptr[i + 1]
        expr = _terms(((cols[j], float(v)) for j, v in zip(lp.indices[start:end], lp.data[start:end])), cols[0])
        lo, up = float(lp.row_lower[i]), float(lp.row_upper[i])
        if lo == -np.inf and up == np.inf:  # the LP format has no free row; it bounds nothing
            out.append(f"\\ {name}: a free row (no bound), left out")
        elif lo == up:
            out.append(f" {name}: {expr} = {_number(lo)}")
        elif np.isfinite(lo) and np.isfinite(up):  # a range: two rows, the upper end under its own name
            out.append(f" {name}: {expr} >= {_number(lo)}")
            out.append(f" {upper_ends[i]}: {expr} <= {_number(up)}")
        elif np.isfinite(lo):
            out.append(f" {name}: {expr} >= {_number(lo)}")
        else:
            out.append(f" {name}: {expr} <= {_number(up)}")
    out.append("Bounds")
    for name, lo, up in zip(cols, lp.col_lower, lp.col_upper):
        if lo == -np.inf and up == np.inf:
            out.append(f" {name} free")
        elif lo == up:
            out.append(f" {name} = {_number(lo)}")
        elif lo != 0.0 or up != np.inf:
            out.append(f" {_number(lo)} <= {name} <= {_number(up)}")
    integers = [name for name, is_int in zip(cols, lp.col_integer) if is_int]
    if integers:
        out += ["General", *(f" {name}" for name in integers)]
    out.append("End")
    return "\n".join(out) + "\n"


def mps_text(lp: LinearProgram, cols: list[str], rows: list[str]) -> str:
    """Free MPS with an OBJSENSE section and the objective's constant (RHS of the objective row = minus it)."""
    kinds = []
    for lo, up in zip(lp.row_lower, lp.row_upper):
        # A free row is an N row besides the objective (the first N row): readers keep or drop it, it bounds nothing.
        kinds.append("N" if lo == -np.inf and up == np.inf else "E" if lo == up else "G" if np.isfinite(lo) else "L")
    out = [f"NAME {_NOT_NAME.sub('_', lp.name) or 'model'}", "OBJSENSE",
           "    MAX" if lp.sense is Sense.MAXIMIZE else "    MIN", "ROWS", f" N  {OBJECTIVE_ROW}"]
    out += [f" {kind}  {name}" for kind, name in zip(kinds, rows)]
    out.append("COLUMNS")
    colptr, row_of, values = lp.to_csc()
    in_integers = False
    for j, name in enumerate(cols):
        if bool(lp.col_integer[j]) != in_integers:
            in_integers = not in_integers
            out.append(f"    MARKER  'MARKER'  '{'INTORG' if in_integers else 'INTEND'}'")
        # Every column is listed (its objective entry, 0 too), so a column in no row still exists.
        out.append(f"    {name}  {OBJECTIVE_ROW}  {_number(lp.objective[j])}")
        out += [f"    {name}  {rows[i]}  {_number(v)}" for i, v in zip(row_of[colptr[j]:colptr[j + 1]], values[colptr[j]:colptr[j + 1]])]
    if in_integers:
        out.append("    MARKER  'MARKER'  'INTEND'")
    out.append("RHS")
    if lp.objective_offset:
        out.append(f"    RHS  {OBJECTIVE_ROW}  {_number(-lp.objective_offset)}")
    ranges = []
    for name, kind, lo, up in zip(rows, kinds, lp.row_lower, lp.row_upper):
        rhs = up if kind == "L" else lo
        if kind != "N" and rhs != 0.0:
            out.append(f"    RHS  {name}  {_number(rhs)}")
        if kind == "G" and np.isfinite(up):
            ranges.append(f"    RNG  {name}  {_number(up - lo)}")
    if ranges:
        out += ["RANGES", *ranges]
    out.append("BOUNDS")
    for name, lo, up, is_int in zip(cols, lp.col_lower, lp.col_upper, lp.col_integer):
        out += _bounds(name, float(lo), float(up), bool(is_int))
    out.append("ENDATA")
    return "\n".join(out) + "\n"


def _bounds(name: str, lo: float, up: float, is_int: bool) -> list[str]:
    """MPS bound lines; an integer column's are always written (readers differ on its defaults)."""
    if lo == up:
        return [f" FX BND  {name}  {_number(lo)}"]
    if lo == -np.inf and up == np.inf:
        return [f" FR BND  {name}"]
    lines = [f" MI BND  {name}"] if lo == -np.inf else [f" LO BND  {name}  {_number(lo)}"] if lo != 0.0 or is_int else []
    if up != np.inf:
        lines.append(f" UP BND  {name}  {_number(up)}")
    elif is_int:
        lines.append(f" PL BND  {name}")
    return lines
