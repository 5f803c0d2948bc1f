"""The workspace's JSON API (Starlette's test client): the page's numbers are the library's and the
command line's for the same variant; bad input answers with the command line's one-line message."""

from __future__ import annotations

import math
import subprocess
import sys

import allocator
from allocator.plan.display import Style, show

SCENARIO = "0/example_q1.yaml"


def _solve(client, levers, **extra):
    return client.post("/api/solve", json={"scenario": SCENARIO, "levers": levers, **extra})


def test_the_page_and_its_scenarios(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "<script>" in page.text and "Planner's workspace" in page.text
    assert "src=" not in page.text and "href=\"http" not in page.text  # everything inlined: nothing to fetch
    listed = client.get("/api/scenarios").json()["scenarios"]
    assert listed[0] == {"id": SCENARIO, "file": "example_q1.yaml"}
    assert {"0/example_q1_budget_4m.yaml", "0/example_q1_livestream_push.yaml"} <= {s["id"] for s in listed}


def test_opening_lists_levers_with_unit_range_and_value(client):
    opened = client.get("/api/open", params={"scenario": SCENARIO}).json()
    levers = {lever["path"]: lever for lever in opened["levers"]}
    budget = levers["budget.total"]
    assert (budget["unit"], budget["value"], budget["low"], budget["high"]) == ("CNY", 3_400_000, 0, 10_200_000)
    assert levers["targets.buffer"]["unit"] == "share 0-1" and levers["targets.buffer"]["value"] == 0.10
    assert levers["channels[livestream].cost_per_lead"]["value"] == 60
    assert levers["tiers[key_accounts].order_value"]["value"] == 60_000
    assert opened["base"]["levers"] == {} and opened["base"]["status"] == "optimal"


def test_a_variant_has_the_numbers_of_allocator_solve(client, scenarios):
    answer = _solve(client, {"budget.total": 3_600_000, "channels[livestream].cost_per_lead": 55}).json()
    plan = allocator.solve(scenarios / "example_q1.yaml",
                           set={"budget.total": 3_600_000, "channels[livestream].cost_per_lead": 55})
    assert answer["levers"] == {"budget.total": "3600000.0", "channels[livestream].cost_per_lead": "55.0"}
    for key in ("spend", "revenue_total", "new_customers"):
        assert math.isclose(answer["totals"][key], plan.totals[key], rel_tol=1e-7), key
    style = Style.for_totals("CNY", plan.totals["spend"], plan.totals["revenue_total"])
    headline = {h["label"]: h["text"] for h in answer["headline"]}
    assert headline["revenue"] == show(plan.totals["revenue_total"], "money", style)
    assert headline["new customers"] == show(plan.totals["new_customers"], "count", style)
    # where optima tie the cells may be another of the tied plans (allocator.Session); the totals may not
    spend = next(s for s in answer["sections"] if s["key"] == "spend_matrix")
    cells = sum(value for row in spend["values"] for value in row[1:])
    assert math.isclose(cells, plan.totals["spend"], rel_tol=1e-7)


def test_what_moved_is_said_against_the_base(client):
    base = client.get("/api/open", params={"scenario": SCENARIO}).json()["base"]
    answer = _solve(client, {"budget.total": 3_600_000}).json()
    delta = answer["totals"]["revenue_total"] - base["totals"]["revenue_total"]
    assert delta > 0
    style = Style.for_totals("CNY", base["totals"]["spend"], base["totals"]["revenue_total"])
    assert f"revenue +{show(delta, 'money', style)}" in answer["moved"]
    assert "total spend at most the budget of 3,400,000 no longer binding" in answer["moved"]


def test_an_infeasible_variant_shows_the_diagnosis(client):
    answer = _solve(client, {"targets.revenue": 60_000_000}).json()
    assert answer["status"] == "infeasible"
    assert answer["moved"] == ["no plan: infeasible"]
    assert any("targets.revenue: 60,000,000 ->" in line for line in answer["diagnosis"])


def test_bad_levers_get_the_command_lines_message(client, scenarios):
    answer = _solve(client, {"budget.total": "abc"})
    assert answer.status_code == 400
    cli = subprocess.run([sys.executable, "-m", "allocator", "solve", "example_q1.yaml", "--set", "budget.total=abc",
                          "--out", "never"], cwd=scenarios, capture_output=True, text=True)
    assert cli.returncode == 2 and answer.json() == {"error": cli.stderr.strip().removeprefix("error: ")}
    assert not (scenarios / "never").exists()
    unknown = _solve(client, {"channels[tv].max_spend": 1})
    assert unknown.status_code == 400 and "\n" not in unknown.json()["error"]
    huge = client.post("/api/solve", content=b'{"scenario": "0/example_q1.yaml", "levers": {"budget.total": 1'
                       + b"0" * 400 + b"}}", headers={"content-type": "application/json"})
    assert huge.status_code == 400 and huge.json() == {"error": "levers: budget.total: got inf; expected a finite number"}
    nan = client.post("/api/solve", content=b'{"scenario": "0/example_q1.yaml", "levers": {"budget.total": NaN}}',
                      headers={"content-type": "application/json"})
    assert nan.status_code == 400 and nan.json() == {"error": "levers: budget.total: got nan; expected a finite number"}
    for levers in ([1, 2], {"budget.total": True}, {"budget.total": None}, {"a=b": 1}, {"": 1},
                   {"budget.total": "x" * 500}, {f"k{i}": 1 for i in range(101)}):
        answer = _solve(client, levers)
        assert answer.status_code == 400, levers
        assert set(answer.json()) == {"error"} and "Traceback" not in answer.text


def test_requests_that_are_not_json_objects_are_refused(client):
    form = client.post("/api/solve", content=b"scenario=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert form.status_code == 400 and "application/json" in form.json()["error"]
    text = client.post("/api/solve", content=b"not json", headers={"content-type": "application/json"})
    assert text.status_code == 400 and text.json() == {"error": "request: body: got not JSON; expected a JSON object"}
    listed = client.post("/api/solve", json=[1])
    assert listed.status_code == 400


def test_compare_of_pinned_variants_is_allocator_compare(client, scenarios):
    pinned = [{"label": "base", "levers": {}}, {"label": "more", "levers": {"budget.total": 3_600_000}}]
    answer = client.post("/api/compare", json={"scenario": SCENARIO, "variants": pinned}).json()
    assert answer["labels"] == ["base", "more"]
    assert answer["summary"][0].split() == ["base", "more"]
    revenue = next(line for line in answer["summary"] if line.startswith("revenue_total "))
    plans = [allocator.solve(scenarios / "example_q1.yaml", set=p["levers"]) for p in pinned]
    style = Style.for_totals("CNY", plans[0].totals["spend"], plans[0].totals["revenue_total"])
    assert revenue.split()[1:] == [show(p.totals["revenue_total"], "money", style) for p in plans]
    assert [round(p["revenue"]) for p in answer["frontier"]] == [round(p.totals["revenue_total"]) for p in plans]
    one = client.post("/api/compare", json={"scenario": SCENARIO, "variants": pinned[:1]})
    assert one.status_code == 400 and "2 to 8 pinned variants" in one.json()["error"]


def test_export_gives_the_review_pack(client):
    html = client.post("/api/export", json={"scenario": SCENARIO, "levers": {"budget.total": 3_600_000}, "kind": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "28,236,000" in html.text  # the variant's revenue (28,236,000 by allocator solve --set budget.total=3600000)
    xlsx = client.post("/api/export", json={"scenario": SCENARIO, "levers": {}, "kind": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "attachment" in xlsx.headers["content-disposition"]
    bad = client.post("/api/export", json={"scenario": SCENARIO, "levers": {}, "kind": "pdf"})
    assert bad.status_code == 400 and bad.json() == {"error": "export: kind: got pdf; expected html or xlsx"}
