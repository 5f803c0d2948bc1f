"""The budget review pack: `allocator report PLAN_DIR` writes plan.xlsx and report.html."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from allocator.cli.exits import EXIT_NO_PLAN, guard
from allocator.cli.options import ALLOW_OUTSIDE_OPTION

FOLDER = click.Path(file_okay=False, dir_okay=True, path_type=Path)
FILE = click.Path(dir_okay=True, path_type=Path)  # a folder given here is refused in the report's own words


@click.command()
@click.argument("plan_dir", type=FOLDER)
@click.option("--compare", "compare", multiple=True, type=FOLDER, metavar="PLAN_DIR",
              help="Another plan folder to show against this one (what-if deltas; a workbook sheet per plan). "
                   "Repeatable.")
@click.option("--xlsx", type=FILE, help="Write the Excel workbook here (a .xlsx file).")
@click.option("--html", type=FILE, help="Write the one-file HTML report here (a .html file).")
@click.option("--with", "studies", multiple=True, type=FOLDER, metavar="FOLDER",
              help="A folder written by `allocator risk`, `sweep` or `track` whose risk.csv, frontier.csv or tracking "
                   "and flags the report shows too. Repeatable.")
@click.option("--force", is_flag=True, help="Replace an existing --xlsx or --html file (the plan folder's own "
                                            "plan.xlsx and report.html are always replaced).")
@ALLOW_OUTSIDE_OPTION
@guard
def report(plan_dir, compare, xlsx, html, studies, force, allow_outside):
    """Write the budget review pack of PLAN_DIR: an Excel workbook (summary
    first, then every table with number formats, native charts) and a
    one-file HTML report that opens offline and prints to A4.

    \b
    Without --xlsx and --html both go into PLAN_DIR as plan.xlsx and
    report.html. Numbers are rounded for people so that every breakdown adds
    up to its printed total; the CSVs keep full precision. The plan is
    verified against its scenario first when that file is unchanged.
    Needs the report extra: pip install 'allocator-lp[report]'.

    \b
    Example:
      allocator report out/q1
      allocator report out/q1 --compare out/q1-4m --xlsx review.xlsx --html review.html
      allocator risk scenarios/example_q1.yaml --out out/q1-risk
      allocator report out/q1 --with out/q1-risk
    """
    from allocator.review.pack import report as write_pack

    pack = write_pack(plan_dir, compare=compare, xlsx=xlsx, html=html, studies=studies, force=force,
                      allow_outside=allow_outside)
    document = pack.report.document
    click.echo(f"{document.name}: {document.run.get('explanation') or document.status}")
    if document.checked:
        click.echo(document.checked)
    for kind in ("xlsx", "html"):
        if kind in pack.written:
            click.echo(f"Wrote {pack.written[kind]}")
    if not pack.solved:
        sys.exit(EXIT_NO_PLAN)


COMMANDS = [report]
