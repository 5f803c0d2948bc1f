"""What the command line says for a scenario: `allocator solve` run as a user runs it, its printed revenue
(the channel table's total row) and run.json's totals. The workspace's tests hold the page to these."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli_solve(scenario: Path, out: Path, sets: dict | None = None) -> dict:
    """Run ``allocator solve SCENARIO --set ... --out OUT`` (CBC, the command's default) in the scenario's
    folder; returns {"revenue_text": the printed total revenue, "totals": run.json's totals}."""
    command = [sys.executable, "-m", "allocator", "solve", Path(scenario).name, "--out", str(out), "--force"]
    for path, value in (sets or {}).items():
        command += ["--set", f"{path}={value}"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=Path(scenario).parent, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    total = next(line for line in done.stdout.splitlines() if line.startswith("total "))
    revenue_text = total.split()[2]  # total, spend, revenue, new customers, ROI, share
    return {"revenue_text": revenue_text, "totals": json.loads((out / "run.json").read_text())["totals"],
            "stdout": done.stdout}


def run_cli(folder: Path, *args) -> str:
    """Run ``allocator ARGS...`` in `folder` as a user would; its standard output (fails on a non-zero exit)."""
    done = subprocess.run([sys.executable, "-m", "allocator", *args], cwd=folder, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout
