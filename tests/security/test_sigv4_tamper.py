"""A SigV4 tamper matrix: a request boto3 signed is accepted as sent, and refused after any one change to what
the signature covers — each signed header, each body byte position tried, each part of the credential scope, the
algorithm, the signature itself — or when its time is outside the 5-minute window either way. A signature in the
query string (presigned form) is not a credential here. Inside the window a replay is accepted, as on AWS (SigV4
has no nonce; the window bounds it)."""

from __future__ import annotations

import copy

import pytest

from strongroom.protocols.aws.sigv4 import SigV4Error
from strongroom.protocols.http import HttpRequest
from tests.protocols.aws.test_sigv4 import botocore_signed, stamp_epoch, verifier

SIGNED = botocore_signed()
NOW = stamp_epoch(SIGNED)


def _refused(request: HttpRequest, now: float = NOW) -> SigV4Error:
    with pytest.raises(SigV4Error) as caught:
        verifier(now).verify(request)
    return caught.value


def _with_header(name: str, value: str) -> HttpRequest:
    request = copy.deepcopy(SIGNED)
    request.headers[name] = value
    return request


def test_the_request_as_signed_is_accepted_and_may_be_replayed_inside_the_window() -> None:
    check = verifier(NOW)
    assert check.verify(SIGNED).access_key.access_key_id == "AKIAIOSFODNN7EXAMPLE"
    assert check.verify(copy.deepcopy(SIGNED)).region == "us-east-1"  # a replay within the window
    assert verifier(NOW + 299).verify(SIGNED) and verifier(NOW - 299).verify(SIGNED)


SIGNED_HEADERS = SIGNED.headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")


@pytest.mark.parametrize("name", SIGNED_HEADERS)
def test_changing_any_signed_header_is_refused(name: str) -> None:
    value = SIGNED.headers[name]
    changed = value[:-1] + ("0" if value[-1] != "0" else "1")
    error = _refused(_with_header(name, changed))
    assert error.code in ("InvalidSignatureException", "IncompleteSignatureException")


@pytest.mark.parametrize("position", [0, 1, 10, len(SIGNED.body) // 2, len(SIGNED.body) - 2, len(SIGNED.body) - 1])
def test_changing_any_body_byte_is_refused(position: int) -> None:
    request = copy.deepcopy(SIGNED)
    body = bytearray(request.body)
    body[position] ^= 0x01
    request.body = bytes(body)
    assert _refused(request).code == "InvalidSignatureException"


def test_appending_to_the_body_is_refused() -> None:
    request = copy.deepcopy(SIGNED)
    request.body += b" "
    assert _refused(request).code == "InvalidSignatureException"


SCOPE = SIGNED.headers["authorization"].split("Credential=")[1].split(",")[0]


@pytest.mark.parametrize("part", range(1, 5))
def test_changing_any_scope_part_is_refused(part: int) -> None:
    pieces = SCOPE.split("/")
    pieces[part] = {1: "20200101", 2: "eu-west-1", 3: "s3", 4: "aws5_request"}[part]
    auth = SIGNED.headers["authorization"].replace(SCOPE, "/".join(pieces))
    assert _refused(_with_header("authorization", auth)).code in ("InvalidSignatureException",
                                                                   "IncompleteSignatureException")


def test_another_access_key_is_refused() -> None:
    auth = SIGNED.headers["authorization"].replace("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLF")
    assert _refused(_with_header("authorization", auth)).code == "UnrecognizedClientException"


@pytest.mark.parametrize("algorithm", ["AWS4-HMAC-SHA1", "AWS4-ECDSA-P256-SHA256", "AWS4-HMAC-SHA256X"])
def test_another_algorithm_is_refused(algorithm: str) -> None:
    auth = SIGNED.headers["authorization"].replace("AWS4-HMAC-SHA256", algorithm, 1)
    assert _refused(_with_header("authorization", auth)).code in ("IncompleteSignatureException",
                                                                   "InvalidSignatureException")


def test_a_changed_signature_is_refused() -> None:
    auth = SIGNED.headers["authorization"]
    flipped = auth[:-1] + ("0" if auth[-1] != "0" else "1")
    assert _refused(_with_header("authorization", flipped)).code == "InvalidSignatureException"


@pytest.mark.parametrize("skew", [301, 3600, -301, -86400])
def test_a_time_outside_the_window_is_refused_either_way(skew: int) -> None:
    error = _refused(SIGNED, now=NOW - skew)
    assert error.code == "InvalidSignatureException"
    assert ("expired" if skew < 0 else "not yet current") in error.message


def test_a_presigned_query_is_not_a_credential() -> None:
    auth = SIGNED.headers["authorization"]
    query = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + SCOPE.replace("/", "%2F")
             + f"&X-Amz-Date={SIGNED.headers['x-amz-date']}&X-Amz-SignedHeaders=host"
             + "&X-Amz-Signature=" + auth.rsplit("Signature=", 1)[1])
    request = HttpRequest("POST", "/", query, {k: v for k, v in SIGNED.headers.items() if k != "authorization"},
                          SIGNED.body)
    assert _refused(request).code == "MissingAuthenticationTokenException"
