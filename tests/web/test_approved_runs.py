"""Approved runs in the workspace, over a run store made with the command line (solve --store, runs approve):
listed, opened as `allocator solve` made them (their scenario with their overrides), their levers moving
the plan as for a scenario; a run whose scenario lies outside the served folders is refused in one line,
and a scenario changed since its run was approved is flagged."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from cli_numbers import REPO, run_cli
from live_server import served

import allocator
from allocator.plan.display import Style, show


@pytest.fixture
def store(scenarios):
    """Run 1: the example with a 3.6M budget, solved in the served folder and approved. Run 2: the example
    solved in another folder (not served) and approved after it."""
    target = str(scenarios.parent / "runs.sqlite")
    printed = run_cli(scenarios, "solve", "example_q1.yaml", "--set", "budget.total=3600000", "--out", "../out/q1",
                   "--store", target)
    run_cli(scenarios, "runs", "approve", "1", "--note", "signed off by the CMO", "--store", target)
    elsewhere = scenarios.parent / "elsewhere"
    shutil.copytree(REPO / "scenarios", elsewhere)
    run_cli(elsewhere, "solve", "example_q1.yaml", "--out", "../out/other", "--store", target)
    run_cli(elsewhere, "runs", "approve", "2", "--store", target)
    revenue = next(line for line in printed.splitlines() if line.startswith("total ")).split()[2]
    totals = json.loads((scenarios.parent / "out" / "q1" / "run.json").read_text())["totals"]
    return {"target": target, "revenue_text": revenue, "totals": totals}


@pytest.fixture
def runs_client(scenarios, store):
    from starlette.testclient import TestClient

    from allocator.web.app import make_app

    with TestClient(make_app([scenarios / "example_q1.yaml"], store=store["target"]),
                    base_url="http://127.0.0.1") as test_client:
        yield test_client


def _runs(client) -> dict:
    listed = client.get("/api/runs").json()
    assert listed["available"], listed
    return {r["run"].split("-")[0]: r for r in listed["runs"]}


def test_the_store_s_approved_runs_are_listed(runs_client):
    runs = _runs(runs_client)
    assert list(runs) == ["2", "1"]  # newest approval first
    first = runs["1"]
    assert first["openable"] and first["reason"] == "" and first["file"] == "example_q1.yaml"
    assert first["overrides"] == ["budget.total=3600000"] and first["note"] == "signed off by the CMO"
    assert first["approved_by"] and first["approved_at"].startswith("20") and not first["current"]
    assert runs["2"]["current"] and not runs["2"]["openable"]


def test_opening_a_run_gives_its_recorded_plan(runs_client, store, scenarios):
    run_id = _runs(runs_client)["1"]["id"]
    opened = runs_client.get("/api/open", params={"scenario": run_id}).json()
    base = opened["base"]
    for key in ("revenue_total", "spend", "new_customers"):  # as `allocator solve --set budget.total=3600000`
        assert math.isclose(base["totals"][key], store["totals"][key], rel_tol=1e-7), key
    assert {h["label"]: h["text"] for h in base["headline"]}["revenue"] == store["revenue_text"]
    plain = allocator.solve(scenarios / "example_q1.yaml")  # the scenario without the run's override differs
    assert base["totals"]["revenue_total"] > plain.totals["revenue_total"] + 100_000
    assert base["overrides"] == ["budget.total=3600000"] and base["levers"] == {}
    assert {lever["path"]: lever["value"] for lever in opened["levers"]}["budget.total"] == 3_600_000
    assert opened["run"]["run"] == run_id.removeprefix("run/") and opened["run"]["warning"] == ""

    # a lever moves the run's plan as for a scenario, and what moved is said against the run's plan
    answer = runs_client.post("/api/solve", json={"scenario": run_id, "levers": {"tiers[key_accounts].order_value": 66_000}}).json()
    cli = allocator.solve(scenarios / "example_q1.yaml",
                          set={"budget.total": 3_600_000, "tiers[key_accounts].order_value": 66_000})
    for key in ("revenue_total", "spend"):
        assert math.isclose(answer["totals"][key], cli.totals[key], rel_tol=1e-7), key
    assert answer["overrides"] == ["budget.total=3600000", "tiers[key_accounts].order_value=66000.0"]
    delta = cli.totals["revenue_total"] - store["totals"]["revenue_total"]
    style = Style.for_totals("CNY", store["totals"]["spend"], store["totals"]["revenue_total"])
    assert delta > 0 and f"revenue +{show(delta, 'money', style)}" in answer["moved"]


def test_a_variant_of_a_run_saves_as_a_file_the_command_line_solves_alike(runs_client, scenarios):
    run_id = _runs(runs_client)["1"]["id"]
    levers = {"channels[livestream].cost_per_lead": 55}
    answer = runs_client.post("/api/solve", json={"scenario": run_id, "levers": levers}).json()
    saved = runs_client.post("/api/save", json={"scenario": run_id, "levers": levers, "file": "from_run.yaml",
                                                "title": "run 1, livestream at 55"})
    assert saved.status_code == 200, saved.text
    again = allocator.solve(scenarios / "from_run.yaml")  # extends the scenario: the run's override, then the lever
    for key in ("revenue_total", "spend"):
        assert math.isclose(again.totals[key], answer["totals"][key], rel_tol=1e-7), key


def test_a_run_outside_the_served_folders_is_refused_in_one_line(runs_client, scenarios):
    outside = _runs(runs_client)["2"]
    assert outside["reason"].startswith(f"its scenario {scenarios.parent / 'elsewhere' / 'example_q1.yaml'} "
                                        "lies outside the folders this workspace serves")
    for answer in (runs_client.get("/api/open", params={"scenario": outside["id"]}),
                   runs_client.post("/api/solve", json={"scenario": outside["id"], "levers": {}})):
        assert answer.status_code == 400
        message = answer.json()["error"]
        assert "\n" not in message and "Traceback" not in message
        assert message.startswith(f"run: {outside['run']}: got its scenario ")
    for named in ("run/../../etc/passwd", "run/1", "run/9-0000000a"):
        answer = runs_client.get("/api/open", params={"scenario": named})
        assert answer.status_code == 400
        assert answer.json()["error"].endswith("expected one of the approved runs the workspace lists")


def test_a_scenario_changed_since_approval_is_flagged_and_still_opens(runs_client, scenarios, store):
    scenario = scenarios / "example_q1.yaml"
    scenario.write_text(scenario.read_text() + "\n# edited after the approval\n")
    first = _runs(runs_client)["1"]
    assert first["warning"] == f"the scenario changed since run {first['run']} was approved"
    assert first["changed"][0].startswith("example_q1.yaml: changed since it was recorded")
    opened = runs_client.get("/api/open", params={"scenario": first["id"]}).json()
    assert opened["run"]["warning"] == first["warning"]
    assert math.isclose(opened["base"]["totals"]["revenue_total"], store["totals"]["revenue_total"], rel_tol=1e-7)


def test_without_a_store_no_runs_are_listed(client):
    assert client.get("/api/runs").json() == {
        "available": False, "reason": "no run store given (allocator serve ... --store PATH)", "runs": []}


def test_opening_a_run_in_the_browser(chromium, scenarios, store):
    from allocator.web.app import make_app

    with served(make_app([scenarios / "example_q1.yaml"], store=store["target"])) as origin:
        with chromium.site(origin + "/") as (page, check):
            page.goto(origin + "/", wait_until="load")
            page.wait_for_selector("#run-list button[data-run]", timeout=60_000)
            assert page.locator("#run-list li[data-run] button:disabled").count() == 1  # run 2: outside
            page.locator("#run-list button:enabled").click()
            page.wait_for_selector("#opened-run:not([hidden])", timeout=60_000)
            page.wait_for_function("document.querySelector('#headline [data-label=revenue] .value').textContent"
                                   f" === {store['revenue_text']!r}", timeout=60_000)
            banner = page.locator("#opened-run").inner_text()
    assert banner.startswith("Approved run 1-") and "signed off by the CMO" in banner
    assert check.problems() == []
