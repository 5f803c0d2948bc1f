"""A scenario's targets checked against history: `allocator check-targets`, and the checks `solve` adds to
a plan whose scenario names a history file (checks.csv beside the plan's other tables)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from allocator.history.checks import DEFAULT_MARGIN, target_checks
from allocator.history.history_table import read_history
from allocator.history.targets import history_targets, read_for
from allocator.io.output import prepare_target, run_inputs, write_folder
from allocator.plan.units import with_units
from allocator.scenario.inputs import input_records
from allocator.scenario.loader import LoadedScenario, load_scenario


@dataclass(frozen=True)
class TargetChecks:
    """The checks of one scenario's targets: `table` is checks.csv."""

    loaded: LoadedScenario
    history: Path
    table: pd.DataFrame
    margin: float

    @property
    def failing(self) -> bool:
        """True when any check warns or fails (what --strict exits 1 on)."""
        return bool((self.table["status"] != "pass").any())

    def write(self, out: Path, force: bool = False) -> None:
        """checks.csv, units.csv and run.json into `out`, whole or not at all."""
        record = {"command": "check-targets", "scenario": {
            "name": self.loaded.scenario.name, "file": str(Path(self.loaded.path).absolute()),
            "overrides": list(self.loaded.overrides), "sha256": self.loaded.sha256,
            "inputs": input_records(self.loaded)}, "history": str(self.history.absolute()), "margin": self.margin,
            "statuses": self.table["status"].value_counts().to_dict(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds")}
        write_folder(out, with_units({"checks": self.table}, self.loaded.scenario.currency), record,
                     inputs=self.inputs(), force=force)

    def inputs(self) -> list[Path]:
        return [*run_inputs(self.loaded), self.history]


def check_targets(scenario: str | Path, history: str | Path | None = None, margin: float = DEFAULT_MARGIN,
                  overrides: tuple | list = (), allow_outside: tuple | list = (), out: Path | None = None,
                  force: bool = False) -> TargetChecks:
    """Check the targets of the scenario file against `history` (default: the file the scenario names).

    Everything is read and checked before `out` (if given) is written."""
    if out is not None:
        prepare_target(out, force, [Path(scenario)])
    loaded = load_scenario(scenario, overrides, allow_outside)
    frame = read_for(loaded, history)
    loaded = history_targets(loaded, None if history is not None else frame)  # growth: from the scenario's own
    path = Path(history) if history is not None else loaded.tables["history"]
    checks = TargetChecks(loaded, path, target_checks(loaded.scenario, frame, margin), margin)
    if out is not None:
        checks.write(out, force)
    return checks


def with_history(loaded: LoadedScenario) -> tuple[LoadedScenario, pd.DataFrame | None]:
    """`loaded` with its growth targets resolved, and the history table it names (None without one)."""
    frame = read_history(loaded.tables["history"]) if "history" in loaded.tables else None
    return history_targets(loaded, frame), frame


def plan_checks(loaded: LoadedScenario, frame: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """``{"checks": checks.csv}`` for a scenario that names a history file, else ``{}``."""
    return {} if frame is None else {"checks": target_checks(loaded.scenario, frame)}
