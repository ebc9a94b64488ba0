"""The AWS adapter: sealing empties what it keeps of access keys and refuses (and records) the next call; which
requests generate an RSA key the server should make first."""

from __future__ import annotations

import orjson
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom.domain.audit import AuditFilter
from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.http import HttpRequest
from tests.conftest import ACCOUNT, open_core


def signed_request(key, operation: str, **params) -> HttpRequest:
    """Signed by botocore's SigV4 signer, as boto3 signs a KMS call."""
    body = orjson.dumps(params)
    signed = AWSRequest(method="POST", url="http://127.0.0.1:8080/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"TrentService.{operation}"})
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "kms", "us-east-1").add_auth(signed)
    headers = {name.lower(): value for name, value in signed.headers.items()} | {"host": "127.0.0.1:8080"}
    return HttpRequest(method="POST", path="/", query="", headers=headers, body=body, client_ip="127.0.0.1",
                       secure=False)


def test_seal_drops_cached_access_keys_and_refuses_before_reading_any(data_dir) -> None:
    core = open_core(data_dir)  # the system clock: requests are signed now
    app = AwsKmsApp(core)
    key = core.credentials.create(ACCOUNT).key
    assert app.handle(signed_request(key, "ListKeys")).status == 200
    assert app._callers and app.verifier.signing_keys  # remembered while unsealed

    core.seal()
    assert not app._callers and not app.verifier.signing_keys
    refused = app.handle(signed_request(key, "CreateKey"))
    assert refused.status == 503 and b"sealed" in refused.body
    last = core.audit.query(AuditFilter(errors_only=True))[-1].event.record
    assert (last["eventName"], last["errorCode"]) == ("CreateKey", "KMSInternalException")
    assert last["userIdentity"] == {"type": "Unknown", "accessKeyId": key.access_key_id}
    assert orjson.loads(refused.body)["__type"] == "KMSInternalException"
    core.close()


def test_signed_requests_that_generate_an_rsa_key_are_recognised(data_dir) -> None:
    core = open_core(data_dir)
    app = AwsKmsApp(core)
    key = core.credentials.create(ACCOUNT).key

    def spec(operation: str, **params) -> str | None:
        return app.key_to_make_first(signed_request(key, operation, **params))

    assert spec("CreateKey", KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY") == "RSA_4096"
    assert spec("CreateKey", CustomerMasterKeySpec="RSA_2048") == "RSA_2048"
    assert spec("GenerateDataKeyPair", KeyId="k", KeyPairSpec="RSA_3072") == "RSA_3072"
    assert spec("GetParametersForImport", KeyId="k", WrappingKeySpec="RSA_4096") == "RSA_4096"
    assert spec("CreateKey", KeySpec="RSA_4096", Origin="EXTERNAL") is None  # nothing is generated
    assert spec("CreateKey", KeySpec="ECC_NIST_P256") is None
    assert spec("Encrypt", KeyId="RSA_4096", Plaintext="eA==") is None
    for body in (b'{"KeySpec":"RSA_4096"}', b'{"KeySpec":"RSA_4096"'):  # unsigned; not even JSON
        unsigned = HttpRequest(method="POST", path="/", query="", headers={"x-amz-target": "TrentService.CreateKey"},
                               body=body, client_ip="127.0.0.1", secure=False)
        assert app.key_to_make_first(unsigned) is None  # nobody known asked: the server generates nothing
    core.close()
