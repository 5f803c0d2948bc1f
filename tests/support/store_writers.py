"""A writer process for the run store's concurrency tests (importable by a spawned child process)."""

from __future__ import annotations


def write_many(target: str, folder: str, worker: int, count: int, barrier, results) -> None:
    """Record `count` runs of `folder` into the store `target`, after every writer reached `barrier`;
    put (worker, [ids]) on `results`."""
    from allocator.tracking.store import open_store

    run = {"status": "optimal", "objective": 1000.0 + worker, "solver": "cbc",
           "scenario": {"name": f"writer {worker}",
                        "inputs": [{"role": "scenario", "path": f"/plans/w{worker}.yaml", "sha256": "ab" * 32}]},
           "totals": {"spend": 100.0 * worker}}
    store = open_store(target)
    barrier.wait(timeout=60)
    ids = [store.record("solve", folder, run, note=f"w{worker}-{i}") for i in range(count)]
    store.close()
    results.put((worker, ids))
