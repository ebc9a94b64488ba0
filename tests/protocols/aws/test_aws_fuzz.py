"""Fuzzing every operation of the AWS adapter with bodies generated from botocore's own KMS model, then mutated:
members of the wrong type, sizes past the limits, odd encodings, nesting, unknown members, real key ids of every
kind among random ones; half the examples are well-typed, so they get past validation into the operations. Each
request is signed as boto3 signs it, so it reaches the operation. Property: a 200
with a JSON object, or an error in AWS's shape (``{"__type", "message"}``, 4xx) — never an internal error — and
the adapter still answers correctly afterwards.

Bounded for ``make test``: ``STRONGROOM_FUZZ_EXAMPLES`` examples per operation (default 12); set it higher for a
long run."""

from __future__ import annotations

import base64
import json
import os
import string
from collections.abc import Iterator
from typing import Any

import botocore.session
import orjson
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.protocols.aws.app import AwsKmsApp
from strongroom.protocols.http import HttpRequest
from strongroom.trust.key_file import create_root_key_file
from tests.conftest import ACCOUNT, open_core

EXAMPLES = int(os.environ.get("STRONGROOM_FUZZ_EXAMPLES", "12"))
MODEL = botocore.session.get_session().get_service_model("kms")
CHEAP_SPECS = ["SYMMETRIC_DEFAULT", "HMAC_256", "ECC_NIST_P256", "RSA_2048"]  # RSA_4096 makes each example slow


def signed_request(key: Any, operation: str, **params: Any) -> HttpRequest:
    """Signed by botocore's SigV4 signer as boto3 signs a call; the body by the standard library's JSON encoder,
    which writes integers of any size and lone surrogates as escapes."""
    body = json.dumps(params).encode()
    signed = AWSRequest(method="POST", url="http://127.0.0.1:8080/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"TrentService.{operation}"})
    SigV4Auth(Credentials(key.access_key_id, key.secret_access_key), "kms", "us-east-1").add_auth(signed)
    headers = {name.lower(): value for name, value in signed.headers.items()} | {"host": "127.0.0.1:8080"}
    return HttpRequest(method="POST", path="/", query="", headers=headers, body=body, client_ip="127.0.0.1")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AwsKmsApp, Any, dict[str, str]]]:
    data_dir = tmp_path_factory.mktemp("fuzz")
    create_root_key_file(data_dir / "root.key")
    core = open_core(data_dir)  # the system clock: requests are signed now
    app = AwsKmsApp(core)
    access = core.credentials.create(ACCOUNT).key
    made = {}
    for spec, usage in (("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), ("HMAC_256", "GENERATE_VERIFY_MAC"),
                        ("ECC_NIST_P256", "SIGN_VERIFY")):
        answer = app.handle(signed_request(access, "CreateKey", KeySpec=spec, KeyUsage=usage))
        made[spec] = orjson.loads(answer.body)["KeyMetadata"]["Arn"]
    app.handle(signed_request(access, "CreateAlias", AliasName="alias/fuzz", TargetKeyId=made["SYMMETRIC_DEFAULT"]))
    yield app, access, made
    core.close()


def _known(made: dict[str, str]) -> list[str]:
    arns = list(made.values())
    return arns + [arn.rsplit("/", 1)[1] for arn in arns] + ["alias/fuzz", "alias/aws/ebs"]


_WRONG = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
                   st.text(max_size=40), st.lists(st.integers(), max_size=3),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _value(shape: Any, made: dict[str, str], mutate: bool, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value of ``shape``; when ``mutate``, now and then of another type or size than the model allows, and
    structures with unknown members or without required ones."""
    right = _typed(shape, made, mutate, depth)
    return st.one_of(right, _WRONG) if mutate else right


def _typed(shape: Any, made: dict[str, str], mutate: bool, depth: int) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if depth > 4:
        return _WRONG if mutate else st.just({}) if kind == "structure" else st.just([]) if kind == "list" else \
            st.just("x")
    if kind == "structure":
        members = {name: _value(member, made, mutate, depth + 1) for name, member in shape.members.items()}
        required = {name: members[name] for name in shape.required_members} if not mutate else {}
        optional = {name: value for name, value in members.items() if name not in required}
        typed = st.fixed_dictionaries(required, optional=optional)
        if not mutate:
            return typed
        extra = st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=8), _WRONG, max_size=2)
        return st.one_of(typed, st.builds(lambda a, b: {**b, **a}, typed, extra))
    if kind == "list":
        return st.lists(_value(shape.member, made, mutate, depth + 1), max_size=4)
    if kind == "map":
        return st.dictionaries(st.text(min_size=1, max_size=20), st.text(max_size=20), max_size=4)
    if kind == "blob":
        sized = st.binary(min_size=1, max_size=300).map(lambda b: base64.b64encode(b).decode())
        return st.one_of(sized, st.text(max_size=30), st.just("A" * 9000)) if mutate else sized
    if kind in ("integer", "long"):
        return st.one_of(st.integers(1, 5000), st.integers(-(2**63), 2**63)) if mutate else st.integers(1, 1024)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.integers(0, 2**33)
    enum = [value for value in (getattr(shape, "enum", []) or []) if not value.startswith("RSA_")
            or value in CHEAP_SPECS]
    if enum:
        return st.one_of(st.sampled_from(enum), st.text(max_size=12)) if mutate else st.sampled_from(enum)
    if "KeyId" in shape.name or shape.name in ("AliasNameType",):
        known = st.sampled_from(_known(made))
        return st.one_of(known, st.text(max_size=80)) if mutate else known
    if mutate:
        return st.one_of(st.text(max_size=60), st.text(min_size=300, max_size=600), st.just("\u0000\ud7ff\ufffd"))
    return st.text(string.ascii_letters + string.digits + "/-_:", min_size=1, max_size=40)


OPERATIONS = sorted(MODEL.operation_names)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_answers_cleanly_whatever_it_is_sent(fuzzed, operation: str) -> None:  # type: ignore[no-untyped-def]
    app, access, made = fuzzed
    shape = MODEL.operation_model(operation).input_shape

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=False,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                     HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(st.one_of(_value(shape, made, False), _value(shape, made, True)) if shape is not None else st.just({}))
    def one(params: Any) -> None:
        if not isinstance(params, dict):
            params = {"Value": params}
        if params.get("KeySpec") not in (None, *CHEAP_SPECS) and str(params.get("KeySpec", "")).startswith("RSA"):
            params["KeySpec"] = "RSA_2048"
        answer = app.handle(signed_request(access, operation, **params))
        document = orjson.loads(answer.body)
        assert isinstance(document, dict)
        if answer.status == 200:
            return
        assert 400 <= answer.status < 500, (answer.status, document, params)
        assert isinstance(document.get("__type"), str) and isinstance(document.get("message", ""), str), document
        assert "Traceback" not in answer.body.decode("utf-8", "replace")

    one()


def test_the_adapter_still_answers_correctly_afterwards(fuzzed) -> None:  # type: ignore[no-untyped-def]
    app, access, _ = fuzzed  # the fuzzed keys may be disabled, deleted or locked by now: a fresh one
    key_id = orjson.loads(app.handle(signed_request(access, "CreateKey")).body)["KeyMetadata"]["KeyId"]
    sealed = orjson.loads(app.handle(signed_request(access, "Encrypt", KeyId=key_id,
                                                    Plaintext=base64.b64encode(b"after").decode())).body)
    opened = orjson.loads(app.handle(signed_request(access, "Decrypt", CiphertextBlob=sealed["CiphertextBlob"])).body)
    assert base64.b64decode(opened["Plaintext"]) == b"after"


def test_found_create_grant_without_a_grantee_is_a_validation_error(fuzzed) -> None:  # type: ignore[no-untyped-def]
    """Found by this fuzzer: botocore's model leaves GranteePrincipal optional, and the operation read it blindly."""
    app, access, made = fuzzed
    key_id = orjson.loads(app.handle(signed_request(access, "CreateKey")).body)["KeyMetadata"]["KeyId"]
    answer = app.handle(signed_request(access, "CreateGrant", KeyId=key_id, Operations=["Decrypt"]))
    assert answer.status == 400
    assert orjson.loads(answer.body) == {"__type": "ValidationException", "message": (
        "1 validation error detected: Value null at 'granteePrincipal' failed to satisfy constraint: Member must not "
        "be null")}
