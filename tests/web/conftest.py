"""The workspace's fixtures: a copy of the example scenarios to serve, the app's test client, a live
server on loopback (uvicorn in a thread). The headless Chromium is tests/conftest.py's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cli_numbers import REPO
from live_server import served

pytest.importorskip("starlette", reason="the web extra is not installed (pip install -e '.[web]')")
pytest.importorskip("uvicorn", reason="the web extra is not installed (pip install -e '.[web]')")

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


@pytest.fixture
def live_server(scenarios):
    from allocator.web.app import make_app

    with served(make_app([scenarios / EXAMPLE])) as origin:
        yield origin
