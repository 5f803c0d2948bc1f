"""`allocator serve` at the command line: its help, its refusals in one line (exit 2), and a real
server started as the README says, answering on loopback until it is stopped."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from click.testing import CliRunner

from allocator.cli import main
from cli_numbers import REPO
from live_server import free_port


def _run(args):
    return CliRunner().invoke(main, ["serve", *args])


def test_help_has_an_example():
    result = _run(["--help"])
    assert result.exit_code == 0
    assert "allocator serve scenarios/example_q1.yaml" in result.output
    assert "pip install 'allocator-lp[web]'" in result.output


def test_refusals_are_one_line(scenarios, tmp_path):
    example = str(scenarios / "example_q1.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nperiods: [2027-01]\nchannels: 7\n")
    cases = {
        ("--host", "0.0.0.0", example): "serve: --host: got '0.0.0.0'; expected --token TEXT as well",
        ("--host", "192.0.2.1", "--token", "short", example): "serve: --token: got (hidden); expected at least 8",
        (str(tmp_path / "missing.yaml"),): "missing.yaml",
        (str(broken),): "broken.yaml: tiers: got nothing",
    }
    for args, expected in cases.items():
        result = _run(list(args))
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (args, lines)
    assert _run([]).exit_code == 2


def test_a_port_in_use_is_said_in_one_line(scenarios):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(["--port", str(port), str(scenarios / "example_q1.yaml")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: --port: cannot listen on 127.0.0.1:{port} (Address already in use); pick another --port"]


def test_the_readme_line_serves_the_workspace(scenarios):
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-m", "allocator", "serve", "example_q1.yaml", "--port", str(port)],
                              cwd=scenarios, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = server.stdout.readline()
        assert first.strip() == f"Planner's workspace on http://127.0.0.1:{port}/"
        for _ in range(100):  # until it listens: readiness, not a timing assertion
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/scenarios") as answer:
                    listed = json.load(answer)
                break
            except OSError:
                time.sleep(0.1)
        assert listed["scenarios"][0] == {"id": "0/example_q1.yaml", "file": "example_q1.yaml"}
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
            assert "Planner's workspace" in answer.read().decode()
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors
