"""The phases of a run: throughput cells (interleaved repetitions, Transit cells among them), CreateKey, KMIP,
scale, profile."""

from __future__ import annotations

import dataclasses
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bench import cloud, scale, startup
from bench.cloud_setup import CloudClient
from bench.kmip import KmipRunner, KmipTarget, kmip_cells, kmip_warmup
from bench.kmip_load import MODES as KMIP_MODES
from bench.measure import Cell, CellRun, Runner, Warmup, calibrate
from bench.processes import free_port, tree_memory
from bench.profile import profile_load
from bench.signing import Request, cycling_script, write_request_file
from bench.systems import System, send, start_strongroom
from bench.transit import TRANSIT_OPERATIONS
from bench.ttlv import KMIP_OPERATIONS

SPREAD_WARMUP_S = 2
SPREAD_WARMUP_KEYS = 10_000  # covers the 100- and 10,000-key stores whole
CELL_OVERHEAD_S = 0.4  # signing, preflight, quiet check, wrk start-up, /proc reads, per cell (measured ~0.35 s)
KMIP_CELL_OVERHEAD_S = 0.55  # preflight handshake, quiet check, forking the clients, opening held connections
KMIP_SETUP_S = 6.0  # starting PyKMIP, making the objects on both servers, the warm-up's own overhead
CLOUD_SETUP_S = 3.0  # the two identities (CLI runs), the RSA-2048 key, the key ring, the checks
CLOUD_WARMUP_S = 1  # per cloud operation, at WARMUP_CONNECTIONS
WARMUP_CONNECTIONS = 8


@dataclass
class Plan:
    operations: list[str]
    concurrency: list[int]
    reps: int
    duration_s: int
    warmup_s: int
    createkey_concurrency: list[int]
    createkey_reps: int
    scale_keys: list[int]
    scale_reps: int
    scale_connections: int
    spread_keys: int
    seed: int
    deadline: float  # time.monotonic() by which the run must be done
    profile_seconds: int
    postgres_concurrency: list[int] = field(default_factory=list)  # Encrypt and CreateKey on PostgreSQL
    transit_concurrency: list[int] = field(default_factory=list)  # Transit encrypt and decrypt
    transit_systems: list[str] = field(default_factory=list)  # "strongroom", and "openbao" when installed
    kmip_concurrency: list[int] = field(default_factory=list)  # KMIP Get and Encrypt, both connection modes
    kmip_systems: list[str] = field(default_factory=list)  # "strongroom", and "pykmip" when installed
    kmip_reps: int = 0
    kmip_cap: dict[str, int] = field(default_factory=dict)  # a system's highest KMIP concurrency, if capped
    startup_reps: int = 0  # starts of each startup target (0: no startup phase)
    startup_keys: list[int] = field(default_factory=list)  # store sizes whose start is timed
    cloud_concurrency: list[int] = field(default_factory=list)  # Azure unwrapkey and Google decrypt
    cloud_token_concurrency: list[int] = field(default_factory=list)  # the Azure and Google token endpoints

    def cell_seconds(self) -> float:
        return self.duration_s + self.warmup_s + CELL_OVERHEAD_S

    def main_rep_seconds(self) -> float:
        cells = ((2 * len(self.operations) + 1) * len(self.concurrency) + len(self.postgres_concurrency)
                 + len(TRANSIT_OPERATIONS) * len(self.transit_systems) * len(self.transit_concurrency))
        return cells * self.cell_seconds() + self.cloud_rep_seconds()

    @property
    def cloud(self) -> bool:
        return bool(self.cloud_concurrency or self.cloud_token_concurrency)

    def cloud_aws_concurrency(self) -> list[int]:
        """AWS Decrypt concurrencies the cloud cells pair with that the main cells do not measure already."""
        if "Decrypt" in self.operations:
            return [c for c in self.cloud_concurrency if c not in self.concurrency]
        return list(self.cloud_concurrency)

    def cloud_cells_per_rep(self) -> int:
        return (len(cloud.DATA_OPERATIONS) * len(self.cloud_concurrency) + len(self.cloud_aws_concurrency())
                + len(cloud.TOKEN_OPERATIONS) * len(self.cloud_token_concurrency))

    def cloud_rep_seconds(self) -> float:
        return self.cloud_cells_per_rep() * self.cell_seconds()

    def cloud_setup_seconds(self) -> float:
        """The identities and keys, and the cloud cells' warm-up pass."""
        if not self.cloud:
            return 0.0
        return CLOUD_SETUP_S + len(cloud.CLOUD_OPERATIONS) * (CLOUD_WARMUP_S + CELL_OVERHEAD_S)

    def cloud_seconds(self) -> float:
        """What the cloud cells add to a run: set-up, warm-up, their cells in every repetition."""
        return self.cloud_setup_seconds() + self.reps * self.cloud_rep_seconds()

    def createkey_rep_seconds(self) -> float:
        return (2 * len(self.createkey_concurrency) + len(self.postgres_concurrency)) * self.cell_seconds()

    def kmip_cells_per_rep(self) -> int:
        return sum(len(KMIP_OPERATIONS) * len(KMIP_MODES) for c in self.kmip_concurrency for name in self.kmip_systems
                   if c <= self.kmip_cap.get(name, c))

    def kmip_rep_seconds(self) -> float:
        return self.kmip_cells_per_rep() * (self.duration_s + KMIP_CELL_OVERHEAD_S)

    def kmip_seconds(self) -> float:
        """The whole KMIP phase: set-up, the warm-up pass, its repetitions."""
        if not self.kmip_cells_per_rep():
            return 0.0
        warmup = len(self.kmip_systems) * len(KMIP_OPERATIONS) * len(KMIP_MODES) * (0.5 + KMIP_CELL_OVERHEAD_S)
        return KMIP_SETUP_S + warmup + self.kmip_reps * self.kmip_rep_seconds()

    def scale_build_seconds(self) -> float:
        return 3.0 * len(self.scale_keys) + 25e-6 * sum(self.scale_keys)  # measured ~2.1 s per 100k keys

    def startup_seconds(self) -> float:
        """The startup phase: its starts, and the stores it builds because the scale phase does not."""
        extra = [k for k in self.startup_keys if k not in self.scale_keys]
        return startup.phase_seconds(self.startup_reps, self.startup_keys, extra)

    def scale_rep_seconds(self) -> float:
        signing = 45e-6 * sum(min(k, self.spread_keys) + min(k, SPREAD_WARMUP_KEYS) for k in self.scale_keys)
        return len(self.scale_keys) * (2 * self.cell_seconds() + SPREAD_WARMUP_S) + signing

    def estimate(self) -> float:
        return (self.reps * self.main_rep_seconds() + self.createkey_reps * self.createkey_rep_seconds()
                + (self.scale_build_seconds() + self.scale_reps * self.scale_rep_seconds() if self.scale_keys else 0)
                + (self.profile_seconds + 6 if self.profile_seconds else 0)
                + (self.profile_seconds + 10 if self.profile_seconds and max(self.scale_keys, default=0) >= 100_000
                   else 0)
                + (3 + len(TRANSIT_OPERATIONS) * len(self.transit_systems) if self.transit_systems else 0)  # start-up
                + self.cloud_setup_seconds()
                + self.kmip_seconds()
                + self.startup_seconds()
                + 25)


@dataclass
class PhaseLog:
    """What a phase did: its runs, the box's speed before each repetition, repetitions skipped for time."""

    runs: list[CellRun] = field(default_factory=list)
    calibration_ms: list[float] = field(default_factory=list)
    reps_done: int = 0
    reps_planned: int = 0
    skipped_for_time: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _rep_fits(plan: Plan, rep: int, rep_seconds: float, reserve: float) -> bool:
    """The first repetition always runs; later ones only if they leave ``reserve`` for what follows."""
    return rep == 0 or time.monotonic() + rep_seconds + reserve <= plan.deadline


class CellRunner(Protocol):
    """What measures one cell: ``measure.Runner`` (wrk, HTTP) or ``kmip.KmipRunner``."""

    def run(self, cell: Cell, system: Any, make: Callable[[], Any], *, rep: int, position: int,
            warmup: Warmup | None = None) -> CellRun: ...


def run_interleaved(runner: CellRunner, plan: Plan, cells: list[tuple[Cell, Any, Callable[[], Any]]],
                    reps: int, rep_seconds: float, reserve: float, *, rng: random.Random,
                    warmups: dict[Cell, Warmup] | None = None, label: str) -> PhaseLog:
    log = PhaseLog(reps_planned=reps)
    started = time.monotonic()
    for rep in range(reps):
        if not _rep_fits(plan, rep, rep_seconds, reserve):
            log.skipped_for_time = reps - rep
            print(f"[{label}] skipping {reps - rep} repetition(s) to stay within the time budget", flush=True)
            break
        log.calibration_ms.append(round(calibrate(), 1))
        order = list(cells)
        rng.shuffle(order)
        rep_start = time.monotonic()
        for position, (cell, system, make) in enumerate(order):
            warm = warmups.get(cell) if warmups else None
            run = runner.run(cell, system, make, rep=rep, position=position, warmup=warm)
            log.runs.append(run)
            print_run(label, run)
        log.reps_done += 1
        print(f"[{label}] repetition {rep + 1}/{reps} took {time.monotonic() - rep_start:.0f} s", flush=True)
    log.seconds = time.monotonic() - started
    return log


def print_run(label: str, run: CellRun) -> None:
    c = run.cell
    keys = f" {c.keys:>9,} keys {c.mode:<6}" if c.keys else f" {c.mode:<11}" if c.operation in KMIP_OPERATIONS else ""
    if run.error:
        print(f"[{label}] r{run.rep} {c.system:<13} {c.operation:<15} c={c.connections:<3}{keys} "
              f"ERROR {run.error[:300]}", flush=True)
        return
    r = run.result
    cpu = f"{run.cpu_s_per_1k:.3f}" if run.cpu_s_per_1k is not None else "-"
    print(f"[{label}] r{run.rep} {c.system:<13} {c.operation:<15} c={c.connections:<3}{keys} {r['rps']:>9,.0f} req/s "
          f"p50 {r['p50_ms']:.2f} ms p99 {r['p99_ms']:.2f} ms  cpu {cpu} s/1k  errors {r['errors']}", flush=True)


# --- phases --------------------------------------------------------------------------------------


def global_warmup(runner: Runner, systems: dict[str, System], operations: list[str],
                  transit_systems: list[str], cloud_client: CloudClient | None = None) -> None:
    """One short pass over every system and operation, so no measured cell is the first to touch a path."""
    warm = dataclasses.replace(runner, duration_s=1, warmup_s=0, gate=None)
    for name, system in systems.items():
        aws = operations if name in ("strongroom", "moto") else ["Encrypt"] if system.signing_key else []
        for operation in [*aws, *(TRANSIT_OPERATIONS if name in transit_systems else [])]:
            warm.run(Cell(name, operation, WARMUP_CONNECTIONS, "warmup"), system,
                     lambda s=system, o=operation: [s.request(o)], rep=-1, position=0)
    if cloud_client is not None:
        warm = dataclasses.replace(warm, duration_s=CLOUD_WARMUP_S)
        for operation in cloud.CLOUD_OPERATIONS:
            run = warm.run(Cell("strongroom", operation, WARMUP_CONNECTIONS, "warmup"), systems["strongroom"],
                           lambda o=operation: [cloud_client.request(o)], rep=-1, position=0)
            if run.error:
                print(f"[main] warm-up {operation}: {run.error[:300]}", flush=True)


def main_phase(runner: Runner, plan: Plan, systems: dict[str, System], reserve: float,
               cloud_client: CloudClient | None = None) -> PhaseLog:
    cells: list[tuple[Cell, System, Callable[[], list[Request]]]] = []
    for connections in plan.concurrency:
        for name in ("strongroom", "moto"):
            for operation in plan.operations:
                system = systems[name]
                cells.append((Cell(name, operation, connections), system,
                              lambda s=system, o=operation: [s.request(o)]))
        bare = systems["bare"]
        cells.append((Cell("bare", "Encrypt", connections), bare, lambda s=bare: [s.request("Encrypt")]))
    cells += _postgres_cells(plan, systems, "Encrypt")
    cells += _transit_cells(plan, systems)
    if cloud_client is not None:
        cells += cloud_cells(plan, systems["strongroom"], cloud_client)
    rng = random.Random(plan.seed)
    return run_interleaved(runner, plan, cells, plan.reps, plan.main_rep_seconds(), reserve, rng=rng, label="main")


def createkey_phase(runner: Runner, plan: Plan, systems: dict[str, System], reserve: float) -> PhaseLog:
    cells: list[tuple[Cell, System, Callable[[], list[Request]]]] = []
    for connections in plan.createkey_concurrency:
        for name in ("strongroom", "moto"):
            system = systems[name]
            cells.append((Cell(name, "CreateKey", connections), system, lambda s=system: [s.request("CreateKey")]))
    cells += _postgres_cells(plan, systems, "CreateKey")
    rng = random.Random(plan.seed + 1)
    # No warm-up cell for CreateKey: every request is a new durable write either way.
    no_warm = dataclasses.replace(runner, warmup_s=0)
    return run_interleaved(no_warm, plan, cells, plan.createkey_reps, plan.createkey_rep_seconds(), reserve,
                           rng=rng, label="createkey")


def kmip_phase(runner: KmipRunner, plan: Plan, targets: dict[str, KmipTarget], reserve: float) -> PhaseLog:
    """KMIP Get and Encrypt on Strongroom and PyKMIP, held and per-request connections, shuffled per repetition
    (after one short warm-up pass), so the two servers pair per repetition."""
    print("[kmip] warming up", flush=True)
    kmip_warmup(runner, targets)
    cells = kmip_cells(targets, plan.kmip_concurrency, plan.kmip_cap)
    rng = random.Random(plan.seed + 3)
    return run_interleaved(runner, plan, cells, plan.kmip_reps, plan.kmip_rep_seconds(), reserve, rng=rng,
                           label="kmip")


def _postgres_cells(plan: Plan, systems: dict[str, System],
                    operation: str) -> list[tuple[Cell, System, Callable[[], list[Request]]]]:
    """Strongroom on PostgreSQL, when it runs: ``operation`` at each of ``plan.postgres_concurrency``."""
    system = systems.get("strongroom-pg")
    if system is None:
        return []
    return [(Cell(system.name, operation, connections), system, lambda o=operation: [system.request(o)])
            for connections in plan.postgres_concurrency]


def _transit_cells(plan: Plan, systems: dict[str, System]) -> list[tuple[Cell, System, Callable[[], list[Request]]]]:
    """Transit encrypt and decrypt on each Vault API (Strongroom's, OpenBao's) at ``plan.transit_concurrency``:
    shuffled with the AWS cells, so Strongroom's Encrypt and Decrypt pair with OpenBao's Transit per repetition."""
    return [(Cell(name, operation, connections), systems[name], lambda s=systems[name], o=operation: [s.request(o)])
            for connections in plan.transit_concurrency for name in plan.transit_systems
            for operation in TRANSIT_OPERATIONS]


def cloud_cells(plan: Plan, strongroom: System,
                client: CloudClient) -> list[tuple[Cell, System, Callable[[], list[Request]]]]:
    """Azure unwrapkey and Google decrypt at ``plan.cloud_concurrency``, with AWS Decrypt at any of those the main
    cells leave out (so each pairs with AWS Decrypt per repetition), and both token endpoints at
    ``plan.cloud_token_concurrency``: shuffled with the other cells. ``client.request(operation)`` fetches a fresh
    token each time a cell's request is built."""
    cells = [(Cell("strongroom", operation, c), strongroom, lambda o=operation: [client.request(o)])
             for c in plan.cloud_concurrency for operation in cloud.DATA_OPERATIONS]
    cells += [(Cell("strongroom", "Decrypt", c), strongroom, lambda: [strongroom.request("Decrypt")])
              for c in plan.cloud_aws_concurrency()]
    cells += [(Cell("strongroom", operation, c), strongroom, lambda o=operation: [client.request(o)])
              for c in plan.cloud_token_concurrency for operation in cloud.TOKEN_OPERATIONS]
    return cells


def connection_header(system: System, operation: str = "Encrypt") -> str:
    """The Connection header a system answers with (moto's Werkzeug closes every connection)."""
    try:
        _, _, connection = send(system.request(operation), system.port)
    except OSError:
        return "?"
    return connection or "(none: keep-alive)"


def _spread_requests(system: System, store: scale.ScaleStore, limit: int,
                     seed: int) -> Callable[[], list[Request]]:
    """Each call signs a fresh uniform sample of the store's keys (a new sample per repetition)."""
    calls = itertools.count()
    return lambda: scale.signed_encrypts(system, scale.spread_sample(store.key_ids, limit, seed + next(calls)))


def build_stores(plan: Plan, out_dir: Path, log_dir: Path) -> list[scale.ScaleStore]:
    """The scale phase's stores (the startup phase times a start on each of them too)."""
    stores = []
    for keys in plan.scale_keys:
        print(f"[scale] building a store with {keys:,} keys through the storage layer", flush=True)
        store = scale.build_store(out_dir / f"scale-{keys}", keys, log_dir)
        print(f"[scale] {keys:,} keys: {store.build} s, {store.db_bytes() / 2**20:.0f} MiB", flush=True)
        stores.append(store)
    return stores


def scale_phase(runner: Runner, plan: Plan, out_dir: Path, log_dir: Path, workers: int, reserve: float,
                stores: list[scale.ScaleStore] | None = None) -> PhaseLog:
    """Encrypt on every store (built here unless ``stores`` are given; their build time counts either way)."""
    log = PhaseLog(reps_planned=plan.scale_reps)
    started = time.monotonic()
    if stores is None:
        stores = build_stores(plan, out_dir, log_dir)
    else:
        started -= sum(s.build["total"] for s in stores)
    log.extra["stores"] = [scale.store_summary(s) for s in stores]
    systems: list[tuple[scale.ScaleStore, System]] = []
    try:
        idle_memory = {}
        for store in stores:
            system = start_strongroom(f"strongroom-{store.keys}keys", store.data_dir, free_port(), workers, log_dir)
            systems.append((store, system))
            idle_memory[store.keys] = tree_memory(system.process.pid).as_dict()
        log.extra["idle_memory"] = idle_memory
        cells: list[tuple[Cell, System, Callable[[], list[Request]]]] = []
        warmups: dict[Cell, Warmup] = {}
        for store, system in systems:
            hot_key = store.key_ids[0]
            hot = Cell("strongroom", "Encrypt", plan.scale_connections, "hot", store.keys)
            spread = Cell("strongroom", "Encrypt", plan.scale_connections, "spread", store.keys)
            cells.append((hot, system, lambda s=system, k=hot_key: [s.request("Encrypt", key_id=k)]))
            cells.append((spread, system, _spread_requests(system, store, plan.spread_keys, plan.seed)))
            # The warm-up replays a *different* uniform sample: a store smaller than the sample is warmed
            # whole (its cells measure the cached path); at 1,000,000 keys the measured keys stay cold.
            warmups[spread] = Warmup(_spread_requests(system, store, SPREAD_WARMUP_KEYS, plan.seed + 500_000),
                                     seconds=SPREAD_WARMUP_S)
            log.extra.setdefault("spread_keys", {})[store.keys] = min(plan.spread_keys, store.keys)
        rng = random.Random(plan.seed + 2)
        inner = run_interleaved(runner, plan, cells, plan.scale_reps, plan.scale_rep_seconds(), reserve, rng=rng,
                                warmups=warmups, label="scale")
        log.runs, log.calibration_ms = inner.runs, inner.calibration_ms
        log.reps_done, log.skipped_for_time = inner.reps_done, inner.skipped_for_time
        log.extra["final_memory"] = {store.keys: tree_memory(system.process.pid).as_dict()
                                     for store, system in systems}
        store, system = systems[-1]
        if plan.profile_seconds and store.keys >= 100_000:
            print(f"[scale] profiling the cache-miss path ({store.keys:,} keys, spread) for "
                  f"{plan.profile_seconds} s", flush=True)
            sample = scale.spread_sample(store.key_ids, plan.spread_keys, plan.seed + 900_000)
            data = runner.work_dir / "profile-spread.requests"
            write_request_file(scale.signed_encrypts(system, sample), data)
            script = runner.work_dir / "profile-spread.lua"
            script.write_text(cycling_script(data))
            log.extra["profile"] = profile_load(system, runner.wrk, out_dir / "profile", "spread", script,
                                                seconds=plan.profile_seconds, connections=plan.scale_connections)
            log.extra["profile"]["keys"] = store.keys
    finally:
        for _, system in systems:
            system.process.stop()
    log.seconds = time.monotonic() - started
    return log
