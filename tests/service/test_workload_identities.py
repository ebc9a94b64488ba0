"""Workload identities over a real core: secrets and assertions prove them, tokens they get are bound to them,
expire, cannot be forged or moved to another kind, and die with the identity."""

from __future__ import annotations

import base64
import json

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from strongroom.domain.workload_identities import AZURE_APP, GCP_SERVICE_ACCOUNT
from strongroom.errors import AuthenticationError, ExpiredCredentialsError, NotFoundError
from strongroom.service.workload_identities import SECRET_ALPHABET

ACCOUNT = "111122223333"


@pytest.fixture
def app(core):  # type: ignore[no-untyped-def]
    return core.workload_identities.create_secret_client(AZURE_APP, ACCOUNT, description="orders")


@pytest.fixture
def service_account(core):  # type: ignore[no-untyped-def]
    return core.workload_identities.create_key_client(GCP_SERVICE_ACCOUNT, ACCOUNT, tenant="proj",
                                                      identity_id="kms@proj.iam.gserviceaccount.com")


def _assertion(new, clock, **claims) -> str:  # type: ignore[no-untyped-def]
    now = int(clock.now())
    body = {"iss": new.identity.identity_id, "iat": now, "exp": now + 300, **claims}
    return jwt.encode(body, new.private_key_pem, algorithm="RS256", headers={"kid": new.identity.key_id})


def test_a_secret_client_proves_itself_with_its_secret_only(core, app) -> None:  # type: ignore[no-untyped-def]
    identities = core.workload_identities
    assert set(app.client_secret) <= set(SECRET_ALPHABET) and len(app.client_secret) == 40
    assert "client_secret" not in repr(app.identity) and app.client_secret not in repr(app)
    found = identities.authenticate_secret(AZURE_APP, app.identity.identity_id, app.client_secret, app.identity.tenant)
    assert identities.caller(found).principal_arn == f"arn:aws:iam::{ACCOUNT}:root"
    for client_id, secret, tenant in ((app.identity.identity_id, app.client_secret + "x", None),
                                      ("no-such-client", app.client_secret, None),
                                      (app.identity.identity_id, app.client_secret, "another-tenant")):
        with pytest.raises(AuthenticationError):
            identities.authenticate_secret(AZURE_APP, client_id, secret, tenant)
    with pytest.raises(AuthenticationError):
        identities.authenticate_secret(GCP_SERVICE_ACCOUNT, app.identity.identity_id, app.client_secret)


def test_tokens_are_bound_expire_and_die_with_their_identity(core, app, clock) -> None:  # type: ignore[no-untyped-def]
    identities = core.workload_identities
    issued = identities.issue_token(app.identity, "https://vault.azure.net")
    claims = jwt.decode(issued.token, options={"verify_signature": False})
    assert claims["tid"] == app.identity.tenant and claims["oid"] == app.identity.identity_id
    assert claims["aud"] == "https://vault.azure.net" and claims["exp"] - claims["iat"] == issued.expires_in == 3600
    assert identities.authenticate_token(AZURE_APP, issued.token) == app.identity
    with pytest.raises(AuthenticationError):
        identities.authenticate_token(GCP_SERVICE_ACCOUNT, issued.token)
    forged = jwt.encode({**claims, "oid": "someone"}, b"guessed key" * 3, algorithm="HS256",
                        headers={"kid": app.identity.identity_id})
    with pytest.raises(AuthenticationError):
        identities.authenticate_token(AZURE_APP, forged)
    head, body, signature = issued.token.split(".")
    with pytest.raises(AuthenticationError):
        identities.authenticate_token(AZURE_APP, f"{head}.{body}.{signature[:-4]}AAAA")
    clock.advance(3600 + 61)
    with pytest.raises(ExpiredCredentialsError):
        identities.authenticate_token(AZURE_APP, issued.token)
    fresh = identities.issue_token(app.identity, "https://vault.azure.net")
    identities.delete(app.identity.identity_id)
    with pytest.raises(AuthenticationError):
        identities.authenticate_token(AZURE_APP, fresh.token)
    with pytest.raises(NotFoundError):
        identities.delete(app.identity.identity_id)


def test_a_service_account_proves_itself_with_a_signed_assertion(core, service_account, clock) -> None:  # type: ignore[no-untyped-def]
    identities = core.workload_identities
    good = _assertion(service_account, clock, aud="https://oauth2.googleapis.com/token")
    audiences = ("https://oauth2.googleapis.com/token", "https://127.0.0.1/token")
    assert identities.authenticate_assertion(GCP_SERVICE_ACCOUNT, good, audiences) == service_account.identity
    assert identities.authenticate_bearer(GCP_SERVICE_ACCOUNT, good, audiences) == service_account.identity
    other = core.workload_identities.create_key_client(GCP_SERVICE_ACCOUNT, ACCOUNT, tenant="proj",
                                                       identity_id="other@proj.iam.gserviceaccount.com")
    impostor = jwt.encode(jwt.decode(good, options={"verify_signature": False}), other.private_key_pem,
                          algorithm="RS256", headers={"kid": service_account.identity.key_id})
    now = int(clock.now())
    for bad in (impostor,
                _assertion(service_account, clock, aud="https://elsewhere.example/token"),
                _assertion(service_account, clock, exp=now + 7200),
                "not.a.jwt"):
        with pytest.raises(AuthenticationError):
            identities.authenticate_assertion(GCP_SERVICE_ACCOUNT, bad, audiences)
    clock.advance(400)
    with pytest.raises(ExpiredCredentialsError):
        identities.authenticate_assertion(GCP_SERVICE_ACCOUNT, good, audiences)


def _padded(segment: bytes) -> str:
    return base64.urlsafe_b64encode(segment).decode()  # keeps its '=' padding


def test_padded_segments_signed_as_sent_are_accepted(core, service_account, clock) -> None:  # type: ignore[no-untyped-def]
    """libmongocrypt pads its assertion's segments with '=' and signs the padded text."""
    now = int(clock.now())
    claims = {"iss": service_account.identity.identity_id, "aud": "https://127.0.0.1/token",
              "scope": "https://www.0.0.1/auth/cloudkms", "iat": now, "exp": now + 300}
    while len(json.dumps(claims)) % 3 == 0:  # a claims segment that needs padding
        claims["scope"] += " "
    signing_input = _padded(b'{"alg":"RS256","typ":"JWT"}') + "." + _padded(json.dumps(claims).encode())
    assert signing_input.endswith("=")
    key = serialization.load_pem_private_key(service_account.private_key_pem.encode(), None)
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())  # type: ignore[union-attr]
    assertion = f"{signing_input}.{_padded(signature)}"
    found = core.workload_identities.authenticate_assertion(GCP_SERVICE_ACCOUNT, assertion,
                                                            ("https://127.0.0.1/token",))
    assert found == service_account.identity
    unpadded_input = ".".join(part.rstrip("=") for part in signing_input.split("."))
    with pytest.raises(AuthenticationError):  # the signature covers the padded text, not a normalised one
        core.workload_identities.authenticate_assertion(GCP_SERVICE_ACCOUNT, f"{unpadded_input}.{_padded(signature)}",
                                                        None)


def test_identities_survive_a_restart_and_need_the_kek(data_dir, clock, app) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import open_core
    reopened = open_core(data_dir, clock)
    try:
        found = reopened.workload_identities.authenticate_secret(AZURE_APP, app.identity.identity_id,
                                                                 app.client_secret)
        assert found.identity_id == app.identity.identity_id
        assert reopened.workload_identities.list(AZURE_APP, ACCOUNT) == [found]
    finally:
        reopened.close()
