"""`allocator report`: a plan folder (and the plans it is compared with) as plan.xlsx and report.html."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from allocator.io.output import recorded_inputs
from allocator.review.sections import Report, build_report
from allocator.review.source import from_plan, read_plan_folder, read_study_folder
from allocator.review.write import DEFAULT_NAMES, check_target, render, write_all
from allocator.scenario.memory import folders as allowed_folders
from allocator.solving import arguments as check


@dataclass
class ReportPack:
    """What `report` made: the report's content, and the files written (kind -> path)."""

    report: Report
    written: dict[str, Path] = field(default_factory=dict)

    @property
    def solved(self) -> bool:
        return self.report.document.solved


def _folder_files(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []


def report(plan_dir: str | Path, *, compare: list[str | Path] | tuple = (), xlsx: str | Path | None = None,
           html: str | Path | None = None, studies: list[str | Path] | tuple = (), force: bool = False,
           allow_outside: tuple | list = ()) -> ReportPack:
    """The budget review pack of a plan folder: plan.xlsx and report.html (needs the ``report`` extra).

    Parameters
    ----------
    plan_dir : str or Path
        A folder written by ``allocator solve`` (verified against its scenario when that is unchanged).
    compare : list of paths, optional
        Other plan folders to show against this one (what-if deltas; a workbook sheet per plan).
    xlsx, html : str or Path, optional
        Where to write the workbook and the report; without both, plan.xlsx and report.html go into
        `plan_dir`. Every target is checked before anything is read or written.
    studies : list of paths, optional
        Folders of ``allocator risk`` or ``allocator sweep`` whose risk.csv / frontier.csv are shown too.
    force : bool, default False
        Replace an existing `xlsx` or `html` file (the plan folder's own report files are always replaced).
    allow_outside : list of paths, optional
        As for `solve`, when the plans' scenarios are read to verify them.

    Returns
    -------
    ReportPack
        ``report`` (the content: headline, sections of rounded tables) and ``written`` (kind -> path).

    Raises
    ------
    UsageError (the extra is missing; a target of the wrong kind); PlanFolderError (not a plan folder, or
    its numbers fail its scenario); OutputError (a target that is an input, a folder, or exists).

    Examples
    --------
    >>> import allocator
    >>> allocator.report("out/q1").written["html"]  # doctest: +SKIP
    PosixPath('out/q1/report.html')
    """
    check.report_extra("report")
    folder = check.path("plan_dir", plan_dir, False)
    compare = [check.path("compare", p, False) for p in compare]
    studies = [check.path("studies", p, False) for p in studies]
    xlsx, html = check.path("xlsx", xlsx), check.path("html", html)
    allow_outside = allowed_folders(allow_outside)
    targets = _checked_targets(folder, xlsx, html, [*compare, *studies], force)
    document = read_plan_folder(folder, allow_outside)
    comparison = None
    if compare:
        from allocator.whatif.compare import compare_plans

        comparison = compare_plans([folder, *compare], allow_outside=allow_outside).table
    tables = {}
    for study in studies:
        tables.update(read_study_folder(study))
    content = build_report(document, comparison=comparison, studies=tables)
    pack = ReportPack(content)
    files = render(content, comparison, tuple(targets))
    write_all({targets[kind]: data for kind, data in files.items()})
    pack.written.update({kind: targets[kind] for kind in files})
    return pack


def _checked_targets(folder: Path, xlsx: Path | None, html: Path | None, others: list[Path],
                     force: bool) -> dict[str, Path]:
    """The files to write, by kind, each checked (see `check_target`)."""
    targets = {kind: Path(path) for kind, path in (("xlsx", xlsx), ("html", html)) if path is not None}
    defaults = not targets
    if defaults:
        targets = {kind: folder / name for kind, name in DEFAULT_NAMES.items()}
    # Never written over: the plan's files (its report files excepted: a new report replaces them), the
    # scenario and tables they were solved from, and every file of the folders compared or shown beside it.
    protected = [p for p in _folder_files(folder) if p.name not in DEFAULT_NAMES.values()]
    protected += recorded_inputs(folder)
    for other in others:
        protected += [*_folder_files(other), *recorded_inputs(other)]
    for kind, path in targets.items():
        ours = defaults or path.resolve().parent == folder.resolve() and path.name == DEFAULT_NAMES[kind]
        check_target(kind, path, protected, force, ours)
    return targets


def plan_files(plan, folder: str | Path) -> dict[str, bytes]:
    """plan.xlsx and report.html of a plan solved here, for `solve --report` (written with the folder)."""
    content = build_report(from_plan(plan, folder))
    files = render(content)
    return {DEFAULT_NAMES[kind]: data for kind, data in files.items()}
