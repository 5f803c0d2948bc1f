"""CSV exports are safe to open in a spreadsheet: names that look like formulas are neutralised in every
CSV a plan folder holds, and read back (verify) as the names they are. Split from test_robustness.py."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from helpers import base_scenario, write_scenario
from robustness_helpers import CORE_FILES, DANGEROUS_STARTS, invoke, require

# --------------------------------------------------------------------------------------------
# (d) CSV exports are safe to open in a spreadsheet

# The names the contract asks for, and a variant with '@' in the channel name and '=' in the others.
BRIEF_NAMES = {
    "channel": '=HYPERLINK("http://x","y")', "group": "-grp", "tier": "+cmd", "product": "@SUM(1)", "product2": "-2+3",
}
NO_EQUALS_CHANNEL = {
    "channel": '@HYPERLINK("http://x","y")', "group": "=grp", "tier": "+cmd", "product": "=SUM(1)", "product2": "-2+3",
}


def _formula_scenario(n: dict | None = None) -> dict:
    n = n or BRIEF_NAMES
    return {
        "name": "injection",
        "periods": ["2027-01", "2027-02"],
        "channels": [
            {"name": n["channel"], "group": n["group"], "cost_per_lead": 10, "max_spend": 300, "min_roi": 1},
            {"name": "web", "cost_per_lead": 20},
        ],
        "tiers": [
            {"name": n["tier"], "kind": "new", "conversion": 0.1, "order_value": 500},
            {"name": "loyal", "kind": "existing", "conversion": 0.2, "order_value": 300},
        ],
        "products": [{"name": n["product"], "stage": "maturity"}, {"name": n["product2"], "stage": "growth"}],
        "budget": {"total": 1000, "limits": [{"select": {"tier": n["tier"]}, "max_share": 0.7}]},
        "targets": {"revenue": 100, "mix": [{"of": "revenue", "select": {"product": n["product2"]}, "min_share": 0.2}]},
    }


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_neutralised(out: Path, names: dict, files: list[Path]) -> None:
    """No cell carrying a user-supplied name starts with = + - @ tab CR; numbers are left alone."""
    user_names = list(names.values())
    violations = []
    negative_numbers = 0
    quoted = {name: 0 for name in user_names}
    for path in files:
        rows = list(csv.reader(io.StringIO(path.read_text(), newline="")))
        for line, row in enumerate(rows, start=1):
            for cell in row:
                if cell.startswith(DANGEROUS_STARTS):
                    if _is_number(cell):
                        negative_numbers += cell.startswith("-")
                    elif any(name in cell for name in user_names):
                        violations.append(f"{path.name} line {line}: {cell!r}")
                for name in user_names:
                    quoted[name] += cell.startswith("'" + name)
    assert not violations, "formula-like cells from user names:\n" + "\n".join(violations)
    assert all(quoted.values()), f"a name never appeared (quoted) in the CSVs: {quoted}"
    assert negative_numbers > 0, "no negative number in the plan to show that numbers stay unquoted"


def _solve_formula_names(tmp_path: Path, names: dict) -> tuple[Path, Path]:
    scenario = write_scenario(tmp_path, _formula_scenario(names))
    out = tmp_path / "out"
    result = invoke("solve", scenario, "--out", out)
    assert result.exit_code == 0, (result.output, result.exception)
    return scenario, out


NAME_SETS = [pytest.param(BRIEF_NAMES, id="hyperlink_channel"), pytest.param(NO_EQUALS_CHANNEL, id="at_channel")]


@pytest.mark.parametrize("names", NAME_SETS)
def test_formula_like_names_are_neutralised_in_the_plan_files(tmp_path, names):
    # The files of README's "What you get" (allocation, breakdowns, targets, budget lines, constraints).
    scenario, out = _solve_formula_names(tmp_path, names)
    _check_neutralised(out, names, [out / name for name in sorted(CORE_FILES) if name.endswith(".csv")])
    verified = invoke("verify", scenario, out)  # the verifier reads the quoted names back
    assert verified.exit_code == 0, verified.output
    assert "checks passed" in verified.output


# Regression (found at 074b765): allocator/describe.py split_name read any row argument holding '=' as a
# selection label, so a channel named =HYPERLINK(...) crashed the solve with IndexError (exit 1, traceback);
# and sensitivity.csv's 'limit' and 'effect' text began with a user's name or '+' without being neutralised
# (output.py neutralised only a list of name columns).
@pytest.mark.parametrize("names", NAME_SETS)
def test_formula_like_names_are_neutralised_in_every_csv(tmp_path, names):
    scenario, out = _solve_formula_names(tmp_path, names)
    files = sorted(out.glob("*.csv"))
    _check_neutralised(out, names, files)
    # Stricter, as OWASP asks: no text cell at all starts like a formula (the bare sense "=" of an equality
    # row in constraints.csv is the tool's own vocabulary and cannot carry anything).
    loose = []
    for path in files:
        for line, row in enumerate(csv.reader(io.StringIO(path.read_text(), newline="")), start=1):
            loose += [f"{path.name} line {line}: {cell!r}" for cell in row
                      if cell.startswith(DANGEROUS_STARTS) and cell != "=" and not _is_number(cell)]
    assert not loose, "formula-like text cells:\n" + "\n".join(loose[:10])
    verified = invoke("verify", scenario, out)
    assert verified.exit_code == 0, verified.output


# Regression (found at 074b765, allocator/csvsafe.py neutralise/restore): a name starting with an apostrophe
# ("'=x") lost it on the way back, and verify reported every cell of the channel as unknown.
def test_name_starting_with_apostrophe_survives_the_round_trip(tmp_path):
    data = base_scenario()
    data["channels"] = [{"name": "'=x", "cost_per_lead": 10}]  # a legal name (no brackets or control characters)
    scenario = write_scenario(tmp_path, data)
    out = tmp_path / "out"
    result = invoke("solve", scenario, "--out", out)
    require(result.exit_code == 0, result.output)
    verified = invoke("verify", scenario, out)
    assert verified.exit_code == 0, verified.output
