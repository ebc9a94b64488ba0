"""Startup time (issue 23): from spawning ``strongroom server --dev …`` until the server serves.

Each start spawns the benchmark's own Strongroom command line (``systems.strongroom_argv``) and polls, one
after the other, ``GET /health`` until 200, ``GET /ready`` until 200 and a signed ListKeys (``Limit`` 1, signed
before the spawn) until 200: that last time is the bar's figure. On a store with keys a signed Encrypt with a
stored key follows (a key no worker has cached: store read and unwrap). Then the server tree's CPU and memory
are read and the server is stopped by PID. Its log's time stamps give when the supervisor and every worker
were unsealed.

The targets: an empty data directory, made afresh for each repetition (its first start makes the dev files:
root key, TLS material, dev account; the second start reuses them), and a store of each size, built through
the storage layer (``scale.build_store``). A baseline measures the interpreter and the CLI's imports alone.
"""

from __future__ import annotations

import datetime
import json
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench import scale
from bench.measure import QuietGate
from bench.processes import ManagedProcess, free_port, http_status, start_process, tree_cpu_seconds, tree_memory
from bench.signing import Request, operation_params, sign
from bench.systems import DEV_KEY, REPO, send, strongroom_argv, strongroom_env

if TYPE_CHECKING:
    from bench.suite import Plan

BAR_EMPTY_S = 1.0
BAR_STORE_S = 3.0
BAR_STORE_KEYS = 100_000
EMPTY_FIRST = "empty, first start"
EMPTY_SECOND = "empty, second start"
IMPORTS = "imports only"
IMPORT_ARGV = (sys.executable, "-c", "import strongroom.cli.main")  # what `python -m strongroom` imports first
POLL_S = 0.005
QUIET_WAIT_S = 3.0  # the quiet gate's bound per start (a start is short; a cell's bound is 10 s)
START_TIMEOUT_S = 60.0
SECONDS_PER_START = 1.2  # spawn to ListKeys (~0.62 s), Encrypt, /proc reads, stop (~0.17 s), quiet check (0.25 s)
SECONDS_PER_IMPORT = 0.9  # the imports baseline (~0.57 s) and its quiet check
CHECK = "GET /health 200, then GET /ready 200, then a signed ListKeys 200"
METRICS = ("imports_s", "health_s", "ready_s", "api_s", "encrypt_s", "supervisor_unsealed_s",
           "workers_unsealed_s", "cpu_s", "rss_mib", "pss_mib", "stop_s")


class StartError(RuntimeError):
    pass


@dataclass(frozen=True)
class Target:
    """What one start runs on."""

    name: str  # EMPTY_FIRST, EMPTY_SECOND, IMPORTS, or "100,000 keys"
    keys: int  # keys in the store (0: none)
    data_dir: Path | None  # None: the imports baseline (no server)
    encrypt_key: str = ""  # a stored key for the first Encrypt ("": none)


@dataclass
class StartRun:
    """One start: seconds from the spawn to each check passing, the tree's CPU and memory then, the stop."""

    target: str
    keys: int
    rep: int
    imports_s: float | None = None  # the imports baseline only: spawn to exit
    health_s: float | None = None
    ready_s: float | None = None
    api_s: float | None = None  # the signed ListKeys: the bar's figure
    encrypt_s: float | None = None
    supervisor_unsealed_s: float | None = None  # from the server log's time stamps (ms resolution)
    workers_unsealed_s: float | None = None
    cpu_s: float | None = None  # user + system CPU of the server tree until it served
    rss_mib: float | None = None  # sum of VmRSS over the tree after the checks
    pss_mib: float | None = None
    processes: int | None = None
    stop_s: float | None = None
    quiet_wait_s: float = 0.0
    busy_before_cores: float | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


# --- pure helpers (unit-tested) ------------------------------------------------------------------


def log_marks(text: str, spawned_unix: float, workers: int) -> dict[str, float | None]:
    """Seconds from the spawn to the supervisor's "unsealed" log line and to the last of ``workers`` "worker …
    unsealed" lines (None when missing), from the JSON log lines' time stamps."""
    supervisor: float | None = None
    worker_times: list[float] = []
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
            at = datetime.datetime.fromisoformat(record["time"]).timestamp() - spawned_unix
        except (ValueError, KeyError, TypeError):
            continue
        message = str(record.get("message", ""))
        if supervisor is None and record.get("logger") == "strongroom.unseal" and message.startswith("unsealed"):
            supervisor = at
        elif message.startswith("worker ") and message.endswith(" unsealed"):
            worker_times.append(at)
    workers_done = worker_times[workers - 1] if workers > 0 and len(worker_times) >= workers else None
    return {"supervisor_unsealed_s": supervisor, "workers_unsealed_s": workers_done}


def import_group(module: str) -> str:
    """Where an imported module's time is summed: ``strongroom.protocols.<dialect>``, ``strongroom.<package>``,
    or a third-party or standard-library top-level package."""
    parts = module.split(".")
    if parts[0] != "strongroom":
        return parts[0]
    return ".".join(parts[:3] if len(parts) > 2 and parts[1] == "protocols" else parts[:2])


def parse_importtime(text: str, top: int = 10) -> dict[str, Any]:
    """``python -X importtime`` output: self time summed per ``import_group``, in ms; the largest ``top`` groups."""
    groups: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line.removeprefix("import time:").split("|")
        if len(fields) != 3 or not fields[0].strip().isdigit():
            continue
        group = import_group(fields[2].strip())
        groups[group] = groups.get(group, 0.0) + int(fields[0]) / 1000
    total = sum(groups.values())
    own = sum(ms for name, ms in groups.items() if name.split(".")[0] == "strongroom")
    ranked = sorted(groups.items(), key=lambda item: -item[1])[:top]
    return {"total_ms": round(total, 1), "strongroom_ms": round(own, 1),
            "top": [{"group": name, "ms": round(ms, 1)} for name, ms in ranked]}


def _median_max(values: Iterable[float | None]) -> tuple[float | None, float | None]:
    data = sorted(v for v in values if v is not None)
    if not data:
        return None, None
    mid = len(data) // 2
    median = data[mid] if len(data) % 2 else (data[mid - 1] + data[mid]) / 2
    return median, data[-1]


def target_order(name: str, keys: int) -> tuple[int, int]:
    """The report's row order: imports, empty first, empty second, then stores by size."""
    return {IMPORTS: (0, 0), EMPTY_FIRST: (1, 0), EMPTY_SECOND: (2, 0)}.get(name, (3, keys))


def aggregate(runs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per target: median and max of every metric over its successful starts."""
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["target"], run["keys"]), []).append(run)
    rows = []
    for (name, keys), members in sorted(groups.items(), key=lambda item: target_order(*item[0])):
        ok = [r for r in members if not r.get("error")]
        row: dict[str, Any] = {"target": name, "keys": keys, "starts": len(ok), "failed": len(members) - len(ok),
                               "errors": sorted({r["error"][:200] for r in members if r.get("error")})}
        for metric in METRICS:
            row[metric], row[f"{metric}_max"] = _median_max(r.get(metric) for r in ok)
        rows.append(row)
    return rows


def _verdict(row: dict[str, Any] | None, limit: float) -> tuple[str, str]:
    if row is None or row["api_s"] is None:
        return "not measured", "n/a"
    measured = f"median {row['api_s']:.2f} s, max {row['api_s_max']:.2f} s ({row['starts']} starts)"
    if row["failed"]:
        measured += f"; {row['failed']} failed"
    ok = row["api_s"] < limit and not row["failed"]
    return measured, "PASS" if ok else "FAIL"


def bar_lines(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 23's bar on the median time to a served ListKeys: empty data directory < 1 s (first start, and
    the second start on the same directory), 100,000-key store < 3 s."""
    by_name = {row["target"]: row for row in rows}
    store = next((row for row in rows if row["keys"] == BAR_STORE_KEYS), None)
    lines = []
    for criterion, row, limit in (
            (f"Starts in < {BAR_EMPTY_S:g} s on an empty data directory (first start: makes the dev files)",
             by_name.get(EMPTY_FIRST), BAR_EMPTY_S),
            (f"Starts in < {BAR_EMPTY_S:g} s on that directory again (second start: no keys)",
             by_name.get(EMPTY_SECOND), BAR_EMPTY_S),
            (f"Starts in < {BAR_STORE_S:g} s on a {BAR_STORE_KEYS:,}-key store", store, BAR_STORE_S)):
        measured, result = _verdict(row, limit)
        lines.append({"criterion": criterion, "measured": measured, "result": result})
    return lines


def summarise(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    rows = aggregate(runs)
    return {"rows": rows, "bar": bar_lines(rows)}


def startup_keys(scale_keys: Sequence[int], requested: Sequence[int] | None, quick: bool) -> list[int]:
    """The store sizes whose start is timed: as asked; else the scale stores, plus 100,000 keys unless quick."""
    if requested is not None:
        return sorted(set(requested))
    return sorted(set(scale_keys) | (set() if quick else {BAR_STORE_KEYS}))


def phase_seconds(reps: int, keys: Sequence[int], built_keys: Sequence[int]) -> float:
    """The phase's estimate: its starts, and the stores it builds itself (``built_keys``)."""
    if reps <= 0:
        return 0.0
    builds = sum(3.0 + 25e-6 * k for k in built_keys)
    return builds + reps * rep_seconds(keys)


def rep_seconds(keys: Sequence[int]) -> float:
    return SECONDS_PER_IMPORT + (2 + len(keys)) * SECONDS_PER_START


# --- measuring -----------------------------------------------------------------------------------


def _poll(check: Callable[[], bool], process: ManagedProcess, t0: float, what: str) -> float:
    """Seconds from ``t0`` until ``check`` first passes."""
    deadline = t0 + START_TIMEOUT_S
    while True:
        if check():
            return time.perf_counter() - t0
        if not process.alive():
            raise StartError(f"exited with {process.popen.returncode} before {what}:\n{process.log_tail()}")
        if time.perf_counter() > deadline:
            raise StartError(f"no {what} after {START_TIMEOUT_S:.0f} s:\n{process.log_tail()}")
        time.sleep(POLL_S)


def _answers(request: Request, port: int, member: str) -> bool:
    try:
        status, reply, _ = send(request, port, timeout=5.0)
    except OSError:
        return False
    return status == 200 and reply is not None and member in reply


def time_imports(rep: int, gate: QuietGate | None) -> StartRun:
    """The interpreter and the CLI's imports alone: spawn to exit."""
    run = StartRun(IMPORTS, 0, rep)
    if gate is not None:
        run.quiet_wait_s, run.busy_before_cores = gate.wait(QUIET_WAIT_S)
    t0 = time.perf_counter()
    try:
        done = subprocess.run(IMPORT_ARGV, cwd=REPO, env=strongroom_env(), capture_output=True,
                              timeout=START_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        run.error = f"imports took over {START_TIMEOUT_S:.0f} s"
        return run
    if done.returncode:
        run.error = f"imports exited with {done.returncode}: {done.stderr.decode(errors='replace')[-500:]}"
    else:
        run.imports_s = time.perf_counter() - t0
    return run


def import_profile() -> dict[str, Any]:
    """One ``python -X importtime`` run of the imports baseline (not timed: importtime slows it)."""
    try:
        done = subprocess.run([IMPORT_ARGV[0], "-X", "importtime", *IMPORT_ARGV[1:]], cwd=REPO,
                              env=strongroom_env(), capture_output=True, timeout=START_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"over {START_TIMEOUT_S:.0f} s"}
    if done.returncode:
        return {"error": done.stderr.decode(errors="replace")[-500:]}
    return parse_importtime(done.stderr.decode(errors="replace"))


def time_start(target: Target, rep: int, workers: int, log_dir: Path, gate: QuietGate | None) -> StartRun:
    """Spawn the server on ``target.data_dir``, time its checks, read its tree, stop it by PID."""
    assert target.data_dir is not None
    run = StartRun(target.name, target.keys, rep)
    port = free_port()
    list_keys = sign("ListKeys", {"Limit": 1}, port, DEV_KEY)
    encrypt = (sign("Encrypt", operation_params("Encrypt", key_id=target.encrypt_key), port, DEV_KEY)
               if target.encrypt_key else None)
    argv = strongroom_argv(target.data_dir, port, workers)
    env = strongroom_env("bench-" + secrets.token_hex(16))
    base = f"http://127.0.0.1:{port}"
    log_path = log_dir / f"startup-{target.name.replace(',', '').replace(' ', '-')}.log"
    if gate is not None:
        run.quiet_wait_s, run.busy_before_cores = gate.wait(QUIET_WAIT_S)
    spawned_unix = time.time()
    t0 = time.perf_counter()
    process = start_process(f"startup {target.name}", argv, log_path=log_path, env=env, cwd=REPO)
    try:
        run.health_s = _poll(lambda: http_status(base + "/health") == 200, process, t0, "GET /health 200")
        run.ready_s = _poll(lambda: http_status(base + "/ready") == 200, process, t0, "GET /ready 200")
        run.api_s = _poll(lambda: _answers(list_keys, port, "Keys"), process, t0, "a ListKeys 200")
        if encrypt is not None:
            run.encrypt_s = _poll(lambda: _answers(encrypt, port, "CiphertextBlob"), process, t0, "an Encrypt 200")
        run.cpu_s = tree_cpu_seconds(process.pid)
        memory = tree_memory(process.pid)
        run.rss_mib, run.pss_mib, run.processes = memory.rss_mib, memory.pss_mib, memory.processes
    except StartError as exc:
        run.error = str(exc)
    finally:
        stopping = time.perf_counter()
        process.stop()
        run.stop_s = time.perf_counter() - stopping
    marks = log_marks(log_path.read_text(errors="replace"), spawned_unix, workers)
    run.supervisor_unsealed_s, run.workers_unsealed_s = marks["supervisor_unsealed_s"], marks["workers_unsealed_s"]
    return run


def units(empty_dir: Path, stores: Sequence[scale.ScaleStore]) -> list[list[Target]]:
    """What a repetition starts, in units run back to back: the imports baseline; the empty directory's first
    and second start; each store."""
    out = [[Target(IMPORTS, 0, None)], [Target(EMPTY_FIRST, 0, empty_dir), Target(EMPTY_SECOND, 0, empty_dir)]]
    for store in sorted(stores, key=lambda s: s.keys):
        out.append([Target(f"{store.keys:,} keys", store.keys, store.data_dir, store.key_ids[0])])
    return out


def print_run(run: StartRun) -> None:
    label = f"[startup] r{run.rep} {run.target:<20}"
    if run.error:
        print(f"{label} ERROR {run.error[:300]}", flush=True)
    elif run.imports_s is not None:
        print(f"{label} exited after {run.imports_s:.3f} s", flush=True)
    else:
        encrypt = f" Encrypt {run.encrypt_s:.3f}" if run.encrypt_s is not None else ""
        print(f"{label} health {run.health_s:.3f} ready {run.ready_s:.3f} ListKeys {run.api_s:.3f}{encrypt} s; "
              f"PSS {run.pss_mib:.0f} MiB; stop {run.stop_s:.2f} s", flush=True)


@dataclass
class StartupLog:
    runs: list[StartRun] = field(default_factory=list)
    stores: list[dict[str, Any]] = field(default_factory=list)  # the stores this phase built itself
    imports: dict[str, Any] = field(default_factory=dict)  # import_profile()
    reps_planned: int = 0
    reps_done: int = 0
    skipped_for_time: int = 0
    seconds: float = 0.0

    def as_dict(self, workers: int) -> dict[str, Any]:
        return {"check": CHECK, "workers": workers, "stores_built": self.stores, "reps_planned": self.reps_planned,
                "reps_done": self.reps_done, "skipped_for_time": self.skipped_for_time,
                "seconds": round(self.seconds, 1), "imports": self.imports,
                "quiet_wait_s": round(sum(r.quiet_wait_s for r in self.runs), 1),
                "runs": [r.as_dict() for r in self.runs]}


def startup_phase(plan: Plan, work: Path, log_dir: Path, workers: int, stores: Sequence[scale.ScaleStore],
                  gate: QuietGate | None, reserve: float) -> StartupLog:
    """Time ``plan.startup_reps`` starts of every target, in an order shuffled per repetition (``plan.seed``);
    build the stores of ``plan.startup_keys`` that ``stores`` lacks."""
    log = StartupLog(reps_planned=plan.startup_reps)
    started = time.monotonic()
    by_size = {s.keys: s for s in stores}
    for keys in plan.startup_keys:
        if keys not in by_size:
            print(f"[startup] building a store with {keys:,} keys through the storage layer", flush=True)
            by_size[keys] = scale.build_store(work / f"startup-{keys}", keys, log_dir)
            print(f"[startup] {keys:,} keys: {by_size[keys].build} s", flush=True)
            log.stores.append(scale.store_summary(by_size[keys]))
    chosen = [by_size[k] for k in plan.startup_keys]
    rng = random.Random(plan.seed + 4)
    for rep in range(plan.startup_reps):
        if rep and time.monotonic() + rep_seconds(plan.startup_keys) + reserve > plan.deadline:
            log.skipped_for_time = plan.startup_reps - rep
            print(f"[startup] skipping {log.skipped_for_time} repetition(s) to stay within the time budget",
                  flush=True)
            break
        order = units(work / "startup-empty", chosen)
        rng.shuffle(order)
        for unit in order:
            for target in unit:
                if target.data_dir is None:
                    run = time_imports(rep, gate)
                else:
                    if target.name == EMPTY_FIRST:
                        shutil.rmtree(target.data_dir, ignore_errors=True)
                    run = time_start(target, rep, workers, log_dir, gate)
                print_run(run)
                log.runs.append(run)
        log.reps_done += 1
    log.imports = import_profile()
    log.seconds = time.monotonic() - started
    return log
