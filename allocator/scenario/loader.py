"""Read a scenario file (YAML or JSON) and the CSV tables it references into a validated `Scenario`.

Validation happens here, once, at the edge. Every failure becomes one
`ScenarioError` naming the file, the field path, the bad value and what was
expected. YAML is loaded with the safe loader; nothing in any input is evaluated.
"""

from __future__ import annotations

import difflib
import hashlib
import reprlib
import stat
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from allocator.scenario.documents import MAX_NESTING, MAX_YAML_NODES, DocumentError, parse_json, parse_yaml, parsed_copy  # noqa: F401
from allocator.errors import ScenarioError, Text
from allocator.scenario.tables import table_rows, utf8_text
from allocator.scenario.anchors import history_file
from allocator.scenario.references import check_scenario
from allocator.scenario.schema import NAME_PATTERN, BaselineRow, FunnelRow, Scenario
from allocator.scenario.variants import Provenance, apply_sets, find_item, is_path, merge_variant, parse_path

MAX_EXTENDS_DEPTH = 10  # a variant may extend a variant ... at most this deep
MAX_FILE_BYTES = 20 * 1024 * 1024  # a scenario or table larger than this is refused unread

# Tables that may come from a CSV file: section -> (row model, required columns).
TABLES: dict[str, tuple[type[BaseModel], tuple[str, ...]]] = {
    "funnel": (FunnelRow, ("channel", "tier")),
    "baseline": (BaselineRow, ("channel", "tier", "product", "period", "revenue")),
}


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with where it came from."""

    scenario: Scenario
    path: Path
    sha256: str  # of the scenario files' bytes (base first), any --set lines, then each table's bytes
    tables: dict[str, Path]  # section -> CSV file it was read from
    sources: tuple = ()  # every scenario file read: the base first, the file that was run last
    overrides: tuple = ()  # --set PATH=VALUE assignments applied after the files


def load_scenario(path: str | Path, overrides: list[str] | tuple = (),
                  allow_outside: list[str | Path] | tuple = ()) -> LoadedScenario:
    """Read, merge (``extends``), override (``--set PATH=VALUE``) and validate a scenario.

    Every error names the file that holds the bad value: the variant, its
    base, a CSV table, or ``--set``. The files named by ``extends:`` and
    ``file:`` must lie in the scenario's folder tree or in one of the
    ``allow_outside`` folders (symlinks resolved first).
    """
    path = Path(path)
    reach = Reach(path.parent.resolve(), tuple(Path(folder).resolve() for folder in allow_outside))
    data, provenance, raws, sources = _read_document(path, (), reach)
    if overrides:
        data, provenance = apply_sets(data, provenance, list(overrides))
    digest = hashlib.sha256(b"".join(raws))  # the scenario files' bytes (base first), then each table's
    if overrides:
        digest.update("\n".join(overrides).encode("utf-8"))
    return validated(data, path, provenance, digest, reach, sources, overrides)


def validated(data: dict, path: Path, provenance: Provenance, digest, reach: Reach, sources: tuple | list = (),
              overrides: tuple | list = ()) -> LoadedScenario:
    """Read the ``file:`` tables `data` names, validate it and run the cross-checks: loading's last steps,
    shared by scenario files and scenarios given in memory (`path` then names the source, `<mapping>`).

    `digest` (a hashlib SHA-256 of the scenario's own bytes) is updated with each table's bytes. A table is
    read relative to the file that names it (`path` for one set by ``--set``)."""
    tables: dict[str, Path] = {}
    table_lines: dict[str, list[int]] = {}
    for section, (model, required) in TABLES.items():
        value = data.get(section)
        if isinstance(value, dict):
            defined_in = provenance.file_for((section,))
            base = path if defined_in == "--set" else Path(defined_in)
            csv_path, rows, table_bytes, line_numbers = _read_table(base, section, value, model, required, reach)
            data = {**data, section: rows}
            tables[section] = csv_path
            table_lines[section] = line_numbers
            digest.update(table_bytes)
    tables.update(history_file(data, path, provenance, reach, digest))  # found and hashed; allocator.history reads it
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, path, data, tables, table_lines, provenance) from None
    try:
        check_scenario(scenario, str(path), {k: (tables[k], table_lines[k]) for k in table_lines})
    except ScenarioError as exc:
        raise _from_its_file(exc, data, provenance, str(path)) from None
    return LoadedScenario(scenario=scenario, path=path, sha256=digest.hexdigest(), tables=tables,
                          sources=tuple(sources), overrides=tuple(overrides))


@dataclass(frozen=True)
class Reach:
    """The folders whose files a scenario may name: its own folder tree, and those the user allowed."""

    root: Path
    allowed: tuple[Path, ...] = ()

    def check(self, target: Path, scenario: str | Path, field: str, written: str) -> Path:
        """`target` with symlinks resolved, or ScenarioError when it lies outside every allowed folder."""
        resolved = target.resolve()
        if any(resolved.is_relative_to(folder) for folder in (self.root, *self.allowed)):
            return resolved
        raise ScenarioError(
            scenario, field, written,
            f"a file inside the scenario's folder {self.root} (this one is {resolved}); to read it anyway, "
            f"pass --allow-outside {resolved.parent} (or list that folder in ALLOCATOR_ALLOW_OUTSIDE)",
        )


def _read_document(path: Path, chain: tuple, reach: Reach) -> tuple[dict, Provenance, list[bytes], list[Path]]:
    """The scenario mapping in `path`, merged onto its ``extends`` base (recursively)."""
    raw = _read_bytes(path)
    data = _parse(raw, path)
    if not isinstance(data, dict):
        raise ScenarioError(path, "", Text(type(data).__name__ if data is not None else "an empty document"),
                            "a mapping of scenario fields (name, periods, channels, ...)")
    if not any(key in Scenario.model_fields or key == "extends" or is_path(key) for key in data):
        # Not a scenario: some other file was named. Its keys are its content, so none is quoted.
        raise ScenarioError(path, "", Text(f"a mapping of {len(data)} keys, none of them a scenario field"),
                            "a mapping of scenario fields (name, periods, channels, ...)")
    if "extends" not in data:
        for key in data:
            if is_path(key):
                raise ScenarioError(path, key, Text("a field path"), "plain field names (paths like budget.total "
                                    "are overrides, allowed only in a file that has extends: base.yaml)")
        return data, Provenance(str(path)), [raw], [path]
    data = dict(data)
    base_name = data.pop("extends")
    if not isinstance(base_name, str) or not base_name.strip():
        raise ScenarioError(path, "extends", base_name, "the path of the base scenario file, e.g. extends: example_q1.yaml")
    here = path.resolve()
    if here in chain or len(chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(path, "extends", base_name, f"a chain of at most {MAX_EXTENDS_DEPTH} files without cycles")
    base_path = path.parent / base_name
    reach.check(base_path, path, "extends", base_name)
    base, base_provenance, raws, sources = _read_document(base_path, chain + (here,), reach)
    merged, provenance = merge_variant(base, base_provenance, data, str(path))
    return merged, provenance, raws + [raw], sources + [path]


def _from_its_file(exc: ScenarioError, data: dict, provenance: Provenance, top: str) -> ScenarioError:
    """Re-address a cross-reference error to the file that holds the field (when it is not the top file)."""
    if exc.file != top or not exc.field:
        return exc
    try:
        steps = parse_path(exc.field)
    except ValueError:
        return exc
    concrete: list = []
    node = data
    for step in steps:
        if isinstance(step, tuple):
            if not isinstance(node, list):
                break
            try:
                index = find_item(node, step)
            except ValueError:  # an ambiguous [number]: keep the file found so far
                break
            if index is None:
                break
            concrete.append(index)
            node = node[index]
        else:
            if not isinstance(node, dict) or step not in node:
                break
            concrete.append(step)
            node = node[step]
    source = provenance.file_for(tuple(concrete))
    if source == top:
        return exc
    return ScenarioError(source, exc.field, exc.value, exc.expected)


def _read_bytes(path: Path, what: str = "scenario file") -> bytes:
    if not path.exists():
        raise ScenarioError(path, "", Text("a path that does not exist"), f"an existing {what}")
    if path.is_dir():
        raise ScenarioError(path, "", Text("a folder"), f"a {what}")
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block, a device never end
            raise ScenarioError(path, "", Text("not a regular file (a pipe, socket or device)"), f"a {what}")
        limit = MAX_FILE_BYTES
        if info.st_size > limit:
            raise ScenarioError(path, "", Text(f"{info.st_size / 1e6:.1f} MB"), f"a {what} of at most {limit // (1024 * 1024)} MiB")
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the file may have grown since stat
        if len(data) > limit:
            raise ScenarioError(path, "", Text(f"more than {limit // (1024 * 1024)} MiB"), f"a {what} of at most {limit // (1024 * 1024)} MiB")
        return data
    except OSError as exc:
        raise ScenarioError(path, "", Text(f"an unreadable file ({exc.strerror})"), f"a readable {what}") from None


def _parse(raw: bytes, path: Path):
    text = utf8_text(raw, path, "a UTF-8 YAML or JSON file")
    try:
        return parsed_copy(text, path.suffix.lower() == ".json")
    except DocumentError as exc:
        raise ScenarioError(path, exc.where, Text(exc.what), exc.expected) from None


def _read_table(scenario_path: Path, section: str, spec: dict, model: type[BaseModel], required: tuple[str, ...],
                reach: Reach):
    if set(spec) != {"file"} or not isinstance(spec.get("file"), str):
        raise ScenarioError(scenario_path, section, spec, "a list of rows, or {file: name.csv} (a CSV next to the scenario)")
    csv_path = reach.check(scenario_path.parent / spec["file"], scenario_path, f"{section}.file", spec["file"])
    if csv_path.suffix.lower() != ".csv":
        raise ScenarioError(scenario_path, f"{section}.file", spec["file"], "a .csv file")
    if not csv_path.exists():
        raise ScenarioError(scenario_path, f"{section}.file", spec["file"], f"an existing CSV file (looked for {csv_path})")
    if csv_path.is_dir():
        raise ScenarioError(scenario_path, f"{section}.file", spec["file"], "a CSV file, not a folder")
    raw = _read_bytes(csv_path, "CSV file")
    rows, line_numbers = table_rows(raw, csv_path, section, model, required)
    return csv_path, rows, raw, line_numbers


def _translate(exc: ValidationError, path: Path, data: dict, tables: dict[str, Path],
               table_lines: dict[str, list[int]], provenance: Provenance | None = None) -> ScenarioError:
    """Turn pydantic's first meaningful error into one ScenarioError."""
    errors = exc.errors(include_url=False)
    # Unions (a number or a per-period mapping) report one error per member;
    # prefer one that is about the value rather than about its type.
    def rank(e):
        # A typo explains a "missing" error of the same key too; an error about the value beats one
        # about its type (a union member the input was never meant for); the deeper path is the more precise.
        return (0 if e["type"] == "extra_forbidden" else 1, 1 if e["type"] in _TYPE_ERRORS else 0, -len(e["loc"]))

    error = sorted(errors, key=rank)[0]
    loc = [part for part in error["loc"] if not _is_union_tag(part)]
    file: Path = path
    if loc and loc[0] in tables and len(loc) >= 2 and isinstance(loc[1], int):
        file = tables[loc[0]]
        field = f"line {table_lines[loc[0]][loc[1]]}" + (f", column {loc[2]}" if len(loc) > 2 else "")
    else:
        field = _field_path(loc, data)
        if provenance is not None:
            source = provenance.file_for(tuple(loc))
            file = Path(source) if source != "--set" else "--set"
    value = error.get("input")
    kind = error["type"]
    if kind == "missing":
        return ScenarioError(file, field, Text("nothing"), "a value (this field is required)")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        known = list(parent.model_fields) if parent else []
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        expected = f"one of the known fields: {', '.join(known)}" if known else "no such field"
        if hint:
            expected = f"a known field (did you mean '{hint[0]}'?)"
        return ScenarioError(file, field, Text(f"unknown field '{loc[-1]}'"), expected)
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern", "")
        return ScenarioError(file, field, _short(value), _PATTERN_MEANING.get(pattern, f"text matching {pattern}"))
    message = error["msg"]
    for prefix in ("Input should be ", "Value error, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    return ScenarioError(file, field, _short(value), message)


_TYPE_ERRORS = frozenset({
    "dict_type", "list_type", "model_type", "model_attributes_type", "string_type", "float_type", "float_parsing",
    "int_type", "int_parsing", "bool_type", "bool_parsing",
})
_PATTERN_MEANING = {
    NAME_PATTERN: "a name of printable characters, without brackets [ ] or invisible characters",
}


def _is_union_tag(part) -> bool:
    if isinstance(part, int):
        return False
    return part in ("float", "str", "int", "bool", "list", "dict") or "[" in part or part.startswith(("constrained-", "function-"))


def _field_path(loc: list, data) -> str:
    """``channels[livestream].max_spend`` from ('channels', 2, 'max_spend'), naming list items by their name."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = str(part)
            if isinstance(node, list) and part < len(node):
                item = node[part]
                # A name that is itself refused (a line break, an invisible character) is shown by its
                # position: quoting it would break the one-line message or hide what is wrong.
                if isinstance(item, dict) and isinstance(item.get("name"), str) and item["name"].isprintable():
                    label = item["name"]
                node = item
            else:
                node = None
            out += f"[{label}]"
        elif not (isinstance(node, dict) and node.get("curve") == part):  # a response curve's tag is no field
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def _model_at(loc: list) -> type[BaseModel] | None:
    """The pydantic model class found by walking the schema along loc."""
    import typing

    model: type[BaseModel] | None = Scenario
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _first_model(field.annotation, typing)
    return model


def _first_model(annotation, typing) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _first_model(arg, typing)
        if found is not None:
            return found
    return None


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 2, 4, 4, 60, 60


def _short(value) -> object:
    """The bad value, bounded in size whatever the input (a nested structure may be huge)."""
    if isinstance(value, (dict, list)):
        return Text(_REPR.repr(value))
    return value
