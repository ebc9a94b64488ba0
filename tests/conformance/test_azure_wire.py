"""The Azure surface of a real server process over TLS, at the wire: the bearer challenge, refused tokens,
malformed input and unknown versions answer Key Vault's own errors with their statuses, and the server's audit
trail (read with ``strongroom audit list``) records each."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest
from kms_harness import ServerInfo, ServerProcess, clean_env
from test_azure_mongocrypt import create_app, rest, token_for


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("azure-wire") / "data", extra_args=["--workers", "2"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


@pytest.fixture(scope="module")
def token(server: ServerInfo) -> str:
    return token_for(server, create_app(server))


def audit(server: ServerInfo, event: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "strongroom", "audit", "list", "--json", "--event", event,
                          "--data-dir", str(server.data_dir)], capture_output=True, text=True, env=clean_env(),
                         check=True, timeout=60).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_no_token_is_the_challenge(server: ServerInfo) -> None:
    import ssl
    import urllib.request

    request = urllib.request.Request(f"{server.tls_endpoint}/keys/k/create?api-version=7.4", data=b"",
                                     method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, context=ssl.create_default_context(cafile=str(server.ca_file)), timeout=30)
    assert caught.value.code == 401
    assert caught.value.headers["WWW-Authenticate"] == (f'Bearer authorization="https://{server.tls_hostport}", '
                                                        'resource="https://vault.azure.net"')
    assert json.loads(caught.value.read())["error"]["code"] == "Unauthorized"
    assert audit(server, "CreateKey")[-1]["errorCode"] == "Unauthorized"


def test_a_forged_token_is_unauthorized_and_audited(server: ServerInfo, token: str) -> None:
    header, claims, signature = token.split(".")
    forged = f"{header}.{claims}.{signature[::-1]}"
    status, body = rest(server, "GET", "/keys?api-version=7.4", token=forged)
    assert status == 401 and body["error"]["code"] == "Unauthorized"
    assert audit(server, "GetKeys")[-1]["errorCode"] == "Unauthorized"


def test_malformed_json_unknown_and_disabled_versions(server: ServerInfo, token: str) -> None:
    status, body = rest(server, "POST", "/keys/wire/create?api-version=7.4", {"kty": "RSA"}, token)
    assert status == 200
    version = body["key"]["kid"].rsplit("/", 1)[1]
    status, body = rest(server, "POST", "/keys/wire//wrapkey?api-version=7.4", form=b"{oops", token=token)
    assert status == 400 and body["error"]["code"] == "BadParameter"
    status, body = rest(server, "POST", f"/keys/wire/{'f' * 32}/unwrapkey?api-version=7.4",
                        {"alg": "RSA-OAEP", "value": "AAAA"}, token)
    assert status == 404 and body["error"]["code"] == "KeyNotFound"
    status, _ = rest(server, "PATCH", f"/keys/wire/{version}?api-version=7.4", {"attributes": {"enabled": False}},
                     token)
    assert status == 200
    status, body = rest(server, "POST", f"/keys/wire/{version}/wrapkey?api-version=7.4",
                        {"alg": "RSA-OAEP", "value": "AAAAAAAAAAAAAAAAAAAAAA"}, token)
    assert status == 403 and body["error"]["innererror"]["code"] == "KeyDisabled"
    assert [e["errorCode"] for e in audit(server, "WrapKey")][-2:] == ["BadParameter", "Forbidden"]
    unwrap = audit(server, "UnwrapKey")[-1]
    assert unwrap["errorCode"] == "KeyNotFound" and unwrap["additionalEventData"]["protocol"] == "azure"
