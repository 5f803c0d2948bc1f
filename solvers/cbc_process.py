"""Running the CBC binary as a child process: its scratch folder, its output, and how its ending is told.

A run is never left behind: whatever stops the caller (a time limit, Ctrl-C, a sweep worker being
stopped), the CBC process is killed and its scratch folder goes with the caller's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import SolverError

# Seconds the binary may run past its own time limit before it is killed as hung.
GRACE_SECONDS = 30.0


def scratch_dir() -> str | None:
    """Memory-backed /dev/shm for the model and solution files when there is one, else the default temp folder."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def remove_dead_scratch(folder: str | None) -> None:
    """Scratch folders of runs that were killed (their PID is gone) would otherwise stay in memory."""
    base = Path(folder or tempfile.gettempdir())
    for leftover in base.glob("allocator-cbc-*-*"):
        pid = leftover.name.split("-")[2]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(leftover, ignore_errors=True)
        except PermissionError:
            continue


# CBC's commands for each way of solving: a MIP's branch and cut, or one of the LP methods. The barrier's
# vertex is handed to the dual simplex, which confirms it in 0 iterations (~0.1 s at 1x200x5x52, the same
# values to the bit) or goes on from it: CBC's barrier alone calls some unbounded programs "optimal".

def log_tail(log: str) -> str:
    """The last three lines of CBC's log on one line: what a failure message quotes."""
    return " | ".join(log.strip().splitlines()[-3:])


class CbcCrashed(SolverError):
    """CBC ended by a crash signal (SIGSEGV, SIGABRT, SIGBUS, SIGFPE): a bug of CBC's on this program."""


_CRASH_SIGNALS = ("SIGSEGV", "SIGABRT", "SIGBUS", "SIGFPE")


def exited(code: int, log: str) -> SolverError:
    """A CBC run that ended with a non-zero code: the signal that ended it, or the end of its log."""
    tail = log_tail(log)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        crashed = name in _CRASH_SIGNALS
        why = f"CBC was ended by {name}" + (" (it crashed)" if crashed else "")
        return (CbcCrashed if crashed else SolverError)(why + (f"; its log ends: {tail}" if tail else "; it wrote no log"))
    return SolverError(f"CBC exited with code {code}" + (f" ({tail})" if tail else " and wrote no log"))


def overran() -> SolverError:
    return SolverError(f"CBC ran past its time limit by {GRACE_SECONDS:.0f} s and was stopped")



def run(args: list[str], hard_limit: float, echo: bool) -> str:
    try:
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
        )
    except OSError as exc:
        raise SolverError(f"CBC could not be started ({exc})") from exc
    try:
        output = wait(proc, hard_limit, echo)
    except BaseException:
        # Ctrl-C, a worker being stopped, any error here: CBC must not go on alone (it would hold a core and
        # its scratch files until its own solve ended).
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        raise
    if proc.returncode != 0:
        raise exited(proc.returncode, output)
    return output


def wait(proc: subprocess.Popen, hard_limit: float, echo: bool) -> str:
    """CBC's output once it has ended; a run past `hard_limit` seconds is killed (SolverError)."""
    if echo:
        chunks = []
        deadline = time.monotonic() + hard_limit
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stderr.write(line)
            chunks.append(line)
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise overran()
        proc.wait()
        output = "".join(chunks)
    else:
        try:
            output, _ = proc.communicate(timeout=hard_limit)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise overran() from None
    return output
