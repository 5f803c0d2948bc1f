"""A scenario given in memory (a mapping, or a `Scenario` already built) checked exactly as a file is.

For the Python API: ``allocator.solve({...})``. The mapping is what a scenario file holds once parsed;
``--set`` overrides, ``{file: x.csv}`` tables (read relative to the working folder, which plays the part
of the scenario's folder) and every cross-check apply as they do to a file, and errors name the source
as ``<mapping>``. Such a scenario has no file: its `LoadedScenario.sources` is empty, which is how later
stages (run.json, the output folder's checks) tell it apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from allocator.errors import ScenarioError, Text, UsageError
from allocator.scenario.documents import MAX_NESTING
from allocator.scenario.loader import LoadedScenario, Reach, validated
from allocator.scenario.schema import Scenario
from allocator.scenario.variants import Provenance, apply_sets

IN_MEMORY = "<mapping>"


def load_mapping(data: Mapping, overrides: list[str] | tuple = (),
                 allow_outside: list[str | Path] | tuple = ()) -> LoadedScenario:
    """Validate a scenario given as a mapping of its fields (with ``PATH=VALUE`` overrides applied first)."""
    if isinstance(data, Scenario):
        data = data.model_dump(mode="json", exclude_unset=True)
    if not isinstance(data, Mapping):
        raise ScenarioError(IN_MEMORY, "", Text(type(data).__name__), "a mapping of scenario fields or a Scenario")
    _check_nesting(data)
    path = Path(IN_MEMORY)
    provenance = Provenance(IN_MEMORY)
    data = dict(data)
    if overrides:
        data, provenance = apply_sets(data, provenance, list(overrides))
    try:
        text = json.dumps(data, sort_keys=True, default=str)
    except (TypeError, ValueError):  # a circular or unprintable structure
        raise ScenarioError(IN_MEMORY, "", Text("a structure that is not plain data"),
                            "a mapping of numbers, text, lists and mappings (what a YAML file holds)") from None
    digest = hashlib.sha256(text.encode("utf-8"))
    reach = Reach(Path.cwd().resolve(), tuple(Path(folder).resolve() for folder in allow_outside))
    return validated(data, path, provenance, digest, reach, sources=(), overrides=overrides)


def assignments(given: Mapping | Iterable[str] | None) -> tuple[str, ...]:
    """``{"budget.total": 4e6}`` or ``["budget.total=4e6"]`` as ``PATH=VALUE`` lines (values as YAML/JSON)."""
    if given is None:
        return ()
    if isinstance(given, str):
        raise UsageError("set", "", given, 'a mapping {"PATH": value} or a list of "PATH=VALUE" lines')
    if isinstance(given, Mapping):
        if not all(isinstance(path, str) and path for path in given):
            raise UsageError("set", "", Text("a key that is not a field path"), 'field paths as keys, e.g. {"budget.total": 4e6}')
        return tuple(f"{path}={json.dumps(value, default=str)}" for path, value in given.items())
    if not isinstance(given, Iterable) or isinstance(given, bytes):
        raise UsageError("set", "", Text(type(given).__name__), 'a mapping {"PATH": value} or a list of "PATH=VALUE" lines')
    lines = list(given)
    if not all(isinstance(line, str) for line in lines):
        raise UsageError("set", "", Text("a line that is not text"), 'a list of "PATH=VALUE" lines')
    return tuple(lines)


def folders(allow_outside: str | Path | Iterable[str | Path] | None) -> tuple[Path, ...]:
    """The API's `allow_outside` argument (one folder, several, or None) as a tuple of paths."""
    if allow_outside is None:
        return ()
    if isinstance(allow_outside, (str, Path)):
        return (Path(allow_outside),)
    if not isinstance(allow_outside, Iterable) or not all(isinstance(f, (str, Path)) for f in allow_outside):
        raise UsageError("allow_outside", "", Text(type(allow_outside).__name__), "a folder's path or a list of them")
    return tuple(Path(folder) for folder in allow_outside)


def _check_nesting(data) -> None:
    """Refuse a mapping nested deeper than a scenario file may be (the same limit), without recursion."""
    stack, seen = [(data, 1)], set()
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise ScenarioError(IN_MEMORY, "", Text(f"nesting deeper than {MAX_NESTING} levels"),
                                f"at most {MAX_NESTING} levels of lists and mappings")
        if isinstance(node, (Mapping, list, tuple)) and id(node) not in seen:
            seen.add(id(node))
            children = node.values() if isinstance(node, Mapping) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, (Mapping, list, tuple)))
