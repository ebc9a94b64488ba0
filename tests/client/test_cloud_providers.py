"""The ``azure`` and ``gcp`` providers' requests without a server: libmongocrypt's exact token request, the key
operation paths, the token kept and dropped, and errors in each cloud's shape. Against a real server, with
libmongocrypt as the oracle: tests/conformance/test_client_library_azure.py and test_client_library_gcp.py."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom_client import KmsError
from strongroom_client.providers import build_providers
from strongroom_client.providers.http import HttpRequest, HttpResponse, RetryPolicy

AZURE = {"tenantId": "tenant-123", "clientId": "client-abc", "clientSecret": "s3cr3t+/=",
         "identityPlatformEndpoint": "127.0.0.1"}


class Scripted:
    def __init__(self, *answers: tuple[int, object]) -> None:
        self.answers = list(answers)
        self.sent: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.sent.append(request)
        status, body = self.answers.pop(0)
        return HttpResponse(status, body if isinstance(body, bytes) else json.dumps(body).encode())


TOKEN = (200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "tok-1"})


def _provider(kind: str, credentials: dict, transport: Scripted):  # type: ignore[no-untyped-def]
    return build_providers({kind: credentials}, transport=transport, retry=RetryPolicy(max_retries=0))[kind]


def test_the_azure_token_request_is_libmongocrypts_byte_for_byte() -> None:
    wrapped = b"w" * 256
    transport = Scripted(TOKEN, (200, {"kid": "k", "value": base64.urlsafe_b64encode(wrapped).decode()}),
                         (200, {"kid": "k", "value": base64.urlsafe_b64encode(wrapped).decode().rstrip("=")}))
    azure = _provider("azure", AZURE, transport)
    master_key = azure.master_key_document({"keyVaultEndpoint": "127.0.0.1", "keyName": "mykey"})
    assert master_key == {"provider": "azure", "keyVaultEndpoint": "127.0.0.1", "keyName": "mykey"}
    assert azure.wrap(b"d" * 96, master_key) == wrapped
    assert azure.wrap(b"d" * 96, master_key) == wrapped  # the token is kept
    token, wrap, _ = transport.sent
    assert token.path == "/tenant-123/oauth2/v2.0/token"
    assert token.body == b"client_id=client-abc&scope=https%3A%2F%2F0.0.1%2F.default&client_secret=s3cr3t+/=" \
                         b"&grant_type=client_credentials"
    assert wrap.path == "/keys/mykey//wrapkey?api-version=7.1"
    assert dict(wrap.headers)["Authorization"] == "Bearer tok-1"
    assert json.loads(wrap.body) == {"alg": "RSA-OAEP-256", "value": base64.urlsafe_b64encode(b"d" * 96).decode()}


def test_azure_errors_keep_their_code_and_a_401_drops_the_token() -> None:
    refused = (401, {"error": {"code": "Unauthorized", "message": "token expired"}})
    transport = Scripted(TOKEN, refused, TOKEN, (404, {"error": {"code": "KeyNotFound", "message": "no key"}}))
    azure = _provider("azure", AZURE, transport)
    master_key = {"provider": "azure", "keyVaultEndpoint": "vault.example.test", "keyName": "k", "keyVersion": "ab"}
    with pytest.raises(KmsError) as first:
        azure.unwrap(b"x" * 256, master_key)
    assert first.value.status == 401 and first.value.error_type == "Unauthorized"
    with pytest.raises(KmsError, match="KeyNotFound: no key"):
        azure.unwrap(b"x" * 256, master_key)
    assert [r.path.split("?")[0] for r in transport.sent] == ["/tenant-123/oauth2/v2.0/token", "/keys/k/ab/unwrapkey",
                                                             "/tenant-123/oauth2/v2.0/token", "/keys/k/ab/unwrapkey"]
    assert parse_qs(transport.sent[0].body.decode())["scope"] == ["https://example.test/.default"]


def test_an_azure_token_endpoint_refusal_is_reported() -> None:
    transport = Scripted((401, {"error": "invalid_client", "error_description": "AADSTS7000215: bad secret"}))
    azure = _provider("azure", AZURE, transport)
    with pytest.raises(KmsError, match="token endpoint answered HTTP 401 \\(invalid_client: AADSTS7000215"):
        azure.wrap(b"d" * 96, {"provider": "azure", "keyVaultEndpoint": "127.0.0.1", "keyName": "k"})


@pytest.fixture(scope="module")
def google_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _gcp(google_key: rsa.RSAPrivateKey, transport: Scripted):  # type: ignore[no-untyped-def]
    der = google_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                   serialization.NoEncryption())
    return _provider("gcp", {"email": "sa@proj.iam.gserviceaccount.com", "privateKey": base64.b64encode(der).decode(),
                             "endpoint": "127.0.0.1:8443"}, transport)


def test_the_gcp_assertion_is_signed_by_the_key_and_shaped_as_libmongocrypts(google_key: rsa.RSAPrivateKey) -> None:
    ciphertext = b"c" * 140
    transport = Scripted(TOKEN, (200, {"name": "…/cryptoKeyVersions/3", "ciphertext": base64.b64encode(
        ciphertext).decode()}), (200, {"plaintext": base64.b64encode(b"d" * 96).decode()}))
    gcp = _gcp(google_key, transport)
    master_key = gcp.master_key_document({"projectId": "proj", "location": "global", "keyRing": "ring",
                                          "keyName": "key", "keyVersion": "3", "endpoint": "127.0.0.1:8443"})
    assert list(master_key) == ["provider", "projectId", "location", "keyRing", "keyName", "keyVersion", "endpoint"]
    assert gcp.wrap(b"d" * 96, master_key) == ciphertext
    assert gcp.unwrap(ciphertext, master_key) == b"d" * 96
    token, encrypt, decrypt = transport.sent
    form = parse_qs(token.body.decode())
    assert token.path == "/token" and form["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    claims = jwt.decode(form["assertion"][0], google_key.public_key(), algorithms=["RS256"],
                        audience="https://127.0.0.1/token")
    assert claims["iss"] == "sa@proj.iam.gserviceaccount.com" and claims["scope"] == "https://www.0.0.1/auth/cloudkms"
    assert claims["exp"] - claims["iat"] == 300
    assert jwt.get_unverified_header(form["assertion"][0]) == {"alg": "RS256", "typ": "JWT"}
    assert encrypt.path == "/v1/projects/proj/locations/global/keyRings/ring/cryptoKeys/key/cryptoKeyVersions/3:encrypt"
    assert decrypt.path == "/v1/projects/proj/locations/global/keyRings/ring/cryptoKeys/key:decrypt"


def test_gcp_errors_keep_googles_status(google_key: rsa.RSAPrivateKey) -> None:
    transport = Scripted(TOKEN, (403, {"error": {"code": 403, "message": "denied", "status": "PERMISSION_DENIED"}}))
    gcp = _gcp(google_key, transport)
    with pytest.raises(KmsError) as caught:
        gcp.unwrap(b"c" * 140, {"provider": "gcp", "projectId": "p", "location": "l", "keyRing": "r", "keyName": "k"})
    assert caught.value.status == 403 and caught.value.error_type == "PERMISSION_DENIED"
    assert "secret" not in repr(gcp).lower() or "<secret>" in repr(gcp)
