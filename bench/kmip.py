"""The KMIP cells: their targets (Strongroom's KMIP listener, the PyKMIP server), the objects they use (made with
PyKMIP's ``ProxyKmipClient``), the replayed messages, the measurement of one cell and the phase's cells.

Get reads a SecretData of 96 random bytes (Seed, Opaque), registered and activated as libmongocrypt does for a
"kmip" master key; Encrypt encrypts 32 bytes with an AES-256 SymmetricKey created with usage mask
Encrypt|Decrypt and activated (libmongocrypt's delegated mode, which encrypts a 96-byte key instead).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.kmip_load import MODES, ClientTls, KmipLoadError, LoadSpec, one_request, run_load
from bench.measure import Cell, CellRun, QuietGate, Warmup
from bench.processes import STOP_GRACE_SECONDS, ManagedProcess, port_open, read_box_cpu, tree_cpu_seconds, tree_memory
from bench.signing import PLAINTEXT_32
from bench.ttlv import KMIP_OPERATIONS, check_reply, encrypt_request, get_request

HOST = "127.0.0.1"
SECRET_BYTES = 96  # libmongocrypt's master key material
WARMUP_S = 0.5
WARMUP_CONNECTIONS = 8


@dataclass
class KmipTarget:
    """A KMIP server under load and the objects its cells use."""

    name: str  # "strongroom" (the benchmarked server's KMIP listener) or "pykmip"
    port: int
    process: ManagedProcess  # for Strongroom, its server's process (stopped with its System)
    client: ClientTls
    get_uid: str = ""  # an active SecretData
    encrypt_uid: str = ""  # an active AES-256 SymmetricKey, Encrypt|Decrypt
    tls: str = ""  # what the preflight negotiated, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"
    stop_grace_s: float = STOP_GRACE_SECONDS
    notes: list[str] = field(default_factory=list)

    def message(self, operation: str) -> bytes:
        if operation == "KmipGet":
            return get_request(self.get_uid)
        if operation == "KmipEncrypt":
            return encrypt_request(self.encrypt_uid, PLAINTEXT_32)
        raise ValueError(f"not a KMIP operation: {operation}")


def strongroom_client_tls(tls_dir: Path) -> ClientTls:
    """The dev KMIP client certificate a ``--dev`` server writes (bound to the dev account) and the dev CA."""
    return ClientTls(tls_dir / "ca.pem", tls_dir / "kmip-client.pem", tls_dir / "kmip-client-key.pem")


def strongroom_target(process: ManagedProcess, port: int, data_dir: Path, timeout: float = 15.0) -> KmipTarget:
    """Strongroom's KMIP listener, once it accepts connections (it starts with the workers, after /health)."""
    deadline = time.monotonic() + timeout
    client = strongroom_client_tls(data_dir / "tls")
    while not (port_open(port) and client.cert.exists() and client.key.exists()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Strongroom's KMIP port {port} is not listening:\n{process.log_tail()}")
        time.sleep(0.05)
    return KmipTarget("strongroom", port, process, client)


def prepare_objects(target: KmipTarget, config_file: Path) -> None:
    """Register and activate the SecretData, create and activate the AES key, then check each message once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyKMIP imports cryptography's deprecated ciphers
        from kmip.core import enums
        from kmip.pie import objects
        from kmip.pie.client import ProxyKmipClient

    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text("")  # no [client] section of anyone's ~/.pykmip may apply
    client = ProxyKmipClient(hostname=HOST, port=target.port, cert=str(target.client.cert),
                             key=str(target.client.key), ca=str(target.client.ca), config_file=str(config_file),
                             kmip_version=enums.KMIPVersion.KMIP_1_2)
    with warnings.catch_warnings(), client:
        warnings.simplefilter("ignore")
        secret = objects.SecretData(os.urandom(SECRET_BYTES), enums.SecretDataType.SEED)
        target.get_uid = str(client.register(secret))
        client.activate(target.get_uid)
        target.encrypt_uid = str(client.create(
            enums.CryptographicAlgorithm.AES, 256,
            cryptographic_usage_mask=[enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]))
        client.activate(target.encrypt_uid)
    for operation in KMIP_OPERATIONS:
        problem = preflight(target, operation)
        if problem:
            raise RuntimeError(f"{target.name}: {problem}")


def preflight(target: KmipTarget, operation: str) -> str | None:
    """None when the replayed message gets a correct answer over a new connection; else what went wrong."""
    try:
        answer, target.tls = one_request(target.port, target.client, target.message(operation))
    except (OSError, KmipLoadError) as exc:
        return f"{operation}: {exc!r}"
    return check_reply(operation, answer)


@dataclass(frozen=True)
class KmipRunner:
    """Measures one KMIP cell: preflight, quiet gate, the load, and the server's CPU / memory / the box."""

    duration_s: float
    gate: QuietGate | None = None
    processes: int = os.cpu_count() or 1  # client processes, at most one per connection

    def run(self, cell: Cell, target: KmipTarget, make_message: Callable[[], bytes], *, rep: int, position: int,
            warmup: Warmup | None = None, check: bool = True) -> CellRun:
        """Errors are recorded in the run (the report shows them), not raised. ``warmup`` is not used: the phase
        starts with one short pass over every target, operation and mode."""
        run = CellRun(cell, rep, position, time.time())
        try:
            message = make_message()
            if check:
                problem = preflight(target, cell.operation)
                if problem:
                    raise KmipLoadError(f"preflight failed: {problem}")
            if self.gate is not None:
                run.quiet_wait_s, run.busy_before_cores = self.gate.wait()
            spec = LoadSpec(target.port, message, target.client, cell.connections, cell.mode, self.duration_s,
                            processes=self.processes)
            cpu_before, box_before = tree_cpu_seconds(target.process.pid), read_box_cpu()
            result = run_load(spec)
            cpu_after, box_after = tree_cpu_seconds(target.process.pid), read_box_cpu()
            run.result = result.as_dict()
            run.server_cpu_s = cpu_after - cpu_before
            run.box_busy_s = box_after.busy - box_before.busy
            run.box_steal_s = box_after.steal - box_before.steal
            run.memory = tree_memory(target.process.pid).as_dict()
            if not target.process.alive():
                raise KmipLoadError(f"{target.name} died during the cell:\n{target.process.log_tail()}")
        except (KmipLoadError, OSError) as exc:
            run.error = str(exc)
        return run


def kmip_cells(targets: dict[str, KmipTarget], concurrency: list[int],
               cap: dict[str, int] | None = None) -> list[tuple[Cell, KmipTarget, Callable[[], bytes]]]:
    """Every target × operation × mode × concurrency; ``cap`` leaves out a target's cells above its limit."""
    cells = []
    for connections in concurrency:
        for name, target in targets.items():
            if cap and name in cap and connections > cap[name]:
                continue
            for operation in KMIP_OPERATIONS:
                for mode in MODES:
                    cells.append((Cell(name, operation, connections, mode), target,
                                  lambda t=target, o=operation: t.message(o)))
    return cells


def kmip_warmup(runner: KmipRunner, targets: dict[str, KmipTarget]) -> None:
    """One short pass over every target, operation and mode, so no measured cell is the first on a path."""
    warm = KmipRunner(WARMUP_S, None, runner.processes)
    for name, target in targets.items():
        for operation in KMIP_OPERATIONS:
            for mode in MODES:
                run = warm.run(Cell(name, operation, WARMUP_CONNECTIONS, mode), target,
                               lambda t=target, o=operation: t.message(o), rep=-1, position=0)
                if run.error:
                    print(f"[kmip] warm-up {name} {operation} {mode}: {run.error[:300]}", flush=True)
