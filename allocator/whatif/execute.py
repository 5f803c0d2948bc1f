"""Run independent tasks in this process, on a local process pool, or on an existing Dask cluster.

Sweeps and risk runs hand their work here as a picklable top-level function
and a list of argument tuples. Results come back in the order of the
arguments whichever way they ran, so the caller's output does not depend on
the executor. No job system of our own: the pool is
``concurrent.futures.ProcessPoolExecutor`` and the cluster is reached through
``dask.distributed.Client``. An ``Executor`` used as a context manager keeps
its pool or connection for several rounds of tasks (the buffer search).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Sequence

from solvers.errors import install_hint

from allocator.errors import UsageError

# Processes per core at most, whatever --workers asks: every task is CPU-bound, so more only costs memory
# and start-up time (--workers 100000 started that many interpreters).
WORKERS_PER_CORE = 4


DASK_SLOTS_GUESS = 16  # a cluster's size is not known before it runs: split work for about this many


def local_workers(workers: int | None, tasks: int | None = None) -> int:
    """Processes to start: ``workers`` (default: one per core), at most 4 per core and one per task."""
    cores = os.cpu_count() or 1
    count = min(workers or cores, WORKERS_PER_CORE * cores)
    if tasks is not None:
        count = min(count, tasks)
    return max(1, count)


def describe(workers: int | None, scheduler: str | None, tasks: int | None = None) -> str:
    return scheduler or f"local processes ({local_workers(workers, tasks)})"


def _ignore_interrupt() -> None:
    """Pool processes leave Ctrl-C to the parent, which stops them; each would print its own traceback.

    The parent stops them with SIGTERM: that unwinds the running task quietly (SystemExit), so the solver
    process it started is killed and its scratch files removed rather than left running on their own.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_quietly)


def _exit_quietly(signum, frame) -> None:
    raise SystemExit(128 + signum)


class Executor:
    """``map(function, args)`` here, on ``workers`` local processes (default: all cores) or on the Dask
    scheduler at ``scheduler`` (``tcp://host:port``). The pool or client starts on first use with more
    than one task and lasts until the ``with`` block ends."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None):
        self.workers = local_workers(workers)
        self.scheduler = scheduler
        self._pool = None
        self._client = None

    def parallel(self, tasks: int) -> bool:
        """Whether ``map`` over this many tasks runs them side by side (sharing the cores)."""
        return bool(self.scheduler) or (self.workers > 1 and tasks > 1)

    def slots(self, tasks: int) -> int:
        """How many tasks run at once: local workers, or a guess for a cluster (whose size may change)."""
        if self.scheduler:
            return DASK_SLOTS_GUESS
        return max(1, min(self.workers, tasks))

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.close(abandon=exc_type is not None)
        return False

    def close(self, abandon: bool = False) -> None:
        """Stop the pool or client; ``abandon`` (an error or Ctrl-C) stops the pool's processes at once
        instead of waiting for the tasks they are running."""
        if self._pool is not None:
            if abandon:
                # ProcessPoolExecutor has no public way to stop running tasks: terminate its processes. The
                # pool then fails its pending tasks itself (cancelling them too races with it: CPython
                # prints an InvalidStateError from its management thread).
                for process in list((self._pool._processes or {}).values()):
                    process.terminate()
            self._pool.shutdown()
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def map(self, function: Callable, args: Sequence[tuple], progress: Callable[[int, int], None] | None = None) -> list:
        """``[function(*a) for a in args]`` in the order of ``args``; ``progress(done, total)`` as results arrive."""
        args = list(args)
        if self.scheduler:
            return self._map_dask(function, args, progress)
        if not self.parallel(len(args)):
            results = []
            for i, a in enumerate(args):
                results.append(function(*a))
                if progress:
                    progress(i + 1, len(args))
            return results
        return self._map_pool(function, args, progress)

    def _map_pool(self, function: Callable, args: list, progress) -> list:
        if self._pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=min(self.workers, len(args)), initializer=_ignore_interrupt)
        chunk = max(1, len(args) // (self.workers * 8))
        results = []
        for i, result in enumerate(self._pool.map(_Star(function), args, chunksize=chunk)):
            results.append(result)
            if progress:
                progress(i + 1, len(args))
        return results

    def _map_dask(self, function: Callable, args: list, progress) -> list:
        client = self._connect()  # first: it turns a missing dask.distributed into a clear error
        from distributed import as_completed

        futures = client.map(_Star(function), args, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list = [None] * len(futures)
        for done, future in enumerate(as_completed(futures), start=1):
            results[index[future.key]] = future.result()
            if progress:
                progress(done, len(futures))
        return results

    def _connect(self):
        if self._client is None:
            try:
                from distributed import Client
            except ImportError as exc:
                raise UsageError("--scheduler", self.scheduler, "dask.distributed is not installed",
                                 f"{install_hint('dask')} to run on a Dask cluster") from exc
            try:
                self._client = Client(self.scheduler, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:  # ValueError: an address Dask cannot parse
                raise UsageError("--scheduler", self.scheduler, f"no scheduler answering ({exc})",
                                 "the address of a running Dask scheduler") from None
        return self._client


def run_tasks(function: Callable, args: Sequence[tuple], workers: int | None = None, scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> list:
    """One round of tasks on a fresh ``Executor``."""
    with Executor(workers, scheduler) as executor:
        return executor.map(function, args, progress)


class _Star:
    """``function(*a)`` as a picklable one-argument callable (pool.map and client.map pass one item)."""

    def __init__(self, function: Callable):
        self.function = function

    def __call__(self, a: tuple):
        return self.function(*a)
