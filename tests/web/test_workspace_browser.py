"""The workspace end to end in headless Chromium (Debian's chromium driven by Playwright; skipped without
it, failing instead under ALLOCATOR_REQUIRE_BROWSER=1): a planner opens the example, moves the budget with
the keyboard, sees the command line's revenue for that budget, pins two variants, compares them, saves the
variant and the saved file solves with the command line to the same numbers. The page fetches nothing
but its own server and logs no error."""

from __future__ import annotations

import math
import os
import shutil

import browser
from cli_numbers import REPO, cli_solve

BUDGET = 3_600_000
REVENUE = "#headline [data-label=revenue] .value"


def _headline_revenue(page) -> str:
    return page.locator(REVENUE).inner_text()


def _wait_solved(page, previous: str) -> str:
    page.wait_for_function("([sel, old]) => { const e = document.querySelector(sel); "
                           "return e && e.textContent !== old && document.getElementById('cancel').hidden; }",
                           arg=[REVENUE, previous], timeout=60_000)
    return _headline_revenue(page)


def test_planner_moves_the_budget_pins_compares_and_saves(chromium, live_server, scenarios, tmp_path):
    base_cli = cli_solve(scenarios / "example_q1.yaml", tmp_path / "base")
    variant_cli = cli_solve(scenarios / "example_q1.yaml", tmp_path / "variant", {"budget.total": BUDGET})
    with chromium.site(live_server + "/") as (page, check):
        page.goto(live_server + "/", wait_until="load")
        page.wait_for_selector(REVENUE, timeout=60_000)
        base_text = _headline_revenue(page)
        assert base_text == base_cli["revenue_text"]
        page.click("#pin")

        # the budget, by keyboard: focus its box, type, Enter
        page.focus("[data-path='budget.total']")
        page.keyboard.press("Control+A")
        page.keyboard.type(str(BUDGET))
        page.keyboard.press("Enter")
        variant_text = _wait_solved(page, base_text)
        assert variant_text == variant_cli["revenue_text"]
        moved = page.locator("#moved").inner_text()
        assert "revenue +" in moved

        page.click("#pin")
        page.click("#compare")
        summary = page.locator("[data-testid=compare-summary]")
        summary.wait_for(timeout=60_000)
        lines = summary.inner_text().splitlines()
        assert lines[0].split() == ["base", "variant", "2"]
        revenue_line = next(line for line in lines if line.startswith("revenue_total "))
        assert revenue_line.split()[1:] == [base_text, variant_text]
        assert page.locator("#comparison svg circle").count() == 2  # the frontier's two points

        page.fill("#save-file", "budget_3_6m.yaml")
        page.fill("#save-title", "Q1 with 3.6M")
        page.click("#save")
        page.wait_for_function("document.getElementById('saved').textContent.includes('budget_3_6m.yaml')")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        page.set_viewport_size({"width": 768, "height": 1000})
        narrow = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert check.problems() == []
    assert width[0] <= 1280 and narrow[0] <= 768  # readable at laptop and tablet widths: no sideways scroll

    saved = cli_solve(scenarios / "budget_3_6m.yaml", tmp_path / "saved")
    assert saved["revenue_text"] == variant_text
    for key, value in variant_cli["totals"].items():
        assert math.isclose(saved["totals"][key], value, rel_tol=1e-9, abs_tol=1e-6), key


def test_an_invalid_lever_shows_the_command_lines_message(chromium, live_server):
    with chromium.site(live_server + "/") as (page, check):
        page.goto(live_server + "/", wait_until="load")
        page.wait_for_selector(REVENUE, timeout=60_000)
        page.fill("[data-path='budget.total']", "1000")
        page.press("[data-path='budget.total']", "Enter")
        page.wait_for_selector("#error-box:not([hidden])", timeout=60_000)
        error = page.locator("#error").inner_text()
    assert "budget.limits[0].min: got 1000000.0; expected at most budget.total (1000)" in error
    assert "Traceback" not in error
    # the API answers bad input with 400, which Chromium logs as a failed load; nothing else is logged
    assert [p for p in check.problems() if "status of 400 (Bad Request)" not in p] == []
    assert len(check.problems()) == 1


def test_screenshot_of_the_workspace(chromium, live_server, tmp_path):
    """The workspace as the README shows it (docs/workspace.png is this, taken at 1280 px after moving
    the budget, so that "what moved" has something to say)."""
    with chromium.site(live_server + "/", viewport=browser.DESKTOP) as (page, check):
        page.goto(live_server + "/", wait_until="load")
        page.wait_for_selector(REVENUE, timeout=60_000)
        base_text = _headline_revenue(page)
        page.fill("[data-path='budget.total']", str(BUDGET))
        page.press("[data-path='budget.total']", "Enter")
        _wait_solved(page, base_text)
        shot = tmp_path / "workspace.png"
        page.screenshot(path=str(shot), full_page=False)
    assert not browser.is_blank(shot)
    assert check.problems() == []
    if os.environ.get("ALLOCATOR_UPDATE_SCREENSHOT"):  # ALLOCATOR_UPDATE_SCREENSHOT=1 pytest ... refreshes the docs' copy
        shutil.copyfile(shot, REPO / "docs" / "workspace.png")


def test_an_infeasible_variant_shows_its_diagnosis_and_a_pack_downloads(chromium, live_server, tmp_path):
    with chromium.site(live_server + "/") as (page, check):
        page.goto(live_server + "/", wait_until="load")
        page.wait_for_selector(REVENUE, timeout=60_000)
        page.click("summary:has-text('Targets')")
        page.fill("[data-path='targets.revenue']", "60000000")
        page.press("[data-path='targets.revenue']", "Enter")
        page.wait_for_selector("#diagnosis-box:not([hidden])", timeout=60_000)
        diagnosis = page.locator("#diagnosis").inner_text()
        with page.expect_download() as download:
            page.click("#export-html")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
    assert "targets.revenue: 60,000,000 -> " in diagnosis  # how far the named demand must move
    assert saved.name == "example_q1-variant-report.html"
    assert "no plan meets every target" in saved.read_text(encoding="utf-8")
    assert check.problems() == []
