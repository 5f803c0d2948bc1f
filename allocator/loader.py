"""Read a scenario file (YAML or JSON) and the CSV tables it references into a validated `Scenario`.

Validation happens here, once, at the edge. Every failure becomes one
`ScenarioError` naming the file, the field path, the bad value and what was
expected. YAML is loaded with the safe loader; nothing in any input is evaluated.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import reprlib
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ScenarioError, Text
from .references import check_scenario
from .schema import BaselineRow, FunnelRow, Scenario
from .variants import Provenance, apply_sets, find_item, is_path, merge_variant, parse_path

MAX_EXTENDS_DEPTH = 10  # a variant may extend a variant ... at most this deep
MAX_FILE_BYTES = 20 * 1024 * 1024  # a scenario or table larger than this is refused unread
MAX_YAML_NODES = 200_000  # nodes after expanding aliases; a real scenario has a few thousand

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


def load_scenario(path: str | Path, overrides: list[str] | tuple = ()) -> LoadedScenario:
    """Read, merge (``extends``), override (``--set PATH=VALUE``) and validate a scenario.

    Every error names the file that holds the bad value: the variant, its
    base, a CSV table, or ``--set``.
    """
    path = Path(path)
    data, provenance, raws, sources = _read_document(path, ())
    if overrides:
        data, provenance = apply_sets(data, provenance, list(overrides))
    digest = hashlib.sha256(b"".join(raws))  # the scenario files' bytes (base first), then each table's
    if overrides:
        digest.update("\n".join(overrides).encode("utf-8"))
    tables: dict[str, Path] = {}
    table_lines: dict[str, list[int]] = {}
    for section, (model, required) in TABLES.items():
        value = data.get(section)
        if isinstance(value, dict):
            defined_in = provenance.file_for((section,))
            base = path if defined_in == "--set" else Path(defined_in)
            csv_path, rows, table_bytes, line_numbers = _read_table(base, section, value, model, required)
            data = {**data, section: rows}
            tables[section] = csv_path
            table_lines[section] = line_numbers
            digest.update(table_bytes)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _translate(exc, path, data, tables, table_lines, provenance) from None
    try:
        check_scenario(scenario, str(path), {k: (tables[k], table_lines[k]) for k in tables})
    except ScenarioError as exc:
        raise _from_its_file(exc, data, provenance, str(path)) from None
    return LoadedScenario(scenario=scenario, path=path, sha256=digest.hexdigest(), tables=tables,
                          sources=tuple(sources), overrides=tuple(overrides))


def _read_document(path: Path, chain: tuple) -> tuple[dict, Provenance, list[bytes], list[Path]]:
    """The scenario mapping in `path`, merged onto its ``extends`` base (recursively)."""
    raw = _read_bytes(path)
    data = _parse(raw, path)
    if not isinstance(data, dict):
        raise ScenarioError(path, "", Text(type(data).__name__ if data is not None else "an empty document"),
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
    base, base_provenance, raws, sources = _read_document(base_path, chain + (here,))
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
            index = find_item(node, step)
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
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, "", Text(f"bytes that are not UTF-8 text (at byte {exc.start})"), "a UTF-8 YAML or JSON file") from None
    if "\x00" in text:
        raise ScenarioError(path, "", Text("binary data (NUL bytes)"), "a UTF-8 YAML or JSON file")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
        except _RepeatedKey as exc:
            raise ScenarioError(path, "", Text(f"the key '{exc.key}' twice in one object"), "each key once") from None
        except (json.JSONDecodeError, ValueError) as exc:
            raise ScenarioError(path, "", Text(f"invalid JSON ({exc})"), "a JSON object") from None
    try:
        return _load_yaml(text)
    except _TooManyAliases as exc:
        raise ScenarioError(path, "", Text(str(exc)), "a scenario without alias expansion bombs") from None
    except _RepeatedKey as exc:
        raise ScenarioError(path, f"line {exc.line}", Text(f"the key '{exc.key}' twice in one mapping"),
                            "each key once (the second would silently replace the first)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(path, where, Text(f"a YAML syntax error ({problem})"), "valid YAML") from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number a scenario may hold")


class _TooManyAliases(Exception):
    pass


class _RepeatedKey(Exception):
    def __init__(self, key, line: int | None = None):
        super().__init__(key)
        self.key = key
        self.line = line


def _unique_keys(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedKey(key)
        out[key] = value
    return out


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's safe loader when PyYAML was built with it (ten times faster), refusing repeated keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hashable = key in seen
            except TypeError:
                continue
            if hashable:
                raise _RepeatedKey(key, key_node.start_mark.line + 1)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_SAFE_LOADER = _UniqueKeyLoader


def _load_yaml(text: str):
    """Safe-load one YAML document, refusing anchors that expand into a huge tree.

    The node graph is composed first (aliases share nodes, so this is cheap
    even for a "billion laughs" document); its expanded size is checked before
    any Python object is built from it.
    """
    loader = _SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_YAML_NODES:
            raise _TooManyAliases(f"YAML anchors expanding to {size:,} nodes (more than {MAX_YAML_NODES:,})")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node, memo: dict) -> int:
    """Nodes the document would have with every alias expanded (shared nodes counted each time)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # guards against recursive anchors
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = size
    return size


def _read_table(scenario_path: Path, section: str, spec: dict, model: type[BaseModel], required: tuple[str, ...]):
    if set(spec) != {"file"} or not isinstance(spec.get("file"), str):
        raise ScenarioError(scenario_path, section, spec, "a list of rows, or {file: name.csv} (a CSV next to the scenario)")
    csv_path = (scenario_path.parent / spec["file"]).resolve()
    if csv_path.suffix.lower() != ".csv":
        raise ScenarioError(scenario_path, f"{section}.file", spec["file"], "a .csv file")
    if not csv_path.exists():
        raise ScenarioError(scenario_path, f"{section}.file", spec["file"], f"an existing CSV file (looked for {csv_path})")
    if csv_path.is_dir():
        raise ScenarioError(scenario_path, f"{section}.file", spec["file"], "a CSV file, not a folder")
    raw = _read_bytes(csv_path, "CSV file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScenarioError(csv_path, "", Text("bytes that are not UTF-8 text"), "a UTF-8 CSV file") from None
    if "\x00" in text:
        raise ScenarioError(csv_path, "", Text("binary data (NUL bytes)"), "a UTF-8 CSV file")
    import csv
    import io

    reader = csv.reader(io.StringIO(text))
    try:
        # (line number in the file, cells), blank lines skipped but counted.
        all_rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ScenarioError(csv_path, "", Text(f"malformed CSV ({exc})"), "a comma-separated table with a header row") from None
    if not all_rows:
        raise ScenarioError(csv_path, "", Text("an empty file"), f"a header row with columns {', '.join(required)}")
    header = [h.strip() for h in all_rows[0][1]]
    allowed = list(model.model_fields)
    for name in header:
        if name not in allowed:
            raise ScenarioError(csv_path, "header", name, f"a column among: {', '.join(allowed)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise ScenarioError(csv_path, "header", ", ".join(header), f"columns including {', '.join(missing)}")
    rows = []
    line_numbers = []
    for line_no, row in all_rows[1:]:
        if len(row) != len(header):
            raise ScenarioError(csv_path, f"line {line_no}", Text(f"{len(row)} fields"), f"{len(header)} fields, as in the header")
        rows.append({k: v.strip() for k, v in zip(header, row) if v.strip() != ""})
        line_numbers.append(line_no)
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
    if kind in ("value_error", "assertion_error"):
        return ScenarioError(file, field, _short(value), message)
    return ScenarioError(file, field, _short(value), message)


_TYPE_ERRORS = frozenset({
    "dict_type", "list_type", "model_type", "model_attributes_type", "string_type", "float_type", "float_parsing",
    "int_type", "int_parsing", "bool_type", "bool_parsing",
})
_PATTERN_MEANING = {
    "^[^\\x00-\\x1f\\x7f\\[\\]]+$": "a name of printable characters without brackets [ ]",
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
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    label = item["name"]
                node = item
            else:
                node = None
            out += f"[{label}]"
        else:
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
