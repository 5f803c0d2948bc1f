"""`allocator rfm`: the transactions file as users bring it (column names, encodings, formats), bad input
(one line, exit 2, nothing written), the rules stated in the output, and the folder it writes.
The CDNOW counts and the scoring rules are tested in test_rfm.py."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import invoke

from allocator.history.rfm import score_customers
from allocator.history.transactions import read_transactions

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "cdnow_sample.csv"


def _read_csv(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _run(tmp_path: Path, *options, source: Path = SAMPLE, as_of: str = "1998-07-01"):
    out = tmp_path / "rfm"
    result = invoke("rfm", source, "--as-of", as_of, "--out", out, *options)
    assert result.exit_code == 0, result.output
    return out, result


def _table(tmp_path: Path, text: str, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_column_names_in_any_case_extra_columns_ignored_and_a_repeated_column_refused(tmp_path):
    path = _table(tmp_path, "Customer_ID, Date ,AMOUNT,quantity\nc1,2024-01-01,5,2\n")
    result = score_customers(read_transactions(path), "2024-01-02")
    assert result.customers[["customer_id", "monetary", "recency_days"]].values.tolist() == [["c1", 5, 1]]
    path = _table(tmp_path, "customer_id,date,amount,Amount\nc1,2024-01-01,5,6\n", "twice.csv")
    result = invoke("rfm", path, "--as-of", "2024-02-01", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.endswith("twice.csv: header: got the column amount twice; expected each column once\n")


def _latin1(path: Path) -> Path:
    path.write_bytes("customer_id,date,amount\nJosé,2024-01-01,5\n".encode("latin-1"))  # é is byte 27
    return path


@pytest.mark.parametrize("make, message", [
    (lambda tmp: tmp / "missing.csv", "missing.csv: got no readable file (No such file or directory)"),
    (lambda tmp: tmp, "got a folder; expected a CSV or Parquet file of transactions"),
    (lambda tmp: _latin1(tmp / "t.csv"), "t.csv: got bytes that are not UTF-8 text (at byte 27); expected a UTF-8 CSV file"),
])
def test_an_unreadable_transactions_file_is_one_line(tmp_path, make, message):
    source = make(tmp_path)
    out = tmp_path / "elsewhere" / "out"
    result = invoke("rfm", source, "--as-of", "2024-02-01", "--out", out)
    assert result.exit_code == 2 and result.output.count("\n") == 1 and message in result.output, result.output
    assert not out.exists()


def test_readme_and_run_json_state_the_rules_with_their_values(tmp_path):
    out, _ = _run(tmp_path, "--lapsed-days", 200, "--new-days", 45, "--key-share", 0.1)
    readme = (out / "README.md").read_text()
    assert "prospect (lapsed) when recency_days > 200" in readme
    assert "new when the first purchase is at most 45 days before as-of" in readme
    rules = json.loads((out / "run.json").read_text())["rules"]
    assert (rules["lapsed_days"], rules["new_days"], rules["key_share"]) == (200, 45, 0.1)
    assert rules["frequency"].startswith("purchase days")


def test_given_cut_points_replace_the_quintiles(tmp_path):
    out, _ = _run(tmp_path, "--cuts", "r=30,90,180,365", "--cuts", "f=1,2,3,5")
    run = json.loads((out / "run.json").read_text())
    assert run["rules"]["cuts"]["r"] == {"values": [30, 90, 180, 365], "source": "--cuts"}
    assert run["rules"]["cuts"]["m"]["source"] == "quintiles"
    for row in _read_csv(out / "customers.csv"):
        days, frequency = int(row["recency_days"]), int(row["frequency"])
        assert int(row["r"]) == 5 - sum(days > x for x in (30, 90, 180, 365))
        assert int(row["f"]) == 1 + sum(frequency > x for x in (1, 2, 3, 5))


# --- bad input: one line, exit 2, nothing written ---------------------------------------------------------------


@pytest.mark.parametrize("text, as_of, message", [
    ("customer_id,date,total\na,2024-01-01,5\n", "2024-02-01",
     "t.csv: header: got no column amount; expected the columns customer_id, date, amount"),
    ("customer_id,date,amount\na,2024-01-01,5\n\nb,2024-13-01,5\n", "2024-02-01",
     "t.csv: line 4, column date: got '2024-13-01'; expected a date YYYY-MM-DD"),
    ("customer_id,date,amount\na,2024-01-01,1,234.50\n", "2024-02-01",
     "t.csv: line 2: got 4 fields; expected 3 fields, as in the header (a number with a comma in it must be quoted"),
    ("customer_id,date,amount\na,2024-01-01,\"1,234.50\"\n", "2024-02-01",
     "t.csv: line 2, column amount: got '1,234.50'; expected a number such as 12.50 (negative for a return; no "
     "thousands separators)"),
    ("customer_id,date,amount\na,2024-01-01,ten\n", "2024-02-01",
     "t.csv: line 2, column amount: got 'ten'; expected a number such as 12.50"),
    ("customer_id,date,amount\n,2024-01-01,5\n", "2024-02-01", "t.csv: line 2, column customer_id: got ''"),
    ("", "2024-02-01", "t.csv: got an empty file; expected a header row: customer_id, date, amount"),
    ("customer_id,date,amount\n", "2024-02-01", "t.csv: rows: got none (a header only); expected at least one"),
    ("customer_id,date,amount\na,2024-01-01,5\n", "2023-12-31",
     "--as-of: got 2023-12-31; expected a date after the first purchase in"),
    ("customer_id,date,amount\na,2024-01-01,5\n", "2024-02-30", "Invalid value for '--as-of'"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, text, as_of, message):
    path = _table(tmp_path, text)
    out = tmp_path / "out"
    result = invoke("rfm", path, "--as-of", as_of, "--out", out)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert message in result.output
    assert not out.exists()


@pytest.mark.parametrize("options, message", [
    (["--cuts", "r=30,90,180"], "--cuts: got 'r=30,90,180'; expected MEASURE=C1,C2,C3,C4"),
    (["--cuts", "r=90,30,180,365"], "--cuts: got 'r=90,30,180,365'"),
    (["--cuts", "x=1,2,3,4"], "--cuts: got 'x=1,2,3,4'"),
    (["--key-share", "1.5"], "Invalid value for '--key-share'"),
])
def test_bad_options_are_one_line_exit_2(tmp_path, options, message):
    out = tmp_path / "out"
    result = invoke("rfm", SAMPLE, "--as-of", "1998-07-01", "--out", out, *options)
    assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1, result.output
    assert not out.exists()


def test_parquet_without_pyarrow_says_to_install_it(tmp_path, monkeypatch):
    def missing(*args, **kwargs):
        raise ImportError("Missing optional dependency 'pyarrow'.")

    monkeypatch.setattr("pandas.read_parquet", missing)
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1")
    result = invoke("rfm", path, "--as-of", "2024-01-01", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output == (f"error: {path}: got a Parquet file; expected pyarrow to read it: pip install pyarrow "
                             "(or save the table as CSV)\n")


def test_out_never_holds_the_input_and_force_replaces_only_an_rfm_folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    source = data / "t.csv"
    source.write_text("customer_id,date,amount\na,2024-01-01,5\n")
    result = invoke("rfm", source, "--as-of", "2024-02-01", "--out", data, "--force")
    assert result.exit_code == 2 and "holds the input" in result.output
    assert source.read_text() == "customer_id,date,amount\na,2024-01-01,5\n"
    out = tmp_path / "out"
    assert invoke("rfm", source, "--as-of", "2024-02-01", "--out", out).exit_code == 0
    again = invoke("rfm", source, "--as-of", "2024-02-01", "--out", out)
    assert again.exit_code == 2 and "pass --force" in again.output
    assert invoke("rfm", source, "--as-of", "2024-03-01", "--out", out, "--force").exit_code == 0
    assert json.loads((out / "run.json").read_text())["as_of"] == "2024-03-01"
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "customers.csv", "run.json", "tiers.csv",
                                                     "tiers.yaml"]


def test_help_has_an_example():
    result = invoke("rfm", "--help")
    assert result.exit_code == 0
    assert "allocator rfm tests/data/cdnow/cdnow_sample.csv --as-of 1998-07-01 --out out/rfm" in result.output
    assert "--lapsed-days" in result.output and "default: 365" in result.output
