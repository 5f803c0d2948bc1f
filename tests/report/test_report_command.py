"""`allocator report` and `solve --report`: what they write, what they refuse, their exit codes."""

from __future__ import annotations

import importlib.util

import pytest
from helpers import EXAMPLE, PLAN_FILES, REPO, invoke

import allocator

LINES = REPO / "scenarios" / "example_q1_budget_lines.yaml"


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    invoke("solve", str(EXAMPLE), "--out", str(root / "q1"))
    invoke("solve", str(EXAMPLE), "--out", str(root / "q1-4m"), "--set", "budget.total=4000000")
    return root


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_solve_report_writes_the_pack_with_the_plan(tmp_path):
    result = invoke("solve", str(EXAMPLE), "--out", str(tmp_path / "q1"), "--report")
    assert result.exit_code == 0
    names = {p.name for p in (tmp_path / "q1").iterdir()}
    assert names == PLAN_FILES | {"plan.xlsx", "report.html"}
    assert "plan.xlsx, report.html, run.json" in result.output
    html = (tmp_path / "q1" / "report.html").read_text()
    assert "3,400,000" in html  # budget.total of the example, spent in full
    assert (tmp_path / "q1" / "plan.xlsx").read_bytes()[:2] == b"PK"  # a zip: an xlsx


def test_report_writes_both_into_the_plan_folder_and_replaces_its_own(plans):
    folder = plans / "q1"
    for _ in range(2):  # the second run replaces the plan folder's own report files without --force
        result = invoke("report", str(folder))
        assert result.exit_code == 0, result.output
    assert "verified: the allocation meets every constraint" in result.output
    assert (folder / "report.html").is_file() and (folder / "plan.xlsx").is_file()


def test_report_with_compare_and_a_risk_folder(plans, tmp_path):
    invoke("risk", str(EXAMPLE), "--samples", "50", "--out", str(tmp_path / "risk"))
    html = tmp_path / "review.html"
    result = invoke("report", str(plans / "q1"), "--compare", str(plans / "q1-4m"), "--with", str(tmp_path / "risk"),
                    "--html", str(html))
    assert result.exit_code == 0, result.output
    text = html.read_text()
    assert "What-if" in text and "P10" in text
    assert not (tmp_path / "review.xlsx").exists()  # only what was asked for


@pytest.mark.parametrize("make_args, expected", [
    (lambda p, t: [str(t)], "without run.json"),  # not a plan folder
    (lambda p, t: [str(p / "q1"), "--html", str(EXAMPLE)], "expected a .html or .htm file"),
    (lambda p, t: [str(p / "q1"), "--html", str(p / "q1")], "expected a .html or .htm file"),
    (lambda p, t: [str(p / "q1"), "--xlsx", str(t / "no-such-folder" / "x.xlsx")], "no such folder"),
])
def test_refusals_are_one_line_exit_2_and_write_nothing(plans, tmp_path, make_args, expected):
    before = _snapshot(plans / "q1")
    result = invoke("report", *make_args(plans, tmp_path))
    assert result.exit_code == 2
    assert expected in result.output and result.output.count("\n") == 1 and "Traceback" not in result.output
    assert _snapshot(plans / "q1") == before
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_needs_force_and_an_input_is_never_a_target(plans, tmp_path):
    target = tmp_path / "review.html"
    target.write_text("keep me")
    result = invoke("report", str(plans / "q1"), "--html", str(target))
    assert result.exit_code == 2 and "use --force" in result.output
    assert target.read_text() == "keep me"
    assert invoke("report", str(plans / "q1"), "--html", str(target), "--force").exit_code == 0
    assert target.read_text() != "keep me"
    # a link (named .html) to the plan's scenario is still its input: refused even with --force
    scenario = tmp_path / "scenario.yaml"
    scenario.write_bytes(EXAMPLE.read_bytes())
    for name in ("funnel.csv", "baseline.csv"):
        (tmp_path / name).write_bytes((EXAMPLE.parent / name).read_bytes())
    invoke("solve", str(scenario), "--out", str(tmp_path / "own"))
    alias = tmp_path / "alias.html"
    alias.symlink_to(scenario)
    result = invoke("report", str(tmp_path / "own"), "--html", str(alias), "--force")
    assert result.exit_code == 2 and "inputs" in result.output
    assert scenario.read_bytes() == EXAMPLE.read_bytes() and alias.is_symlink()


def test_an_infeasible_plan_gets_its_report_and_exit_1(tmp_path):
    folder = tmp_path / "impossible"
    invoke("solve", str(EXAMPLE), "--out", str(folder), "--set", "targets.revenue=40000000")
    result = invoke("report", str(folder), "--html", str(tmp_path / "why.html"))
    assert result.exit_code == 1
    text = (tmp_path / "why.html").read_text()
    assert "targets.revenue" in text  # the diagnosis names the field to move


def test_a_changed_plan_is_refused(plans, tmp_path):
    import shutil

    folder = tmp_path / "edited"
    shutil.copytree(plans / "q1", folder)
    path = folder / "allocation.csv"
    lines = path.read_text().splitlines()
    head = lines[0].split(",")
    row = lines[1].split(",")
    row[head.index("spend")] = "99999999"
    path.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    result = invoke("report", str(folder), "--html", str(tmp_path / "x.html"))
    assert result.exit_code == 2 and "allocator verify" in result.output
    assert not (tmp_path / "x.html").exists()


def test_without_the_report_extra_the_command_says_how_to_install_it(plans, tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "xlsxwriter" else real(name, *a))
    result = invoke("report", str(plans / "q1"), "--html", str(tmp_path / "x.html"))
    assert result.exit_code == 2 and "pip install 'allocator-lp[report]'" in result.output
    result = invoke("solve", str(EXAMPLE), "--out", str(tmp_path / "q1"), "--report")
    assert result.exit_code == 2 and not (tmp_path / "q1").exists()


def test_the_api_returns_what_it_wrote(plans, tmp_path):
    pack = allocator.report(plans / "q1", html=tmp_path / "r.html")
    assert pack.written == {"html": tmp_path / "r.html"} and pack.solved
    assert pack.report.section("by_channel").total["spend"] == 3_400_000


def test_a_track_folder_shown_beside_the_plan(plans, tmp_path):
    import csv
    import math

    actuals = REPO / "scenarios" / "actuals_q1.csv"
    track = tmp_path / "track"
    invoke("track", str(plans / "q1"), str(actuals), "--as-of", "2027-02-01", "--out", str(track), "--store", "none")
    pack = allocator.report(plans / "q1", html=tmp_path / "r.html", studies=[track])
    # revenue to date, read straight from the actuals file: rows before the as-of date, a repeated
    # date+channel+tier+product replacing the earlier one
    latest = {}
    with open(actuals, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["date"] < "2027-02-01":
                latest[(row["date"], row["channel"], row["tier"], row.get("product", ""))] = float(row["revenue"])
    revenue = next(r for r in pack.report.section("tracking").rows if r["name"] == "revenue")
    assert revenue["actual_to_date"] == pytest.approx(math.fsum(latest.values()), rel=1e-12)
    flags = pack.report.section("flags").rows
    assert any(f["flag"] == "cut_or_fix" and f["subject"] == "marketplace" for f in flags)
    assert "Actuals against the plan" in (tmp_path / "r.html").read_text()
