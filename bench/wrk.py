"""Running wrk (one thread, N connections) and reading the line our Lua ``done()`` hook prints."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.processes import children_cpu_seconds
from bench.signing import RESULT_PREFIX

WRK_TIMEOUT_SECONDS = 5  # per request; moto at c=64 answers in ~0.3 s


class WrkError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float
    errors_status: int  # responses with status >= 400 (wrk's "Non-2xx or 3xx")
    errors_socket: int  # connect + read + write + timeout
    bytes_read: int
    wrk_cpu_s: float = 0.0

    @property
    def errors(self) -> int:
        return self.errors_status + self.errors_socket

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


def parse_result(stdout: str) -> WrkResult:
    """Parse the ``BENCH-RESULT key=value ...`` line of our done() hook."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_PREFIX + " "):
            values = dict(item.split("=", 1) for item in line.split()[1:])
            requests = int(values["requests"])
            duration = int(values["duration_us"]) / 1e6
            return WrkResult(
                requests=requests, duration_s=duration, rps=requests / duration if duration else 0.0,
                p50_ms=float(values["p50_us"]) / 1000, p90_ms=float(values["p90_us"]) / 1000,
                p99_ms=float(values["p99_us"]) / 1000, p999_ms=float(values["p999_us"]) / 1000,
                max_ms=float(values["max_us"]) / 1000, mean_ms=float(values["mean_us"]) / 1000,
                errors_status=int(values["status"]),
                errors_socket=sum(int(values[k]) for k in ("connect", "read", "write", "timeout")),
                bytes_read=int(values["bytes"]))
    raise WrkError(f"wrk printed no {RESULT_PREFIX} line:\n{stdout[-2000:]}")


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when missing and we are root, else fails clearly."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("bench: wrk is not installed and this is not root; install it with "
                         "`sudo apt-get install -y wrk` (Debian/Ubuntu package `wrk`) and run again")
    print("bench: wrk not found; running apt-get install -y wrk", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "wrk"], env=env).returncode != 0:
        subprocess.run(["apt-get", "update"], env=env, check=False)
        subprocess.run(["apt-get", "install", "-y", "wrk"], env=env, check=False)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("bench: `apt-get install -y wrk` did not provide wrk; install it by hand and run again")
    return found


def wrk_version(binary: str) -> str:
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) else "unknown"


def run_wrk(binary: str, url: str, script: Path, *, connections: int, duration_s: int) -> WrkResult:
    """One wrk run (-t1); the wrk process is ended by PID if anything interrupts us."""
    argv = [binary, "-t1", f"-c{connections}", f"-d{duration_s}s", f"--timeout={WRK_TIMEOUT_SECONDS}s",
            "-s", str(script), url]
    cpu_before = children_cpu_seconds()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    try:
        stdout, _ = proc.communicate(timeout=duration_s + 30)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    wrk_cpu = children_cpu_seconds() - cpu_before
    if proc.returncode != 0:
        raise WrkError(f"wrk exited with {proc.returncode}:\n{stdout[-2000:]}")
    result = parse_result(stdout)
    return WrkResult(**{**asdict(result), "wrk_cpu_s": wrk_cpu})
