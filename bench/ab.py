"""A paired A/B run: Strongroom at an earlier revision against the working tree, same machine, same run.

    python -m bench.ab --baseline REV [--ops Encrypt,Decrypt] [--concurrency 1,64] [--reps 5] [--duration 3]

The baseline is checked out with ``git worktree`` under ``bench/out/ab/`` and served by the same interpreter and
virtualenv (only ``PYTHONPATH`` differs), so the two servers differ in Strongroom's code alone. Cells of both are
shuffled together in each repetition; each repetition pairs the two servers' cells, and the report gives the
median of the per-repetition ratios (current / baseline) with their range, and both sides' p50 and p99.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from bench.measure import Cell, Runner
from bench.processes import free_port
from bench.suite import print_run
from bench.systems import REPO, System, start_strongroom
from bench.wrk import ensure_wrk

AB_DIR = REPO / "bench" / "out" / "ab"


def _worktree(revision: str) -> Path:
    commit = subprocess.run(["git", "rev-parse", "--short", revision], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.strip()
    path = AB_DIR / commit
    if not path.exists():
        subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=REPO, check=True,
                       capture_output=True)
    return path


def _start(name: str, source: Path, work: Path, workers: int) -> System:
    """A dev server whose ``strongroom`` package is imported from ``source``."""
    previous = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(source / "src")
    try:
        return start_strongroom(name, work / f"{name}-data", free_port(), workers, work / "logs")
    finally:
        if previous is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = previous


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", required=True, help="the earlier revision (a commit, tag or branch)")
    p.add_argument("--ops", default="Encrypt,Decrypt", help="operations (default Encrypt,Decrypt)")
    p.add_argument("--concurrency", default="1,64", help="wrk connections (default 1,64)")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--duration", type=int, default=3, help="seconds per cell (default 3)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args(argv)
    operations = args.ops.split(",")
    connections = [int(c) for c in args.concurrency.split(",")]
    work = AB_DIR / "run"
    shutil.rmtree(work, ignore_errors=True)
    baseline_tree = _worktree(args.baseline)
    runner = Runner(ensure_wrk(), work / "lua", args.duration, 1)
    systems: dict[str, System] = {}
    runs = []
    try:
        systems["baseline"] = _start("baseline", baseline_tree, work, args.workers)
        systems["current"] = _start("current", REPO, work, args.workers)
        for system in systems.values():
            system.prepare_keys()
        cells = [(Cell(name, op, c), system) for name, system in systems.items() for op in operations
                 for c in connections]
        rng = random.Random(args.seed)
        for rep in range(args.reps):
            order = list(cells)
            rng.shuffle(order)
            for position, (cell, system) in enumerate(order):
                run = runner.run(cell, system, lambda s=system, o=cell.operation: [s.request(o)], rep=rep,
                                 position=position)
                print_run("ab", run)
                runs.append(run)
    finally:
        for system in systems.values():
            system.process.stop()
    print(f"\nA/B: current tree against {args.baseline} ({baseline_tree.name}), {args.reps} paired repetitions")
    print("| operation | connections | current / baseline (median, range) | p50 ms (base / cur) "
          "| p99 ms (base / cur) |")
    print("|---|---|---|---|---|")
    for op in operations:
        for c in connections:
            pairs = []
            for rep in range(args.reps):
                found = {r.cell.system: r for r in runs if r.rep == rep and r.cell.operation == op
                         and r.cell.connections == c and r.ok}
                if len(found) == 2:
                    pairs.append((found["baseline"].result, found["current"].result))
            if not pairs:
                print(f"| {op} | {c} | no complete pair | | |")
                continue
            ratios = [cur["rps"] / base["rps"] for base, cur in pairs]
            p50 = [statistics.median(x[i]["p50_ms"] for x in pairs) for i in (0, 1)]
            p99 = [statistics.median(x[i]["p99_ms"] for x in pairs) for i in (0, 1)]
            print(f"| {op} | {c} | {statistics.median(ratios):.3f} ({min(ratios):.3f}–{max(ratios):.3f}) | "
                  f"{p50[0]:.3f} / {p50[1]:.3f} | {p99[0]:.2f} / {p99[1]:.2f} |")
    return 1 if any(not r.ok for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
