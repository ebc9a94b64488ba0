"""Fuzzing the Vault adapter: every Transit route and the sys paths clients use, with methods, path segments and
JSON bodies generated and mutated (wrong types, batch inputs, odd base64, unknown members, huge values). Property:
a 2xx, or Vault's ``{"errors": [...]}`` with a 4xx — never an internal error — and Transit still works afterwards.
Bounded for ``make test``: ``STRONGROOM_FUZZ_EXAMPLES`` examples per route (default 12)."""

from __future__ import annotations

import base64
import json
import os
import string
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.protocols.http import HttpRequest
from strongroom.protocols.vault.app import VaultApp
from strongroom.protocols.vault.transit import ROUTES
from tests.conftest import ACCOUNT

EXAMPLES = int(os.environ.get("STRONGROOM_FUZZ_EXAMPLES", "12"))
NAMES = ["orders", "signing", "hmac", "missing", "a/b", "..", "%2e%2e", "x" * 300]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False),
                    st.text(max_size=30), st.just(base64.b64encode(b"data").decode()), st.just("vault:v1:AAAA"),
                    st.just("vault:v999:" + base64.b64encode(b"x" * 40).decode()))
MEMBERS = ["plaintext", "ciphertext", "context", "nonce", "key_version", "batch_input", "type", "input", "signature",
           "hmac", "hash_algorithm", "signature_algorithm", "prehashed", "marshaling_algorithm", "bits", "format",
           "exportable", "allow_plaintext_backup", "derived", "convergent_encryption", "min_decryption_version",
           "min_encryption_version", "deletion_allowed", "auto_rotate_period", "min_available_version", "backup",
           "ciphertext_input", "hash_function", "associated_data", "reference", "partial_failure_response_code"]


def _body() -> st.SearchStrategy[Any]:
    batch = st.lists(st.dictionaries(st.sampled_from(MEMBERS), SCALARS, max_size=4), max_size=3)
    values = st.one_of(SCALARS, batch, st.lists(SCALARS, max_size=3))
    return st.one_of(st.dictionaries(st.sampled_from(MEMBERS), values, max_size=6),
                     st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=10), SCALARS, max_size=3),
                     st.lists(SCALARS, max_size=2), SCALARS)


def _path(pattern: str) -> st.SearchStrategy[str]:
    parts = [st.sampled_from(NAMES) if part.startswith(":") else st.just(part) for part in pattern.split("/")]
    return st.tuples(*parts).map(lambda segments: "/v1/transit/" + "/".join(segments))


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VaultApp, str]]:
    from strongroom.trust.key_file import create_root_key_file
    from tests.conftest import open_core

    data_dir = tmp_path_factory.mktemp("vault-fuzz")
    create_root_key_file(data_dir / "root.key")
    core = open_core(data_dir)
    app = VaultApp(core)
    root = core.tokens.issue(ACCOUNT, policies=("root",), ttl=0).token
    _call(app, root, "POST", "/v1/sys/mounts/transit", {"type": "transit"})
    for name, kind in (("orders", "aes256-gcm96"), ("signing", "ecdsa-p256"), ("hmac", "hmac")):
        _call(app, root, "POST", f"/v1/transit/keys/{name}", {"type": kind})
    yield app, root
    core.close()


def _call(app: VaultApp, token: str, method: str, path: str, body: Any) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    request = HttpRequest(method, path, "", {"x-vault-token": token, "content-type": "application/json"}, data,
                          "127.0.0.1", False)
    response = app.handle(request)
    return response.status, response.body


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.pattern}:{r.operation}")
def test_every_route_answers_cleanly_whatever_it_is_sent(vault, route) -> None:  # type: ignore[no-untyped-def]
    app, root = vault

    @settings(max_examples=EXAMPLES, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(st.sampled_from(["GET", "POST", "PUT", "DELETE", "LIST", "PATCH"]), _path(route.pattern), _body())
    def one(method: str, path: str, body: Any) -> None:
        if "backup" in path or "export" in path:
            method = "GET"
        status, raw = _call(app, root, method, path, body)
        if status == 204:
            return
        document = orjson.loads(raw)
        if status < 300:
            assert isinstance(document, dict)
            return
        assert 400 <= status < 500, (status, document, method, path, body)
        assert isinstance(document.get("errors"), list), document

    one()


def test_transit_still_works_afterwards(vault) -> None:  # type: ignore[no-untyped-def]
    app, root = vault
    _call(app, root, "POST", "/v1/transit/keys/after", {})
    status, sealed = _call(app, root, "POST", "/v1/transit/encrypt/after",
                           {"plaintext": base64.b64encode(b"still").decode()})
    assert status == 200
    ciphertext = orjson.loads(sealed)["data"]["ciphertext"]
    status, opened = _call(app, root, "POST", "/v1/transit/decrypt/after", {"ciphertext": ciphertext})
    assert status == 200 and base64.b64decode(orjson.loads(opened)["data"]["plaintext"]) == b"still"
