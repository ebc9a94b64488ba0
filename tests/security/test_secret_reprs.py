"""Every type that holds a secret prints without it: what the core hands adapters (plaintexts, data keys, data
key pairs, shared secrets, new credentials and tokens), key objects, and the client library's providers."""

from __future__ import annotations

import os

import pytest

from strongroom.crypto.versioned_keys import VersionedKey
from strongroom.crypto.wrapping import KeyEncryptionKey
from strongroom.domain.context import AccessKey
from strongroom.domain.references import KeyRef
from strongroom.domain.workload_identities import AZURE_APP, GCP_SERVICE_ACCOUNT
from strongroom.server.dev import DevAccount
from strongroom_client.providers import build_providers

MARKER = "MARKERsecret" + os.urandom(6).hex()


def _printed(value: object) -> str:
    return repr(value) + str(value)


def _absent(value: object, *secrets: bytes | str) -> None:
    printed = _printed(value)
    for secret in secrets:
        text = secret.hex() if isinstance(secret, bytes) else secret
        assert text not in printed and (not isinstance(secret, bytes) or repr(secret) not in printed), printed


def test_what_the_core_returns_prints_no_secret(core, ctx) -> None:  # type: ignore[no-untyped-def]
    key = core.keys.create_key(ctx, description="reprs")
    plaintext = MARKER.encode()
    sealed = core.crypto.encrypt(ctx, KeyRef(key.key_id), plaintext)
    opened = core.crypto.decrypt(ctx, sealed.ciphertext)
    assert opened.plaintext == plaintext
    _absent(opened, plaintext)
    data_key = core.crypto.generate_data_key(ctx, KeyRef(key.key_id), key_spec="AES_256")
    _absent(data_key, data_key.plaintext)
    pair = core.crypto.generate_data_key_pair(ctx, KeyRef(key.key_id), "ECC_NIST_P256")
    assert pair.private_key
    _absent(pair, pair.private_key)


def test_key_objects_and_credentials_print_no_secret(core) -> None:  # type: ignore[no-untyped-def]
    material = os.urandom(32)
    _absent(VersionedKey("SYMMETRIC_DEFAULT", material), material)
    _absent(KeyEncryptionKey(material), material)
    _absent(AccessKey("AKIAEXAMPLE", "111122223333", "root", MARKER), MARKER)
    _absent(DevAccount("111122223333", "AKIAEXAMPLE", MARKER, MARKER), MARKER)
    issued = core.tokens.issue("111122223333")
    _absent(issued, issued.token)
    made = core.workload_identities.create_secret_client(AZURE_APP, "111122223333")
    _absent(made, made.client_secret)
    bearer = core.workload_identities.issue_token(made.identity, "https://vault.azure.net")
    _absent(bearer, bearer.token)
    keyed = core.workload_identities.create_key_client(GCP_SERVICE_ACCOUNT, "111122223333", tenant="p",
                                                       identity_id="sa@p.iam.gserviceaccount.com")
    _absent(keyed, keyed.private_key_pem.splitlines()[1])


@pytest.mark.parametrize("kind", ["local", "aws", "azure", "kmip"])
def test_client_library_providers_print_no_secret(kind: str) -> None:
    credentials = {"local": {"key": os.urandom(96)},
                   "aws": {"accessKeyId": "AKIAEXAMPLE", "secretAccessKey": MARKER},
                   "azure": {"tenantId": "t", "clientId": "c", "clientSecret": MARKER},
                   "kmip": {"endpoint": "127.0.0.1"}}[kind]
    provider = build_providers({kind: credentials})[kind]
    _absent(provider, MARKER, *(v for v in credentials.values() if isinstance(v, bytes)))
    with pytest.raises(TypeError):
        import pickle
        pickle.dumps(provider)
