"""Benchmark: the planner's workspace under load (`allocator serve` on loopback).

    python benchmarks/bench_serve.py [--clients 20] [--duration 60] [--verify 60] [--seed 7]

Starts `allocator serve scenarios/example_q1.yaml` in a process of its own on a free loopback port, then
CLIENTS threads of this process change levers for DURATION seconds: each request asks for a random
variant of a grid (budget.total 3.0M-4.0M in steps of 5,000, livestream's cost per lead 50/60/70, the
planning buffer 5%/10%: 1,206 variants, more than the server keeps, so most requests are real solves).

Every response is checked: status 200, the levers it names are exactly the request's (no mixed-up plan),
an optimal plan, and the same variant always answered with the same revenue. Afterwards VERIFY of the
variants answered (a seeded sample) are solved cold with `allocator.solve` (HiGHS), and each answer's
revenue must equal that (relative 1e-7). Prints requests, errors, mismatches and the response time's
p50/p95/max; exits 1 on any error or mismatch. All traffic stays on 127.0.0.1, bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

SCENARIO = "0/example_q1.yaml"
BUDGETS = [3_000_000 + 5_000 * i for i in range(201)]
COSTS = [50, 60, 70]
BUFFERS = [0.05, 0.10]


def _text(value) -> str:
    value = float(value)
    return f"{value:.1f}" if value.is_integer() else repr(value)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-m", "allocator", "serve", "example_q1.yaml", "--port", str(port)],
                              cwd=REPO / "scenarios", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"server did not start: {server.stderr.read().decode()}")
            time.sleep(0.1)
    server.kill()
    raise SystemExit("server did not start listening within 60 s")


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.seconds: list[float] = []
        self.errors: list[str] = []
        self.answers: dict[tuple, float] = {}  # variant -> revenue answered
        self.mismatches: list[str] = []

    def record(self, key: tuple, revenue: float, seconds: float) -> None:
        with self.lock:
            self.seconds.append(seconds)
            seen = self.answers.setdefault(key, revenue)
            if abs(seen - revenue) > 1e-7 * max(1.0, abs(seen)):
                self.mismatches.append(f"{key}: answered {revenue} and {seen}")

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def client(port: int, until: float, seed: int, tally: Tally) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    while time.monotonic() < until:
        levers = {"budget.total": rng.choice(BUDGETS), "channels[livestream].cost_per_lead": rng.choice(COSTS),
                  "targets.buffer": rng.choice(BUFFERS)}
        body = json.dumps({"scenario": SCENARIO, "levers": levers})
        started = time.perf_counter()
        try:
            connection.request("POST", "/api/solve", body, {"content-type": "application/json"})
            response = connection.getresponse()
            answer = json.loads(response.read())
        except (OSError, ValueError, http.client.HTTPException) as exc:
            tally.fail(f"{type(exc).__name__}: {exc}")
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            continue
        seconds = time.perf_counter() - started
        wanted = {path: _text(value) for path, value in levers.items()}
        if response.status != 200:
            tally.fail(f"{response.status}: {answer}")
        elif answer.get("levers") != wanted:
            tally.mismatches.append(f"asked {wanted}, answered for {answer.get('levers')}")
        elif answer.get("status") != "optimal":
            tally.fail(f"{wanted}: {answer.get('status')}")
        else:
            tally.record(tuple(sorted(levers.items())), answer["totals"]["revenue_total"], seconds)
    connection.close()


def verify(tally: Tally, count: int, seed: int) -> list[str]:
    """Solve a sample of the answered variants cold and compare each answer's revenue."""
    import allocator

    keys = sorted(tally.answers)
    sample = random.Random(seed).sample(keys, min(count, len(keys)))
    wrong = []
    for key in sample:
        plan = allocator.solve(REPO / "scenarios" / "example_q1.yaml", solver="highs", set=dict(key))
        expected, answered = plan.totals["revenue_total"], tally.answers[key]
        if abs(expected - answered) > 1e-7 * abs(expected):
            wrong.append(f"{dict(key)}: served {answered:,.2f}, allocator.solve {expected:,.2f}")
    return wrong


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--verify", type=int, default=60, help="answered variants re-solved cold afterwards")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    port = free_port()
    server = start_server(port)
    tally = Tally()
    try:
        until = time.monotonic() + args.duration
        threads = [threading.Thread(target=client, args=(port, until, args.seed + i, tally))
                   for i in range(args.clients)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    wrong = verify(tally, args.verify, args.seed)
    times = tally.seconds
    print(f"bench_serve: {args.clients} clients x {args.duration:g} s on 127.0.0.1 (example_q1, HiGHS sessions)")
    print(f"  requests answered   {len(times):,} in {elapsed:.1f} s ({len(times) / elapsed:.1f} per s), "
          f"{len(tally.answers):,} distinct variants")
    if times:
        print(f"  response time       p50 {statistics.median(times) * 1000:.0f} ms, "
              f"p95 {percentile(times, 0.95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms")
    print(f"  errors              {len(tally.errors)}" + (f" (first: {tally.errors[0]})" if tally.errors else ""))
    print(f"  mixed-up answers    {len(tally.mismatches)}" + (f" (first: {tally.mismatches[0]})" if tally.mismatches else ""))
    print(f"  checked cold        {min(args.verify, len(tally.answers))} variants, {len(wrong)} wrong"
          + (f" (first: {wrong[0]})" if wrong else ""))
    if "Traceback" in (errors or b"").decode(errors="replace"):
        print("  server printed a traceback:\n" + errors.decode(errors="replace")[-2000:])
        return 1
    ok = times and not tally.errors and not tally.mismatches and not wrong
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
