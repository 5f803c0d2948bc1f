"""The workspace's fixtures: a copy of the example scenarios to serve, the app's test client, a live
server on loopback (uvicorn in a thread) and the session's headless Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from browser import chromium  # noqa: F401  (a pytest fixture: importing it here makes it visible)

pytest.importorskip("starlette", reason="the web extra is not installed (pip install -e '.[web]')")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install -e '.[web]')")

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = "example_q1.yaml"


@pytest.fixture
def scenarios(tmp_path) -> Path:
    """A folder holding the example scenario and its tables (the server may write here)."""
    folder = tmp_path / "plans"
    shutil.copytree(REPO / "scenarios", folder)
    return folder


@pytest.fixture
def client(scenarios):
    from starlette.testclient import TestClient

    from allocator.web.app import make_app

    with TestClient(make_app([scenarios / EXAMPLE]), base_url="http://127.0.0.1") as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served(app):
    """`app` served on 127.0.0.1 by uvicorn in a thread, as `allocator serve` serves it; yields its origin."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):  # until it listens (not a timing assertion: a wait for readiness)
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_server(scenarios):
    from allocator.web.app import make_app

    with served(make_app([scenarios / EXAMPLE])) as origin:
        yield origin
