"""The client library's ``azure`` provider against a real server's Azure Key Vault and identity endpoints over TLS,
with libmongocrypt as the oracle: both share one key vault and use each other's data keys; the key is made with
Azure's own SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kms_harness import ServerInfo, ServerProcess
from test_azure_mongocrypt import create_app

from strongroom_client import Algorithm, ClientEncryption, DekCache, KmsError, MemoryKeyVault
from tests.client.mongocrypt_oracle import Oracle

DET, RND = Algorithm.DETERMINISTIC, Algorithm.RANDOM


@pytest.fixture(scope="module")
def azure_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerInfo]:
    process = ServerProcess(tmp_path_factory.mktemp("client-azure") / "data", extra_args=["--workers", "1"])
    info = process.start()
    try:
        yield info
    finally:
        process.stop()


@pytest.fixture(scope="module")
def app(azure_server: ServerInfo) -> dict[str, str]:
    return create_app(azure_server)


@pytest.fixture(scope="module")
def key_name(azure_server: ServerInfo, app: dict[str, str]) -> str:
    from azure.identity import ClientSecretCredential
    from azure.keyvault.keys import KeyClient

    credential = ClientSecretCredential(app["tenant_id"], app["client_id"], app["client_secret"],
                                        authority=azure_server.tls_hostport, disable_instance_discovery=True,
                                        connection_verify=str(azure_server.ca_file))
    client = KeyClient(f"https://{azure_server.tls_hostport}", credential, verify_challenge_resource=False,
                       connection_verify=str(azure_server.ca_file))
    client.create_rsa_key("csfle-master", size=2048)
    return "csfle-master"


def _providers(server: ServerInfo, app: dict[str, str]) -> dict[str, Any]:
    return {"azure": {"tenantId": app["tenant_id"], "clientId": app["client_id"], "clientSecret": app["client_secret"],
                      "identityPlatformEndpoint": server.tls_hostport}}


def _client(server: ServerInfo, app: dict[str, str], vault: MemoryKeyVault) -> ClientEncryption:
    tls = {"azure": {"tlsCAFile": str(server.ca_file)}}
    return ClientEncryption(_providers(server, app), vault, kms_tls_options=tls,
                            dek_cache=DekCache(0))


def test_data_keys_cross_over_with_libmongocrypt(azure_server: ServerInfo, app: dict[str, str], key_name: str) -> None:
    vault = MemoryKeyVault()
    master_key = {"keyVaultEndpoint": azure_server.tls_hostport, "keyName": key_name}
    with Oracle(_providers(azure_server, app), vault, ca_file=str(azure_server.ca_file)) as oracle, \
            _client(azure_server, app, vault) as ce:
        ours = ce.create_data_key("azure", master_key=master_key)
        theirs = oracle.create_data_key("azure", master_key=master_key)
        our_doc, their_doc = ce.get_key(ours), ce.get_key(theirs)
        assert our_doc is not None and their_doc is not None
        assert list(our_doc["masterKey"].items()) == list(their_doc["masterKey"].items())
        assert len(our_doc["keyMaterial"]) == len(their_doc["keyMaterial"]) == 256
        for key_id in (ours, theirs):
            assert bytes(ce.encrypt("card", DET, key_id=key_id)) == bytes(oracle.encrypt("card", DET.value,
                                                                                         key_id=key_id))
            assert oracle.decrypt(ce.encrypt({"n": 1}, RND, key_id=key_id)) == {"n": 1}
            assert ce.decrypt(oracle.encrypt("x", RND.value, key_id=key_id)) == "x"


def test_a_key_version_is_kept_and_used(azure_server: ServerInfo, app: dict[str, str], key_name: str) -> None:
    from azure.identity import ClientSecretCredential
    from azure.keyvault.keys import KeyClient

    credential = ClientSecretCredential(app["tenant_id"], app["client_id"], app["client_secret"],
                                        authority=azure_server.tls_hostport, disable_instance_discovery=True,
                                        connection_verify=str(azure_server.ca_file))
    version = KeyClient(f"https://{azure_server.tls_hostport}", credential, verify_challenge_resource=False,
                        connection_verify=str(azure_server.ca_file)).get_key(key_name).properties.version
    vault = MemoryKeyVault()
    with _client(azure_server, app, vault) as ce:
        key_id = ce.create_data_key("azure", master_key={"keyVaultEndpoint": azure_server.tls_hostport,
                                                         "keyName": key_name, "keyVersion": version})
        document = ce.get_key(key_id)
        assert document is not None and document["masterKey"]["keyVersion"] == version
    with _client(azure_server, app, vault) as fresh:
        assert fresh.decrypt(fresh.encrypt("versioned", RND, key_id=key_id)) == "versioned"


def test_a_wrong_secret_is_refused_by_the_token_endpoint(azure_server: ServerInfo, app: dict[str, str],
                                                          key_name: str) -> None:
    from strongroom_client.providers.http import RetryPolicy

    wrong = dict(app, client_secret=app["client_secret"] + "x")
    with ClientEncryption(_providers(azure_server, wrong), MemoryKeyVault(),
                          kms_tls_options={"azure": {"tlsCAFile": str(azure_server.ca_file)}},
                          kms_retry=RetryPolicy(max_retries=0)) as ce, pytest.raises(KmsError, match="token endpoint"):
        ce.create_data_key("azure", master_key={"keyVaultEndpoint": azure_server.tls_hostport, "keyName": key_name})
