"""A py-spy profile of Strongroom's workers under Encrypt load, summarised as text.

``py-spy record --subprocesses --native --format raw`` samples every worker (Python and native frames,
so time in syscalls, llhttp, OpenSSL shows as such). The summary attributes each sample to a stage of the
hot path (the frame nearest the leaf that names a stage) and lists the top leaf functions (self time).
This run is not one of the measured cells: sampling slows the workers down.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.processes import start_process
from bench.signing import static_script
from bench.systems import System
from bench.wrk import parse_result

AUDIT_RECORD = "audit record (per request: CloudTrail record, canonical JSON, chain hash)"
AUDIT_WRITE = "audit trail write (per turn: batch encode + zlib, SQLite insert, write lock, COMMIT)"
CHANGE_CHECK = "store change check (StoreCaches.sync: one SQLite read per event-loop turn)"
# (substring of the frame's file, substring of its function or "", stage) — checked from the leaf upward;
# the first frame that matches a rule wins.
STAGE_RULES: tuple[tuple[str, str, str], ...] = (
    ("uuid.py", "", "request id (uuid.uuid4)"),
    ("protocols/aws/sigv4.py", "", "SigV4 verification"),
    ("protocols/aws/model.py", "", "request validation (compiled botocore model)"),
    ("storage/sqlite.py", "_read_generation", CHANGE_CHECK),
    ("storage/sqlite.py", "changed_elsewhere", CHANGE_CHECK),
    ("service/caches.py", "", CHANGE_CHECK),
    ("storage/sqlite.py", "", "other SQLite reads and writes (key and version lookups on cache misses, ...)"),
    ("crypto/wrapping.py", "", "unwrap of key material (cache misses)"),
    ("service/keyring.py", "", "key resolution (KeyRing caches)"),
    ("domain/references.py", "", "key resolution (KeyRing caches)"),
    ("strongroom/crypto/", "", "AES-256-GCM seal + ciphertext blob"),
    ("service/crypto.py", "", "AES-256-GCM seal + ciphertext blob"),
    ("protocols/aws/operations/", "", "operation handler"),
    ("domain/policy/", "", "key policy (build and parse the default policy, evaluate)"),
    ("service/authorization.py", "", "key policy (build and parse the default policy, evaluate)"),
    ("strongroom/domain/", "", "domain checks"),
    ("protocols/aws/app.py", "", "KMS adapter (dispatch, orjson, response)"),
    ("server/routes.py", "", "KMS adapter (dispatch, orjson, response)"),
    ("server/http.py", "", "HTTP server (httptools parse, framing, socket write)"),
)
# Checked first, against every frame of the stack (innermost first): work that happens on behalf of a
# request wherever it is called from, and that would otherwise hide under a generic frame (the audit
# write runs SQLite in storage/sqlite.py and builds each request's record in its batch loop; the access
# log runs inside the router).
OVERRIDE_RULES: tuple[tuple[str, str, str], ...] = (
    ("protocols/aws/audit_record.py", "", AUDIT_RECORD),
    ("domain/audit.py", "", AUDIT_RECORD),
    ("service/audit.py", "record", AUDIT_RECORD),
    ("storage/audit_batches.py", "", AUDIT_WRITE),
    ("service/audit.py", "", AUDIT_WRITE),
    ("server/logs.py", "", "access log (JSON formatting + write)"),
    ("server/metrics.py", "", "metrics"),
    ("service/caches.py", "sync", CHANGE_CHECK),
)
EVENT_LOOP = "event loop (uvloop: epoll, socket reads, callbacks)"
SYSCALLS = {"write", "writev", "send", "sendto", "sendmsg", "read", "readv", "recv", "recvfrom", "recvmsg",
            "epoll_pwait", "epoll_wait", "getrandom", "wait4", "accept4", "close", "fdatasync", "fsync",
            "pread64", "pwrite64", "fcntl", "fcntl64", "futex", "clock_gettime", "clock_nanosleep", "nanosleep",
            "getpid"}
RATE_HZ = 200
_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*)\)$")


@dataclass(frozen=True, slots=True)
class Frame:
    func: str
    file: str


def parse_frame(text: str) -> Frame:
    match = _FRAME.match(text.strip())
    return Frame(match["func"], match["file"]) if match else Frame(text.strip(), "")


def parse_raw(text: str) -> list[tuple[list[Frame], int]]:
    """py-spy's raw (collapsed) format: ``frame;frame;...;leaf count`` per line, root first.

    With --subprocesses the first frames name the processes (``process 123:"cmd"``); they are dropped.
    """
    stacks = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line:
            continue
        stack_text, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [parse_frame(f) for f in stack_text.split(";") if f and not f.startswith("process ")]
        stacks.append((frames, int(count)))
    return stacks


GC = "Python cyclic garbage collector"


def stage_of(frames: list[Frame]) -> str:
    if any(frame.func.startswith("gc_collect") for frame in frames):
        return GC  # runs inside whatever allocation triggered it; its cost grows with the live heap
    for frame in reversed(frames):
        for needle, func, stage in OVERRIDE_RULES:
            if needle in frame.file and func in frame.func:
                return stage
    for frame in reversed(frames):
        for needle, func, stage in STAGE_RULES:
            if needle in frame.file and func in frame.func:
                if stage.startswith("HTTP server") and frame.func == "run":
                    return EVENT_LOOP  # the serve loop's own frame: nothing more specific is running
                return stage
    return EVENT_LOOP if any("uvloop" in f.file or "loop.c" in f.file for f in frames) else "other"


def is_syscall(frame: Frame) -> bool:
    return "libc" in frame.file and frame.func in SYSCALLS


def effective_leaf(frames: list[Frame]) -> Frame:
    """The leaf, skipping unresolved libc addresses (``0x7f.. (libc.so.6)``) below a named libc function."""
    for frame in reversed(frames):
        if not (frame.func.startswith("0x") and "libc" in frame.file):
            return frame
    return frames[-1]


def summarise(stacks: list[tuple[list[Frame], int]], top: int = 15,
              require: str | None = "serve_worker") -> dict[str, Any]:
    """Stage shares, top leaves and syscalls of the samples whose stack holds a ``require`` frame.

    The default keeps the workers' samples only: the parent process just waits for its workers (py-spy
    counts a thread blocked in wait4 as active).
    """
    kept = [(frames, count) for frames, count in stacks
            if require is None or any(frame.func == require for frame in frames)]
    excluded = sum(count for _, count in stacks) - sum(count for _, count in kept)
    stacks = kept
    total = sum(count for _, count in stacks)
    stages: Counter[str] = Counter()
    stage_sys: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    syscalls: Counter[str] = Counter()
    for frames, count in stacks:
        if not frames:
            continue
        stage = stage_of(frames)
        stages[stage] += count
        leaf = effective_leaf(frames)
        leaves[f"{leaf.func} ({leaf.file})"] += count
        if is_syscall(leaf):
            stage_sys[stage] += count
            syscalls[leaf.func] += count

    def pct(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {
        "samples": total,
        "excluded_samples": excluded,
        "stages": [{"stage": s, "percent": pct(n), "in_syscalls_percent": pct(stage_sys[s])}
                   for s, n in stages.most_common()],
        "top_leaves": [{"function": f, "percent": pct(n)} for f, n in leaves.most_common(top)],
        "syscalls": [{"syscall": s, "percent": pct(n)} for s, n in syscalls.most_common()],
        "syscall_percent": pct(sum(syscalls.values())),
    }


def add_per_request(summary: dict[str, Any]) -> None:
    """Worker time per request: each sample stands for 1/rate s of one worker's non-idle time."""
    rps, seconds = summary.get("rps_while_sampled"), summary.get("seconds")
    if not rps or not seconds or not summary.get("samples"):
        return
    per_request_us = 1e6 * summary["samples"] / summary.get("rate_hz", RATE_HZ) / (rps * seconds)
    summary["worker_us_per_request"] = round(per_request_us, 1)
    for stage in summary["stages"]:
        stage["us_per_request"] = round(per_request_us * stage["percent"] / 100, 1)


def resummarise(summary: dict[str, Any]) -> dict[str, Any]:
    """Recompute a stored profile summary from its raw file (when the attribution rules have changed)."""
    raw = Path(summary.get("raw_file", ""))
    if summary.get("error") or not raw.is_file():
        return summary
    keep = {k: summary[k] for k in ("seconds", "connections", "native", "raw_file", "rate_hz", "rps_while_sampled",
                                     "keys") if k in summary}
    fresh = {**summarise(parse_raw(raw.read_text())), **keep}
    add_per_request(fresh)
    return fresh


def py_spy_binary() -> str | None:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")


def profile_encrypt(system: System, wrk: str, out_dir: Path, *, seconds: int = 5, connections: int = 64,
                    native: bool = True) -> dict[str, Any]:
    """Profile ``system`` (Strongroom) for ``seconds`` under a fixed Encrypt request at ``connections``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    script = out_dir / "profile-encrypt.lua"
    script.write_text(static_script(system.request("Encrypt")))
    return profile_load(system, wrk, out_dir, "encrypt", script, seconds=seconds, connections=connections,
                        native=native)


def profile_load(system: System, wrk: str, out_dir: Path, name: str, script: Path, *, seconds: int,
                 connections: int, native: bool = True) -> dict[str, Any]:
    """Run wrk with ``script`` and sample every worker of ``system`` with py-spy meanwhile."""
    py_spy = py_spy_binary()
    if py_spy is None:
        return {"error": "py-spy is not installed (pip install py-spy)"}
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / f"profile-{name}.raw.txt"
    load = start_process(f"wrk-profile-{name}", [wrk, "-t1", f"-c{connections}", f"-d{seconds + 3}s", "-s",
                                                 str(script), system.url], log_path=out_dir / f"profile-{name}.wrk")
    try:
        time.sleep(1.0)
        argv = [py_spy, "record", "--pid", str(system.process.pid), "--subprocesses", "--format", "raw",
                "--nolineno", "--rate", str(RATE_HZ), "--duration", str(seconds), "-o", str(raw)]
        if native:
            argv.append("--native")
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
        load.popen.wait(timeout=seconds + 30)
    finally:
        load.stop()
    if done.returncode != 0 or not raw.exists():
        return {"error": f"py-spy failed ({done.returncode}): {done.stderr[-1000:]}"}
    summary = summarise(parse_raw(raw.read_text()))
    summary.update({"seconds": seconds, "connections": connections, "native": native, "raw_file": str(raw),
                    "rate_hz": RATE_HZ})
    try:
        summary["rps_while_sampled"] = round(parse_result(load.log_path.read_text()).rps)
    except Exception:  # noqa: BLE001 - without the load's numbers there is no per-request figure
        return summary
    add_per_request(summary)
    return summary
