"""Getting started: init (the example scenario to start from), solvers (which backends can run here) and
schema (the scenario format as JSON Schema, for editors)."""

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
    click.echo(f"Wrote {len(written)} files to {folder}: {', '.join(str(p.relative_to(folder)) for p in written)}")


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the schema to this file instead.")
@guard
def schema(out):
    """Print the JSON Schema of a scenario file, for an editor's YAML or JSON support.

    \b
    Example:
      allocator schema --out scenario.schema.json
      (then start a scenario with  # yaml-language-server: $schema=scenario.schema.json)
    """
    import json

    from allocator.scenario.schema import Scenario

    text = json.dumps(Scenario.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    from allocator.errors import OutputError

    # Written beside the target and renamed over it, so an editor never reads half a schema.
    partial = out.with_name(f".{out.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OutputError(f"{out}: cannot write the schema: {exc.strerror}") from None
    click.echo(f"Wrote {out}")


COMMANDS = (list_solvers, init, schema)
