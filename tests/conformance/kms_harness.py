"""Helpers of the conformance suite: the server subprocess wrapper, clients, and raw signed requests.

Imported by ``conftest.py`` and by the test modules (``from kms_harness import ...``; pytest puts this
directory on ``sys.path``).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"
TEST_ACCOUNT_ID = "111122223333"
TEST_ACCESS_KEY_ID = "AKIASTRONGROOMTEST01"
TEST_SECRET_ACCESS_KEY = "sTrOnGrOoM/cOnFoRmAnCe+TeSt/SeCrEt/KeY00"
assert len(TEST_SECRET_ACCESS_KEY) == 40

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0



@pytest.fixture(scope="session", autouse=True)
def no_ambient_aws_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No AWS_* variable or ~/.aws file of the developer's may influence an in-process client."""
    empty = tmp_path_factory.mktemp("aws-empty")
    (empty / "config").write_text("")
    (empty / "credentials").write_text("")
    mp = pytest.MonkeyPatch()
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        mp.delenv(name)
    mp.setenv("AWS_CONFIG_FILE", str(empty / "config"))
    mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty / "credentials"))
    mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
    yield
    mp.undo()

def clean_env(**extra: str) -> dict[str, str]:
    """The current environment minus every AWS_* variable and every server option set as STRONGROOM_* (none may
    leak into a test), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")
           and (not k.startswith("STRONGROOM_") or k.startswith("STRONGROOM_TEST_"))}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerInfo:
    endpoint: str
    tls_endpoint: str
    tls_hostport: str
    ca_file: Path
    data_dir: Path
    account_id: str
    access_key_id: str
    secret_access_key: str
    region: str = REGION
    port: int = 0
    tls_port: int = 0
    log_file: Path | None = None
    kmip_port: int = 0  # 0: the server has no KMIP listener
    kmip_cert: Path | None = None  # the dev client certificate bound to the dev account, and its key
    kmip_key: Path | None = None

    def client(self, *, validate: bool = True, **kw: Any) -> Any:
        """A boto3 KMS client on the plain-HTTP endpoint; ``kw`` overrides any ``boto3.client`` argument."""
        args: dict[str, Any] = {
            "endpoint_url": self.endpoint,
            "region_name": self.region,
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
            "config": botocore.config.Config(
                retries={"max_attempts": 1},
                parameter_validation=validate,
                connect_timeout=10,
                read_timeout=60,
            ),
        }
        args.update(kw)
        return boto3.client("kms", **args)

    def tls_client(self, **kw: Any) -> Any:
        """The same client over HTTPS, trusting the dev CA."""
        return self.client(endpoint_url=self.tls_endpoint, verify=str(self.ca_file), **kw)

    def log_text(self) -> str:
        if self.log_file is None or not self.log_file.exists():
            return "<no log>"
        return self.log_file.read_text(errors="replace")


@dataclass
class ServerProcess:
    """One ``strongroom server --dev`` subprocess bound to a data dir; start/stop it any number of times."""

    data_dir: Path
    account_id: str = TEST_ACCOUNT_ID
    access_key_id: str = TEST_ACCESS_KEY_ID
    secret_access_key: str = TEST_SECRET_ACCESS_KEY
    extra_args: list[str] = field(default_factory=list)
    kmip: bool = False  # serve KMIP on a free port (else --kmip-port 0: dev servers start side by side)
    proc: subprocess.Popen[bytes] | None = None
    info: ServerInfo | None = None
    starts: int = 0

    def quota_args(self) -> list[str]:
        """Request-rate quotas are off unless a test sets them (AWS's 5 CreateKey/s would pace the suite)."""
        if any(a in ("--quota", "--no-quotas") for a in self.extra_args):
            return []
        return ["--no-quotas"]

    def start(self) -> ServerInfo:
        assert self.proc is None, "already running"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        port, tls_port = free_port(), free_port()
        while tls_port == port:
            tls_port = free_port()
        kmip_port = 0
        while self.kmip and kmip_port in (0, port, tls_port):
            kmip_port = free_port()
        self.starts += 1
        log_file = self.data_dir.parent / f"{self.data_dir.name}-server-{self.starts}.log"
        cmd = [
            sys.executable,
            "-m",
            "strongroom",
            "server",
            "--dev",
            "--data-dir",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--tls-port",
            str(tls_port),
            *self.quota_args(),
            *([] if "--kmip-port" in self.extra_args else ["--kmip-port", str(kmip_port)]),
            *self.extra_args,
        ]
        env = clean_env(
            STRONGROOM_DEV_ACCOUNT_ID=self.account_id,
            STRONGROOM_DEV_ACCESS_KEY_ID=self.access_key_id,
            STRONGROOM_DEV_SECRET_ACCESS_KEY=self.secret_access_key,
            PYTHONUNBUFFERED="1",
        )
        with open(log_file, "wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        info = ServerInfo(
            endpoint=f"http://127.0.0.1:{port}",
            tls_endpoint=f"https://127.0.0.1:{tls_port}",
            tls_hostport=f"127.0.0.1:{tls_port}",
            ca_file=self.data_dir / "tls" / "ca.pem",
            data_dir=self.data_dir,
            account_id=self.account_id,
            access_key_id=self.access_key_id,
            secret_access_key=self.secret_access_key,
            port=port,
            tls_port=tls_port,
            log_file=log_file,
            kmip_port=kmip_port,
            kmip_cert=self.data_dir / "tls" / "kmip-client.pem" if kmip_port else None,
            kmip_key=self.data_dir / "tls" / "kmip-client-key.pem" if kmip_port else None,
        )
        self._wait_healthy(info)
        if kmip_port:
            self._wait_listening(kmip_port)
        self.info = info
        return info

    def _wait_listening(self, port: int, timeout: float = 10.0) -> None:
        """Until ``port`` accepts connections (the KMIP listener starts with the workers, after /health)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _wait_healthy(self, info: ServerInfo) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last_error = "no attempt"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.proc = None
                pytest.fail(
                    f"strongroom server exited with code {rc} before becoming healthy:\n{info.log_text()}",
                    pytrace=False,
                )
            try:
                with urllib.request.urlopen(f"{info.endpoint}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
                    last_error = f"status {resp.status}"
            except urllib.error.HTTPError as exc:
                last_error = f"status {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                last_error = repr(exc)
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"strongroom server not healthy on {info.endpoint}/health after {STARTUP_TIMEOUT:.0f} s "
            f"(last: {last_error}); log:\n{info.log_text()}",
            pytrace=False,
        )

    def stop(self) -> int | None:
        """SIGTERM by PID, wait up to 10 s, then SIGKILL. Returns the exit code."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(STOP_TIMEOUT)
        return proc.returncode

    def restart(self) -> ServerInfo:
        self.stop()
        return self.start()


def error_code(exc: BaseException) -> str:
    return exc.response["Error"]["Code"]  # type: ignore[attr-defined]


def http_status(exc: BaseException) -> int:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"]  # type: ignore[attr-defined]


def read_json(body: bytes) -> dict[str, Any]:
    doc = json.loads(body)
    assert isinstance(doc, dict), body
    return doc


KEY_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def key_arn_re(account: str = TEST_ACCOUNT_ID, region: str = REGION) -> re.Pattern[str]:
    return re.compile(rf"^arn:aws:kms:{re.escape(region)}:{account}:key/([0-9a-f-]{{36}})$")


def key_id_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def expect_error(codes: str | set[str], fn: Any, /, *args: Any, **kwargs: Any) -> ClientError:
    """Call ``fn``; it must raise a ClientError whose code is one of ``codes`` and whose status is 4xx."""
    wanted = {codes} if isinstance(codes, str) else set(codes)
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    code = error_code(ei.value)
    assert code in wanted, f"expected {sorted(wanted)}, got {code!r}: {ei.value}"
    status = http_status(ei.value)
    assert 400 <= status < 500, f"{code} came with HTTP {status}, expected 4xx"
    return ei.value


def all_key_ids(client: Any) -> list[str]:
    ids: list[str] = []
    for page in client.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 100}):
        ids += [k["KeyId"] for k in page["Keys"]]
    return ids


# ------------------------------------------------------------------------------ raw, hand-signed requests


def sign_headers(
    target: str,
    body: bytes,
    *,
    url: str,
    access_key_id: str = TEST_ACCESS_KEY_ID,
    secret_access_key: str = TEST_SECRET_ACCESS_KEY,
    region: str = REGION,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """SigV4 headers (botocore's signer) for ``POST url`` with ``X-Amz-Target: target``.

    The Host that is signed is the one in ``url`` unless ``extra_headers`` has a ``Host``.
    """
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    if target:
        headers["X-Amz-Target"] = target
    headers.update(extra_headers or {})
    req = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(access_key_id, secret_access_key), "kms", region).add_auth(req)
    return dict(req.headers.items())


@dataclass
class RawResponse:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict[str, Any]:
        return read_json(self.body)


def raw_call(
    info: ServerInfo,
    method: str = "POST",
    path: str = "/",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    timeout: float = 15,
) -> RawResponse:
    conn = http.client.HTTPConnection("127.0.0.1", info.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return RawResponse(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def signed_call(info: ServerInfo, operation: str, payload: Any = None, **sign_kw: Any) -> RawResponse:
    """POST a signed ``TrentService.<operation>`` with a JSON ``payload`` (bytes are sent as they are)."""
    if isinstance(payload, bytes):
        body = payload
    else:
        body = json.dumps({} if payload is None else payload).encode()
    target = operation if "." in operation else f"TrentService.{operation}"
    headers = sign_headers(target, body, url=f"{info.endpoint}/", **sign_kw)
    return raw_call(info, "POST", "/", body, headers)


def assert_json_error(resp: RawResponse, code: str | set[str] | None = None) -> dict[str, Any]:
    """A 4xx answer whose body is a JSON object ``{"__type", "message"}`` (and ``__type`` in ``code``)."""
    assert 400 <= resp.status < 500, f"expected a 4xx, got {resp.status}: {resp.body[:300]!r}"
    ctype = resp.headers.get("Content-Type", "")
    assert "json" in ctype, f"error Content-Type is {ctype!r}, not JSON: {resp.body[:200]!r}"
    doc = resp.json()
    assert isinstance(doc.get("__type"), str) and doc["__type"], doc
    assert isinstance(doc.get("message"), str), f"no 'message' string in {doc}"
    if code is not None:
        wanted = {code} if isinstance(code, str) else set(code)
        got = doc["__type"].rsplit("#", 1)[-1]
        assert got in wanted, f"expected __type in {sorted(wanted)}, got {doc['__type']!r} ({doc})"
    return doc
