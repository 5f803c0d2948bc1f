"""Fuzz campaign: N random valid scenarios, each solved with CBC and HiGHS and checked.

Scenarios come from the hypothesis strategy in tests/strategies.py (`scenarios()`), driven by
`@given` with a fixed seed, generation only (no shrinking, no example database), so a run is
reproducible for a given --seed and strategy. For each scenario:

- solve with CBC and with HiGHS through `allocator.pipeline.solve_loaded` (scenario written to a
  temporary YAML file and loaded with `allocator.loader.load_scenario`, as `allocator solve` does);
- every plan found is written as allocation.csv and checked with `allocator.verify` (as
  `allocator verify` does);
- the two solvers must agree: same status class (optimal / infeasible / unbounded) and, when
  optimal, the same objective within 1e-6 relative (+1e-6 absolute);
- with --monotonicity (default on), one monotonicity check per scenario (CBC): max_revenue
  scenarios get 1.5x the budget (the optimum must not fall), min_spend scenarios with a hard revenue
  target get a 1.2x target (the optimum must not fall), others get a channel's ROI floor raised under
  max_revenue (the optimum must not rise). A tighter problem may become infeasible, never the reverse.

Prints the counts (generated, optimal / infeasible / unbounded, verified, disagreed, monotonicity
failures), the slowest case, and every failure; exits 1 when any check failed (verify failures
explained by a known bug with an xfail regression test are listed as such; --allow-known exits 0
when every failure is a known one).

    .venv/bin/python benchmarks/fuzz_verify.py                  # 1000 scenarios, seed 0 (about 10-20 minutes)
    .venv/bin/python benchmarks/fuzz_verify.py -n 200 --seed 7 --max-cells 600 --save /tmp/fuzz
"""

from __future__ import annotations

import argparse
import collections
import random
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

import strategies as S  # noqa: E402


def monotonicity_check(data: dict, rng: random.Random) -> tuple[str, str | None]:
    """(which check ran, failure message or None) for one scenario, CBC only."""
    objective = data["objective"]
    targets = data.get("targets", {})
    hard_revenue = ("revenue" in targets and targets.get("mode", "hard") == "hard"
                    and "revenue" not in targets.get("soft", []))
    if objective == "min_spend" and hard_revenue:
        kind, sense, objective_override = "revenue target x1.2 (min_spend)", "min", None
        loose, tight = data, S.with_revenue_target(data, 1.2)
    elif "total" in data.get("budget", {}) and objective == "max_revenue":
        kind, sense, objective_override = "budget x1.5 (max_revenue)", "max", None
        loose, tight = S.with_budget(data, 1.5), data
    elif "total" in data.get("budget", {}):
        i = rng.randrange(len(data["channels"]))
        old = data["channels"][i].get("min_roi") or 0.0
        kind, sense, objective_override = "channel min_roi raised (max_revenue)", "max", "max_revenue"
        loose, tight = data, S.with_channel_roi(data, i, S.sig(old * 1.3 + 0.5, 6))
    else:
        return "none", None
    a = S.solve_outcome(loose, "cbc", objective_override, write=False)
    b = S.solve_outcome(tight, "cbc", objective_override, write=False)
    if a.status not in S.STATUS_CLASSES or b.status not in S.STATUS_CLASSES:
        return kind, f"{kind}: unexpected status looser {a.status}, tighter {b.status}"
    if a.status == "infeasible" and b.status != "infeasible":
        return kind, f"{kind}: the looser problem is infeasible but the tighter one is {b.status}"
    if a.status == "optimal" and b.status == "optimal" and not S.not_worse(a.objective, b.objective, sense):
        return kind, f"{kind}: looser optimum {a.objective!r} is worse than tighter {b.objective!r}"
    return kind, None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--examples", type=int, default=1000, help="scenarios to generate (default 1000)")
    ap.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    ap.add_argument("--max-cells", type=int, default=3000,
                    help="cap on channels x tiers x products x periods (default 3000; full ranges 30x5x6x13)")
    ap.add_argument("--no-monotonicity", dest="monotonicity", action="store_false", help="skip the monotonicity checks")
    ap.add_argument("--save", type=Path, help="folder to save failing scenarios and the slowest one as YAML")
    ap.add_argument("--allow-known", action="store_true", help="exit 0 when every failure is a known bug")
    ap.add_argument("--progress", type=int, default=50, help="print a progress line every N scenarios (0: never)")
    args = ap.parse_args(argv)

    from solvers import describe

    if not describe("highs").available:
        print("HiGHS is not installed (pip install -e '.[dev]'); the comparison needs it", file=sys.stderr)
        return 2

    # Warm up (imports, the CBC binary, highspy) so that the slowest case is a real one.
    warm = {"name": "warm-up", "periods": ["2027-01"], "channels": [{"name": "a", "cost_per_lead": 10}],
            "tiers": [{"name": "n", "kind": "new", "conversion": 0.1, "order_value": 500}],
            "products": [{"name": "p", "stage": "growth"}], "budget": {"total": 1000}}
    S.run_case(warm)

    status = collections.Counter()
    counts = collections.Counter()
    monotone_kinds = collections.Counter()
    failures: list[tuple[str, str, dict]] = []  # (kind, message, scenario)
    known: collections.Counter = collections.Counter()
    slowest = (0.0, None)
    rng = random.Random(args.seed)
    started = time.perf_counter()

    def record(kind: str, message: str, data: dict) -> None:
        failures.append((kind, message, data))
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            path = args.save / f"failure-{len(failures):03d}-{kind}.yaml"
            path.write_text(f"# {kind}: {message}\n" + S.dump(data), encoding="utf-8")

    @seed(args.seed)
    @settings(max_examples=args.examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(S.scenarios(max_cells=args.max_cells))
    def one(data: dict) -> None:
        nonlocal slowest
        counts["generated"] += 1
        t0 = time.perf_counter()
        try:
            outcomes = S.run_case(data)
        except Exception:  # anything but a solver failure (those are outcomes): a crash in the library
            counts["crashed"] += 1
            record("crash", traceback.format_exc(limit=3).strip().splitlines()[-1], data)
            return
        seconds = time.perf_counter() - t0
        if seconds > slowest[0]:
            slowest = (seconds, data)
        cbc = outcomes["cbc"]
        status[cbc.status] += 1
        bug = S.known_bug(data, outcomes)
        for name, outcome in outcomes.items():
            if outcome.known_crash:
                known[outcome.known_crash] += 1
                counts["known_crash"] += 1
            if outcome.status == "optimal":
                counts[f"plans_{name}"] += 1
                if outcome.verified:
                    counts[f"verified_{name}"] += 1
                elif bug:
                    known[bug] += 1
                    counts[f"verify_known_{name}"] += 1
                else:
                    counts[f"verify_failed_{name}"] += 1
                    record(f"verify-{name}", "; ".join(outcome.violations[:5]), data)
        why = S.disagreement(outcomes)
        if why:
            counts["disagreed"] += 1
            record("disagree", why, data)
        if args.monotonicity:
            kind, failure = monotonicity_check(data, rng)
            monotone_kinds[kind] += 1
            if failure:
                counts["monotonicity_failed"] += 1
                record("monotonicity", failure, data)
        n = counts["generated"]
        if args.progress and n % args.progress == 0:
            print(f"  ... {n} scenarios, {time.perf_counter() - started:.0f} s, {len(failures)} failures", flush=True)

    one()
    elapsed = time.perf_counter() - started

    n = counts["generated"]
    print()
    print(f"fuzz_verify: seed {args.seed}, max cells {args.max_cells}, {elapsed:.1f} s")
    print(f"generated:            {n}")
    print(f"CBC status:           optimal {status['optimal']}, infeasible {status['infeasible']}, "
          f"unbounded {status['unbounded']}, other {n - counts['crashed'] - sum(status[k] for k in S.STATUS_CLASSES)}"
          f" ({100.0 * status['optimal'] / max(1, n):.1f}% feasible)")
    for name in ("cbc", "highs"):
        print(f"verified ({name}):      {counts[f'verified_{name}']} of {counts[f'plans_{name}']} optimal plans"
              f" (failed: {counts[f'verify_failed_{name}']} unknown, {counts[f'verify_known_{name}']} known bug)")
    print(f"disagreed:            {counts['disagreed']} (CBC vs HiGHS status class or objective beyond 1e-6)")
    if args.monotonicity:
        ran = ", ".join(f"{k}: {v}" for k, v in sorted(monotone_kinds.items()))
        print(f"monotonicity failed:  {counts['monotonicity_failed']} ({ran})")
    print(f"crashed:              {counts['crashed']}")
    if slowest[1] is not None:
        print(f"slowest case:         {slowest[0]:.2f} s (CBC + HiGHS + verify), {S.describe_size(slowest[1])}, "
              f"objective {slowest[1]['objective']}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            (args.save / "slowest.yaml").write_text(f"# {slowest[0]:.2f} s\n" + S.dump(slowest[1]), encoding="utf-8")
    for bug, count in known.items():
        print(f"known bug {bug}: {count} solve(s); {S.KNOWN_BUGS[bug]}")
    for kind, message, data in failures:
        print(f"FAIL {kind}: {message} [{S.describe_size(data)}]")
    unknown = len(failures)
    if unknown or (known and not args.allow_known):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
