"""Helpers shared by the robustness tests (output folders, solver failures, hostile files)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import invoke  # noqa: F401 (the robustness tests import it from here)

INVALID = Path(__file__).resolve().parents[1] / "invalid"
# The files every plan folder holds (README, "What you get"); newer versions may add more.
CORE_FILES = {
    "allocation.csv", "by_channel.csv", "by_tier.csv", "by_product.csv", "by_period.csv", "targets.csv",
    "budget_lines.csv", "constraints.csv", "run.json",
}
DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


class PreconditionFailed(RuntimeError):
    """A test's set-up went wrong; with xfail(raises=AssertionError) this fails the test instead of excusing it."""


def require(condition: bool, message: object = "") -> None:
    if not condition:
        raise PreconditionFailed(message)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder (relative path -> bytes); folders as empty markers."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        out[rel + ("/" if path.is_dir() else "")] = b"" if path.is_dir() else path.read_bytes()
    return out


def assert_one_error_line(result, code: int) -> str:
    text = result.output
    assert result.exit_code == code, text
    assert text.startswith("error: "), text
    assert text.count("\n") == 1 and text.endswith("\n"), f"not exactly one line: {text!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return text


def leftovers(out: Path) -> list[str]:
    """Hidden folders next to out named like its staging workspaces (``.NAME.partial-PID-XXXX``)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def workspace_record(folder: Path) -> dict:
    """The marker record of one of the tool's staging workspaces (fails on a folder without one)."""
    return json.loads((folder / ".allocator-staging").read_text())


# run.json as the first version (e0c1d09) wrote it: --force must still recognise such a folder as a plan.
FIRST_VERSION_RUN = {
    "status": "optimal", "explanation": "optimal plan found", "objective": 1.0, "objective_kind": "max_revenue",
    "solver": "cbc", "solver_version": "2.10", "duals_from": "lp",
    "scenario": {"name": "old", "file": "old.yaml", "tables": {}, "sha256": "0" * 64},
    "created_at": "2026-11-27T10:00:00+00:00", "write_seconds": 0.01,
}


def occupied(out: Path) -> dict[str, bytes]:
    """A plan folder written by an earlier version, with a user's notes and a subfolder added."""
    out.mkdir(parents=True)
    (out / "run.json").write_text(json.dumps(FIRST_VERSION_RUN, indent=2) + "\n")
    (out / "allocation.csv").write_text("channel,spend\nold,1\n")
    (out / "notes.txt").write_text("do not touch")
    (out / "sub").mkdir()
    (out / "sub" / "deep.bin").write_bytes(bytes(range(256)))
    return snapshot(out)
