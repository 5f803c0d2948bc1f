"""The HTML report in a real headless Chromium (tests/support/browser.py): it opens clean and offline,
reads the plan's key numbers exactly as they are printed, adds up as printed, fits a phone and prints to A4.

The expected numbers are worked out from the plan's CSVs here (sums at full precision, formatted by
hand), not taken from the report's own code. With ALLOCATOR_WRITE_SCREENSHOT=1 the example's desktop
screenshot is written to docs/report.png (cropped to the top of the page).
"""

from __future__ import annotations

import math
import os

import browser
import pandas as pd
import pytest

from allocator.review.html import report_html
from allocator.review.sections import build_report
from allocator.review.source import read_plan_folder
from helpers import EXAMPLE, REPO, invoke

PLANS = {"example": (EXAMPLE,), "budget_lines": (REPO / "scenarios" / "example_q1_budget_lines.yaml",),
         "infeasible": (EXAMPLE, "--set", "targets.revenue=40000000")}
SCREENSHOT = REPO / "docs" / "report.png"
# A4's 210 mm less report.css's @page margins of 12 mm a side, at CSS's 96 px per inch.
A4_INSIDE_MARGINS = browser.Viewport(round((210 - 2 * 12) / 25.4 * 96), 1123)
SCREENSHOT_HEIGHT = 2350  # CSS px of the top of the page kept in docs/report.png: headline to the first chart


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Each plan solved into a tmp folder with its report.html beside the CSVs: {name: (folder, html)}."""
    made = {}
    for name, args in PLANS.items():
        folder = tmp_path_factory.mktemp(name) / "plan"
        result = invoke("solve", *args, "--out", folder)
        assert result.exit_code == (1 if name == "infeasible" else 0), result.output
        html = folder / "report.html"
        html.write_text(report_html(build_report(read_plan_folder(folder))), encoding="utf-8")
        made[name] = (folder, html)
    return made


@pytest.fixture(scope="module")
def desktop(chromium, reports):
    return {name: chromium.open(html) for name, (_, html) in reports.items()}


def money(value: float) -> str:
    return f"{value:,.0f}"  # both plans are in CNY at a scale that shows whole yuan


def achieved_as_printed(row) -> str:
    """targets.csv's achieved value, formatted by its unit column as a person reads it."""
    unit = row["unit"]
    if pd.isna(row["achieved"]):
        return "-"  # an ROI floor of a channel that gets no spend: no ROI to show
    if unit == "share (0-1)":
        return f"{row['achieved'] * 100:.1f}%"
    if unit.startswith("x"):
        return f"{row['achieved']:.2f}x"
    return f"{row['achieved']:,.0f}"  # CNY and counts: whole units


def table_lines(text: str, header_start: str) -> tuple[list[list[str]], list[str]]:
    """The rows and the total row of the table whose header line starts with `header_start`, from the
    page's visible text (innerText writes a table row as its cells joined by tabs)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 1:]:
        cells = line.split("\t")
        if cells[0] == "total":
            return rows, cells
        rows.append(cells)
    raise AssertionError(f"no total row after {header_start!r}")


def whole(cell: str) -> int:
    return int(cell.replace(",", ""))


@pytest.mark.parametrize("name", PLANS)
def test_the_report_opens_clean_and_offline(desktop, name):
    check = desktop[name]
    assert check.problems() == []  # no console error or warning, no page error, no request at all
    assert check.requests == [] and check.console == [] and check.page_errors == []
    assert not browser.is_blank(check.screenshot)
    assert not check.overflows


@pytest.mark.parametrize("name", ["example", "budget_lines"])
def test_the_key_numbers_read_exactly_as_printed(desktop, reports, name):
    folder, _ = reports[name]
    text = desktop[name].text
    allocation = pd.read_csv(folder / "allocation.csv")
    spend = math.fsum(allocation["spend"])
    assert round(spend) == 3_400_000  # budget.total of the scenario, spent in full
    for label, value in (("REVENUE", money(math.fsum(allocation["revenue_total"]))), ("SPEND", "3,400,000"),
                         ("ROI", f"{math.fsum(allocation['revenue']) / spend:.2f}x"),
                         ("NEW CUSTOMERS", money(math.fsum(allocation["new_customers"])))):
        assert f"\n{label}\n{value}\n" in text  # the headline card: its label, then its number
    targets = pd.read_csv(folder / "targets.csv")
    for _, row in targets.iterrows():
        rendered = next(line.split("\t") for line in text.splitlines() if line.startswith(f"{row['target']}\t"))
        assert rendered[-3] == achieved_as_printed(row), row["target"]  # ... achieved, attainment, met
    by_channel = pd.read_csv(folder / "by_channel.csv")
    _, total = table_lines(text, "channel\tspend (CNY)\trevenue (CNY)")
    assert total[1:5] == ["3,400,000", money(math.fsum(by_channel["revenue_total"])),
                          money(math.fsum(by_channel["new_customers"])), money(math.fsum(by_channel["leads"]))]
    assert total[6:] == ["100.0%", "100.0%"]


@pytest.mark.parametrize("name", ["example", "budget_lines"])
def test_the_rows_add_up_to_the_total_as_rendered(desktop, name):
    text = desktop[name].text
    rows, total = table_lines(text, "channel\tspend (CNY)\trevenue (CNY)")
    assert len(rows) == 7  # the example's seven channels
    for column in (1, 2, 3, 4):  # spend, revenue, new customers, leads
        assert sum(whole(row[column]) for row in rows) == whole(total[column])
    for column in (6, 7):  # shares in 0.1% steps sum to 100.0%
        assert sum(round(float(row[column].rstrip("%")) * 10) for row in rows) == 1000
    rows, total = table_lines(text, "channel\t2027-01 (CNY)")  # spend by channel x period
    for column in (1, 2, 3):
        assert sum(whole(row[column]) for row in rows) == whole(total[column])
    assert sum(whole(cell) for cell in total[1:]) == 3_400_000


@pytest.mark.parametrize("name", PLANS)
def test_a_phone_reads_it_without_scrolling_sideways(chromium, reports, name):
    check = chromium.open(reports[name][1], viewport=browser.PHONE)
    assert check.problems() == []
    assert not check.overflows, f"page {check.scroll_width} px wide on a {browser.PHONE.width} px phone"
    assert not browser.is_blank(check.screenshot)


@pytest.fixture(scope="module")
def year_of_weeks_html(reports):
    """The example's report with a channel x week table as wide as a 52-week plan's."""
    from test_html import year_of_weeks

    folder, _ = reports["example"]
    report = build_report(read_plan_folder(folder))
    report.sections.append(year_of_weeks(report.document.style))
    path = folder / "weeks.html"
    path.write_text(report_html(report), encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["example", "infeasible", "year_of_weeks"])
def test_it_prints_to_a4_without_clipping(chromium, reports, year_of_weeks_html, name):
    html = year_of_weeks_html if name == "year_of_weeks" else reports[name][1]
    pdf = chromium.pdf(html)
    assert pdf.requests == ()
    assert 1 <= pdf.pages < 15
    # Laid out for print at the width A4 leaves inside report.css's margins: nothing wider than that.
    check = chromium.open(html, viewport=A4_INSIDE_MARGINS, media="print")
    assert check.problems() == []
    assert not check.overflows, f"{check.scroll_width} px wide on a {A4_INSIDE_MARGINS.width} px page"


def test_the_docs_screenshot(chromium, reports, tmp_path):
    """Writes docs/report.png when ALLOCATOR_WRITE_SCREENSHOT=1; otherwise checks the committed one."""
    if os.environ.get("ALLOCATOR_WRITE_SCREENSHOT", "") in ("", "0"):
        if not SCREENSHOT.is_file():
            pytest.skip("docs/report.png not written yet (ALLOCATOR_WRITE_SCREENSHOT=1)")
    else:
        from PIL import Image

        check = chromium.open(reports["example"][1], screenshot=tmp_path / "full.png")
        with Image.open(check.screenshot) as image:
            top = image.crop((0, 0, image.width, min(image.height, SCREENSHOT_HEIGHT)))
            top.convert("P", palette=Image.Palette.ADAPTIVE, colors=128).save(SCREENSHOT, optimize=True)
    assert SCREENSHOT.stat().st_size < 400_000
    assert not browser.is_blank(SCREENSHOT)
