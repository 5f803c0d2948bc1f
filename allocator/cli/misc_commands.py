"""Getting started: init (the example scenario to start from) and solvers (which backends can run here)."""

from __future__ import annotations

from pathlib import Path

import click

from allocator.cli.exits import guard


@click.command("solvers")
def list_solvers():
    """List the solver backends and whether each can run here.

    \b
    Example:
      allocator solvers
    """
    from solvers import BACKENDS, describe

    click.echo(f"{'solver':<8} {'available':<10} {'MIP':<4} {'duals':<6} note")
    for name in BACKENDS:
        info = describe(name)
        click.echo(
            f"{name:<8} {'yes' if info.available else 'no':<10} {'yes' if info.capabilities.mip else 'no':<4} "
            f"{'yes' if info.capabilities.duals else 'no':<6} {info.note}"
        )


@click.command()
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files of the same name in FOLDER.")
@guard
def init(folder, force):
    """Write the example scenario (Q1 plan and its CSV tables) into FOLDER to start from.

    \b
    Example:
      allocator init my-plan && allocator solve my-plan/example_q1.yaml --out out/q1
    """
    from allocator.scenario.examples import write_examples

    written = write_examples(folder, force=force)
    click.echo(f"Wrote {len(written)} files to {folder}: {', '.join(p.name for p in written)}")


COMMANDS = (list_solvers, init)
