"""A Transit call is authorized for its own action: a token whose owner may only encrypt and decrypt with a key
(identity policy) can do exactly that through the Vault adapter, and is refused the key's description."""

import base64
import json

import orjson

from strongroom.protocols.http import HttpRequest
from strongroom.protocols.vault.app import VaultApp

ACCOUNT_ID = "111122223333"


def call(app: VaultApp, token: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    request = HttpRequest(method, path, "", {"x-vault-token": token, "content-type": "application/json"},
                          orjson.dumps(body) if body is not None else b"", "127.0.0.1", False)
    response = app.handle(request)
    return response.status, orjson.loads(response.body) if response.body else {}


def test_encrypt_and_decrypt_need_only_their_own_permissions(core):
    app = VaultApp(core)
    root = core.tokens.issue(ACCOUNT_ID, policies=("root",), ttl=0).token
    assert call(app, root, "POST", "/v1/sys/mounts/transit", {"type": "transit"})[0] == 204
    assert call(app, root, "POST", "/v1/transit/keys/orders", {})[0] in (200, 204)
    core.principals.create_user(ACCOUNT_ID, "app")
    core.principals.put_user_policy(ACCOUNT_ID, "app", "use", json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:Decrypt"], "Resource": "*"}]}))
    assert call(app, root, "PUT", "/v1/sys/policies/acl/transit-use",
                {"policy": 'path "transit/*" { capabilities = ["read", "update"] }'})[0] == 204
    token = core.tokens.issue(ACCOUNT_ID, "app", policies=("transit-use",)).token

    status, sealed = call(app, token, "POST", "/v1/transit/encrypt/orders",
                          {"plaintext": base64.b64encode(b"order 17").decode()})
    assert status == 200, sealed
    status, opened = call(app, token, "POST", "/v1/transit/decrypt/orders",
                          {"ciphertext": sealed["data"]["ciphertext"]})
    assert status == 200 and base64.b64decode(opened["data"]["plaintext"]) == b"order 17"
    assert call(app, token, "GET", "/v1/transit/keys/orders")[0] == 403  # no kms:DescribeKey
    status, refused = call(app, token, "POST", "/v1/transit/hmac/orders", {"input": "aGk="})
    assert status == 403, refused  # no kms:GenerateMac
