"""compose.yaml's cluster played without a container engine: the image's entry point (docker/entrypoint.sh) runs
``init`` and the two nodes as processes on loopback, with the environment compose gives them (PostgreSQL from the
test cluster instead of the ``postgres`` service, each node's DATA_DIR/tls the shared ``tls`` volume). A key made
through one node is used through the other; each node's health check passes; a KMIP client certificate of one
node is accepted by the other (one CA)."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from kms_harness import clean_env, free_port

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"


def _image_path() -> str:
    """PATH as the image has it: ``strongroom`` and ``python3`` of this interpreter's environment first."""
    import sys
    return f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"


def _entrypoint(*args: str, env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=60, **kw)


class Node:
    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.env, self.log = name, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(["sh", str(ENTRYPOINT), "server", "--dev"], env=self.env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while _entrypoint("health", env=self.env).returncode != 0:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, f"{self.name} never became healthy:\n{self.log.read_text()}"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def cluster(tmp_path: Path, postgres_dsn: str) -> Iterator[dict[str, Node]]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    shared = tmp_path / "shared"  # the `shared` volume, with the `tls` volume inside, as `init` mounts them
    base = clean_env(PATH=_image_path())
    made = _entrypoint("init-shared", str(shared), "gateway", "node1", "node2", env=base)
    assert made.returncode == 0, made.stderr
    assert (shared / "root.key").stat().st_mode & 0o077 == 0
    nodes: dict[str, Node] = {}
    try:
        for name in ("node1", "node2"):
            data = tmp_path / name
            data.mkdir()
            (data / "tls").symlink_to(shared / "tls")  # the `tls` volume at DATA_DIR/tls
            env = {**base, **{k: str(v) for k, v in compose["services"][name]["environment"].items()}}
            env.update(STRONGROOM_DATABASE=postgres_dsn, STRONGROOM_ROOT_KEY_FILE=str(shared / "root.key"),
                       STRONGROOM_DATA_DIR=str(data), STRONGROOM_HOST="127.0.0.1", STRONGROOM_WORKERS="1",
                       STRONGROOM_PORT=str(free_port()), STRONGROOM_TLS_PORT=str(free_port()),
                       STRONGROOM_KMIP_PORT=str(free_port()))  # loopback ports of our own: both run on one host
            nodes[name] = Node(name, env, tmp_path / f"{name}.log")
        nodes["node1"].start()
        nodes["node1"].wait_healthy()
        nodes["node2"].start()  # compose starts it once node1 is healthy
        nodes["node2"].wait_healthy()
        yield nodes
    finally:
        for node in nodes.values():
            node.stop()


def _kms(node: Node) -> Any:
    env = node.env
    return boto3.client("kms", endpoint_url=f"https://127.0.0.1:{env['STRONGROOM_TLS_PORT']}", region_name="us-east-1",
                        aws_access_key_id=env["STRONGROOM_DEV_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["STRONGROOM_DEV_SECRET_ACCESS_KEY"],
                        verify=str(Path(env["STRONGROOM_DATA_DIR"]) / "tls" / "ca.pem"))


def test_a_key_made_through_one_node_is_used_through_the_other(cluster: dict[str, Node]) -> None:
    first, second = _kms(cluster["node1"]), _kms(cluster["node2"])
    key_id = first.create_key(Description="compose")["KeyMetadata"]["KeyId"]
    blob = first.encrypt(KeyId=key_id, Plaintext=b"one cluster")["CiphertextBlob"]
    assert second.decrypt(CiphertextBlob=blob)["Plaintext"] == b"one cluster"
    assert second.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "compose"


def test_the_dev_kmip_certificate_of_one_node_is_accepted_by_the_other(cluster: dict[str, Node]) -> None:
    tls_dir = Path(cluster["node1"].env["STRONGROOM_DATA_DIR"]) / "tls"
    context = ssl.create_default_context(cafile=str(tls_dir / "ca.pem"))
    context.load_cert_chain(str(tls_dir / "kmip-client.pem"), str(tls_dir / "kmip-client-key.pem"))
    port = int(cluster["node2"].env["STRONGROOM_KMIP_PORT"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            context.wrap_socket(raw, server_hostname="node2") as conn:
        assert conn.version() in ("TLSv1.2", "TLSv1.3")


def test_the_health_check_fails_when_nothing_answers(tmp_path: Path) -> None:
    down = _entrypoint("health", env=clean_env(PATH=_image_path(), STRONGROOM_PORT=str(free_port())))
    assert down.returncode == 1 and "unhealthy" in down.stderr


def test_other_commands_go_to_strongroom(tmp_path: Path) -> None:
    shown = _entrypoint("server", "--help", env=clean_env(PATH=_image_path()))
    assert shown.returncode == 0 and "[env STRONGROOM_KMIP_PORT]" in shown.stdout
    listed = _entrypoint("accounts", "--help", env=clean_env(PATH=_image_path()))
    assert listed.returncode == 0 and "create" in listed.stdout
