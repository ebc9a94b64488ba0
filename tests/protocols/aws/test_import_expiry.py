"""The time-based parts of BYOK through the AWS adapter, in process with a manual clock: JSON requests are
validated against botocore's model, handled, and failures mapped to AWS error codes exactly as on the wire
(SigV4 is left out: a request signed at a manual time would be refused as skewed)."""

from __future__ import annotations

import base64
import os
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from strongroom.crypto.keygen import pkcs8
from strongroom.errors import StrongroomError
from strongroom.protocols.aws.errors import aws_error_for
from strongroom.protocols.aws.model import KmsModel
from strongroom.protocols.aws.operations import OPERATIONS
from tests.byok import aws_wrap

DAY = 86400


@pytest.fixture(scope="module")
def model() -> KmsModel:
    return KmsModel()


@pytest.fixture
def call(core, ctx, model):
    def send(operation: str, **body: Any) -> dict[str, Any]:
        wire = {k: base64.b64encode(v).decode() if isinstance(v, bytes) else v for k, v in body.items()}
        try:
            result = OPERATIONS[operation](core, ctx, model.validate(operation, wire)) or {}
        except StrongroomError as exc:
            return {"__type": aws_error_for(exc).code}
        return orjson.loads(orjson.dumps(result, default=lambda b: base64.b64encode(b).decode()))
    return send


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def import_with(call, key_id: str, material: bytes, **kw: Any) -> dict[str, Any]:
    params = call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm="RSA_AES_KEY_WRAP_SHA_256",
                  WrappingKeySpec="RSA_2048")
    return call("ImportKeyMaterial", KeyId=key_id, ImportToken=b64(params["ImportToken"]),
                EncryptedKeyMaterial=aws_wrap(b64(params["PublicKey"]), "RSA_AES_KEY_WRAP_SHA_256", material), **kw)


def test_material_expires_at_valid_to_and_comes_back_when_reimported(call, clock):
    key_id = call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    material = os.urandom(32)
    imported = import_with(call, key_id, material, ExpirationModel="KEY_MATERIAL_EXPIRES",
                           ValidTo=clock.now() + 2 * DAY)
    meta = call("DescribeKey", KeyId=key_id)["KeyMetadata"]
    assert meta["ValidTo"] == clock.now() + 2 * DAY and meta["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    blob = b64(call("Encrypt", KeyId=key_id, Plaintext=b"until tomorrow")["CiphertextBlob"])
    clock.advance(2 * DAY - 1)
    assert b64(call("Decrypt", CiphertextBlob=blob)["Plaintext"]) == b"until tomorrow"
    clock.advance(1)
    assert call("Decrypt", CiphertextBlob=blob) == {"__type": "KMSInvalidStateException"}
    assert call("DescribeKey", KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingImport"
    rotations = call("ListKeyRotations", KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["ImportState"]) for r in rotations] == [(imported["KeyMaterialId"],
                                                                           "PENDING_IMPORT")]
    again = import_with(call, key_id, material, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
    assert again["KeyMaterialId"] == imported["KeyMaterialId"]
    assert b64(call("Decrypt", CiphertextBlob=blob)["Plaintext"]) == b"until tomorrow"


def test_import_token_lasts_24_hours(call, clock):
    key_id = call("CreateKey", Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    params = call("GetParametersForImport", KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                  WrappingKeySpec="RSA_2048")
    assert params["ParametersValidTo"] == int(clock.now()) + DAY
    wrapped = aws_wrap(b64(params["PublicKey"]), "RSAES_OAEP_SHA_256", os.urandom(32))
    clock.advance(DAY)
    assert call("ImportKeyMaterial", KeyId=key_id, ImportToken=b64(params["ImportToken"]),
                EncryptedKeyMaterial=wrapped, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE") == {
        "__type": "ExpiredImportTokenException"}


def test_scheduler_expires_an_asymmetric_key_nobody_uses(call, core, clock):
    key_id = call("CreateKey", Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"]
    import_with(call, key_id, pkcs8(ec.generate_private_key(ec.SECP256R1())), ExpirationModel="KEY_MATERIAL_EXPIRES",
                ValidTo=clock.now() + DAY)
    assert call("Sign", KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    clock.advance(DAY)
    assert core.rotation.run_due().expired == [key_id]
    assert call("Sign", KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256") == {
        "__type": "KMSInvalidStateException"}
    assert call("GetPublicKey", KeyId=key_id) == {"__type": "KMSInvalidStateException"}
