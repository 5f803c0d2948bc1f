"""A variant kept: saved as a scenario file beside its base, or exported as its review pack.

The saved file is what the command line would take: ``extends:`` the base and one line per changed
lever, the value written as YAML reads back the --set text. Before it replaces anything it is loaded
again (as `allocator solve` loads it) and must give the variant's scenario exactly, name aside; an
existing file is replaced only when the page says so (after asking the planner).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

from allocator.errors import OutputError, Text, UsageError
from allocator.web.folders import Folders
from allocator.web.variants import Solved


class FileExists(UsageError):
    """The file to save exists and the page did not say to replace it."""


def scenario_text(solved: Solved, name: str) -> str:
    """The variant as a scenario file: extends its base, plus its overrides in order."""
    from allocator.scenario.documents import parse_yaml

    fields: dict = {"extends": solved.ref.name, "name": name}
    for path, text in solved.changes:
        fields[path] = parse_yaml(text)
    lines = [f"# A what-if variant of {solved.ref.name}, saved from the planner's workspace (allocator serve).",
             "# Every field not named here comes from the file it extends."]
    return "\n".join(lines) + "\n" + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, width=200)


def save_variant(folders: Folders, solved: Solved, file_name, title, replace: bool = False) -> Path:
    """Write the variant beside its base as `file_name`; returns the path written."""
    target = folders.new_file(solved.ref, file_name)
    if target.exists() and not replace:
        raise FileExists("save", "name", Text(target.name), "a new file name, or confirm replacing it")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise UsageError("save", "title", Text(str(title)[:80]), "a scenario name of 1-200 characters")
    text = scenario_text(solved, title.strip())
    handle, temporary = tempfile.mkstemp(prefix=".saving-", suffix=".yaml", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        _check_same(solved, Path(temporary), target.name)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _check_same(solved: Solved, written: Path, name: str) -> None:
    """The written file, loaded as the command line loads it, is the variant's scenario (name aside)."""
    import allocator

    loaded = allocator.load(written)
    ours = solved.outcome.loaded.scenario.model_dump(mode="json", exclude={"name"})
    theirs = loaded.scenario.model_dump(mode="json", exclude={"name"})
    if ours != theirs:
        raise OutputError(f"{name}: the saved file would not load as the variant (nothing was written)")


def review_pack(solved: Solved) -> dict[str, bytes]:
    """plan.xlsx and report.html of the variant, as ``allocator solve --report`` writes them."""
    from allocator.review.pack import plan_files

    return plan_files(solved.plan, Path(solved.ref.folder) / (Path(solved.ref.name).stem + "-variant"))
