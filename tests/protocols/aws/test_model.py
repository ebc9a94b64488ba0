"""The KMS request validator compiled from botocore's model: AWS's shapes, codes and wording."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import Any

import botocore.session
import orjson
import pytest
from botocore.awsrequest import AWSResponse
from botocore.model import Shape

from strongroom.protocols.aws.model import KmsModel, ValidationFailure, _compile_pattern

KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SERVICE = botocore.session.get_session().get_service_model("kms")


@pytest.fixture(scope="module")
def model() -> KmsModel:
    return KmsModel()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def failure(model: KmsModel, operation: str, body: dict[str, Any]) -> ValidationFailure:
    with pytest.raises(ValidationFailure) as caught:
        model.validate(operation, orjson.loads(orjson.dumps(body)))
    return caught.value


def invalid(model: KmsModel, operation: str, body: dict[str, Any]) -> str:
    error = failure(model, operation, body)
    assert error.code == "ValidationException"
    return error.message


def one(path_and_value: str, constraint: str) -> str:
    return f"1 validation error detected: Value{path_and_value} failed to satisfy constraint: {constraint}"


# --- the operation list -------------------------------------------------------------------------------


def test_all_56_operations_are_known(model: KmsModel) -> None:
    assert len(model.operation_names) == 56
    assert {"Encrypt", "Decrypt", "CreateKey", "GetKeyLastUsage", "Encapsulate"} <= model.operation_names
    assert model.operation_names == frozenset(SERVICE.operation_names)


def test_every_pattern_in_the_model_compiles(model: KmsModel) -> None:
    patterns = {
        SERVICE.shape_for(name).metadata["pattern"]
        for name in SERVICE.shape_names
        if "pattern" in SERVICE.shape_for(name).metadata
    }
    assert patterns
    assert all(_compile_pattern(pattern) is not None for pattern in patterns)
    assert model.skipped_patterns == ()


def test_a_pattern_python_cannot_compile_is_skipped_not_fatal() -> None:
    assert _compile_pattern(r"[\p{L}\p{N}]+") is None  # Java's Unicode classes


# --- valid bodies ------------------------------------------------------------------------------------


def test_encrypt_decodes_the_plaintext(model: KmsModel) -> None:
    body = {"KeyId": KEY_ARN, "Plaintext": b64(b"k" * 32), "EncryptionContext": {"tenant": "t-42"}}
    params = model.validate("Encrypt", body)
    assert params == {"KeyId": KEY_ARN, "Plaintext": b"k" * 32, "EncryptionContext": {"tenant": "t-42"}}
    assert body["Plaintext"] == b64(b"k" * 32)  # the input is left alone


def test_generate_data_key_with_context(model: KmsModel) -> None:
    body = {"KeyId": "alias/app", "KeySpec": "AES_256", "EncryptionContext": {"a": "1", "b": "2"}}
    assert model.validate("GenerateDataKey", body) == body


def test_create_key_with_tags(model: KmsModel) -> None:
    body = {
        "Description": "app key",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "Tags": [{"TagKey": "team", "TagValue": "core"}, {"TagKey": "empty", "TagValue": ""}],
        "MultiRegion": False,
    }
    assert model.validate("CreateKey", body) == body
    assert model.validate("CreateKey", {}) == {}


def test_list_keys_with_limit_and_marker(model: KmsModel) -> None:
    body = {"Limit": 1000, "Marker": "eyJuZXh0IjoyfQ==", "ResourceOwners": ["SELF"]}
    assert model.validate("ListKeys", body) == body


def test_blobs_nested_and_in_several_members_are_decoded(model: KmsModel) -> None:
    body = {
        "KeyId": "k",
        "Message": b64(b"msg"),
        "Signature": b64(b"\x00\xff" * 40),
        "SigningAlgorithm": "ECDSA_SHA_256",
    }
    assert model.validate("Verify", body)["Signature"] == b"\x00\xff" * 40
    recipient = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": b64(b"doc")}
    params = model.validate("GenerateRandom", {"NumberOfBytes": 32, "Recipient": recipient})
    assert params["Recipient"]["AttestationDocument"] == b"doc"


def test_unknown_members_are_ignored_and_nulls_are_absent(model: KmsModel) -> None:
    # AWS ignores JSON members its shapes do not name, and reads null as absent.
    body = {"KeyId": "k", "Plaintext": "QQ==", "Surprise": {"x": [1]}, "GrantTokens": None}
    assert model.validate("Encrypt", body) == {"KeyId": "k", "Plaintext": b"A"}


def test_timestamps_are_epoch_seconds_and_decimals_truncate_for_integers(model: KmsModel) -> None:
    body = {"KeyId": "k", "ImportToken": "QQ==", "EncryptedKeyMaterial": "QQ==", "ValidTo": 1700000000}
    valid_to = model.validate("ImportKeyMaterial", body)["ValidTo"]
    assert valid_to == 1700000000.0 and type(valid_to) is float
    assert model.validate("ListKeys", {"Limit": 5.7}) == {"Limit": 5}


# --- constraint violations: ValidationException ------------------------------------------------------


def test_missing_required_members_are_each_reported(model: KmsModel) -> None:
    assert invalid(model, "Encrypt", {}) == (
        "2 validation errors detected: "
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null; "
        "Value null at 'plaintext' failed to satisfy constraint: Member must not be null"
    )
    assert invalid(model, "DescribeKey", {"KeyId": None}) == one(
        " null at 'keyId'", "Member must not be null"
    )


def test_string_length(model: KmsModel) -> None:
    assert invalid(model, "DescribeKey", {"KeyId": "x" * 2049}) == one(
        f" '{'x' * 2049}' at 'keyId'", "Member must have length less than or equal to 2048"
    )
    assert invalid(model, "DescribeKey", {"KeyId": ""}) == one(
        " '' at 'keyId'", "Member must have length greater than or equal to 1"
    )


def test_blob_length_is_counted_on_decoded_bytes_and_never_echoed(model: KmsModel) -> None:
    assert (
        model.validate("Encrypt", {"KeyId": "k", "Plaintext": b64(b"p" * 4096)})["Plaintext"] == b"p" * 4096
    )
    secret = b64(b"p" * 4097)
    message = invalid(model, "Encrypt", {"KeyId": "k", "Plaintext": secret})
    assert message == one(" at 'plaintext'", "Member must have length less than or equal to 4096")
    # AWS-verified wording for an empty plaintext (getmoto/moto tests/test_kms/test_kms_encrypt.py).
    assert invalid(model, "Encrypt", {"KeyId": "k", "Plaintext": ""}) == one(
        " at 'plaintext'", "Member must have length greater than or equal to 1"
    )
    assert invalid(model, "Decrypt", {"CiphertextBlob": b64(b"c" * 6145)}) == one(
        " at 'ciphertextBlob'", "Member must have length less than or equal to 6144"
    )


def test_list_length(model: KmsModel) -> None:
    assert invalid(model, "DescribeKey", {"KeyId": "k", "GrantTokens": ["t"] * 11}) == one(
        " '[t, t, t, t, t, t, t, t, t, t, t]' at 'grantTokens'",
        "Member must have length less than or equal to 10",
    )
    assert invalid(model, "ListKeys", {"ResourceOwners": []}) == one(
        " '[]' at 'resourceOwners'", "Member must have length greater than or equal to 1"
    )


def test_a_bad_list_member_is_reported_for_the_whole_list(model: KmsModel) -> None:
    assert invalid(model, "DescribeKey", {"KeyId": "k", "GrantTokens": ["ok", ""]}) == one(
        " '[ok, ]' at 'grantTokens'",
        "Member must satisfy constraint: [Member must have length less than or equal to 8192, "
        "Member must have length greater than or equal to 1]",
    )
    assert invalid(model, "ListKeys", {"ResourceOwners": ["ME"]}) == one(
        " '[ME]' at 'resourceOwners'",
        "Member must satisfy constraint: "
        "[Member must satisfy enum value set: [SELF, OTHER_ACCOUNTS_VIA_RAM]]",
    )


def test_integer_range(model: KmsModel) -> None:
    assert invalid(model, "ListKeys", {"Limit": 1001}) == one(
        " '1001' at 'limit'", "Member must have value less than or equal to 1000"
    )
    assert invalid(model, "ScheduleKeyDeletion", {"KeyId": "k", "PendingWindowInDays": 0}) == one(
        " '0' at 'pendingWindowInDays'", "Member must have value greater than or equal to 1"
    )


def test_enum(model: KmsModel) -> None:
    assert invalid(model, "GenerateDataKey", {"KeyId": "k", "KeySpec": "AES_512"}) == one(
        " 'AES_512' at 'keySpec'", "Member must satisfy enum value set: [AES_256, AES_128]"
    )


def test_pattern_is_matched_against_the_whole_value(model: KmsModel) -> None:
    assert invalid(model, "DeleteAlias", {"AliasName": "alias/bad name"}) == one(
        " 'alias/bad name' at 'aliasName'",
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    )
    # MarkerType's [\u0020-\u00FF]* would match anything if searched rather than matched.
    assert "'marker'" in invalid(model, "ListKeys", {"Marker": "ok\u0100"})
    # Java's \w is ASCII: so is ours.
    assert "'policyName'" in invalid(model, "GetKeyPolicy", {"KeyId": "k", "PolicyName": "déf"})


def test_several_violations_are_counted_pattern_before_length(model: KmsModel) -> None:
    assert invalid(model, "CreateAlias", {"AliasName": "", "TargetKeyId": "x" * 2049}) == (
        "3 validation errors detected: "
        "Value '' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$; "
        "Value '' at 'aliasName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        f"Value '{'x' * 2049}' at 'targetKeyId' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )


def test_nested_members_have_dotted_paths(model: KmsModel) -> None:
    assert invalid(model, "CreateKey", {"Tags": [{"TagKey": "a", "TagValue": "b"}, {"TagKey": ""}]}) == (
        "2 validation errors detected: "
        "Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value null at 'tags.2.member.tagValue' failed to satisfy constraint: Member must not be null"
    )
    assert invalid(model, "GenerateRandom", {"Recipient": {"KeyEncryptionAlgorithm": "RSA"}}) == one(
        " 'RSA' at 'recipient.keyEncryptionAlgorithm'",
        "Member must satisfy enum value set: [RSAES_OAEP_SHA_256]",
    )


def test_a_null_map_value_is_refused(model: KmsModel) -> None:
    assert invalid(
        model, "Encrypt", {"KeyId": "k", "Plaintext": "QQ==", "EncryptionContext": {"a": None}}
    ) == (
        one(
            " '{a=null}' at 'encryptionContext'",
            "Map value must satisfy constraint: [Member must not be null]",
        )
    )


def test_sensitive_strings_are_never_echoed(model: KmsModel) -> None:
    password = "hunter"  # KeyStorePasswordType: 7..32, sensitive
    message = invalid(
        model, "UpdateCustomKeyStore", {"CustomKeyStoreId": "cks-1", "KeyStorePassword": password}
    )
    assert message == one(" at 'keyStorePassword'", "Member must have length greater than or equal to 7")
    credential = {"AccessKeyId": "lowercase-secret-abcdef", "RawSecretAccessKey": "short"}
    body = {"CustomKeyStoreName": "xks", "XksProxyAuthenticationCredential": credential}
    message = invalid(model, "CreateCustomKeyStore", body)
    assert message.startswith(
        "2 validation errors detected: Value at 'xksProxyAuthenticationCredential.accessKeyId'"
    )
    assert "lowercase-secret" not in message and "short" not in message


# --- wrong JSON types: SerializationException --------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("DescribeKey", {"KeyId": 1}, "NUMBER_VALUE can not be converted to a String"),
        ("DescribeKey", {"KeyId": 1.5}, "NUMBER_VALUE can not be converted to a String"),
        ("DescribeKey", {"KeyId": True}, "TRUE_VALUE can not be converted to a String"),
        ("DescribeKey", {"KeyId": False}, "FALSE_VALUE can not be converted to a String"),
        ("DescribeKey", {"KeyId": ["k"]}, "Start of list found where not expected"),
        ("DescribeKey", {"KeyId": {"k": 1}}, "Start of structure or map found where not expected."),
        ("ListKeys", {"Limit": "5"}, "STRING_VALUE can not be converted to an Integer"),
        ("ListKeys", {"Limit": True}, "TRUE_VALUE can not be converted to an Integer"),
        ("ListKeys", {"Limit": [5]}, "Start of list found where not expected"),
        ("DescribeKey", {"KeyId": "k", "GrantTokens": "t"}, "Expected list or null"),
        (
            "DescribeKey",
            {"KeyId": "k", "GrantTokens": {}},
            "Start of structure or map found where not expected.",
        ),
        ("DescribeKey", {"KeyId": "k", "GrantTokens": [1]}, "NUMBER_VALUE can not be converted to a String"),
        ("GenerateDataKey", {"KeyId": "k", "EncryptionContext": "a=b"}, "Expected map or null"),
        (
            "GenerateDataKey",
            {"KeyId": "k", "EncryptionContext": []},
            "Start of list found where not expected",
        ),
        (
            "GenerateDataKey",
            {"KeyId": "k", "EncryptionContext": {"a": 1}},
            "NUMBER_VALUE can not be converted to a String",
        ),
        ("GenerateRandom", {"Recipient": "x"}, "Expected null"),
        ("GenerateRandom", {"Recipient": []}, "Start of list found where not expected"),
        ("Encrypt", {"KeyId": "k", "Plaintext": 5}, "NUMBER_VALUE can not be converted to a Blob"),
        (
            "Encrypt",
            {"KeyId": "k", "Plaintext": "QQ==", "DryRun": "true"},
            "STRING_VALUE can not be converted to a Boolean",
        ),
        ("ImportKeyMaterial", {"ValidTo": "2030-01-01"}, "STRING_VALUE can not be converted to a Timestamp"),
        ("CreateKey", {"Tags": [{"TagKey": 1}]}, "NUMBER_VALUE can not be converted to a String"),
    ],
)
def test_wrong_json_types(model: KmsModel, operation: str, body: dict[str, Any], message: str) -> None:
    error = failure(model, operation, body)
    assert (error.code, error.message) == ("SerializationException", message)


@pytest.mark.parametrize(
    ("blob", "reason"),
    [
        ("abc", "Base64 encoded length is expected a multiple of 4 bytes but found: 3"),
        ("ab!=", "Invalid Base64 character: '!'"),
        ("=+/=", "Invalid Base64 character: '='"),
        ("QUJD\nQUJD", "Base64 encoded length is expected a multiple of 4 bytes but found: 9"),
        ("+/+=", "Invalid last non-pad Base64 character dectected"),
        ("QR==", "Invalid last non-pad Base64 character dectected"),
    ],
)
def test_invalid_base64(model: KmsModel, blob: str, reason: str) -> None:
    error = failure(model, "Decrypt", {"CiphertextBlob": blob})
    assert error.code == "SerializationException"
    assert error.message == f"'{blob}' can not be converted to a Blob: {reason}"


def test_invalid_base64_in_a_sensitive_blob_is_not_echoed(model: KmsModel) -> None:
    error = failure(model, "Encrypt", {"KeyId": "k", "Plaintext": "my secret!!"})
    assert error.code == "SerializationException"
    assert "secret" not in error.message and "!" not in error.message
    assert error.message.startswith("'*** Sensitive Data Redacted ***' can not be converted to a Blob")


def test_a_type_error_wins_over_constraint_violations(model: KmsModel) -> None:
    error = failure(model, "Encrypt", {"KeyId": "x" * 3000, "Plaintext": 5})
    assert error.code == "SerializationException"


# --- what botocore actually sends --------------------------------------------------------------------

# Values for the model's patterned strings (a generic "xxx" would not match their patterns).
SAMPLES = {
    "AccountIdType": "111122223333",
    "AliasNameType": "alias/example",
    "BackingKeyIdType": "a" * 64,
    "CloudHsmClusterIdType": "cluster-234abcdefgh",
    "GrantConstraintSourceArnType": "arn:aws:lambda:us-east-1:111122223333:function:app",
    "GrantNameType": "grant-1",
    "KeyMaterialDescriptionType": "first material",
    "MarkerType": "next-page",
    "PolicyNameType": "default",
    "PolicyType": '{"Version": "2012-10-17"}',
    "PrincipalIdType": "arn:aws:iam::111122223333:role/app",
    "RegionType": "eu-west-1",
    "ServicePrincipalType": "service.amazonaws.com",
    "XksKeyIdType": "key-1",
    "XksProxyAuthenticationAccessKeyIdType": "ABCDEFGHIJKLMNOPQRST",
    "XksProxyAuthenticationRawSecretAccessKeyType": "a" * 43,
    "XksProxyUriEndpointType": "https://xks.example.com",
    "XksProxyUriPathType": "/kms/xks/v1",
    "XksProxyVpcEndpointServiceNameType": "com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0",
}
VALID_TO = datetime(2030, 1, 1, tzinfo=UTC)


def sample(shape: Shape, full: bool) -> Any:
    """Parameters for ``shape`` as a boto3 caller writes them: every member, or only the required ones."""
    md = shape.metadata
    if shape.type_name == "structure":
        names = shape.members if full else shape.required_members
        return {name: sample(shape.members[name], full) for name in names}
    if shape.type_name == "list":
        return [sample(shape.member, full)]
    if shape.type_name == "map":
        return {"purpose": sample(shape.value, full), "tenant": sample(shape.value, full)}
    if shape.type_name == "blob":
        return bytes(range(min(max(md.get("min", 1), 32), md.get("max", 32))))
    if shape.type_name == "integer":
        return md.get("min", 1)
    if shape.type_name == "boolean":
        return True
    if shape.type_name == "timestamp":
        return VALID_TO
    if "enum" in md:
        return md["enum"][-1]
    if shape.name in SAMPLES:
        return SAMPLES[shape.name]
    assert "pattern" not in md, f"add a sample for {shape.name}"
    return "x" * max(md.get("min", 1), 1)


def expected(value: Any) -> Any:
    """What validate() returns for parameters boto3 serialized: timestamps as epoch seconds."""
    if isinstance(value, dict):
        return {k: expected(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expected(v) for v in value]
    return value.timestamp() if isinstance(value, datetime) else value


class _Raw:
    def stream(self) -> Any:
        return iter([b"{}"])


@pytest.fixture(scope="module")
def sent() -> Any:
    """Calls a real botocore client whose requests stop at before-send; yields each body it serialized."""
    client = botocore.session.get_session().create_client(
        "kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    bodies: list[bytes] = []

    def before_send(request: Any, **_: Any) -> AWSResponse:
        bodies.append(request.body)
        return AWSResponse(request.url, 200, {}, _Raw())

    client.meta.events.register("before-send.kms", before_send)

    def send(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        getattr(client, botocore.xform_name(operation))(**params)
        return orjson.loads(bodies.pop())

    return send


@pytest.mark.parametrize("full", [True, False], ids=["every-member", "required-only"])
@pytest.mark.parametrize("operation", sorted(SERVICE.operation_names))
def test_validate_accepts_what_botocore_sends(model: KmsModel, sent: Any, operation: str, full: bool) -> None:
    params = sample(SERVICE.operation_model(operation).input_shape, full)
    assert model.validate(operation, sent(operation, params)) == expected(params)


def test_botocore_bodies_for_common_calls(model: KmsModel, sent: Any) -> None:
    calls = {
        "Encrypt": {"KeyId": KEY_ARN, "Plaintext": b"\x00" * 32, "EncryptionContext": {"app": "x"}},
        "Decrypt": {"CiphertextBlob": b"\x01" * 100, "KeyId": "alias/app"},
        "ReEncrypt": {"CiphertextBlob": b"c", "DestinationKeyId": "k", "SourceEncryptionContext": {"a": "b"}},
        "GenerateDataKey": {"KeyId": "k", "NumberOfBytes": 64, "GrantTokens": ["g1", "g2"]},
        "CreateKey": {
            "Tags": [{"TagKey": "t", "TagValue": ""}],
            "KeyUsage": "SIGN_VERIFY",
            "KeySpec": "ECC_NIST_P256",
        },
        "ListKeys": {"Limit": 10, "Marker": "m"},
        "Sign": {
            "KeyId": "k",
            "Message": b"m" * 4096,
            "MessageType": "RAW",
            "SigningAlgorithm": "ECDSA_SHA_256",
        },
        "CreateGrant": {
            "KeyId": "k",
            "Operations": ["Encrypt", "Decrypt"],
            "GranteePrincipal": "arn:aws:iam::1:root",
        },
        "ScheduleKeyDeletion": {"KeyId": "k", "PendingWindowInDays": 7},
        "ImportKeyMaterial": {
            "KeyId": "k",
            "ImportToken": b"t",
            "EncryptedKeyMaterial": b"e",
            "ValidTo": VALID_TO,
        },
        "TagResource": {"KeyId": "k", "Tags": [{"TagKey": "a", "TagValue": "b"}]},
        "GenerateMac": {"KeyId": "k", "Message": b"hello", "MacAlgorithm": "HMAC_SHA_256"},
    }
    for operation, params in calls.items():
        assert model.validate(operation, sent(operation, params)) == expected(params), operation


def test_pattern_samples_really_exercise_the_patterns() -> None:
    for name, value in SAMPLES.items():
        regex = _compile_pattern(SERVICE.shape_for(name).metadata["pattern"])
        assert regex is not None and regex.fullmatch(value), name
    assert re.fullmatch(r"\w+", "é", re.ASCII) is None
