"""Which input files a plan was solved from, each with its SHA-256, and how a later load differs from them.

run.json records one hash over every input (the scenario files, any --set lines, the tables). That says
*whether* something changed; the per-file records here say *what*: the scenario file itself, an
``extends:`` base (by its place in the chain) or a ``file:`` table (by its section).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from allocator.scenario.loader import LoadedScenario


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def input_records(loaded: LoadedScenario) -> list[dict]:
    """One record per input file: role ("scenario", "extends[1]" for the first base, "table:baseline"...),
    path and SHA-256."""
    sources = list(loaded.sources) or [loaded.path]
    records = [{"role": "scenario", "path": str(Path(sources[-1]).absolute()), "sha256": _sha256(sources[-1])}]
    records += [{"role": f"extends[{i}]", "path": str(Path(p).absolute()), "sha256": _sha256(p)}
                for i, p in enumerate(reversed(sources[:-1]), start=1)]  # [1]: the file the scenario extends
    records += [{"role": f"table:{section}", "path": str(Path(p).absolute()), "sha256": _sha256(p)}
                for section, p in loaded.tables.items()]
    return records


def input_differences(loaded: LoadedScenario, run: dict) -> tuple[list[str], list[str]]:
    """(differences, notes) between the inputs `run` (a run.json) records and those `loaded` read now.

    A difference is an input file whose bytes differ, or one only one side has. `--set` lines that differ
    from the recorded ones are a note: the user chose them to check the plan against changed numbers.
    """
    recorded = run.get("scenario") if isinstance(run, dict) else None
    if not isinstance(recorded, dict):
        return [], ["run.json records no scenario: cannot tell whether the plan was solved from this one"]
    notes = []
    before = [str(o) for o in recorded.get("overrides") or []]
    if before != list(loaded.overrides):
        notes.append(f"checked with {_sets(list(loaded.overrides))}; the plan was solved with {_sets(before)}")
    files = recorded.get("inputs")
    if not isinstance(files, list):  # a plan written before per-file hashes: only the overall hash to go by
        if not notes and recorded.get("sha256") and recorded["sha256"] != loaded.sha256:
            return ["inputs: the scenario's files differ from those the plan was solved from "
                    "(SHA-256 differs from run.json; this run.json does not say which file)"], notes
        return [], notes
    then = {r.get("role"): r for r in files if isinstance(r, dict)}
    now = {r["role"]: r for r in input_records(loaded)}
    differences = []
    for role in list(now) + [r for r in then if r not in now]:
        old, new = then.get(role), now.get(role)
        if old is None:
            differences.append(f"{role}: {new['path']} is read now; the plan was solved without it")
        elif new is None:
            differences.append(f"{role}: {old.get('path')} was read when the plan was solved; not now")
        elif old.get("sha256") != new["sha256"]:
            then_hash, now_hash = str(old.get("sha256"))[:12], str(new["sha256"])[:12]
            differences.append(f"{role}: {new['path']} differs from the file the plan was solved from "
                               f"({old.get('path')}; SHA-256 {then_hash}... now {now_hash}...)")
    return differences, notes


def _sets(overrides: list[str]) -> str:
    return " ".join(f"--set {o!r}" for o in overrides) if overrides else "no --set"
