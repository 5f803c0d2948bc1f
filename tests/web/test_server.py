"""The server's guards and its concurrency: loopback host names only, or the token; a solve runs off the
event loop, so other requests are answered while it runs, and it can be cancelled."""

from __future__ import annotations

import threading

import pytest

from allocator.web.app import make_app

SCENARIO = "0/example_q1.yaml"


def _client(app, base_url="http://127.0.0.1"):
    from starlette.testclient import TestClient

    return TestClient(app, base_url=base_url)


def test_only_loopback_host_names_are_served_without_a_token(scenarios):
    app = make_app([scenarios / "example_q1.yaml"])
    for base in ("http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765"):
        assert _client(app, base).get("/api/scenarios").status_code == 200, base
    for base in ("http://evil.example", "http://evil.example:8765", "http://127.0.0.1.evil.example"):
        answer = _client(app, base).get("/api/scenarios")
        assert answer.status_code == 403 and "expected 127.0.0.1 or localhost" in answer.json()["error"], base


def test_with_a_token_every_request_carries_it(scenarios):
    app = make_app([scenarios / "example_q1.yaml"], token="s3cret-token")
    client = _client(app, "http://192.0.2.10:8765")
    assert client.get("/").status_code == 403
    assert client.get("/api/scenarios", headers={"x-allocator-token": "wrong-token!"}).status_code == 403
    assert client.get("/?token=s3cret-token").status_code == 200
    assert client.get("/api/scenarios", headers={"x-allocator-token": "s3cret-token"}).status_code == 200
    answer = client.post("/api/solve", json={"scenario": SCENARIO, "levers": {}})
    assert answer.status_code == 403 and "token" in answer.json()["error"]
    odd = _client(make_app([scenarios / "example_q1.yaml"], token="a&b=c%d+e"), "http://192.0.2.10:8765")
    assert odd.get("/?token=a%26b%3Dc%25d%2Be").status_code == 200  # the token as the printed address quotes it
    assert odd.get("/?token=a&b=c%d+e").status_code == 403


@pytest.fixture
def held(scenarios):
    """An app whose solves of budget.total=3456789 wait until the test releases them (a slow solve)."""
    app = make_app([scenarios / "example_q1.yaml"])
    variants = app.state.workspace.variants
    release, started = threading.Event(), threading.Event()
    solve = variants.solve

    def slow(ref, changes):
        if ("budget.total", "3456789.0") in changes:
            started.set()
            release.wait(60)
        return solve(ref, changes)

    variants.solve = slow
    yield app, release, started
    release.set()


def test_a_slow_solve_blocks_no_other_request_and_can_be_cancelled(held):
    # an event loop of its own, in a thread: the session's headless Chromium (Playwright's sync API) runs one
    # in the main thread
    from concurrent.futures import ThreadPoolExecutor

    import anyio

    with ThreadPoolExecutor(1) as pool:
        pool.submit(anyio.run, _slow_solve_and_cancel, *held).result(timeout=300)


async def _slow_solve_and_cancel(app, release, started):
    import anyio
    from starlette.testclient import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        answers = {}

        async def slow_request():
            answers["slow"] = await client.post("/api/solve", json={
                "scenario": SCENARIO, "levers": {"budget.total": 3456789}, "ticket": "slow-1"})

        async with anyio.create_task_group() as group:
            group.start_soon(slow_request)
            await anyio.to_thread.run_sync(started.wait, 60)
            # while that solve holds its thread: another variant is solved and answered
            other = await client.post("/api/solve", json={"scenario": SCENARIO, "levers": {"budget.total": 3_500_000}})
            assert other.status_code == 200 and other.json()["levers"] == {"budget.total": "3500000.0"}
            assert "slow" not in answers
            cancelled = await client.post("/api/cancel", json={"ticket": "slow-1"})
            assert cancelled.json() == {"cancelled": True}
        assert answers["slow"].json() == {"cancelled": True, "ticket": "slow-1"}
        release.set()
        # the abandoned solve finishes on its own; asked again, the variant is solved normally
        again = await client.post("/api/solve", json={"scenario": SCENARIO, "levers": {"budget.total": 3456789}})
        assert again.status_code == 200 and again.json()["status"] == "optimal"
        unknown = await client.post("/api/cancel", json={"ticket": "never-issued"})
        assert unknown.json() == {"cancelled": False}


def test_a_solver_failure_is_one_line_and_unexpected_errors_say_their_kind(scenarios):
    from solvers.errors import SolverError

    app = make_app([scenarios / "example_q1.yaml"])
    variants = app.state.workspace.variants

    def failing(ref, changes):
        if changes:
            raise SolverError("HiGHS returned no status; try --solver cbc")
        raise KeyError("allocation")

    variants.solve = failing
    client = _client(app)
    crashed = client.post("/api/solve", json={"scenario": SCENARIO, "levers": {"budget.total": 1}})
    assert crashed.status_code == 500 and crashed.json() == {"error": "HiGHS returned no status; try --solver cbc"}
    bug = client.post("/api/solve", json={"scenario": SCENARIO, "levers": {}})
    assert bug.status_code == 500 and bug.json() == {"error": "unexpected KeyError: 'allocation'"}
