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
        return tuple(f"{path}={json.dumps(value, default=str)}" for path, value in given.items())
    return tuple(str(line) for line in given)


def folders(allow_outside: str | Path | Iterable[str | Path] | None) -> tuple[Path, ...]:
    """The API's `allow_outside` argument (one folder, several, or None) as a tuple of paths."""
    if allow_outside is None:
        return ()
    if isinstance(allow_outside, (str, Path)):
        return (Path(allow_outside),)
    return tuple(Path(folder) for folder in allow_outside)
