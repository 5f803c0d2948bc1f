"""The review pack as a demanding user meets it: a plan kept in millions, an output that cannot be written."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from helpers import EXAMPLE, invoke
from money import scale_money

import allocator.review.write as review_write
from allocator.scenario.loader import load_scenario


def _rows(report: Path, *headers: str) -> dict[str, list[str]]:
    """The table whose header row starts with `headers`, as {first cell: other cells} (text as shown)."""
    page = report.read_text()
    for table in re.findall(r"<table.*?</table>", page, flags=re.S):
        cells = [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                  for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
                 for row in re.findall(r"<tr.*?</tr>", table, flags=re.S)]
        if cells and tuple(cells[0][:len(headers)]) == headers:
            return {row[0]: row[1:] for row in cells[1:] if row}
    raise AssertionError(f"no table headed {headers!r} in {report}")


def test_a_plan_kept_in_millions_reads_its_budget_to_the_cent_of_a_million(tmp_path):
    # The example kept in millions: budget 3.4, livestream's floor-or-off spend exactly 0.15. Money used to
    # get three significant digits of the *revenue* (27.9): one decimal, so the budget read "3.4", website's
    # 0.0149 read "0.0" like the unused distributors, and livestream's 0.15 read "0.1" in the channel table
    # but "0.2" in the budget lines (each table's largest-remainder rounding broke the tie its own way).
    data = scale_money(load_scenario(EXAMPLE).scenario.model_dump(mode="json", exclude_none=True), 1e-6)
    scenario = tmp_path / "millions.yaml"
    scenario.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    result = invoke("solve", str(scenario), "--out", str(tmp_path / "plan"), "--report")
    assert result.exit_code == 0, result.output
    assert re.search(r"^total\s+3\.40\s", result.output, re.M), result.output  # the terminal reads the same
    channels = _rows(tmp_path / "plan" / "report.html", "channel", "spend (CNY)", "revenue (CNY)", "new customers")
    spend = {name: cells[0] for name, cells in channels.items()}
    assert spend["total"] == "3.40"
    assert spend["livestream"] == "0.15"
    assert spend["distributors"] == "0.00" and spend["website"] != "0.00"
    # The rounded rows still add up to the printed total, in hundredths.
    assert sum(round(float(v) * 100) for k, v in spend.items() if k != "total") == 340
    lines = _rows(tmp_path / "plan" / "report.html", "channel", "tier", "spend (CNY)")  # the budget lines
    assert lines["livestream"][1] == "0.15"


def test_an_unwritable_target_is_one_line_and_nothing_is_written(tmp_path, monkeypatch):
    # The folder of --xlsx exists but refuses new files (read-only, or /proc): mkstemp's OSError used to
    # escape as "unexpected FileNotFoundError" (exit 3), and had the workbook come second the report would
    # have been written already.
    plan = tmp_path / "q1"
    assert invoke("solve", str(EXAMPLE), "--out", str(plan)).exit_code == 0
    locked = tmp_path / "locked"
    locked.mkdir()
    real = review_write.tempfile.mkstemp

    def refusing(*args, dir=None, **kwargs):
        if Path(dir) == locked:
            raise PermissionError(13, "Permission denied", str(locked))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(review_write.tempfile, "mkstemp", refusing)
    result = invoke("report", str(plan), "--html", str(tmp_path / "r.html"), "--xlsx", str(locked / "p.xlsx"))
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [f"error: {locked / 'p.xlsx'}: could not write (Permission denied)"]
    assert not (tmp_path / "r.html").exists()
    assert list(locked.iterdir()) == [] and not [p for p in tmp_path.iterdir() if "partial" in p.name]


@pytest.fixture(scope="module")
def plain_plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("redteam") / "q1"
    assert invoke("solve", str(EXAMPLE), "--out", str(folder)).exit_code == 0
    return folder


@pytest.mark.parametrize("table, column", [
    ("allocation", "channel"), ("allocation", "leads"), ("by_channel", "revenue"), ("by_period", "period"),
    ("targets", "target"), ("sensitivity", "constraint"), ("marginal", "scope"), ("budget_lines", "spend"),
])
def test_a_table_that_lost_a_column_is_refused_in_one_line(plain_plan, tmp_path, table, column):
    # A hand edit that deletes a column used to end in "unexpected KeyError: 'channel'" (or an
    # AttributeError) with exit 3, from deep inside verify or the report's sections.
    folder = tmp_path / "q1"
    shutil.copytree(plain_plan, folder)
    frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=[column]).to_csv(folder / f"{table}.csv", index=False)
    result = invoke("report", str(folder))
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {folder / table}.csv: header: "), lines
    assert column in lines[0].split("; expected columns including ")[1].split(", "), lines[0]
    assert not (folder / "plan.xlsx").exists() and not (folder / "report.html").exists()


def test_a_table_that_is_not_utf8_is_refused_in_one_line(plain_plan, tmp_path):
    folder = tmp_path / "q1"
    shutil.copytree(plain_plan, folder)
    (folder / "by_channel.csv").write_bytes(b"channel\xff\xfe,spend\n")
    result = invoke("report", str(folder))
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"error: {folder / 'by_channel.csv'}: got an unreadable table"), result.output
    assert not (folder / "report.html").exists()
