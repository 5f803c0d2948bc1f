"""Command-line options declared once and shared by every command that takes them.

Each option is checked at the edge, where click reads it: a value that passes here is one the library
can use (no nan or infinite seconds, no negative seed, no thread or worker count that would exhaust the
machine, a scheduler address that names a host and port), so nothing crashes after the work has begun.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import click

from solvers import BACKENDS

from allocator.scenario.objectives import OBJECTIVE_NAMES
from allocator.solving.arguments import MAX_SECONDS, MAX_THREADS  # one rule for the API and the command line

SCHEDULER_ADDRESS = re.compile(r"^[a-z][a-z0-9+.-]*://(\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):(?P<port>\d{1,5})/?$")


class FiniteFloat(click.FloatRange):
    """A float in a range that is also finite (click's FloatRange lets nan through every bound)."""

    name = "finite number"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class OutFolder(click.Path):
    """An output folder's path; an empty one would name the working folder itself."""

    def __init__(self):
        super().__init__(path_type=Path)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("an empty path; expected a folder to write into", param, ctx)
        return super().convert(value, param, ctx)


class SchedulerAddress(click.ParamType):
    """A Dask scheduler address, ``tcp://host:port`` (any scheme Dask knows: tcp, tls, ucx...)."""

    name = "address"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        match = SCHEDULER_ADDRESS.match(text)
        if match is None or not 0 < int(match["port"]) < 65536:
            self.fail(f"{value!r} is not a scheduler address; expected scheme://HOST:PORT, e.g. tcp://10.0.0.5:8786",
                      param, ctx)
        return text


SOLVER_OPTION = click.option("--solver", default="cbc", show_default=True, type=click.Choice(list(BACKENDS)),
                             help="Solver backend.")
OBJECTIVE_OPTION = click.option("--objective", type=click.Choice(list(OBJECTIVE_NAMES)),
                                help="Override the scenario's objective.")
TIME_LIMIT_OPTION = click.option("--time-limit", type=FiniteFloat(min=0, min_open=True, max=MAX_SECONDS),
                                 help="Seconds each solve may run.")
MIP_GAP_OPTION = click.option("--mip-gap", type=FiniteFloat(0, 1), help="Relative MIP gap at which to stop (0-1).")
THREADS_OPTION = click.option("--threads", type=click.IntRange(1, MAX_THREADS), help="Solver threads.")
WORKERS_OPTION = click.option("--workers", type=click.IntRange(min=1),
                              help="Local processes (default: all cores; never more than the tasks, or 4 per core).")
SCHEDULER_OPTION = click.option("--scheduler", type=SchedulerAddress(), metavar="tcp://HOST:PORT",
                                help="Run on an existing Dask distributed cluster instead.")
SEED_OPTION = click.option("--seed", default=7, show_default=True, type=click.IntRange(0, 2**63 - 1),
                           help="Random seed, 0 or more (same seed, same numbers).")
CONFIDENCE_OPTION = click.option(
    "--confidence", type=FiniteFloat(0, 1, min_open=True, max_open=True),
    help="Also find the smallest buffer whose plan meets committed revenue with this probability.")
LP_METHOD_OPTION = click.option(
    "--lp-method", default="auto", show_default=True, type=click.Choice(["auto", "simplex", "barrier"]),
    help="How a linear program is solved: dual simplex, or barrier then crossover to a vertex; auto picks the "
         "barrier for programs of at least 4e8 rows x columns (docs/model.md, 'Solving').")
DIAGNOSE_SECONDS_OPTION = click.option(
    "--diagnose-seconds", "diagnose_seconds", metavar="SECONDS",
    type=FiniteFloat(min=0, min_open=True, max=MAX_SECONDS),
    help="Seconds the diagnosis of an infeasible plan may take in all (default 60); when they run out it "
         "reports what it found so far, marked as partial.")
SET_OPTION = click.option(
    "--set", "overrides", multiple=True, metavar="PATH=VALUE",
    help="Override a scenario field, e.g. --set budget.total=3.5e6 --set 'channels[livestream].max_spend=400000'.")
# click splits the environment variable's value at os.pathsep (":" on Unix), as PATH is split; an empty
# entry ("a::b", a trailing ":") is dropped, where PATH would read it as the working folder.
ALLOW_OUTSIDE_OPTION = click.option(
    "--allow-outside", "allow_outside", multiple=True, envvar="ALLOCATOR_ALLOW_OUTSIDE", metavar="FOLDER",
    type=click.Path(file_okay=False), callback=lambda ctx, param, value: tuple(Path(v) for v in value if v),
    help="Let extends: and file: read from FOLDER too (by default only from the scenario's own folder tree). "
         "Repeatable; default: the folders in ALLOCATOR_ALLOW_OUTSIDE.")
# The commands that solve many variants of one scenario warm-start them with HiGHS (each from the last
# basis); --cold keeps the old path. CBC runs cold either way.
COLD_HELP = ("Solve every variant from scratch, as before warm starts; for comparison. Without it, with --solver "
             "highs, {what} start from the last basis{note} (CBC is always cold).")


def cold_option(what: str, note: str = ""):
    """--cold for a command whose `what` (its re-solves) are warm-started by default."""
    return click.option("--cold", is_flag=True, help=COLD_HELP.format(what=what, note=note))


FORCE_OPTION = click.option("--force", is_flag=True, help="Replace an existing, non-empty --out folder.")


def bundle(*options):
    """Several options applied as one decorator, in the order listed (as they show in --help)."""

    def apply(command):
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def out_options(help: str, required: bool = False):
    """--out FOLDER (with `help`) and --force."""
    return bundle(click.option("--out", "out", required=required, type=OutFolder(), help=help), FORCE_OPTION)


# What every command that reads a scenario takes; what every command that solves one takes.
scenario_options = bundle(SET_OPTION, ALLOW_OUTSIDE_OPTION)
solve_options = bundle(SOLVER_OPTION, OBJECTIVE_OPTION, TIME_LIMIT_OPTION, LP_METHOD_OPTION)
parallel_options = bundle(WORKERS_OPTION, SCHEDULER_OPTION)

# Every command that records or reads runs (solve, replan, track, runs ...). Resolved by
# allocator.tracking.store.resolve_target: the option, else $ALLOCATOR_STORE, else the default file.
STORE_OPTION = click.option(
    "--store", metavar="PATH|URL|none",
    help="Run store: a SQLite file or a SQLAlchemy URL (postgresql+psycopg://user@host/db); 'none' records "
         "nothing. Default: $ALLOCATOR_STORE, else $XDG_DATA_HOME/allocator/runs.sqlite "
         "(~/.local/share/allocator/runs.sqlite).")
