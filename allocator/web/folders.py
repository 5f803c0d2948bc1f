"""What the workspace may read and write: the scenario files it was given and their folders, nothing else.

The browser never sends a path. It names a scenario by its folder's number and its file name, and a file
to save by a bare name; both are checked here (one plain name, no separator, no `..`, no symlink, the
resolved file inside its folder) before anything is opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from allocator.errors import Text, UsageError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.ya?ml$")
SCENARIO_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ScenarioRef:
    """A scenario the page may open: `id` is what the browser sends ("0/example_q1.yaml")."""

    id: str
    folder: Path
    name: str

    @property
    def path(self) -> Path:
        return self.folder / self.name


class Folders:
    """The scenario folders of one `allocator serve`, in the order their first scenario was given."""

    def __init__(self, scenarios: list[str | Path]):
        self.given: list[ScenarioRef] = []
        self.folders: list[Path] = []
        for scenario in scenarios:
            path = Path(scenario)
            if not path.is_file():
                raise UsageError("serve", "SCENARIO", str(scenario), "an existing scenario file (.yaml)")
            folder = path.resolve().parent
            if folder not in self.folders:
                self.folders.append(folder)
            ref = ScenarioRef(f"{self.folders.index(folder)}/{path.name}", folder, path.name)
            if ref not in self.given:
                self.given.append(ref)

    def listing(self) -> list[ScenarioRef]:
        """The scenarios given first, then every other scenario file beside them (sorted by name)."""
        found = list(self.given)
        for number, folder in enumerate(self.folders):
            for path in sorted(folder.iterdir()):
                ref = ScenarioRef(f"{number}/{path.name}", folder, path.name)
                if (path.suffix in SCENARIO_SUFFIXES and NAME.match(path.name) and ref not in found
                        and self._inside(folder, path)):
                    found.append(ref)
        return found

    def scenario(self, scenario_id) -> ScenarioRef:
        """The scenario the browser named, or UsageError (one line) for anything else."""
        folder, name = self._split(scenario_id, "scenario")
        path = folder / name
        if not path.is_file() or not self._inside(folder, path):
            raise UsageError("scenario", "", Text(str(scenario_id)), "one of the scenarios the workspace lists")
        return ScenarioRef(f"{self.folders.index(folder)}/{name}", folder, name)

    def new_file(self, base: ScenarioRef, name) -> Path:
        """Where a variant named `name` is saved: beside its base scenario, a plain .yaml name, no symlink."""
        if not isinstance(name, str) or not NAME.match(name) or ".." in name:
            raise UsageError("save", "name", Text(str(name)[:80]),
                             "a plain file name ending in .yaml (letters, digits, _ . -), saved beside the scenario")
        target = base.folder / name
        if target.is_symlink() or (target.exists() and not self._inside(base.folder, target)):
            raise UsageError("save", "name", Text(name), "a file in the scenario's folder (not a link)")
        if target.resolve() == base.path.resolve():
            raise UsageError("save", "name", Text(name), "another name than the base scenario's own")
        return target

    def _split(self, scenario_id, what: str) -> tuple[Path, str]:
        text = scenario_id if isinstance(scenario_id, str) else ""
        number, _, name = text.partition("/")
        if not number.isdigit() or int(number) >= len(self.folders) or not NAME.match(name) or ".." in name:
            raise UsageError(what, "", Text(str(scenario_id)[:80]), "one of the scenarios the workspace lists")
        return self.folders[int(number)], name

    def holds(self, path: Path, also: Path | None = None) -> bool:
        """True when `path` is a file directly in one of the served folders (or in `also`), not a link."""
        return path.is_file() and any(self._inside(folder, path) for folder in (*self.folders, *([also] if also else [])))

    @staticmethod
    def _inside(folder: Path, path: Path) -> bool:
        """True when `path`, links followed, is a file directly in `folder` (a link out of it is not)."""
        try:
            return path.resolve(strict=True).parent == folder.resolve() and not path.is_symlink()
        except (OSError, RuntimeError):
            return False
