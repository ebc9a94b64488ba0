"""Starting and stopping the processes under test, and /proc accounting of their CPU and memory.

Every process is started in its own session (so a Ctrl-C in the terminal reaches only the harness, which
then stops everything in order), asks the kernel to SIGTERM it if the harness dies (PR_SET_PDEATHSIG), and
is stopped by PID: SIGTERM to the parent, SIGKILL after a grace period, then SIGKILL to any descendant
that outlived it (identified by PID *and* start time, so a reused PID is never hit).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
STOP_GRACE_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1


# --- /proc parsing (pure helpers, unit-tested) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcStat:
    pid: int
    ppid: int
    cpu_ticks: int  # utime + stime, in clock ticks
    start_ticks: int  # start time after boot, in clock ticks (with pid, identifies a process)


def parse_stat(text: str) -> ProcStat:
    """Parse /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'."""
    pid = int(text[: text.index(" ")])
    rest = text[text.rindex(")") + 2 :].split()
    # rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, starttime 22.
    return ProcStat(pid=pid, ppid=int(rest[1]), cpu_ticks=int(rest[11]) + int(rest[12]), start_ticks=int(rest[19]))


def parse_status_kib(text: str, name: str) -> int:
    """The value in kiB of one ``Name:   123 kB`` line of /proc/<pid>/status or smaps_rollup (0 if absent)."""
    for line in text.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    return 0


@dataclass(frozen=True, slots=True)
class BoxCpu:
    busy: float  # seconds of user + nice + system + irq + softirq, summed over all CPUs
    steal: float
    total: float  # every field, idle and iowait included


def parse_box_cpu(line: str) -> BoxCpu:
    """The aggregate ``cpu`` line of /proc/stat."""
    fields = [int(v) for v in line.split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    # guest time is already included in user/nice, so the first 8 fields are the whole.
    return BoxCpu(busy=(user + nice + system + irq + softirq) / CLK_TCK, steal=steal / CLK_TCK,
                  total=(user + nice + system + idle + iowait + irq + softirq + steal) / CLK_TCK)


def descendants(root: int, parents: Mapping[int, int]) -> list[int]:
    """``root`` and every process below it, given a pid → ppid map."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


# --- /proc readers ---------------------------------------------------------------------------------


def read_stat(pid: int) -> ProcStat | None:
    try:
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        return None


def all_stats() -> dict[int, ProcStat]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = read_stat(int(entry))
            if stat is not None:
                stats[stat.pid] = stat
    return stats


def process_tree(root: int) -> list[ProcStat]:
    """The live process ``root`` and all its descendants (walks /proc: no CONFIG_PROC_CHILDREN needed)."""
    stats = all_stats()
    if root not in stats:
        return []
    return [stats[pid] for pid in descendants(root, {s.pid: s.ppid for s in stats.values()}) if pid in stats]


def tree_cpu_seconds(root: int) -> float:
    return sum(s.cpu_ticks for s in process_tree(root)) / CLK_TCK


@dataclass(frozen=True, slots=True)
class TreeMemory:
    processes: int
    rss_mib: float  # sum of VmRSS now
    hwm_mib: float  # sum of VmHWM (each process's peak RSS); an upper bound of the tree's peak
    pss_mib: float  # sum of Pss now: shared (copy-on-write) pages split between the sharers

    def as_dict(self) -> dict[str, float]:
        return {"processes": self.processes, "rss_mib": round(self.rss_mib, 1), "hwm_mib": round(self.hwm_mib, 1),
                "pss_mib": round(self.pss_mib, 1)}


def tree_memory(root: int) -> TreeMemory:
    rss = hwm = pss = 0
    tree = process_tree(root)
    for stat in tree:
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{stat.pid}/status").read_text()
            rss += parse_status_kib(status, "VmRSS")
            hwm += parse_status_kib(status, "VmHWM")
        with contextlib.suppress(OSError):
            pss += parse_status_kib(Path(f"/proc/{stat.pid}/smaps_rollup").read_text(), "Pss")
    return TreeMemory(len(tree), rss / 1024, hwm / 1024, pss / 1024)


def read_box_cpu() -> BoxCpu:
    with open("/proc/stat") as f:
        return parse_box_cpu(f.readline())


# --- ports and readiness -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http_status(url: str, timeout: float = 1.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return None


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


# --- managed processes ---------------------------------------------------------------------------


def die_with_parent() -> None:
    """Runs in a child (before exec, or in a forked load client): SIGTERM me if the harness dies (Linux only;
    best effort)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class ManagedProcess:
    """One started process (the root of a tree); ``stop()`` ends it and its descendants by PID."""

    def __init__(self, name: str, popen: subprocess.Popen[bytes], log_path: Path) -> None:
        self.name = name
        self.popen = popen
        self.log_path = log_path
        self._stopped = False

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        if self._stopped:
            return
        self._stopped = True
        tree = [s for s in process_tree(self.pid) if s.pid != self.pid]
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=grace)
        # Descendants normally exit with their parent; give them a moment, then kill the stragglers.
        deadline = time.monotonic() + 2.0
        for child in tree:
            while time.monotonic() < deadline and _same_process(child):
                time.sleep(0.05)
            if _same_process(child):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, signal.SIGKILL)
                gone_by = time.monotonic() + 2.0
                while time.monotonic() < gone_by and _same_process(child):
                    time.sleep(0.01)


def _same_process(stat: ProcStat) -> bool:
    now = read_stat(stat.pid)
    return now is not None and now.start_ticks == stat.start_ticks and _state(stat.pid) not in ("Z", "X")


def _state(pid: int) -> str:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "X"
    return text[text.rindex(")") + 2]


def start_process(name: str, argv: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None,
                  cwd: Path | None = None, user: str | None = None) -> ManagedProcess:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(
            list(argv), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True, user=user,
            preexec_fn=die_with_parent)  # noqa: PLW1509 - only a prctl, no locks involved
    return ManagedProcess(name, popen, log_path)


def wait_until(ready: Callable[[], bool], process: ManagedProcess, *, timeout: float = 60.0) -> None:
    """Poll ``ready`` until true; fail with the process's log tail if it exits or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if not process.alive():
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}")
        time.sleep(0.05)
    raise RuntimeError(f"{process.name} not ready after {timeout:.0f} s:\n{process.log_tail()}")


def children_cpu_seconds() -> float:
    """CPU of this harness's reaped children (wrk), from getrusage(RUSAGE_CHILDREN)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
