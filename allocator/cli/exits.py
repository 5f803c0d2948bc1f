"""Exit codes, and the guard that turns the library's exceptions into one line and the right code.

Exit codes: 0 solved; 1 infeasible, unbounded or no solution (or verify found violations); 2 bad input;
3 solver failure (or any unexpected error, named on one line); 130 interrupted.
"""

from __future__ import annotations

import functools
import os
import sys

import click

from allocator.errors import AllocatorError, InputError, SolveFailed

EXIT_SOLVED, EXIT_NO_PLAN, EXIT_BAD_INPUT, EXIT_SOLVER, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# A reader that stopped reading (`allocator solve ... | head -1`): what the shell reports for a command ended
# by SIGPIPE. Files are written before anything is printed, so nothing is lost.
EXIT_BROKEN_PIPE = 128 + 13


def output_closed() -> None:
    """End quietly with EXIT_BROKEN_PIPE; stdout is pointed at nothing, or Python would report the closed
    pipe again when it flushes stdout on the way out."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(EXIT_BROKEN_PIPE)


def fail(message: str, code: int) -> None:
    """Print ``error: message`` on stderr and exit with `code`."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def guard(func):
    """Map the library's exceptions onto exit codes, with one line and no traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from solvers.errors import SolverError

        try:
            return func(*args, **kwargs)
        except InputError as exc:  # scenario, usage, plan folder, output folder; a missing optional solver
            fail(str(exc), EXIT_BAD_INPUT)
        except (SolveFailed, SolverError) as exc:
            fail(str(exc), EXIT_SOLVER)
        except AllocatorError as exc:  # pragma: no cover - every kind is one of the two above
            fail(str(exc), EXIT_SOLVER)
        except BrokenPipeError:
            output_closed()
        except KeyboardInterrupt:
            # write_folder replaces --out only with a complete folder: the old one stays until then.
            fail("interrupted; no partial plan was written", EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: a usage error or an exit it reports itself
        except Exception as exc:
            # Not an error the library raises on purpose (a solver library's own exception, or a bug): one
            # line naming the exception's type, so that it stays visible without a traceback.
            fail(f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())}", EXIT_SOLVER)
    return wrapper
