"""The image and compose files, read without a container engine (none runs on this machine): the Dockerfile's
promises (slim base, non-root user, data volume, health check, no --dev by default), compose's services and
variables, and the gateway's view of the nodes."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

from strongroom.cli.environment import options, variable_name
from strongroom.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]
DEV_VARIABLES = {"STRONGROOM_DEV_ACCOUNT_ID", "STRONGROOM_DEV_ACCESS_KEY_ID", "STRONGROOM_DEV_SECRET_ACCESS_KEY",
                 "STRONGROOM_DEV_VAULT_TOKEN"}


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def _known_variables() -> set[str]:
    parser = build_parser()
    server = parser._subparsers._group_actions[0].choices["server"]  # type: ignore[union-attr]
    return {variable_name(action) for action in options(server) + options(parser)} | DEV_VARIABLES


def _env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for kind, rest in instructions:
        if kind == "ENV":
            env.update(part.split("=", 1) for part in shlex.split(rest))
    return env


def test_the_dockerfile_keeps_its_promises() -> None:
    instructions = _instructions()
    kinds = [kind for kind, _ in instructions]
    assert re.fullmatch(r"python:3\.1[1-9]-slim", dict(instructions)["FROM"])
    user = [rest for kind, rest in instructions if kind == "USER"]
    assert user and not user[-1].startswith(("root", "0"))
    assert kinds.index("USER") > max(i for i, kind in enumerate(kinds) if kind == "RUN"), "RUN steps after USER"
    env = _env(instructions)
    assert '"' + env["STRONGROOM_DATA_DIR"] + '"' in dict(instructions)["VOLUME"]
    assert set(env) - {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PIP_NO_CACHE_DIR",
                       "PIP_DISABLE_PIP_VERSION_CHECK"} <= _known_variables()
    assert "STRONGROOM_DEV" not in env and "--dev" not in dict(instructions)["CMD"]
    health = dict(instructions)["HEALTHCHECK"]
    assert "strongroom-entrypoint" in health and "health" in health
    assert dict(instructions)["ENTRYPOINT"] == '["strongroom-entrypoint"]'
    assert set(dict(instructions)["EXPOSE"].split()) == {"8080", "8443", "5696"}


def test_everything_the_dockerfile_copies_exists_and_is_not_ignored() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for kind, rest in _instructions():
        if kind == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.split("/")[0] not in ignored, f"{source} is in .dockerignore"


def test_compose_runs_two_nodes_over_postgres_behind_one_gateway() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "init", "node1", "node2", "gateway"} <= set(services)
    for name in ("node1", "node2"):
        node = services[name]
        assert node["command"] == ["server", "--dev"]
        assert node["environment"]["STRONGROOM_DATABASE"].startswith("postgresql://")
        assert set(node["environment"]) <= _known_variables()
        assert "tls:/var/lib/strongroom/tls" in node["volumes"] and "shared:/shared:ro" in node["volumes"]
        assert node["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["node2"]["depends_on"]["node1"]["condition"] == "service_healthy"
    assert services["init"]["command"][:2] == ["init-shared", "/shared"]
    assert all(port.startswith("127.0.0.1:") for port in services["gateway"]["ports"])
    gateway = (ROOT / "docker" / "haproxy.cfg").read_text()
    for port in ("8080", "8443", "5696"):
        assert f"bind :{port}" in gateway
        assert f"server node1 node1:{port}" in gateway and f"server node2 node2:{port}" in gateway
