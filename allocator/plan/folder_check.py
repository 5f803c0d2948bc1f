"""`allocator verify` on a plan folder: the independent constraint checks, and whether the plan was solved
from the inputs given now (run.json's SHA-256 of each input file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from allocator.io.run_record import read_run_record
from allocator.plan.verify import Report, check_inputs, read_allocation
from allocator.plan.verify_files import check_folder_files
from allocator.plan.verify_replan import verify_recorded
from allocator.scenario.loader import LoadedScenario


@dataclass(frozen=True)
class Verification:
    """What `verify` found: the constraint checks, and whether the plan was solved from these inputs."""

    report: Report  # every check; ``report.violations`` one line each
    differences: list[str] = field(default_factory=list)  # input files that differ from those run.json hashed
    notes: list[str] = field(default_factory=list)  # --set lines other than the plan's; no run.json

    @property
    def ok(self) -> bool:
        """True when every constraint holds and the plan was solved from these very inputs."""
        return self.report.ok and not self.differences


def verify_folder(loaded: LoadedScenario, folder: Path) -> Verification:
    """Check FOLDER/allocation.csv against the scenario, the folder's by_*.csv, targets.csv and run.json's
    objective against allocation.csv, then compare run.json's inputs with `loaded`'s."""
    allocation = read_allocation(Path(folder))
    run = read_run_record(Path(folder))
    report = verify_recorded(loaded.scenario, allocation, Path(folder), run)  # a re-plan against its actuals
    check_folder_files(loaded.scenario, Path(folder), allocation, report)
    differences, notes = check_inputs(loaded, Path(folder))
    return Verification(report, differences, notes)
