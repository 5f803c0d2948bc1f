"""Fuzz campaign: N random valid scenarios, each solved with CBC and HiGHS and checked.

Scenarios come from the hypothesis strategy in tests/strategies.py (`scenario_cases()`), driven by
`@given` with a fixed seed, generation only (no shrinking, no example database), so a run is
reproducible for a given --seed, strategy and library. For each scenario:

- solve with CBC and with HiGHS through `allocator.solving.pipeline.solve_loaded` (scenario written to a
  temporary YAML file and loaded with `allocator.scenario.loader.load_scenario`, as `allocator solve` does,
  each solver with a --time-limit of 20 s), and write the plan folder as `allocator solve` does;
- every plan found is checked from the written allocation.csv with `allocator.plan.verify` (as
  `allocator verify` does);
- the two solvers must agree: same status class (optimal / infeasible / unbounded) and, when
  optimal, the same objective within 1e-6 relative (+1e-6 absolute);
- each scenario is drawn around a reference plan (tests/strategies.py); when that plan passes
  `allocator verify`, both solvers must report an optimal plan at least as good (no false
  "infeasible", no worse optimum);
- every scenario is put in a currency of its own first (--money-scale, default 1e-3:1e10): every money
  amount, and the reference plan's money, multiplied by a factor drawn log-uniformly from that range
  (tests/money.py), so that plans in thousandths and in tens of billions are checked alike;
- unless --no-monotonicity, one monotonicity check per scenario (CBC): max_revenue scenarios get
  1.5x the budget (the optimum must not fall), min_spend scenarios with a hard revenue target get a
  1.2x target (the optimum must not fall), the others a channel's ROI floor raised, solved as
  max_revenue (the optimum must not rise). A tighter problem may become infeasible, never the reverse.

The solving runs in a separate worker process, so a solver that hangs (past --case-timeout) is
recorded as a failure and the campaign goes on with a fresh worker.

Prints the counts (generated, optimal / infeasible / unbounded, verified, disagreed, monotonicity
failures), the slowest case, and every failure. Failures that match a known library bug (one with an
xfail(strict=True) regression test in tests/regressions/, see KNOWN_BUGS in tests/checks.py)
are counted apart. Exit status 1 when any check failed, known bugs included; with --allow-known,
1 only for failures no known bug explains.

    .venv/bin/python benchmarks/fuzz_verify.py                  # 1000 scenarios, seed 0 (about 10 minutes)
    .venv/bin/python benchmarks/fuzz_verify.py -n 200 --seed 7 --max-cells 600 --save /tmp/fuzz
"""

from __future__ import annotations

import argparse
import collections
import math
import multiprocessing as mp
import random
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "support"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

import checks as C  # noqa: E402
import money  # noqa: E402
import strategies as S  # noqa: E402

WARM_UP = {"name": "warm-up", "periods": ["2027-01"], "channels": [{"name": "a", "cost_per_lead": 10}],
           "tiers": [{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 500}],
           "products": [{"name": "p", "stage": "growth"}], "budget": {"total": 1000}}


# --------------------------------------------------------------------------
# In the worker process
# --------------------------------------------------------------------------


def monotonicity_check(data: dict, pick: int) -> tuple[str, str | None]:
    """(which check ran, failure message or None) for one scenario, CBC only."""
    objective = data["objective"]
    targets = data.get("targets", {})
    hard_revenue = ("revenue" in targets and targets.get("mode", "hard") == "hard"
                    and "revenue" not in targets.get("soft", []))
    if objective == "min_spend" and hard_revenue:
        kind, sense, override = "revenue target x1.2 (min_spend)", "min", None
        loose, tight = data, S.with_revenue_target(data, 1.2)
    elif "total" in data.get("budget", {}) and objective == "max_revenue":
        kind, sense, override = "budget x1.5 (max_revenue)", "max", None
        loose, tight = S.with_budget(data, 1.5), data
    elif "total" in data.get("budget", {}):
        i = pick % len(data["channels"])
        old = data["channels"][i].get("min_roi") or 0.0
        kind, sense, override = "channel min_roi raised (max_revenue)", "max", "max_revenue"
        loose, tight = data, S.with_channel_roi(data, i, S.sig(old * 1.3 + 0.5, 6))
    else:
        return "none", None
    a = C.solve_outcome(loose, "cbc", override, write=False)
    b = C.solve_outcome(tight, "cbc", override, write=False)
    if a.status not in C.STATUS_CLASSES or b.status not in C.STATUS_CLASSES:
        return kind, f"{kind}: unexpected status looser {a.status}, tighter {b.status}"
    if a.status == "infeasible" and b.status != "infeasible":
        return kind, f"{kind}: the looser problem is infeasible but the tighter one is {b.status}"
    if a.status == "optimal" and b.status == "optimal" and not C.not_worse(a.objective, b.objective, sense):
        return kind, f"{kind}: looser optimum {a.objective!r} is worse than tighter {b.objective!r}"
    return kind, None


def worker(conn) -> None:
    C.run_case(WARM_UP)  # imports, the CBC binary, highspy
    conn.send("ready")
    while True:
        message = conn.recv()
        if message is None:
            return
        data, pick, monotonicity = message
        started = time.perf_counter()
        try:
            outcomes = C.run_case(data)
            seconds = time.perf_counter() - started
            mono = monotonicity_check(data, pick) if monotonicity else None
            conn.send(("ok", outcomes, seconds, mono))
        except Exception:  # anything but a solver failure (those are outcomes): a crash in the library
            conn.send(("crash", traceback.format_exc(limit=4).strip().splitlines()[-1], time.perf_counter() - started, None))


class Worker:
    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=worker, args=(child,), daemon=True)
        self.process.start()
        if not self.conn.poll(300) or self.conn.recv() != "ready":
            raise RuntimeError("the worker process did not start")

    def run(self, message, timeout: float):
        self.conn.send(message)
        if self.conn.poll(timeout):
            return self.conn.recv()
        return None

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()  # our own worker, by its handle
        else:
            self.conn.send(None)
        self.process.join(10)


# --------------------------------------------------------------------------
# The campaign
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--examples", type=int, default=1000, help="scenarios to generate (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    ap.add_argument("--max-cells", type=int, default=11700,
                    help="cap on channels x tiers x products x periods (default 11700 = 30x5x6x13: no cap)")
    ap.add_argument("--money-scale", default="1e-3:1e10", metavar="LOW:HIGH",
                    help="multiply every scenario's money by a factor drawn log-uniformly from LOW..HIGH "
                         "(default 1e-3:1e10; 1:1 keeps the drawn amounts)")
    ap.add_argument("--no-monotonicity", dest="monotonicity", action="store_false", help="skip the monotonicity checks")
    ap.add_argument("--case-timeout", type=float, default=300.0,
                    help="seconds one scenario (both solvers, verify, monotonicity) may take before the worker is killed")
    ap.add_argument("--save", type=Path, help="folder to save failing scenarios, the slowest one and the current one as YAML")
    ap.add_argument("--allow-known", action="store_true", help="exit 0 when every failure is explained by a known bug")
    ap.add_argument("--progress", type=int, default=50, help="print a progress line every N scenarios (0: never)")
    args = ap.parse_args(argv)
    try:
        low, high = (float(v) for v in args.money_scale.split(":"))
        if not (0 < low <= high < float("inf")):
            raise ValueError
    except ValueError:
        ap.error(f"--money-scale: got {args.money_scale!r}; expected LOW:HIGH with 0 < LOW <= HIGH")
    log_low, log_high = math.log10(low), math.log10(high)

    status = collections.Counter()
    counts = collections.Counter()
    monotone_kinds = collections.Counter()
    failures: list[tuple[str, str, dict]] = []  # not explained by a known bug
    known_cases: list[tuple[str, str, dict]] = []  # explained by one
    known_scenarios: set[tuple[str, int]] = set()  # (bug, scenario number)
    slowest = (0.0, None)
    slowest_clean = (0.0, None)  # slowest without a known bug or a failure
    sizes: list[int] = []
    scales: list[float] = []
    rng = random.Random(args.seed)
    scale_rng = random.Random(f"money-{args.seed}")  # its own stream: the other draws stay as without it
    state = {"worker": Worker()}
    started = time.perf_counter()

    def save(name: str, comment: str, data: dict) -> None:
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / name).write_text(f"# {comment}\n# money x{scales[-1]:g}\n" + C.dump(data),
                                          encoding="utf-8")

    def fail(kind: str, message: str, data: dict) -> None:
        failures.append((kind, f"{message} (money x{scales[-1]:g})", data))
        save(f"failure-{len(failures):03d}-{kind}.yaml", f"{kind}: {message}", data)

    def known(bug: str, message: str, data: dict) -> None:
        known_cases.append((bug, message, data))
        known_scenarios.add((bug, counts["generated"]))
        save(f"known-{len(known_cases):03d}-{bug}.yaml", f"known bug {bug}: {message}", data)

    def judge(kind: str, counters: tuple[str, str], message: str, explained: str | None, data: dict) -> None:
        """A failed check: counted, then kept as a known bug (when a known one explains it) or as a failure."""
        counts[counters[0]] += 1
        if explained:
            counts[counters[1]] += 1
            known(explained, message, data)
        else:
            fail(kind, message, data)

    @seed(args.seed)
    @settings(max_examples=args.examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(S.scenario_cases(max_cells=args.max_cells))
    def one(case: S.Drawn) -> None:
        nonlocal slowest, slowest_clean
        factor = float(f"{10 ** scale_rng.uniform(log_low, log_high):.3g}")
        case = money.scale_drawn(case, factor) if factor != 1.0 else case
        scales.append(factor)
        data = case.data
        counts["generated"] += 1
        sizes.append(C.size_of(data)["cells"])
        save("current.yaml", "being solved", data)
        answer = state["worker"].run((data, rng.randrange(10**6), args.monotonicity), args.case_timeout)
        if answer is None:
            state["worker"].stop(kill=True)
            state["worker"] = Worker()
            counts["timed_out"] += 1
            fail("timeout", f"no answer within {args.case_timeout:g} s (a solver hangs)", data)
            return
        kind, outcomes, seconds, mono = answer
        if kind == "crash":
            counts["crashed"] += 1
            fail("crash", outcomes, data)
            return
        if seconds > slowest[0]:
            slowest = (seconds, data)
        clean = True
        status[outcomes["cbc"].status] += 1
        for name, outcome in outcomes.items():
            if outcome.status == "optimal":
                counts[f"plans_{name}"] += 1
                if outcome.verified:
                    counts[f"verified_{name}"] += 1
                else:
                    clean = False
                    counts[f"verify_failed_{name}"] += 1
                    fail(f"verify-{name}", "; ".join(outcome.violations[:5]), data)
        why = C.disagreement(outcomes)
        if why:
            clean = False
            judge("disagree", ("disagreed", "disagreed_known"), why, C.known_disagreement(data, outcomes), data)
        usable, failure = C.check_reference(case, outcomes)
        counts["reference_usable"] += usable
        if failure:
            clean = False
            judge("reference", ("reference_failed", "reference_known"), failure,
                  C.known_reference_failure(case, outcomes), data)
        if mono is not None:
            monotone_kinds[mono[0]] += 1
            if mono[1]:
                clean = False
                counts["monotonicity_failed"] += 1
                fail("monotonicity", mono[1], data)
        if clean and seconds > slowest_clean[0]:
            slowest_clean = (seconds, data)
        n = counts["generated"]
        if args.progress and n % args.progress == 0:
            print(f"  ... {n} scenarios, {time.perf_counter() - started:.0f} s, {len(failures)} failures, "
                  f"{len(known_cases)} known-bug cases", flush=True)

    try:
        one()
    finally:
        state["worker"].stop()
    elapsed = time.perf_counter() - started

    n = counts["generated"]
    solved = sum(status[k] for k in C.STATUS_CLASSES)
    scenarios_by_bug = collections.Counter(bug for bug, _ in known_scenarios)
    print()
    print(f"fuzz_verify: seed {args.seed}, max cells {args.max_cells}, {elapsed:.1f} s")
    sizes.sort()
    print(f"generated:            {n} (cells per scenario: median {sizes[len(sizes) // 2] if sizes else 0}, "
          f"max {sizes[-1] if sizes else 0}, {sum(c > 3000 for c in sizes)} above 3,000)")
    if scales:
        decades = collections.Counter(math.floor(math.log10(f)) for f in scales)
        print(f"money scale:          x{min(scales):.3g} .. x{max(scales):.3g}; scenarios per decade: "
              + ", ".join(f"1e{d}: {decades[d]}" for d in sorted(decades)))
    print(f"CBC status:           optimal {status['optimal']}, infeasible {status['infeasible']}, "
          f"unbounded {status['unbounded']}, other {sum(status.values()) - solved}, crashed {counts['crashed']}, "
          f"timed out {counts['timed_out']} ({100.0 * status['optimal'] / max(1, n):.1f}% feasible)")
    for name in ("cbc", "highs"):
        print(f"verified ({name}):" + " " * (9 - len(name)) + f"{counts[f'verified_{name}']} of "
              f"{counts[f'plans_{name}']} optimal plans pass allocator verify")
    print(f"disagreed:            {counts['disagreed'] - counts['disagreed_known']} unexplained "
          f"(+{counts['disagreed_known']} explained by a known bug) of {solved} "
          "(CBC vs HiGHS status class, or objective beyond 1e-6)")
    print(f"reference plan:       passes verify in {counts['reference_usable']} scenarios; a solver called one of "
          f"those infeasible or found a worse optimum in {counts['reference_failed'] - counts['reference_known']} "
          f"unexplained (+{counts['reference_known']} explained by a known bug)")
    if args.monotonicity:
        ran = ", ".join(f"{k}: {v}" for k, v in sorted(monotone_kinds.items()))
        print(f"monotonicity failed:  {counts['monotonicity_failed']} ({ran})")
    for label, (seconds, data) in (("slowest case", slowest), ("slowest clean case", slowest_clean)):
        if data is not None:
            print(f"{label + ':':<22}{seconds:.2f} s (CBC + HiGHS + write + verify), {C.describe_size(data)}, "
                  f"objective {data['objective']}")
    if slowest[1] is not None:
        save("slowest.yaml", f"{slowest[0]:.2f} s", slowest[1])
    by_bug = collections.Counter(bug for bug, _, _ in known_cases)
    for bug, count in sorted(by_bug.items()):
        print(f"known bug {bug}: {scenarios_by_bug[bug]} scenario(s), {count} finding(s): {C.KNOWN_BUGS[bug]}")
    for bug, message, data in known_cases:
        print(f"KNOWN {bug}: {message} [{C.describe_size(data)}]")
    for kind, message, data in failures:
        print(f"FAIL {kind}: {message} [{C.describe_size(data)}]")
    if failures or (known_cases and not args.allow_known):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
