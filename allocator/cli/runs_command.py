"""`allocator runs` (list, show, approve, diff): the run store at the command line; and `record_or_warn`,
which the commands that write a run (solve, replan, track) call once their folder is written."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.cli.exits import guard
from allocator.cli.options import STORE_OPTION
from allocator.errors import InputError

RUN_ARGUMENT = click.argument("run_id", metavar="RUN")


def record_or_warn(kind: str, folder: Path, store: str | None, note: str = "", quarter: str | None = None) -> None:
    """Record the run written into `folder` and say so in one line. The run itself has succeeded by now,
    so a store that cannot be written is a warning on stderr, not an error: the exit code is the run's.
    (A --store value that names no store at all is refused before the run, by `check_store`.) `quarter`:
    the quarter of the plan the run belongs to, when its folder has no scenario.json (a track run)."""
    from allocator.tracking.store_target import resolve_target

    if resolve_target(store) is None:
        return
    from allocator.tracking.store import open_store

    try:
        with open_store(store) as opened:
            run_id = opened.record_folder(kind, folder, note, quarter=quarter)
            click.echo(f"Recorded run {run_id} in {opened.url}")
    except InputError as exc:
        click.echo(f"warning: run not recorded: {exc}", err=True)


def check_store(store: str | None) -> None:
    """Refuse a --store value that names no store (exit 2) before the command does any work. With recording
    off (``none``) there is nothing to check, and SQLAlchemy is not even imported."""
    from allocator.tracking.store_target import resolve_target

    if resolve_target(store) is not None:
        from allocator.tracking.store import check_target

        check_target(store)


@click.group("runs")
def runs() -> None:
    """The run store: every solve, replan and track run, and which plan is approved for each quarter.

    \b
    Runs are recorded in a SQLite file by default: $ALLOCATOR_STORE, else
    $XDG_DATA_HOME/allocator/runs.sqlite (~/.local/share/allocator/runs.sqlite).
    --store takes a file path or a SQLAlchemy URL (postgresql+psycopg://user@host/db),
    so that a team can share one PostgreSQL database; --store none records nothing.

    \b
    Example:
      allocator solve scenarios/example_q1.yaml --out out/q1    # prints "Recorded run 1-..."
      allocator runs list
      allocator runs show 1
      allocator runs approve 1 --note "signed off by the CMO"
      allocator runs diff 1 2
    """


@runs.command("list")
@click.option("--kind", type=click.Choice(["solve", "replan", "track"]), help="Only runs of this kind.")
@click.option("--quarter", help="Only runs of this quarter (2027-Q1).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1), help="At most this many, newest first.")
@STORE_OPTION
@guard
def list_command(kind, quarter, limit, store):
    """List recorded runs, newest first; * marks each quarter's approved plan.

    \b
    Example:
      allocator runs list
      allocator runs list --quarter 2027-Q1 --kind solve --limit 5
      allocator runs list --store postgresql+psycopg://planner@db.internal/allocator
    """
    from allocator import api
    from allocator.plan.words import figure

    with api.open_store(store) as opened:
        found = opened.list(kind=kind, quarter=quarter, limit=limit)
        current = {a.run_id for a in _current_approvals(opened)}
        url = opened.url
    if not found:
        click.echo(f"No runs recorded in {url}" + (" that match." if kind or quarter else "."))
        return
    click.echo(f"Runs in {url} (newest first; * approved):")
    rows = [(("*" if r.id in current else " ") + r.id, r.created_at.replace("+00:00", "Z"), r.kind, r.status,
             r.quarter, "-" if r.objective is None else figure(r.objective), r.scenario_name, str(r.folder))
            for r in found]
    head = ("  id", "created (UTC)", "kind", "status", "quarter", "objective", "scenario", "folder")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head) - 1)]
    for row in [head, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])


@runs.command("show")
@RUN_ARGUMENT
@STORE_OPTION
@guard
def show_command(run_id, store):
    """Show what the store holds for RUN, whether its folder and inputs are still as recorded, and its approvals.

    RUN is a run id (7-3fa2c19b) or its counter (7).

    \b
    Example:
      allocator runs show 7
    """
    from allocator import api

    with api.open_store(store) as opened:
        record = opened.get(run_id)
        approvals = opened.approvals(record.quarter)
    for line in _show_lines(record, approvals):
        click.echo(line)


@runs.command("approve")
@RUN_ARGUMENT
@click.option("--note", default="", help="Why, or who signed it off; kept with the approval.")
@STORE_OPTION
@guard
def approve_command(run_id, note, store):
    """Approve RUN as the reference plan of its quarter; track and replan use it unless told --run.

    A later approval for the same quarter supersedes this one; every approval
    is kept (runs show lists them). A run without a plan (infeasible, failed)
    or a track run cannot be approved.

    \b
    Example:
      allocator runs approve 7 --note "budget review 2027-01-04"
    """
    from allocator import api

    with api.open_store(store) as opened:
        previous = opened.approved(opened.get(run_id).quarter)
        approval = opened.approve(run_id, note)
        record = opened.get(approval.run_id)
    replaced = f"; replaces run {previous.id}" if previous is not None and previous.id != record.id else ""
    click.echo(f"Approved run {record.id} as the plan of {approval.quarter}{replaced}.")
    for line in record.folder_changes()[:5]:
        click.echo(f"note: its folder is not as recorded: {line}")


@runs.command("diff")
@click.argument("first", metavar="RUN")
@click.argument("second", metavar="RUN")
@STORE_OPTION
@guard
def diff_command(first, second, store):
    """Compare two runs: totals, targets, settings, inputs and output files that differ.

    When both folders are still as recorded, the plans are compared as
    `allocator compare` does (verified, from allocation.csv); otherwise from
    what the store holds, with a note saying why.

    \b
    Example:
      allocator runs diff 3 7
    """
    from allocator import api

    for line in api.diff_runs(first, second, store=store).lines():
        click.echo(line)


def _current_approvals(opened) -> list:
    """Each quarter's latest approval."""
    latest = {}
    for approval in opened.approvals():
        latest.setdefault(approval.quarter, approval)
    return list(latest.values())


def _show_lines(record, approvals) -> list[str]:
    from allocator.plan.words import figure

    periods = f"{record.periods[0]}..{record.periods[-1]}" if record.periods else "not recorded"
    objective = "-" if record.objective is None else f"{figure(record.objective)} ({record.objective_kind})"
    lines = [f"run {record.id}: {record.kind}, recorded {record.created_at} by {record.who}",
             f"scenario: {record.scenario_name}; quarter {record.quarter} (periods {periods})",
             f"status: {record.status}; objective {objective}; solver {record.solver} "
             f"{record.versions.get(record.solver, '')}".rstrip(),
             "overrides: " + ("; ".join(record.overrides) or "none"),
             "totals: " + "; ".join(f"{k} {figure(v)}" for k, v in record.totals.items() if isinstance(v, (int, float))),
             "targets: " + ("; ".join(f"{t['target']} {t['attainment']:.1%}" for t in record.targets
                                      if t.get("attainment") is not None) or "none recorded")]
    changed = record.input_changes()
    lines.append(f"inputs ({len(record.inputs)}):")
    lines += [f"  {e.role}: {e.path} (sha256 {e.sha256[:12]})" for e in record.inputs]
    lines += [f"  input changed: {line}" for line in changed]
    changes = record.folder_changes()
    state = "as recorded" if not changes else f"{len(changes)} difference(s) from what was recorded"
    lines.append(f"folder: {record.folder} ({len(record.outputs)} files; {state})")
    lines += [f"  {line}" for line in changes]
    mine = [a for a in approvals if a.run_id == record.id]
    for approval in mine:
        status = "the approved plan" if approval == approvals[0] else f"superseded by run {approvals[0].run_id}"
        lines.append(f"approved {approval.approved_at} by {approval.who} for {approval.quarter} "
                     f"({status})" + (f": {approval.note}" if approval.note else ""))
    if not mine:
        lines.append("not approved" + (f" ({record.quarter}'s approved plan is run {approvals[0].run_id})"
                                       if approvals else ""))
    if record.note:
        lines.append(f"note: {record.note}")
    lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(record.versions.items())))
    return lines


COMMANDS = (runs,)
