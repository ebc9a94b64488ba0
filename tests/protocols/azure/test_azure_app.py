"""The Azure adapter in process, over a real core: the token endpoint and its errors, the bearer challenge, the
Key Vault operations' validation and error mapping, vaults as name spaces, and one audit event per request."""

from __future__ import annotations

import base64
import hashlib

import orjson
import pytest

from strongroom.domain.audit import AuditFilter
from strongroom.protocols.azure.request import API_VERSIONS
from tests.conftest import ACCOUNT, make_ctx
from tests.protocols.azure.conftest import HOST, AzureClient, register


def b64(data: bytes, padded: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode()
    return text if padded else text.rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def events(core, name: str) -> list[dict]:
    return [orjson.loads(e.record_json) for e in core.audit.query(AuditFilter(event_name=name))]


# --- the identity platform ------------------------------------------------------------------------------------


def test_token_answers_what_libmongocrypt_and_msal_read(core, client: AzureClient) -> None:
    answer = client.get_token()
    body = orjson.loads(answer.body)
    assert answer.status == 200 and body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert ("Cache-Control", "no-store") in answer.headers
    recorded = events(core, "Token")[-1]
    assert recorded["additionalEventData"]["protocol"] == "azure" and "errorCode" not in recorded
    assert body["access_token"] not in orjson.dumps(recorded).decode()
    assert client.client_secret not in orjson.dumps(recorded).decode()


def test_token_takes_the_raw_unencoded_form_libmongocrypt_sends(client: AzureClient) -> None:
    form = (f"client_id={client.client_id}&scope=https%3A%2F%2F0.0.1%2F.default&client_secret="
            f"{client.client_secret}&grant_type=client_credentials")
    answer = client.raw("POST", f"/{client.tenant}/oauth2/v2.0/token", form.encode(), "")
    assert answer.status == 200 and orjson.loads(answer.body)["access_token"]


@pytest.mark.parametrize("form,status,error,code", [
    ("grant_type=client_credentials&client_id={id}&client_secret=wrong", 401, "invalid_client", 7000215),
    ("grant_type=client_credentials&client_id=00000000-0000-0000-0000-000000000000&client_secret=x", 400,
     "unauthorized_client", 700016),
    ("grant_type=password&client_id={id}&client_secret={secret}", 400, "unsupported_grant_type", 70003),
    ("grant_type=client_credentials&client_secret={secret}", 400, "invalid_request", 900144),
    ("grant_type=client_credentials&client_id={id}", 401, "invalid_client", 7000216),
    ("client_id={id}&client_secret={secret}", 400, "invalid_request", 900144),
])
def test_token_errors_are_the_identity_platforms(core, client: AzureClient, form: str, status: int, error: str,
                                                 code: int) -> None:
    body = form.format(id=client.client_id, secret=client.client_secret).encode()
    answer = client.raw("POST", f"/{client.tenant}/oauth2/v2.0/token", body, "")
    found = orjson.loads(answer.body)
    assert answer.status == status and found["error"] == error and found["error_codes"] == [code]
    assert found["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(found)
    assert events(core, "Token")[-1]["errorCode"] == error


def test_token_in_another_tenant_is_refused(client: AzureClient) -> None:
    answer = client.get_token(tenant="11111111-2222-3333-4444-555555555555")
    assert answer.status == 400 and orjson.loads(answer.body)["error"] == "unauthorized_client"


def test_openid_configuration_names_this_server(client: AzureClient) -> None:
    answer = client.raw("GET", f"/{client.tenant}/v2.0/.well-known/openid-configuration", query="")
    body = orjson.loads(answer.body)
    assert answer.status == 200
    assert body["token_endpoint"] == f"https://{HOST}/{client.tenant}/oauth2/v2.0/token"
    assert body["issuer"] == f"https://{HOST}/{client.tenant}/v2.0"
    assert body["authorization_endpoint"] and body["device_authorization_endpoint"]


# --- the bearer challenge and tokens -------------------------------------------------------------------------


def test_no_token_gets_the_challenge_before_the_body_is_read(core, client: AzureClient) -> None:
    answer = client.call("POST", "/keys/k/create", token="")  # no body, as the SDK's first request
    assert answer.status == 401 and answer.code == "Unauthorized"
    assert answer.headers["WWW-Authenticate"] == (f'Bearer authorization="https://{HOST}", '
                                                  'resource="https://vault.azure.net"')
    assert events(core, "CreateKey")[-1]["errorCode"] == "Unauthorized"


def test_a_refused_token_names_its_tenant_in_the_challenge(core, client: AzureClient, clock) -> None:
    clock.advance(3600 + 61)
    answer = client.call("GET", "/keys/k")
    assert answer.status == 401 and answer.body["error"]["innererror"]["code"] == "TokenExpired"
    assert answer.headers["WWW-Authenticate"].startswith(f'Bearer authorization="https://{HOST}/{client.tenant}"')
    assert events(core, "GetKey")[-1]["errorCode"] == "Unauthorized"


@pytest.mark.parametrize("token", ["not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"])
def test_a_malformed_or_forged_token_is_unauthorized(core, client: AzureClient, token: str) -> None:
    answer = client.call("GET", "/keys/k", token=token)
    assert answer.status == 401 and answer.code == "Unauthorized" and "WWW-Authenticate" in answer.headers
    recorded = events(core, "GetKey")[-1]
    assert recorded["errorCode"] == "Unauthorized" and recorded["userIdentity"] == {"type": "Unknown"}


def test_a_token_signed_with_another_apps_key_is_unauthorized(core, app, client: AzureClient) -> None:
    other = register(core, app).login()
    header, claims, _ = client.token.split(".")
    _, _, other_signature = other.token.split(".")
    answer = client.call("GET", "/keys", token=f"{header}.{claims}.{other_signature}")
    assert answer.status == 401 and answer.code == "Unauthorized"
    assert events(core, "GetKeys")[-1]["errorCode"] == "Unauthorized"


def test_a_deleted_apps_token_stops_working(core, client: AzureClient) -> None:
    assert client.call("GET", "/keys").status == 200
    core.workload_identities.delete(client.client_id)
    assert client.call("GET", "/keys").status == 401


def test_a_token_of_another_account_does_not_see_the_key(core, app, client: AzureClient) -> None:
    assert client.call("POST", "/keys/shared/create", {"kty": "RSA"}).status == 200
    core.principals.create_account("444455556666")
    other = register(core, app, account="444455556666").login()
    answer = other.call("POST", "/keys/shared//wrapkey", {"alg": "RSA-OAEP-256", "value": b64(b"k" * 32)})
    assert answer.status == 404 and answer.code == "KeyNotFound"
    recorded = events(core, "WrapKey")[-1]
    assert recorded["errorCode"] == "KeyNotFound" and recorded["recipientAccountId"] == "444455556666"


def test_a_principal_without_permission_is_forbidden(core, app, client: AzureClient) -> None:
    assert client.call("POST", "/keys/guarded/create", {"kty": "RSA"}).status == 200
    core.principals.create_user(ACCOUNT, "alice")
    alice = register(core, app, user="alice").login()
    for method, path, body in [("GET", "/keys/guarded", None), ("POST", "/keys/new/create", {"kty": "EC"}),
                               ("POST", "/keys/guarded//unwrapkey", {"alg": "RSA-OAEP", "value": b64(b"x" * 256)})]:
        answer = alice.call(method, path, body)
        assert answer.status == 403 and answer.code == "Forbidden", (path, answer.body)
    assert events(core, "UnwrapKey")[-1]["errorCode"] == "Forbidden"
    assert events(core, "UnwrapKey")[-1]["userIdentity"]["userName"] == "alice"


# --- requests ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", sorted(API_VERSIONS))
def test_every_api_version_is_accepted(client: AzureClient, version: str) -> None:
    assert client.call("GET", "/keys", query=f"api-version={version}").status == 200


@pytest.mark.parametrize("query", ["", "api-version=", "api-version=9.9"])
def test_a_missing_or_unknown_api_version_is_bad_parameter(client: AzureClient, query: str) -> None:
    answer = client.call("GET", "/keys", query=query)
    assert answer.status == 400 and answer.code == "BadParameter"


def test_malformed_json_is_bad_parameter_and_audited(core, client: AzureClient) -> None:
    response = client.raw("POST", "/keys/k/create", b"{not json", headers={"authorization": f"Bearer {client.token}"})
    assert response.status == 400 and orjson.loads(response.body)["error"]["code"] == "BadParameter"
    assert events(core, "CreateKey")[-1]["errorCode"] == "BadParameter"


@pytest.mark.parametrize("body,message", [
    ({"kty": "DSA"}, "Invalid kty"), ({"kty": "RSA", "key_size": 1024}, "key size"),
    ({"kty": "EC", "crv": "P-256K"}, "curve"), ({"kty": "oct-HSM", "key_size": 192}, "key size"),
    ({"kty": "RSA", "key_ops": ["fly"]}, "key operation"), ({"kty": "RSA", "tags": {"a": 1}}, "tags"),
    ({}, "kty"), ({"kty": "RSA", "attributes": {"exportable": True}}, "release policy"),
])
def test_create_validates_its_input(client: AzureClient, body: dict, message: str) -> None:
    answer = client.call("POST", "/keys/k/create", body)
    assert answer.status == 400 and answer.code == "BadParameter" and message in answer.body["error"]["message"]


def test_a_bad_key_name_and_an_unknown_path(client: AzureClient) -> None:
    assert client.call("GET", "/keys/bad_name").code == "BadParameter"
    assert client.call("GET", "/keys/k/v/nonsense").status == 404
    assert client.call("GET", "/keys/k/v/nonsense", token="").status == 401  # the challenge comes first


@pytest.fixture
def rsa(client: AzureClient) -> dict:
    return client.call("POST", "/keys/rsa/create", {"kty": "RSA-HSM", "key_ops": ["wrapKey", "unwrapKey"]}).body


def test_unwrap_takes_padded_and_unpadded_base64url(client: AzureClient, rsa: dict) -> None:
    wrapped = client.call("POST", "/keys/rsa//wrapkey", {"alg": "RSA-OAEP-256", "value": b64(b"d" * 96)}).body
    raw = unb64(wrapped["value"])
    for padded in (False, True):
        answer = client.call("POST", "/keys/rsa//unwrapkey", {"alg": "RSA-OAEP-256", "value": b64(raw, padded)})
        assert answer.status == 200 and unb64(answer.body["value"]) == b"d" * 96
    bad = client.call("POST", "/keys/rsa//unwrapkey", {"alg": "RSA-OAEP-256", "value": "a+b/"})
    assert bad.status == 400 and bad.code == "BadParameter"


def test_unwrap_failures_are_opaque_and_audited(core, client: AzureClient, rsa: dict) -> None:
    answer = client.call("POST", "/keys/rsa//unwrapkey", {"alg": "RSA-OAEP-256", "value": b64(b"\1" * 256)})
    assert answer.status == 400 and answer.body["error"]["message"] == "The ciphertext could not be decrypted."
    assert events(core, "UnwrapKey")[-1]["errorCode"] == "BadParameter"


def test_an_algorithm_the_key_cannot_do_is_bad_parameter(client: AzureClient, rsa: dict) -> None:
    for alg in ("A256KW", "ES256", "nope"):
        answer = client.call("POST", "/keys/rsa//wrapkey", {"alg": alg, "value": b64(b"k" * 32)})
        assert answer.status == 400 and answer.code == "BadParameter"


def test_key_ops_are_enforced(client: AzureClient, rsa: dict) -> None:
    answer = client.call("POST", "/keys/rsa//sign", {"alg": "RS256", "value": b64(hashlib.sha256(b"x").digest())})
    assert answer.status == 403 and answer.body["error"]["innererror"]["code"] == "KeyOperationForbidden"


def test_versions_have_stable_ids_and_an_unknown_one_is_not_found(core, client: AzureClient, rsa: dict) -> None:
    version = rsa["key"]["kid"].rsplit("/", 1)[1]
    identity = core.named_keys.peek(make_ctx(), "azure:default", "rsa").key.attributes["azure.id"]
    assert version == hashlib.sha256(f"{identity}/1".encode()).hexdigest()[:32]
    assert client.call("GET", f"/keys/rsa/{version}").body["key"]["kid"] == rsa["key"]["kid"]
    assert client.call("GET", f"/keys/rsa/{version.upper()}").status == 200  # identifiers compare case-insensitively
    answer = client.call("POST", f"/keys/rsa/{'0' * 32}/unwrapkey", {"alg": "RSA-OAEP", "value": b64(b"x" * 256)})
    assert answer.status == 404 and answer.code == "KeyNotFound"
    assert events(core, "UnwrapKey")[-1]["errorCode"] == "KeyNotFound"
    assert client.call("GET", "/keys/missing").code == "KeyNotFound"


def test_a_disabled_version_is_refused_here_and_old_versions_still_work(core, client: AzureClient,
                                                                        rsa: dict) -> None:
    first = rsa["key"]["kid"].rsplit("/", 1)[1]
    wrapped = client.call("POST", f"/keys/rsa/{first}/wrapkey", {"alg": "RSA-OAEP", "value": b64(b"k" * 32)}).body
    second = client.call("POST", "/keys/rsa/rotate").body["key"]["kid"].rsplit("/", 1)[1]
    assert second != first
    opened = client.call("POST", f"/keys/rsa/{first}/unwrapkey", {"alg": "RSA-OAEP", "value": wrapped["value"]})
    assert unb64(opened.body["value"]) == b"k" * 32
    assert client.call("PATCH", f"/keys/rsa/{first}", {"attributes": {"enabled": False}}).status == 200
    refused = client.call("POST", f"/keys/rsa/{first}/unwrapkey", {"alg": "RSA-OAEP", "value": wrapped["value"]})
    assert refused.status == 403 and refused.body["error"]["innererror"]["code"] == "KeyDisabled"
    recorded = events(core, "UnwrapKey")[-1]
    assert recorded["errorCode"] == "Forbidden" and recorded["additionalEventData"]["keyVersion"] == 1
    assert client.call("GET", f"/keys/rsa/{first}").body["attributes"]["enabled"] is False
    assert client.call("POST", "/keys/rsa//wrapkey", {"alg": "RSA-OAEP", "value": b64(b"k" * 32)}).status == 200


def test_exp_and_nbf_are_enforced(client: AzureClient, clock) -> None:
    now = int(clock.now())
    client.call("POST", "/keys/timed/create", {"kty": "oct-HSM", "attributes": {"nbf": now + 100, "exp": now + 200}})
    body = {"alg": "A256KW", "value": b64(b"k" * 32)}
    assert client.call("POST", "/keys/timed//wrapkey", body).body["error"]["innererror"]["code"] == "KeyNotYetValid"
    clock.advance(150)
    assert client.call("POST", "/keys/timed//wrapkey", body).status == 200
    clock.advance(100)
    assert client.call("POST", "/keys/timed//wrapkey", body).body["error"]["innererror"]["code"] == "KeyExpired"


def test_vaults_are_name_spaces(client: AzureClient) -> None:
    client.host = "alpha.vault.example.test"
    made = client.call("POST", "/keys/same/create", {"kty": "EC"}).body
    assert made["key"]["kid"].startswith("https://alpha.vault.example.test/keys/same/")
    client.host = "beta.vault.example.test"
    assert client.call("GET", "/keys/same").code == "KeyNotFound"
    client.host = HOST
    assert client.call("GET", "/keys/same").code == "KeyNotFound"


def test_a_rotation_policy_rotates_the_key_through_the_core(client: AzureClient, clock) -> None:
    made = client.call("POST", "/keys/auto/create", {"kty": "RSA"}).body
    policy = {"lifetimeActions": [{"trigger": {"timeAfterCreate": "P30D"}, "action": {"type": "Rotate"}}],
              "attributes": {"expiryTime": "P1Y"}}
    put = client.call("PUT", "/keys/auto/rotationpolicy", policy)
    assert put.status == 200 and put.body["id"] == f"https://{HOST}/keys/auto/rotationpolicy"
    too_short = {"lifetimeActions": [{"trigger": {"timeAfterCreate": "P1D"}, "action": {"type": "Rotate"}}]}
    assert client.call("PUT", "/keys/auto/rotationpolicy", too_short).code == "BadParameter"
    clock.advance(31 * 86400)
    client.login()  # the first token has expired
    assert client.call("GET", "/keys/auto").body["key"]["kid"] != made["key"]["kid"]
    versions = client.call("GET", "/keys/auto/versions").body["value"]
    assert len(versions) == 2


def test_random_bytes_validates_count(client: AzureClient) -> None:
    assert len(unb64(client.call("POST", "/rng", {"count": 16}).body["value"])) == 16
    assert client.call("POST", "/rng", {"count": 0}).code == "BadParameter"
    assert client.call("POST", "/rng", {"count": "8"}).code == "BadParameter"


def test_every_request_leaves_one_audit_event_without_secrets(core, client: AzureClient, rsa: dict) -> None:
    before = len(list(core.audit.all()))
    client.call("POST", "/keys/rsa//wrapkey", {"alg": "RSA-OAEP", "value": b64(b"topsecret-key-material-32bytes!!")})
    recorded = list(core.audit.all())
    assert len(recorded) == before + 1
    record = orjson.loads(recorded[-1].record_json)
    assert record["eventName"] == "WrapKey" and record["eventSource"] == "keyvault.strongroom"
    assert record["requestParameters"] == {"alg": "RSA-OAEP", "path": "/keys/rsa//wrapkey"}
    assert record["resources"][0]["ARN"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT}:key/")
    assert b64(b"topsecret-key-material-32bytes!!") not in recorded[-1].record_json


def test_backup_and_restore_keep_every_version_sealed(core, app, client: AzureClient, rsa: dict) -> None:
    wrapped = client.call("POST", "/keys/rsa//wrapkey", {"alg": "RSA-OAEP", "value": b64(b"k" * 32)}).body
    client.call("POST", "/keys/rsa/rotate")
    blob = client.call("POST", "/keys/rsa/backup").body["value"]
    assert len(unb64(blob)) > 100
    assert client.call("POST", "/keys/restore", {"value": blob}).status == 409  # the name is taken
    client.call("DELETE", "/keys/rsa")
    assert client.call("DELETE", "/deletedkeys/rsa").status == 204
    restored = client.call("POST", "/keys/restore", {"value": blob})
    assert restored.status == 200 and restored.body["key"]["key_ops"] == ["wrapKey", "unwrapKey"]
    assert len(client.call("GET", "/keys/rsa/versions").body["value"]) == 2
    opened = client.call("POST", f"/keys/rsa/{wrapped['kid'].rsplit('/', 1)[1]}/unwrapkey",
                         {"alg": "RSA-OAEP", "value": wrapped["value"]})
    assert opened.status == 200 and unb64(opened.body["value"]) == b"k" * 32
    assert events(core, "BackupKey")[-1]["resources"][0]["ARN"] != events(core, "RestoreKey")[-1]["resources"][0][
        "ARN"]  # restored as a new key of the store
    tampered = unb64(blob)
    tampered = tampered[:-1] + bytes([tampered[-1] ^ 1])
    client.call("DELETE", "/keys/rsa")
    client.call("DELETE", "/deletedkeys/rsa")
    assert client.call("POST", "/keys/restore", {"value": b64(tampered)}).code == "BadParameter"
    core.principals.create_account("444455556666")
    other = register(core, app, account="444455556666").login()
    assert other.call("POST", "/keys/restore", {"value": blob}).code == "BadParameter"


def test_a_soft_deleted_name_cannot_be_reused_until_purged(core, client: AzureClient) -> None:
    client.call("POST", "/keys/gone/create", {"kty": "EC"})
    deleted = client.call("DELETE", "/keys/gone")
    assert deleted.status == 200 and deleted.body["recoveryId"] == f"https://{HOST}/deletedkeys/gone"
    assert client.call("GET", "/keys/gone").code == "KeyNotFound"
    assert client.call("POST", "/keys/gone/create", {"kty": "EC"}).status == 409
    assert [k["kid"] for k in client.call("GET", "/deletedkeys").body["value"]] == [f"https://{HOST}/keys/gone"]
    assert client.call("GET", "/deletedkeys/other").code == "KeyNotFound"
    assert client.call("POST", "/deletedkeys/gone/recover").status == 200
    assert client.call("GET", "/keys/gone").status == 200
    assert client.call("GET", "/deletedkeys/gone").code == "KeyNotFound"
    assert events(core, "RecoverDeletedKey")[-1]["additionalEventData"]["protocol"] == "azure"


def test_import_a_json_web_key(client: AzureClient) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.hashes import SHA256

    def n(value: int) -> str:
        return b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    private = rsa.generate_private_key(65537, 2048)
    numbers = private.private_numbers()
    jwk = {"kty": "RSA", "key_ops": ["decrypt"], "n": n(numbers.public_numbers.n), "e": n(65537),
           "d": n(numbers.d), "p": n(numbers.p), "q": n(numbers.q)}
    made = client.call("PUT", "/keys/imported", {"key": jwk, "Hsm": True})
    assert made.status == 200 and made.body["key"]["kty"] == "RSA-HSM" and made.body["key"]["n"] == jwk["n"]
    sealed = private.public_key().encrypt(b"hello", padding.OAEP(padding.MGF1(SHA256()), SHA256(), None))
    opened = client.call("POST", "/keys/imported//decrypt", {"alg": "RSA-OAEP-256", "value": b64(sealed)})
    assert unb64(opened.body["value"]) == b"hello"
    curve = ec.generate_private_key(ec.SECP256R1()).private_numbers()
    ec_jwk = {"kty": "EC", "crv": "P-256", "x": b64(curve.public_numbers.x.to_bytes(32, "big")),
              "y": b64(curve.public_numbers.y.to_bytes(32, "big")), "d": b64(curve.private_value.to_bytes(32, "big"))}
    assert client.call("PUT", "/keys/imported-ec", {"key": ec_jwk}).body["key"]["x"] == ec_jwk["x"]
    second = client.call("PUT", "/keys/imported-ec", {"key": ec_jwk})
    assert len(client.call("GET", "/keys/imported-ec/versions").body["value"]) == 2 and second.status == 200
    oct_key = client.call("PUT", "/keys/imported-oct", {"key": {"kty": "oct", "k": b64(b"\7" * 16)}})
    assert oct_key.status == 200 and "k" not in oct_key.body["key"]
    wrong = client.call("PUT", "/keys/bad", {"key": {**ec_jwk, "d": b64(b"\1" * 31)}})
    assert wrong.status == 400 and wrong.code == "BadParameter"
    assert client.call("PUT", "/keys/bad", {"key": {"kty": "oct-HSM", "key_hsm": "eyJ9"}}).code == "BadParameter"
    assert client.call("PUT", "/keys/bad", {"key": "nope"}).code == "BadParameter"


def test_an_identity_policy_lets_a_user_do_exactly_what_it_allows(core, app, client: AzureClient, rsa: dict) -> None:
    core.principals.create_user(ACCOUNT, "bob")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:DescribeKey", "kms:Encrypt"],
                                                      "Resource": "*"}]}
    core.principals.put_user_policy(ACCOUNT, "bob", "azure", orjson.dumps(policy).decode())
    bob = register(core, app, user="bob").login()
    assert bob.call("GET", "/keys/rsa").status == 200
    wrapped = bob.call("POST", "/keys/rsa//wrapkey", {"alg": "RSA-OAEP", "value": b64(b"k" * 32)})
    assert wrapped.status == 200
    refused = bob.call("POST", "/keys/rsa//unwrapkey", {"alg": "RSA-OAEP", "value": wrapped.body["value"]})
    assert refused.status == 403 and refused.body["error"]["innererror"]["code"] == "ForbiddenByPolicy"


def test_a_sealed_server_answers_503_in_both_shapes(core, client: AzureClient) -> None:
    core.seal()
    answer = client.call("GET", "/keys")
    assert answer.status == 503 and answer.code == "ServiceUnavailable"
    token = client.get_token()
    assert token.status == 503 and orjson.loads(token.body)["error"] == "temporarily_unavailable"


def test_an_audit_failure_answer_is_azures_shape(app) -> None:
    from strongroom.errors import SealedError

    answer = app.audit_failed(SealedError("sealed"))
    assert answer.status == 503 and orjson.loads(answer.body)["error"]["code"] == "ServiceUnavailable"


def test_lists_page_with_next_link(client: AzureClient) -> None:
    for i in range(3):
        client.call("POST", f"/keys/paged-{i}/create", {"kty": "oct"})
    first = client.call("GET", "/keys", query="api-version=7.4&maxresults=2").body
    assert len(first["value"]) == 2 and first["nextLink"].startswith(f"https://{HOST}/keys?api-version=7.4&")
    rest = client.call("GET", "/keys", query=first["nextLink"].split("?", 1)[1]).body
    assert len(rest["value"]) == 1 and rest["nextLink"] is None
    assert {k["kid"].rsplit("/", 1)[1] for k in first["value"] + rest["value"]} == {f"paged-{i}" for i in range(3)}
    assert client.call("GET", "/keys", query="api-version=7.4&maxresults=26").code == "BadParameter"


def _transfer_blob(kek: dict, target_der: bytes, *, url_safe: bool = True) -> str:
    """A BYOK transfer blob as an HSM vendor's tool makes one: CKM_RSA_AES_KEY_WRAP for the KEK's public key."""
    import os

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

    public = rsa.RSAPublicNumbers(int.from_bytes(unb64(kek["key"]["e"]), "big"),
                                  int.from_bytes(unb64(kek["key"]["n"]), "big")).public_key()
    ephemeral = os.urandom(32)
    wrapped = public.encrypt(ephemeral, padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None))
    wrapped += aes_key_wrap_with_padding(ephemeral, target_der)
    blob = orjson.dumps({"schema_version": "1.0.0", "header": {"kid": kek["key"]["kid"], "alg": "dir",
                                                               "enc": "CKM_RSA_AES_KEY_WRAP"},
                         "ciphertext": b64(wrapped), "generator": "test"})
    return b64(blob) if url_safe else base64.b64encode(blob).decode()


def test_import_a_byok_transfer_blob(core, client: AzureClient) -> None:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    kek = client.call("POST", "/keys/kek/create", {"kty": "RSA-HSM", "key_size": 3072, "key_ops": ["import"]}).body
    target = ec.generate_private_key(ec.SECP384R1())
    der = target.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
    for url_safe in (True, False):
        body = {"key": {"kty": "EC-HSM", "crv": "P-384", "key_ops": ["sign", "verify"],
                        "key_hsm": _transfer_blob(kek, der, url_safe=url_safe)}, "Hsm": True}
        made = client.call("PUT", "/keys/byok", body)
        assert made.status == 200 and made.body["key"]["kty"] == "EC-HSM"
    x = target.public_key().public_numbers().x.to_bytes(48, "big")
    assert unb64(made.body["key"]["x"]) == x
    digest = hashlib.sha384(b"m").digest()
    signed = unb64(client.call("POST", "/keys/byok//sign", {"alg": "ES384", "value": b64(digest)}).body["value"])
    target.public_key().verify(utils.encode_dss_signature(int.from_bytes(signed[:48], "big"),
                                                          int.from_bytes(signed[48:], "big")),
                               digest, ec.ECDSA(utils.Prehashed(hashes.SHA384())))
    assert events(core, "ImportKey")[-1]["additionalEventData"]["protocol"] == "azure"


def test_a_byok_blob_is_refused_unless_it_is_for_a_key_exchange_key(client: AzureClient) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    der = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    not_kek = client.call("POST", "/keys/notkek/create", {"kty": "RSA-HSM"}).body
    body = {"key": {"kty": "RSA-HSM", "key_hsm": _transfer_blob(not_kek, der)}}
    assert client.call("PUT", "/keys/target", body).code == "BadParameter"
    kek = client.call("POST", "/keys/kek2/create", {"kty": "RSA-HSM", "key_ops": ["import"]}).body
    good = client.call("PUT", "/keys/target", {"key": {"kty": "RSA-HSM", "key_hsm": _transfer_blob(kek, der)}})
    assert good.status == 200 and len(unb64(good.body["key"]["n"])) == 256
    tampered = orjson.loads(unb64(_transfer_blob(kek, der)))
    tampered["ciphertext"] = b64(unb64(tampered["ciphertext"])[:-8] + b"\0" * 8)
    bad = client.call("PUT", "/keys/target", {"key": {"kty": "RSA-HSM", "key_hsm": b64(orjson.dumps(tampered))}})
    assert bad.status == 400 and bad.body["error"]["message"] == "The ciphertext could not be decrypted."
    assert client.call("PUT", "/keys/target", {"key": {"kty": "RSA-HSM", "key_hsm": b64(b"{}")}}).code == \
        "BadParameter"
