"""The tracking dashboard and the re-plan button, over a run store made with the command line (solve,
approve, track): the page's figures are `allocator track`'s, its re-plan says what `allocator replan`
says. Without a store the dashboard says why it is empty."""

from __future__ import annotations


import pandas as pd
import pytest

from allocator.plan.display import Style, show
from cli_numbers import run_cli
from live_server import served


@pytest.fixture
def store(scenarios):
    """A store with the example approved and January's actuals tracked, as the README's steps make it."""
    target = str(scenarios.parent / "runs.sqlite")
    run_cli(scenarios, "solve", "example_q1.yaml", "--out", "../out/q1", "--store", target)
    run_cli(scenarios, "runs", "approve", "1", "--store", target)
    run_cli(scenarios, "track", "actuals_q1.csv", "--as-of", "2027-02-01", "--out", "../out/track", "--store", target)
    return target


def _client(scenarios, store):
    from starlette.testclient import TestClient

    from allocator.web.app import make_app

    return TestClient(make_app([scenarios / "example_q1.yaml"], store=store), base_url="http://127.0.0.1")


def test_the_dashboard_shows_allocator_tracks_figures(scenarios, store):
    data = _client(scenarios, store).get("/api/tracking").json()
    assert data["available"] and data["quarter"] == "2027-Q1" and data["as_of"] == "2027-02-01"
    sections = {s["key"]: s for s in data["sections"]}
    tracking = pd.read_csv(scenarios.parent / "out" / "track" / "tracking.csv")
    revenue = tracking[(tracking["level"] == "target") & (tracking["name"] == "revenue")].iloc[0]
    style = Style.for_totals("CNY", 3_400_000, 0)
    row = next(r for r in sections["tracking"]["rows"] if r[0] == "revenue")
    assert row[3] == show(revenue["actual_to_date"], "money", style)  # actual to date
    assert row[4] == show(revenue["attainment"], "percent", style)
    month = sections["by_month"]["rows"]
    assert month == [["2027-01", show(revenue["actual_to_date"], "money", style),
                      show(revenue["plan_to_date"], "money", style), show(revenue["attainment"], "percent", style)]]
    weekly = sections["by_week"]["values"]
    assert sum(v[1] for v in weekly) == pytest.approx(revenue["actual_to_date"], rel=1e-9)
    assert {r[0] for r in sections["flags"]["rows"]} >= {"cut_or_fix", "ahead"}


def test_the_replan_button_says_what_allocator_replan_says(scenarios, store):
    answer = _client(scenarios, store).post("/api/replan", json={})
    assert answer.status_code == 200, answer.text
    printed = run_cli(scenarios, "replan", "example_q1.yaml", "--actuals", "actuals_q1.csv", "--as-of", "2027-02-01",
                   "--out", "../out/replan", "--store", "none", "--against", "../out/q1")
    moved = printed.split("Against ", 1)[1].splitlines()[1:]
    moved = [line.strip() for line in moved if line.startswith("  ")]
    assert answer.json()["sentences"] == moved
    assert answer.json()["status"] == "optimal"


def test_without_a_store_the_dashboard_says_why(client):
    data = client.get("/api/tracking").json()
    assert data == {"available": False, "reason": "no run store given (allocator serve ... --store PATH)"}
    answer = client.post("/api/replan", json={})
    assert answer.status_code == 400 and answer.json()["error"].startswith("replan: --store: got none")


def test_the_dashboard_in_the_browser(chromium, scenarios, store):
    from allocator.web.app import make_app

    with served(make_app([scenarios / "example_q1.yaml"], store=store)) as origin:
        with chromium.site(origin + "/") as (page, check):
            page.goto(origin + "/", wait_until="load")
            page.wait_for_selector("#tracking-sections table[data-section=tracking]", timeout=60_000)
            assert "2027-Q1" in page.locator("#tracking-what").inner_text()
            page.click("#replan")
            page.wait_for_selector("#replan-result li", timeout=120_000)
            said = page.locator("#replan-result li").all_inner_texts()
    assert said[0] == "2027-02: cut 7,243 from website"  # as `allocator replan` prints it (README)
    assert check.problems() == []
