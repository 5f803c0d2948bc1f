"""Command line: a thin click layer over the public API (`allocator.api`) that prints and sets exit codes.

One module per command group: plan_commands (solve, validate, verify, explain), whatif_commands
(compare, sweep, risk), misc_commands (init, solvers); options declared once in options.py; exit codes
and the error guard in exits.py.
"""

from __future__ import annotations

import os
import sys

# Before numpy loads: its BLAS would start a thread per core that spins after every vector product and
# takes a core from CBC (and from the other workers of a sweep or risk run); the planner's arithmetic is
# sparse and gains nothing from it. A value the user set is kept.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

import click  # noqa: E402

from solvers.errors import DISTRIBUTION  # noqa: E402

from allocator.cli import (  # noqa: E402
    calibrate_command, check_command, incentives_command, misc_commands, plan_commands, replan_command,
    report_commands, rfm_command, runs_command, serve_command, track_command, whatif_commands,
)
from allocator.cli.exits import EXIT_BAD_INPUT, EXIT_INTERRUPTED, fail, output_closed  # noqa: E402


class _Commands(click.Group):
    """The command group, with click's own errors (a bad option value, an unknown option, a missing
    argument) on one line like every other error, and a closed output pipe ended quietly."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as exc:  # `allocator` or `allocator sweep` alone
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.UsageError as exc:
            where = f" (see '{exc.ctx.command_path if exc.ctx is not None else 'allocator'} --help')"
            fail(" ".join(exc.format_message().split()) + where, EXIT_BAD_INPUT)
        except click.ClickException as exc:
            fail(" ".join(exc.format_message().split()), exc.exit_code)
        except click.Abort:
            fail("interrupted", EXIT_INTERRUPTED)
        except BrokenPipeError:
            output_closed()
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name=DISTRIBUTION, prog_name="allocator")
def main() -> None:
    """Split a quarter's marketing budget and sales targets across channels, customer tiers,
    product stages and periods with a linear program (solved by CBC).

    \b
    Example:
      allocator init my-plan
      allocator solve my-plan/example_q1.yaml --out out/q1
      allocator verify my-plan/example_q1.yaml out/q1
    """


for _module in (plan_commands, whatif_commands, report_commands, rfm_command, check_command, calibrate_command,
                replan_command, incentives_command, runs_command, track_command, serve_command, misc_commands):
    for _command in _module.COMMANDS:
        main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
