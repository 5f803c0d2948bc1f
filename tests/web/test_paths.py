"""Nothing the browser sends reaches outside the scenario folders given: scenario names and file names
with `..`, absolute paths, separators, URL-encoded forms and symlinks are refused in one line, and
nothing is read or written outside. Saving writes beside the scenario only, never replacing a file
unless told to, and the saved file loads with the command line to the variant's numbers."""

from __future__ import annotations

import os

import pytest

import allocator

SCENARIO = "0/example_q1.yaml"
ESCAPES = ["../example_q1.yaml", "0/../example_q1.yaml", "0/../../etc/passwd", "/etc/passwd", "0//etc/passwd",
           "0/%2e%2e%2fexample_q1.yaml", "0/..%2fexample_q1.yaml", "0/sub/example_q1.yaml", "0\\..\\x.yaml",
           "1/example_q1.yaml", "-1/example_q1.yaml", "0/example_q1.yaml\x00.txt", "0/.hidden.yaml", "", None, 7,
           ["0/example_q1.yaml"], "0/" + "a" * 300 + ".yaml"]


@pytest.fixture
def outside(tmp_path):
    """A scenario outside the served folder, and a link to it from inside."""
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "secret.yaml").write_text("name: secret\n")
    return secret


@pytest.mark.parametrize("name", ESCAPES)
def test_a_scenario_outside_the_folders_is_refused(client, name):
    for answer in (client.get("/api/open", params={"scenario": name} if isinstance(name, str) else {}),
                   client.post("/api/solve", json={"scenario": name, "levers": {}})):
        assert answer.status_code == 400, name
        assert answer.json()["error"].startswith("scenario: got ")
        assert answer.json()["error"].endswith("expected one of the scenarios the workspace lists")


def test_a_link_out_of_the_folder_is_neither_listed_nor_opened(client, scenarios, outside):
    os.symlink(outside / "secret.yaml", scenarios / "link.yaml")
    listed = {s["id"] for s in client.get("/api/scenarios").json()["scenarios"]}
    assert "0/link.yaml" not in listed
    answer = client.get("/api/open", params={"scenario": "0/link.yaml"})
    assert answer.status_code == 400


def test_raw_encoded_paths_reach_no_file(client):
    for path in ("/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fpyproject.toml", "/api/open/../../etc/passwd"):
        answer = client.get(path)
        assert answer.status_code == 404 and "root:" not in answer.text


def _save(client, name, levers=None, replace=False):
    return client.post("/api/save", json={"scenario": SCENARIO, "levers": levers or {"budget.total": 3_600_000},
                                          "file": name, "title": "Q1 with 3.6M", "replace": replace})


@pytest.mark.parametrize("name", ["../x.yaml", "..%2fx.yaml", "%2e%2e%2fx.yaml", "/tmp/x.yaml", "sub/x.yaml",
                                  "x\\y.yaml", "x.txt", ".x.yaml", "x.yaml/", "", None, "..yaml", "example_q1.yaml"])
def test_saving_outside_the_folder_or_over_the_base_is_refused(client, scenarios, name):
    before = sorted(p.name for p in scenarios.iterdir())
    answer = _save(client, name)
    assert answer.status_code == 400, name
    assert answer.json()["error"].startswith("save: name: got ")
    assert sorted(p.name for p in scenarios.iterdir()) == before


def test_saving_through_a_link_is_refused(client, scenarios, outside):
    os.symlink(outside / "secret.yaml", scenarios / "link.yaml")
    answer = _save(client, "link.yaml", replace=True)
    assert answer.status_code == 400
    assert (outside / "secret.yaml").read_text() == "name: secret\n"


def test_a_saved_variant_loads_as_the_variant_and_is_not_replaced_unasked(client, scenarios):
    levers = {"budget.total": 3_650_000, "channels[livestream].cost_per_lead": 55.5, "targets.mix[1].min_share": 0.18}
    saved = _save(client, "push.yaml", levers)
    assert saved.status_code == 200 and saved.json()["saved"] == "push.yaml"
    text = (scenarios / "push.yaml").read_text()
    assert "extends: example_q1.yaml\n" in text and "budget.total: 3650000.0\n" in text
    from_file = allocator.solve(scenarios / "push.yaml")
    with_sets = allocator.solve(scenarios / "example_q1.yaml", set=levers)
    assert from_file.objective == pytest.approx(with_sets.objective, rel=1e-9)
    assert from_file.totals == pytest.approx(with_sets.totals, rel=1e-9)
    assert "0/push.yaml" in {s["id"] for s in client.get("/api/scenarios").json()["scenarios"]}

    again = _save(client, "push.yaml", {"budget.total": 3_000_000})
    assert again.status_code == 409 and again.json()["exists"] is True
    assert (scenarios / "push.yaml").read_text() == text
    replaced = _save(client, "push.yaml", {"budget.total": 3_000_000}, replace=True)
    assert replaced.status_code == 200 and "budget.total: 3000000.0\n" in (scenarios / "push.yaml").read_text()
    assert not [p for p in scenarios.iterdir() if p.name.startswith(".saving-")]  # no temporary left
