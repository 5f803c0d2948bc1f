"""Hostile input to calibrate, rfm and check-targets: one line naming the option or file, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.helpers import invoke

ROOT = Path(__file__).resolve().parents[2]
HISTORY = ROOT / "scenarios" / "history.csv"
TRANSACTIONS = ROOT / "tests" / "data" / "cdnow" / "cdnow_sample.csv"
ANNUAL = ROOT / "scenarios" / "example_q1_annual.yaml"


def _one_line_error(result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for part in parts:
        assert part in lines[0], lines[0]


@pytest.mark.parametrize("as_of", ["2999-01-01", "2262-05-01", "1000-01-01"])
@pytest.mark.parametrize("command,source", [("calibrate", HISTORY), ("rfm", TRANSACTIONS)])
def test_as_of_beyond_the_calendar_tables_hold_is_one_line(tmp_path, command, source, as_of):
    # pandas holds dates from 1677-09-22 to 2262-04-11; beyond them the comparison with the table used to
    # escape as an unexpected OutOfBoundsDatetime (exit 3).
    out = tmp_path / "out"
    result = invoke(command, source, "--as-of", as_of, "--out", out)
    _one_line_error(result, "--as-of", as_of, "2262-04-11")
    assert not out.exists()


def test_a_window_longer_than_the_calendar_reads_all_history(tmp_path):
    # 99999999999 quarters back overflows the date arithmetic; it means "all history before --as-of".
    long_out, all_out = tmp_path / "long", tmp_path / "all"
    assert invoke("calibrate", HISTORY, "--as-of", "2027-01-01", "--window", "99999999999q",
                  "--out", long_out).exit_code == 0
    assert invoke("calibrate", HISTORY, "--as-of", "2027-01-01", "--out", all_out).exit_code == 0
    assert (long_out / "funnel.csv").read_text() == (all_out / "funnel.csv").read_text()


def _history_with_first_spend(tmp_path: Path, spend: str) -> Path:
    lines = HISTORY.read_text().splitlines()
    cells = lines[1].split(",")
    cells[4] = spend
    path = tmp_path / "history.csv"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    return path


def test_a_huge_history_amount_is_refused_not_turned_into_inf(tmp_path):
    # 1e308 is a float, but the sums overflowed: funnel.csv got cost_per_lead inf and calibrate exited 0.
    path = _history_with_first_spend(tmp_path, "1e308")
    out = tmp_path / "params"
    _one_line_error(invoke("calibrate", path, "--as-of", "2027-01-01", "--out", out),
                    str(path), "line 2, spend", "1e308", "at most 1e+15")
    assert not out.exists()
    _one_line_error(invoke("check-targets", ANNUAL, "--history", path), "line 2, spend", "1e308")


def test_a_large_but_real_amount_is_kept(tmp_path):
    # A rupiah-size row (9e14) is below the bound and calibrates.
    path = _history_with_first_spend(tmp_path, "900000000000000")
    assert invoke("calibrate", path, "--as-of", "2027-01-01", "--out", tmp_path / "p").exit_code == 0


def test_a_huge_transaction_amount_is_refused(tmp_path):
    # It used to end in "unexpected ValidationError ... order_value inf" with exit 3.
    lines = TRANSACTIONS.read_text().splitlines()
    cells = lines[1].split(",")
    cells[2] = "1e308"
    path = tmp_path / "tx.csv"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    out = tmp_path / "rfm"
    _one_line_error(invoke("rfm", path, "--as-of", "1998-07-01", "--out", out),
                    str(path), "line 2, column amount", "1e308")
    assert not out.exists()


def test_calibrated_tables_of_a_channel_named_like_a_formula_drop_into_the_scenario(tmp_path):
    # calibrate writes "@website" as "'@website" (kept from spreadsheets' formulas, scenario/csvsafe.py); the
    # scenario's `funnel: {file: ...}` read it back literally and refused its own output: "got
    # \"'@website\"; expected a channel name (one of: @website, ...)".
    folder = tmp_path / "plan"
    assert invoke("init", folder).exit_code == 0
    history = folder / "history.csv"
    history.write_text(history.read_text().replace(",website,", ",@website,"))
    scenario = folder / "example_q1.yaml"
    scenario.write_text(scenario.read_text().replace("name: website", 'name: "@website"'))
    for table in ("funnel.csv", "baseline.csv"):  # the example's own tables, renamed the same way by hand
        path = folder / table
        path.write_text(path.read_text().replace("\nwebsite,", "\n@website,"))
    assert invoke("calibrate", history, "--as-of", "2027-01-01", "--out", folder / "params").exit_code == 0
    funnel = (folder / "params" / "funnel.csv").read_text()
    assert "\n'@website,existing_customers," in funnel
    (folder / "calibrated.yaml").write_text("extends: example_q1.yaml\nfunnel: {file: params/funnel.csv}\n"
                                             "baseline: {file: params/baseline.csv}\n")
    result = invoke("solve", folder / "calibrated.yaml", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "\n@website " in result.output


def test_a_history_of_zeros_is_refused_not_a_crash(tmp_path):
    # Every amount 0 (a template exported before any data): the seasonal grid was built from no dates and
    # calibrate ended in "unexpected ValueError: Neither `start` nor `end` can be NaT" (exit 3).
    lines = HISTORY.read_text().splitlines()
    zeroed = [",".join(line.split(",")[:4] + ["0", "0", "0", "0"]) for line in lines[1:]]
    path = tmp_path / "history.csv"
    path.write_text("\n".join([lines[0], *zeroed]) + "\n")
    out = tmp_path / "params"
    _one_line_error(invoke("calibrate", path, "--as-of", "2027-01-01", "--out", out),
                    str(path), "spend, revenue", "0 in every row from 2023-01-01 to 2026-12-01")
    assert not out.exists()
