"""The token endpoint and bearer authentication of the Google adapter, and the audit event every request leaves
(refused ones too)."""

from __future__ import annotations

import base64
import json

import jwt

from strongroom.domain.audit import AuditFilter
from strongroom.protocols.gcp.token import GRANT_TYPE
from tests.protocols.gcp.gcp_helpers import PROJECT, RING, Client, make_account, token_request

LIST = f"projects/{PROJECT}/locations/global/keyRings"


def _events(core):
    core.audit.flush()
    return [e.event.record for e in core.audit.all(AuditFilter()) if e.event.record["eventSource"] ==
            "cloudkms.strongroom"]




def test_token_grant_with_google_auths_assertion(app, account, clock, core):
    answer = token_request(app, {"grant_type": GRANT_TYPE, "assertion": account.assertion(clock.now())})
    assert answer.status == 200
    body = json.loads(answer.body)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert Client(app, body["access_token"]).ok("GET", LIST) == {"keyRings": [], "totalSize": 0}
    event = _events(core)[-2]
    assert event["eventName"] == "GenerateAccessToken" and "errorCode" not in event
    assert event["additionalEventData"]["protocol"] == "gcp"
    assert body["access_token"] not in json.dumps(_events(core))


def test_token_grant_with_a_padded_assertion_for_the_host(app, account, clock):
    """libmongocrypt's form: aud https://<host without port>/token, every segment padded, signed as sent."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    def seg(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode()  # keeps the padding

    header = seg(b'{"alg":"RS256","typ":"JWT"}')
    claims = seg(json.dumps({"iss": account.email, "aud": "https://127.0.0.1/token", "scope": "x",
                             "iat": int(clock.now()), "exp": int(clock.now()) + 300}).encode() + b" ")
    key = serialization.load_pem_private_key(account.private_key_pem.encode(), None)
    signature = key.sign(f"{header}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    assertion = f"{header}.{claims}.{seg(signature)}"
    assert "=" in assertion
    answer = token_request(app, {"grant_type": GRANT_TYPE, "assertion": assertion})
    assert answer.status == 200, answer.body


def test_token_errors_are_oauth_errors_and_audited(app, account, clock, core):
    cases = [
        ({"grant_type": "client_credentials", "assertion": "x"}, "unsupported_grant_type"),
        ({"grant_type": GRANT_TYPE}, "invalid_request"),
        ({"grant_type": GRANT_TYPE, "assertion": "not.a.jwt"}, "invalid_grant"),
        ({"grant_type": GRANT_TYPE, "assertion": account.assertion(clock.now(), aud="https://evil/token")},
         "invalid_grant"),
        ({"grant_type": GRANT_TYPE, "assertion": account.assertion(clock.now() - 7200)}, "invalid_grant"),
        ({"grant_type": GRANT_TYPE, "assertion": account.assertion(clock.now(), lifetime=7200)}, "invalid_grant"),
    ]
    for form, error in cases:
        answer = token_request(app, form)
        body = json.loads(answer.body)
        assert (answer.status, body["error"]) == (400, error), body
        assert body["error_description"]
    events = _events(core)[-len(cases):]
    assert [e["errorCode"] for e in events] == [error for _, error in cases]
    assert all(e["eventName"] == "GenerateAccessToken" for e in events)


def test_a_forged_assertion_is_refused(app, account, clock, core, ctx):
    other = make_account(core, ctx.caller.account_id, "app-two@proj.iam.gserviceaccount.com")
    forged = jwt.encode({"iss": account.email, "aud": "https://oauth2.googleapis.com/token", "iat": int(clock.now()),
                         "exp": int(clock.now()) + 60}, other.private_key_pem, algorithm="RS256")
    answer = token_request(app, {"grant_type": GRANT_TYPE, "assertion": forged})
    assert answer.status == 400 and json.loads(answer.body)["error"] == "invalid_grant"
    client = Client(app, forged)
    assert client.error(401, "UNAUTHENTICATED", "GET", LIST)


def test_bearer_problems_are_401_and_audited(app, account, clock, core):
    client = Client(app, "")
    message = client.error(401, "UNAUTHENTICATED", "GET", LIST)
    assert "credentials" in message
    response = client.raw("GET", f"/v1/{LIST}")
    assert ("WWW-Authenticate", 'Bearer realm="https://accounts.google.com/"') in response.headers
    Client(app, "garbage").error(401, "UNAUTHENTICATED", "GET", LIST)
    Client(app, account.self_signed(clock.now() - 7200)).error(401, "UNAUTHENTICATED", "GET", LIST)
    token = json.loads(token_request(app, {"grant_type": GRANT_TYPE,
                                           "assertion": account.assertion(clock.now())}).body)["access_token"]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    Client(app, tampered).error(401, "UNAUTHENTICATED", "GET", LIST)
    Client(app, token).ok("GET", LIST)
    clock.advance(3700)
    Client(app, token).error(401, "UNAUTHENTICATED", "GET", LIST)
    events = [e for e in _events(core) if e["eventName"] == "ListKeyRings"]
    assert [e.get("errorCode") for e in events] == ["UNAUTHENTICATED"] * 5 + [None, "UNAUTHENTICATED"]
    assert events[0]["requestParameters"] == {"name": LIST} and events[0]["userIdentity"] == {"type": "Unknown"}


def test_a_deleted_service_account_loses_its_tokens(app, account, clock, core):
    token = json.loads(token_request(app, {"grant_type": GRANT_TYPE,
                                           "assertion": account.assertion(clock.now())}).body)["access_token"]
    Client(app, token).ok("GET", LIST)
    core.workload_identities.delete(account.email)
    Client(app, token).error(401, "UNAUTHENTICATED", "GET", LIST)


def test_another_accounts_token_cannot_reach_this_project(app, client, ring, core, clock):
    stranger = make_account(core, "444455556666", "stranger@elsewhere.iam.gserviceaccount.com", "elsewhere")
    other = Client(app, stranger.self_signed(clock.now()))
    assert "Permission denied" in other.error(403, "PERMISSION_DENIED", "GET", RING)
    # Its own project with the same ring name is its own, empty namespace.
    other.error(404, "NOT_FOUND", "GET", "projects/elsewhere/locations/global/keyRings/ring")
    event = _events(core)[-1]
    assert event["userIdentity"]["accountId"] == "444455556666" and event["errorCode"] == "NOT_FOUND"
    assert _events(core)[-2]["errorCode"] == "PERMISSION_DENIED"


def test_malformed_json_and_unknown_routes(client, ring, core):
    response = client.raw("POST", f"/v1/{RING}/cryptoKeys", b"{not json", "cryptoKeyId=k")
    assert response.status == 400 and json.loads(response.body)["error"]["status"] == "INVALID_ARGUMENT"
    response = client.raw("POST", f"/v1/{RING}/cryptoKeys", b"[1, 2]", "cryptoKeyId=k")
    assert response.status == 400
    client.error(404, "NOT_FOUND", "DELETE", RING)
    client.error(400, "INVALID_ARGUMENT", "GET", "projects/proj/zones/x")
    client.error(400, "INVALID_ARGUMENT", "POST", f"projects/{PROJECT}/locations/global/keyRings", {},
                 keyRingId="bad id!")
    events = _events(core)[-5:]
    assert [e["errorCode"] for e in events] == ["INVALID_ARGUMENT", "INVALID_ARGUMENT", "NOT_FOUND",
                                                "INVALID_ARGUMENT", "INVALID_ARGUMENT"]
    assert events[0]["eventName"] == "CreateCryptoKey"


def test_audit_names_the_key_and_version_and_never_the_data(client, ring, core):
    from tests.protocols.gcp.gcp_helpers import b64

    client.ok("POST", f"{ring}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT"}, cryptoKeyId="audited")
    client.ok("POST", f"{ring}/cryptoKeys/audited:encrypt", {"plaintext": b64(b"top secret plaintext"),
                                                             "additionalAuthenticatedData": b64(b"aad-value")})
    event = _events(core)[-1]
    assert event["eventName"] == "Encrypt" and event["resources"][0]["ARN"].startswith("arn:aws:kms:us-east-1:")
    assert event["additionalEventData"] == {"protocol": "gcp", "keyVersion": 1}
    text = json.dumps(event)
    assert b64(b"top secret plaintext") not in text and b64(b"aad-value") not in text
    assert event["requestParameters"]["name"].endswith("cryptoKeys/audited:encrypt")


def test_sealed_core_answers_503(app, client, core):
    core.seal()
    client.error(503, "UNAVAILABLE", "GET", LIST)


def test_over_the_quota_is_429_resource_exhausted(data_dir, clock, ctx):
    from strongroom.protocols.gcp.app import GcpApp
    from strongroom.service.core import Core
    from strongroom.service.quotas import Quotas
    from strongroom.storage.sqlite import SqliteStore
    from strongroom.trust.key_file import FileRootOfTrust
    from tests.protocols.gcp.gcp_helpers import b64

    core = Core(SqliteStore(data_dir / "strongroom.db"), FileRootOfTrust(data_dir / "root.key"), clock,
                quotas=Quotas({"symmetric": 1.0}))
    try:
        account = make_account(core, ctx.caller.account_id)
        client = Client(GcpApp(core, "us-east-1"), account.self_signed(clock.now()))
        client.ok("POST", LIST, {}, keyRingId="ring")
        client.ok("POST", f"{RING}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT"}, cryptoKeyId="k")
        client.ok("POST", f"{RING}/cryptoKeys/k:encrypt", {"plaintext": b64(b"x")})
        client.error(429, "RESOURCE_EXHAUSTED", "POST", f"{RING}/cryptoKeys/k:encrypt", {"plaintext": b64(b"x")})
        assert _events(core)[-1]["errorCode"] == "RESOURCE_EXHAUSTED"
    finally:
        core.close()


def test_a_principal_without_permission_is_403_permission_denied(app, client, ring, core, ctx, clock):
    from strongroom.domain.workload_identities import GCP_SERVICE_ACCOUNT
    from tests.protocols.gcp.gcp_helpers import ServiceAccount, b64

    client.ok("POST", f"{ring}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT"}, cryptoKeyId="k")
    core.principals.create_user(ctx.caller.account_id, "reader")
    core.principals.put_user_policy(ctx.caller.account_id, "reader", "decrypt-only", json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}]}))
    made = core.workload_identities.create_key_client(GCP_SERVICE_ACCOUNT, ctx.caller.account_id, "reader",
                                                      identity_id="reader@proj.iam.gserviceaccount.com",
                                                      tenant=PROJECT)
    reader = Client(app, ServiceAccount(made.identity.identity_id, made.identity.key_id or "",
                                        made.private_key_pem).self_signed(clock.now()))
    sealed = client.ok("POST", f"{ring}/cryptoKeys/k:encrypt", {"plaintext": b64(b"x")})
    assert "kms:Encrypt" in reader.error(403, "PERMISSION_DENIED", "POST", f"{ring}/cryptoKeys/k:encrypt",
                                         {"plaintext": b64(b"x")})
    reader.error(403, "PERMISSION_DENIED", "POST", f"{ring}/cryptoKeys", {"purpose": "ENCRYPT_DECRYPT"},
                 cryptoKeyId="k2")
    assert reader.ok("POST", f"{ring}/cryptoKeys/k:decrypt", {"ciphertext": sealed["ciphertext"]})["plaintext"]
    event = _events(core)[-2]
    assert event["errorCode"] == "PERMISSION_DENIED" and event["userIdentity"]["userName"] == "reader"
