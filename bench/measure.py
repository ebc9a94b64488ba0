"""One measured cell: sign, check the request once, warm up, run wrk, and account CPU and memory."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.processes import read_box_cpu, tree_cpu_seconds, tree_memory
from bench.signing import Request, RequestError, cycling_script, static_script, write_request_file
from bench.systems import System, preflight
from bench.wrk import WrkError, run_wrk


@dataclass(frozen=True, slots=True)
class Cell:
    system: str
    operation: str
    connections: int
    mode: str = "fixed"  # "fixed": one request replayed; "spread": many keys, one request each, cycled
    keys: int = 0  # scale test: keys in the store

    @property
    def slug(self) -> str:
        extra = f"-{self.keys}keys-{self.mode}" if self.keys else ""
        return f"{self.system}-{self.operation}-c{self.connections}{extra}".replace(" ", "_")


@dataclass
class CellRun:
    cell: Cell
    rep: int
    position: int  # order within the repetition
    started: float  # unix time
    result: dict[str, Any] = field(default_factory=dict)  # WrkResult.as_dict()
    server_cpu_s: float = 0.0
    box_busy_s: float = 0.0
    box_steal_s: float = 0.0
    memory: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    quiet_wait_s: float = 0.0  # how long the quiet gate waited before this cell
    busy_before_cores: float | None = None  # box CPU just before the cell (others' work: ours idles)

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.result)

    @property
    def requests(self) -> int:
        return int(self.result.get("requests", 0))

    @property
    def duration_s(self) -> float:
        return float(self.result.get("duration_s", 0.0))

    @property
    def cpu_s_per_1k(self) -> float | None:
        return 1000 * self.server_cpu_s / self.requests if self.requests else None

    @property
    def other_cores(self) -> float | None:
        """Box CPU used by neither the server tree nor wrk (other tenants, unattributed kernel time)."""
        if not self.duration_s:
            return None
        other = self.box_busy_s - self.server_cpu_s - float(self.result.get("wrk_cpu_s", 0.0))
        return max(other, 0.0) / self.duration_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.cell.system, "operation": self.cell.operation, "connections": self.cell.connections,
            "mode": self.cell.mode, "keys": self.cell.keys, "rep": self.rep, "position": self.position,
            "started": round(self.started, 3), "error": self.error, **self.result,
            "server_cpu_s": round(self.server_cpu_s, 4),
            "server_cpu_s_per_1k": None if self.cpu_s_per_1k is None else round(self.cpu_s_per_1k, 5),
            "server_cores": round(self.server_cpu_s / self.duration_s, 3) if self.duration_s else None,
            "wrk_cores": round(float(self.result.get("wrk_cpu_s", 0.0)) / self.duration_s, 3)
            if self.duration_s else None,
            "other_cores": None if self.other_cores is None else round(self.other_cores, 3),
            "steal_cores": round(self.box_steal_s / self.duration_s, 3) if self.duration_s else None,
            "memory": self.memory,
            "quiet_wait_s": round(self.quiet_wait_s, 2),
            "busy_before_cores": None if self.busy_before_cores is None else round(self.busy_before_cores, 3),
        }


@dataclass
class QuietGate:
    """Before a cell, wait (bounded) until the rest of the box is quiet: this is a shared machine.

    Our own servers idle between cells, so the box's busy CPU then is other tenants' work. The gate waits
    while it is above ``threshold_cores``, at most ``max_wait_s`` per cell and ``budget_s`` in all.
    """

    threshold_cores: float = 0.3
    max_wait_s: float = 10.0
    budget_s: float = 60.0
    window_s: float = 0.25
    waited_s: float = 0.0
    waits: int = 0

    def busy_cores(self) -> float:
        before, start = read_box_cpu(), time.monotonic()
        time.sleep(self.window_s)
        after = read_box_cpu()
        return (after.busy - before.busy + after.steal - before.steal) / (time.monotonic() - start)

    def wait(self, max_wait_s: float | None = None) -> tuple[float, float]:
        """(seconds waited, busy cores in the last window); ``max_wait_s`` overrides the per-cell bound."""
        start = time.monotonic()
        limit = self.max_wait_s if max_wait_s is None else max_wait_s
        busy = self.busy_cores()
        while busy > self.threshold_cores:
            elapsed = time.monotonic() - start
            if elapsed >= limit or self.waited_s + elapsed >= self.budget_s:
                break
            time.sleep(0.5)
            busy = self.busy_cores()
        waited = max(time.monotonic() - start - self.window_s, 0.0)
        if waited > 0.1:
            self.waits += 1
        self.waited_s += waited
        return waited, busy


@dataclass(frozen=True)
class Warmup:
    """A cell's own warm-up: other requests (``make``) and/or another duration (``seconds``)."""

    make: Callable[[], list[Request]] | None = None
    seconds: int | None = None


@dataclass(frozen=True)
class Runner:
    wrk: str
    work_dir: Path  # lua scripts and request files go here
    duration_s: int
    warmup_s: int
    gate: QuietGate | None = None

    def script_for(self, cell: Cell, requests: list[Request]) -> Path:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        script = self.work_dir / f"{cell.slug}.lua"
        if len(requests) == 1:
            script.write_text(static_script(requests[0]))
        else:
            data = self.work_dir / f"{cell.slug}.requests"
            write_request_file(requests, data)
            script.write_text(cycling_script(data))
        return script

    def run(self, cell: Cell, system: System, make_requests: Callable[[], list[Request]], *, rep: int,
            position: int, warmup: Warmup | None = None, check: bool = True) -> CellRun:
        """Measure one cell. Errors are recorded in the run (the report shows them), not raised.

        The warm-up (if any) replays the cell's own requests for ``self.warmup_s``, unless ``warmup`` gives
        other requests and/or another duration for this cell.
        """
        run = CellRun(cell, rep, position, time.time())
        try:
            requests = make_requests()
            warm_requests = warmup.make() if warmup and warmup.make else requests
            warm_seconds = warmup.seconds if warmup and warmup.seconds is not None else self.warmup_s
            if check:
                for probe in {id(r): r for r in (requests[0], warm_requests[0])}.values():
                    problem = preflight(probe, system.port)
                    if problem:
                        raise WrkError(f"preflight failed: {problem}")
            if self.gate is not None:
                run.quiet_wait_s, run.busy_before_cores = self.gate.wait()
            if warm_seconds > 0:
                warm_cell = Cell(cell.system, cell.operation, cell.connections, cell.mode + "-warmup", cell.keys)
                warm_script = self.script_for(warm_cell, warm_requests)
                run_wrk(self.wrk, system.url, warm_script, connections=cell.connections, duration_s=warm_seconds)
            script = self.script_for(cell, requests)
            cpu_before, box_before = _cpu_seconds(system), read_box_cpu()
            result = run_wrk(self.wrk, system.url, script, connections=cell.connections, duration_s=self.duration_s)
            cpu_after, box_after = _cpu_seconds(system), read_box_cpu()
            run.result = result.as_dict()
            run.server_cpu_s = cpu_after - cpu_before
            run.box_busy_s = box_after.busy - box_before.busy
            run.box_steal_s = box_after.steal - box_before.steal
            run.memory = tree_memory(system.process.pid).as_dict()
            if not system.process.alive():
                raise WrkError(f"{system.name} died during the cell:\n{system.process.log_tail()}")
        except (WrkError, RequestError, OSError) as exc:
            run.error = str(exc)
        return run


def calibrate(iterations: int = 2_000_000) -> float:
    """Milliseconds for a fixed pure-Python loop: the box's speed at this moment (lower is faster)."""
    start = time.perf_counter()
    total = 0
    for i in range(iterations):
        total += i ^ 0x5A5A
    assert total
    return (time.perf_counter() - start) * 1000


def _cpu_seconds(system: System) -> float:
    return sum(tree_cpu_seconds(pid) for pid in system.measured_pids)
