"""The systems under load (Strongroom on SQLite and on PostgreSQL, moto, the bare stack; OpenBao in
bench/openbao.py): start, prepare keys, build requests."""

from __future__ import annotations

import functools
import http.client
import json
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.config

from bench import cloud, transit
from bench.processes import ManagedProcess, http_status, port_open, process_tree, start_process, wait_until
from bench.signing import REGION, Request, SigningKey, operation_params, sign

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
DEV_ACCOUNT_ID = "111122223333"
DEV_KEY = SigningKey("AKIABENCHBENCHBENCH1", "BenchBenchBenchBenchBenchBenchBenchBench")
MOTO_KEY = SigningKey("AKIAMOTOBENCHMOTOBEN", "MotoMotoMotoMotoMotoMotoMotoMotoMotoMoto")
assert len(DEV_KEY.secret_access_key) == 40 and len(MOTO_KEY.secret_access_key) == 40

# What each operation's reply must hold for a request to count as correctly prepared (preflight check).
EXPECTED_REPLY_MEMBER = {"Encrypt": "CiphertextBlob", "Decrypt": "Plaintext", "GenerateDataKey": "Plaintext",
                         "ReEncrypt": "CiphertextBlob", "CreateKey": "KeyMetadata", "Sign": "Signature",
                         "GenerateMac": "Mac", **transit.EXPECTED_REPLY_PATH,
                         **cloud.EXPECTED_REPLY_PATH}


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment without AWS_*, BAO_* or VAULT_* variables (none may steer a server or a client), plus
    ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "BAO_", "VAULT_"))}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


@dataclass
class System:
    """A running server and what its requests need: its signing key, a key, a second key, a ciphertext; for the
    Vault API, a root token and a Transit ciphertext."""

    name: str  # "strongroom", "strongroom-pg", "moto", "bare", "openbao", or "strongroom-<n>keys" (scale test)
    port: int
    process: ManagedProcess
    signing_key: SigningKey | None  # None: no AWS API (OpenBao)
    key_id: str = ""
    destination_key_id: str = ""
    ciphertext: bytes = b""
    sign_key_id: str = ""  # ECC_NIST_P256, SIGN_VERIFY
    mac_key_id: str = ""  # HMAC_256
    notes: list[str] = field(default_factory=list)
    database_pid: int | None = None  # PostgreSQL's postmaster, whose CPU counts as this system's
    vault_token: str = ""  # a root token of the Vault API ("" if the system has none)
    transit_ciphertext: str = ""  # "vault:v1:...", from prepare_transit()
    kmip_port: int = 0  # Strongroom's KMIP listener (0: none)

    @property
    def measured_pids(self) -> list[int]:
        """The roots of the process trees whose CPU is this system's."""
        return [self.process.pid] + ([self.database_pid] if self.database_pid else [])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def request(self, operation: str, *, key_id: str | None = None) -> Request:
        """A freshly signed request for ``operation`` (valid for 5 minutes on a server that checks), or a Vault
        Transit request (``transit.TRANSIT_OPERATIONS``)."""
        if operation in transit.TRANSIT_OPERATIONS:
            return transit.transit_request(operation, self.port, self.vault_token, self.transit_ciphertext)
        assert self.signing_key is not None, f"{self.name} has no AWS API"
        params = operation_params(operation, key_id=key_id or self.key_id, ciphertext=self.ciphertext,
                                  destination_key_id=self.destination_key_id, sign_key_id=self.sign_key_id,
                                  mac_key_id=self.mac_key_id)
        return sign(operation, params, self.port, self.signing_key)

    def client(self) -> Any:
        assert self.signing_key is not None, f"{self.name} has no AWS API"
        return boto3.client(
            "kms", endpoint_url=self.url.rstrip("/"), region_name=REGION,
            aws_access_key_id=self.signing_key.access_key_id,
            aws_secret_access_key=self.signing_key.secret_access_key,
            config=botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))

    def prepare_keys(self) -> None:
        """Two symmetric keys (source and ReEncrypt destination), one ciphertext, an ECC_NIST_P256 signing key
        and an HMAC_256 key, made by this server, via boto3."""
        kms = self.client()
        self.key_id = kms.create_key(Description="bench source key")["KeyMetadata"]["KeyId"]
        self.destination_key_id = kms.create_key(Description="bench destination key")["KeyMetadata"]["KeyId"]
        self.ciphertext = kms.encrypt(KeyId=self.key_id, Plaintext=b"bench plaintext, 32 bytes long!!")[
            "CiphertextBlob"]
        self.sign_key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        self.mac_key_id = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]

    def prepare_transit(self) -> None:
        """Enable the Transit engine, create the bench key, and keep one ciphertext for the decrypt cells."""
        for setup in transit.setup_requests(self.port, self.vault_token):
            status, reply, _ = send(setup, self.port)
            if status not in (200, 204):
                raise RuntimeError(f"{self.name}: {setup.operation} answered HTTP {status} {reply}")
        encrypt = self.request("TransitEncrypt")
        status, reply, _ = send(encrypt, self.port)
        ciphertext = transit.reply_member(reply, "data.ciphertext")
        if status != 200 or not isinstance(ciphertext, str):
            raise RuntimeError(f"{self.name}: Transit encrypt answered HTTP {status} {reply}")
        self.transit_ciphertext = ciphertext

    def tree_size(self) -> int:
        return len(process_tree(self.process.pid))


def send(request: Request, port: int, timeout: float = 30.0) -> tuple[int, dict[str, Any] | None, str]:
    """Send one request with http.client: (status, JSON reply or None, Connection header)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(request.method, request.path, body=request.body,
                     headers={**dict(request.headers), "Content-Length": str(len(request.body))})
        response = conn.getresponse()
        data = response.read()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return response.status, parsed if isinstance(parsed, dict) else None, response.getheader("Connection", "")
    finally:
        conn.close()


def preflight(request: Request, port: int, *, expect_member: bool = True) -> str | None:
    """None when the request gets a correct 200 reply; else what went wrong."""
    try:
        status, reply, _ = send(request, port)
    except OSError as exc:
        return f"{request.operation}: {exc!r}"
    if status != 200:
        return f"{request.operation}: HTTP {status} {reply}"
    member = EXPECTED_REPLY_MEMBER.get(request.operation)
    if expect_member and member and transit.reply_member(reply, member) is None:
        return f"{request.operation}: 200 without {member}: {reply}"
    return None


# --- starting each system ------------------------------------------------------------------------


def strongroom_env(vault_token: str = "") -> dict[str, str]:
    """The dev account's fixed access key and, when given, its fixed root Vault token."""
    env = clean_env(STRONGROOM_DEV_ACCOUNT_ID=DEV_ACCOUNT_ID, STRONGROOM_DEV_ACCESS_KEY_ID=DEV_KEY.access_key_id,
                    STRONGROOM_DEV_SECRET_ACCESS_KEY=DEV_KEY.secret_access_key, PYTHONUNBUFFERED="1")
    if vault_token:
        env["STRONGROOM_DEV_VAULT_TOKEN"] = vault_token
    return env


@functools.cache
def _server_help() -> str:
    return subprocess.run([sys.executable, "-m", "strongroom", "server", "--help"], capture_output=True, text=True,
                          cwd=REPO, env=strongroom_env(), timeout=60, check=False).stdout


@functools.cache
def strongroom_benchmark_args() -> tuple[str, ...]:
    """Options that lift Strongroom's AWS-like request-rate quotas and key-count limit, when it has them.

    A capacity benchmark must not measure the throttle: AWS's default quotas (10,000 symmetric requests/s,
    CreateKey 5/s) and the 100,000-keys-per-region limit would otherwise cap or fail the cells.
    """
    out = _server_help()
    args: list[str] = []
    if "--no-quotas" in out:
        args.append("--no-quotas")
    if "--limit" in out and "keys_per_region" in out:
        args += ["--limit", "keys_per_region=100000000"]
    return tuple(args)


def strongroom_serves_kmip() -> bool:
    """Whether this build has a KMIP listener (``--kmip-port``)."""
    return "--kmip-port" in _server_help()


def strongroom_argv(data_dir: Path, port: int, workers: int, *, database_url: str | None = None,
                    kmip_port: int = 0) -> list[str]:
    """The command line of every benchmarked Strongroom server (dev mode, plain HTTP on ``port``)."""
    kmip = ["--kmip-port", str(kmip_port)] if strongroom_serves_kmip() else []
    return [sys.executable, "-m", "strongroom", "server", "--dev", "--data-dir", str(data_dir), "--host",
            "127.0.0.1", "--port", str(port), "--tls-port", "0", "--workers", str(workers),
            *(["--database", database_url] if database_url else []), *strongroom_benchmark_args(), *kmip]


def start_strongroom(name: str, data_dir: Path, port: int, workers: int, log_dir: Path,
                     database_url: str | None = None, kmip_port: int = 0) -> System:
    """A Strongroom server on SQLite in ``data_dir``, or on the PostgreSQL database at ``database_url``; its dev
    account's root Vault token is a random one the bench chose. It serves KMIP on ``kmip_port`` when that is not
    0 (in every worker, SO_REUSEPORT); otherwise not at all, so benchmarked servers never compete for KMIP's
    default port."""
    argv = strongroom_argv(data_dir, port, workers, database_url=database_url, kmip_port=kmip_port)
    vault_token = "bench-" + secrets.token_hex(16)
    process = start_process(name, argv, log_path=log_dir / f"{name.replace(' ', '_')}.log",
                            env=strongroom_env(vault_token), cwd=REPO)
    system = System(name, port, process, DEV_KEY, vault_token=vault_token, kmip_port=kmip_port)
    try:
        wait_until(lambda: http_status(f"http://127.0.0.1:{port}/health") == 200, process)
        _wait_for_tree(system, workers + 1 if workers > 1 else 1)
    except BaseException:
        process.stop()
        raise
    return system


def start_moto(port: int, log_dir: Path) -> System:
    argv = [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    process = start_process("moto", argv, log_path=log_dir / "moto.log", env=clean_env(), cwd=REPO)
    system = System("moto", port, process, MOTO_KEY)
    try:
        wait_until(lambda: port_open(port) and http_status(f"http://127.0.0.1:{port}/moto-api/") == 200, process)
    except BaseException:
        process.stop()
        raise
    return system


def start_bare(port: int, workers: int, log_dir: Path) -> System:
    argv = [sys.executable, "-m", "bench.peers", "--host", "127.0.0.1", "--port", str(port), "--workers",
            str(workers)]
    process = start_process("bare", argv, log_path=log_dir / "bare.log", env=clean_env(), cwd=REPO)
    system = System("bare", port, process, DEV_KEY, key_id="00000000-0000-4000-8000-000000000000")
    try:
        wait_until(lambda: http_status(f"http://127.0.0.1:{port}/health") == 200, process)
        _wait_for_tree(system, workers + 1)
    except BaseException:
        process.stop()
        raise
    return system


def _wait_for_tree(system: System, processes: int, timeout: float = 15.0) -> None:
    """Every worker must be up (a worker that failed to bind would silently halve the capacity)."""
    deadline = time.monotonic() + timeout
    while system.tree_size() < processes:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{system.name}: expected {processes} processes, found {system.tree_size()}")
        time.sleep(0.05)
