"""The bundled example scenarios, for `allocator init`."""

from __future__ import annotations

from pathlib import Path

from allocator.errors import OutputError

EXAMPLE_FILES = ("example_q1.yaml", "example_q1_livestream_push.yaml", "example_q1_budget_4m.yaml",
                 "example_q1_budget_lines.yaml", "example_q1_annual.yaml", "funnel.csv", "baseline.csv", "history.csv",
                 "actuals_q1.csv", "incentives/rules.yaml", "incentives/people.csv", "incentives/attainment_q1.csv",
                 "README.md")


def examples_dir() -> Path:
    """Installed wheels carry the examples inside the package; a source checkout has them in scenarios/."""
    package = Path(__file__).resolve().parents[1]  # allocator/
    packaged = package / "_scenarios"
    if packaged.is_dir():
        return packaged
    return package.parent / "scenarios"


def write_examples(folder: Path, force: bool = False) -> list[Path]:
    source = examples_dir()
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"{folder}: exists and is not a folder")
    targets = [folder / name for name in EXAMPLE_FILES]
    clashes = [p.name for p in targets if p.exists()]
    if clashes and not force:
        raise OutputError(f"{folder}: would overwrite {', '.join(clashes)}; pass --force or choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    for name, target in zip(EXAMPLE_FILES, targets):
        target.parent.mkdir(exist_ok=True)  # incentives/
        target.write_bytes((source / name).read_bytes())
    return targets
