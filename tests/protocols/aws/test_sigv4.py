"""SigV4 verification: requests signed by botocore and by an independent reference signer; every refusal."""

from __future__ import annotations

import calendar
import hashlib
import hmac
import re
import time
from collections.abc import Callable

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strongroom.domain.context import AccessKey
from strongroom.protocols.aws.sigv4 import (
    MISMATCH_MESSAGE,
    SigV4Error,
    SigV4Verifier,
    VerifiedRequest,
)
from strongroom.protocols.http import HttpRequest

AKID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
KEY = AccessKey(AKID, "111122223333", "alice", SECRET)
STAMP = "20261124T022824Z"
EPOCH = calendar.timegm(time.strptime(STAMP, "%Y%m%dT%H%M%SZ"))
BODY = b'{"KeyId": "alias/test", "Plaintext": "aGVsbG8="}'
MONGO_SIGNED = "content-length;content-type;host;x-amz-date;x-amz-target"


def lookup_of(*keys: AccessKey) -> Callable[[str], AccessKey | None]:
    table = {key.access_key_id: key for key in keys}
    return table.get


def verifier(now: float = EPOCH, *keys: AccessKey) -> SigV4Verifier:
    return SigV4Verifier(lookup_of(*(keys or (KEY,))), now=lambda: now)


def stamp_epoch(request: HttpRequest) -> int:
    return calendar.timegm(time.strptime(request.headers["x-amz-date"], "%Y%m%dT%H%M%SZ"))


# --- signers ------------------------------------------------------------------------------------------------


def botocore_signed(
    body: bytes = BODY,
    *,
    token: str | None = None,
    url: str = "http://127.0.0.1:8080/",
    target: str = "TrentService.Encrypt",
    extra: dict[str, str] | None = None,
    secret: str = SECRET,
) -> HttpRequest:
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": target,
        "Host": "127.0.0.1:8080",
        **(extra or {}),
    }
    aws = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(AKID, secret, token), "kms", "us-east-1").add_auth(aws)
    path, _, query = url.split("8080", 1)[1].partition("?")
    return HttpRequest(
        method="POST",
        path=path,
        query=query,
        headers={name.lower(): value for name, value in aws.headers.items()},
        body=body,
    )


def reference_signature(
    secret: str,
    stamp: str,
    scope: str,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    signed: str,
    body: bytes,
) -> str:
    """SigV4 written out from the spec, independent of the module under test and of botocore."""
    canonical_headers = "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in signed.split(";"))
    payload_hash = hashlib.sha256(body).hexdigest()
    canonical = f"{method}\n{path}\n{query}\n{canonical_headers}\n{signed}\n{payload_hash}"
    to_sign = f"AWS4-HMAC-SHA256\n{stamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def mongo_request(
    *,
    host: str = "127.0.0.1",
    target: str = "TrentService.Encrypt",
    stamp: str = STAMP,
    scope_date: str | None = None,
    service: str = "kms",
    terminator: str = "aws4_request",
    algorithm: str = "AWS4-HMAC-SHA256",
    signed: str = MONGO_SIGNED,
    body: bytes = BODY,
) -> HttpRequest:
    """What libmongocrypt (kms-message) sends: exactly these five headers, all signed."""
    headers = {
        "content-length": str(len(body)),
        "content-type": "application/x-amz-json-1.1",
        "host": host,
        "x-amz-date": stamp,
        "x-amz-target": target,
    }
    scope = f"{scope_date or stamp[:8]}/us-east-1/{service}/{terminator}"
    signature = reference_signature(SECRET, stamp, scope, "POST", "/", "", headers, signed, body)
    headers["authorization"] = (
        f"{algorithm} Credential={AKID}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return HttpRequest("POST", "/", "", headers, body, client_ip="127.0.0.1")


def refused(request: HttpRequest, v: SigV4Verifier | None = None) -> SigV4Error:
    """The refusal, the same the second time (when the verifier has the header's parsed form)."""
    v = v or verifier()
    errors = []
    for _ in range(2):
        with pytest.raises(SigV4Error) as caught:
            v.verify(request)
        errors.append(caught.value)
    assert (errors[0].code, errors[0].message, errors[0].status) == (errors[1].code, errors[1].message,
                                                                    errors[1].status)
    return errors[0]


# --- accepted ----------------------------------------------------------------------------------------------


def test_botocore_signed_kms_request_verifies() -> None:
    request = botocore_signed()
    assert request.headers["host"] == "127.0.0.1:8080"
    result = verifier(stamp_epoch(request)).verify(request)
    assert result == VerifiedRequest(KEY, "us-east-1", None)
    assert result.access_key.principal_arn == "arn:aws:iam::111122223333:user/alice"


def test_botocore_signed_with_session_token_returns_the_token() -> None:
    request = botocore_signed(token="FwoGZXIvYXdzEXAMPLETOKEN")
    assert "x-amz-security-token" in request.headers["authorization"]
    result = verifier(stamp_epoch(request)).verify(request)
    assert result.session_token == "FwoGZXIvYXdzEXAMPLETOKEN"


def test_botocore_signed_with_path_and_query_verifies() -> None:
    request = botocore_signed(url="http://127.0.0.1:8080/a%20b/./c//d/../e?b=2&a=1&a=0&x=%7E")
    verifier(stamp_epoch(request)).verify(request)


def test_botocore_signed_with_matching_content_sha256_verifies() -> None:
    request = botocore_signed(extra={"X-Amz-Content-SHA256": hashlib.sha256(BODY).hexdigest()})
    verifier(stamp_epoch(request)).verify(request)


def test_unsigned_headers_may_change() -> None:
    request = botocore_signed()
    request.headers["user-agent"] = "something else"
    verifier(stamp_epoch(request)).verify(request)


def test_libmongocrypt_style_encrypt_with_bare_host() -> None:
    result = verifier().verify(mongo_request(host="127.0.0.1"))
    assert result.region == "us-east-1"


def test_libmongocrypt_style_decrypt_with_host_and_port() -> None:
    verifier().verify(mongo_request(host="127.0.0.1:8443", target="TrentService.Decrypt"))


def test_host_is_used_exactly_as_received() -> None:
    request = mongo_request(host="127.0.0.1")
    request.headers["host"] = "127.0.0.1:8443"
    assert refused(request).message == MISMATCH_MESSAGE


def test_header_values_are_trimmed_and_spaces_collapsed() -> None:
    request = mongo_request(target="TrentService.Encrypt")
    request.headers["x-amz-target"] = "  TrentService.Encrypt  "
    verifier().verify(request)


def test_authorization_parts_may_be_separated_by_commas_alone() -> None:
    request = botocore_signed()
    algorithm, *parts = request.headers["authorization"].split()
    request.headers["authorization"] = algorithm + " " + "".join(parts)
    verifier(stamp_epoch(request)).verify(request)


def test_date_header_in_http_form_is_accepted_when_x_amz_date_is_absent() -> None:
    headers = {"host": "kms.example", "date": "Tue, 24 Nov 2026 02:28:24 GMT"}
    scope = f"{STAMP[:8]}/eu-west-1/kms/aws4_request"
    signature = reference_signature(SECRET, STAMP, scope, "POST", "/", "", headers, "date;host", BODY)
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders=date;host, Signature={signature}"
    )
    assert verifier().verify(HttpRequest("POST", "/", "", headers, BODY)).region == "eu-west-1"


def test_aws_get_vanilla_test_vector() -> None:
    """The 'get-vanilla' case of AWS's published SigV4 test suite."""
    headers = {
        "host": "example.amazonaws.com",
        "x-amz-date": "20150830T123600Z",
        "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    }
    key = AccessKey("AKIDEXAMPLE", "1", "root", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    v = SigV4Verifier(lookup_of(key), service="service", now=lambda: 1440938160)
    assert v.verify(HttpRequest("GET", "/", "", headers, b"")).access_key is key


def test_lookup_is_called_on_every_request_and_signing_keys_are_cached() -> None:
    calls: list[str] = []

    def lookup(key_id: str) -> AccessKey | None:
        calls.append(key_id)
        return KEY

    v = SigV4Verifier(lookup, now=lambda: EPOCH)
    v.verify(mongo_request())
    v.verify(mongo_request(target="TrentService.Decrypt"))
    assert calls == [AKID, AKID]
    assert len(v.signing_keys) == 1


def test_signing_key_cache_is_bounded() -> None:
    v = verifier()
    for i in range(5000):
        v._signer(SECRET, "20261124", f"region-{i}", "kms")
    assert 0 < len(v.signing_keys) <= 4096


def test_a_parsed_header_is_reused_but_every_request_is_checked_in_full() -> None:
    clock = [float(EPOCH)]
    v = SigV4Verifier(lookup_of(KEY), now=lambda: clock[0])
    v.verify(mongo_request())
    v.verify(mongo_request(target="TrentService.Decrypt"))  # the same header text, another signature
    assert len(v._headers) == 1
    forged = mongo_request()
    auth = forged.headers["authorization"]
    forged.headers["authorization"] = auth[:-4] + ("1111" if auth.endswith("0000") else "0000")
    assert refused(forged, v).message == MISMATCH_MESSAGE
    clock[0] = EPOCH + 301
    assert refused(mongo_request(), v).message.startswith("Signature expired")


def test_header_cache_is_bounded() -> None:
    v = verifier()
    auth = mongo_request().headers["authorization"]
    for i in range(5000):
        v._header(auth.replace("AKIAIOSFODNN7EXAMPLE", f"AKIA{i:016d}"))
    assert 0 < len(v._headers) <= 4096


# --- refused -----------------------------------------------------------------------------------------------


def test_tampered_body_is_refused() -> None:
    request = botocore_signed()
    request.body = BODY.replace(b"aGVsbG8=", b"aGVsbG9=")
    error = refused(request, verifier(stamp_epoch(request)))
    assert (error.code, error.status, error.message) == ("InvalidSignatureException", 400, MISMATCH_MESSAGE)


def test_tampered_signed_header_is_refused() -> None:
    request = botocore_signed()
    request.headers["x-amz-target"] = "TrentService.Decrypt"
    error = refused(request, verifier(stamp_epoch(request)))
    assert (error.code, error.status, error.message) == ("InvalidSignatureException", 400, MISMATCH_MESSAGE)


def test_signed_header_missing_from_request_is_refused() -> None:
    request = mongo_request()
    del request.headers["x-amz-target"]
    assert refused(request).message == MISMATCH_MESSAGE


def test_wrong_secret_is_refused() -> None:
    request = botocore_signed(secret="not-the-secret")
    error = refused(request, verifier(stamp_epoch(request)))
    assert (error.code, error.status, error.message) == ("InvalidSignatureException", 400, MISMATCH_MESSAGE)


def test_garbage_signature_is_refused_not_crashed() -> None:
    request = mongo_request()
    auth = request.headers["authorization"]
    request.headers["authorization"] = auth[: auth.index("Signature=") + 10] + "ünïcode"
    assert refused(request).message == MISMATCH_MESSAGE


@pytest.mark.parametrize("status", ["Inactive", None])
def test_unknown_or_inactive_access_key_is_refused(status: str | None) -> None:
    keys = () if status is None else (AccessKey(AKID, "111122223333", "alice", SECRET, status),)
    v = SigV4Verifier(lookup_of(*keys), now=lambda: EPOCH)
    error = refused(mongo_request(), v)
    assert (error.code, error.status) == ("UnrecognizedClientException", 400)
    assert error.message == "The security token included in the request is invalid."


@pytest.mark.parametrize("authorization", [None, "", "Basic dXNlcjpwYXNz", "AWS AKID:sig"])
def test_missing_authorization_is_refused(authorization: str | None) -> None:
    request = mongo_request()
    del request.headers["authorization"]
    if authorization is not None:
        request.headers["authorization"] = authorization
    error = refused(request)
    assert (error.code, error.status) == ("MissingAuthenticationTokenException", 400)
    assert error.message == "Request is missing Authentication Token"


def test_missing_date_headers_are_refused() -> None:
    request = mongo_request()
    del request.headers["x-amz-date"]
    error = refused(request)
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert error.message.startswith(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization="
    )


@pytest.mark.parametrize("part", ["Credential", "SignedHeaders", "Signature"])
def test_authorization_missing_a_part_is_refused(part: str) -> None:
    request = mongo_request()
    auth = request.headers["authorization"]
    kept = [p for p in auth.split(" ", 1)[1].split(", ") if not p.startswith(part + "=")]
    request.headers["authorization"] = "AWS4-HMAC-SHA256 " + ", ".join(kept)
    error = refused(request)
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    authorization = request.headers["authorization"]
    assert error.message == f"Authorization header requires '{part}' parameter. Authorization={authorization}"


@pytest.mark.parametrize("where", ["last", "before the signature"])
def test_authorization_pair_without_equal_sign_is_refused(where: str) -> None:
    request = mongo_request()
    auth = request.headers["authorization"]
    request.headers["authorization"] = auth + ", Bogus" if where == "last" else auth.replace(
        ", Signature", ", Bogus, Signature")
    error = refused(request)
    assert error.code == "IncompleteSignatureException"
    assert error.message.startswith("'Bogus' not a valid key=value pair (missing equal-sign)")
    assert error.message.endswith(f"in Authorization header: '{request.headers['authorization']}'.")


def test_unsupported_algorithm_is_refused() -> None:
    error = refused(mongo_request(algorithm="AWS4-HMAC-SHA1"))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert error.message == "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). "


def test_credential_without_five_parts_is_refused() -> None:
    request = mongo_request()
    request.headers["authorization"] = request.headers["authorization"].replace("/us-east-1", "")
    error = refused(request)
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert error.message == (
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        f"got '{AKID}/20261124/kms/aws4_request'"
    )


@pytest.mark.parametrize("stamp", ["2026-11-24T02:28:24Z", "20261324T022824Z", "20261124T022824", "x"])
def test_malformed_x_amz_date_is_refused(stamp: str) -> None:
    error = refused(mongo_request(stamp=stamp, scope_date="20261124"))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert error.message == (
        f"Date must be in ISO-8601 'basic format'. Got '{stamp}'. See http://en.wikipedia.org/wiki/ISO_8601"
    )


@pytest.mark.parametrize(
    ("signed", "header"),
    [
        ("content-length;content-type;x-amz-date;x-amz-target", "Host"),
        ("content-length;content-type;host;x-amz-target", "X-Amz-Date"),
    ],
)
def test_host_and_x_amz_date_must_be_signed(signed: str, header: str) -> None:
    error = refused(mongo_request(signed=signed))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == f"'{header}' must be a 'SignedHeader' in the AWS Authorization."


def test_security_token_must_be_signed() -> None:
    request = mongo_request()
    request.headers["x-amz-security-token"] = "sneaked-in"
    error = refused(request)
    assert error.message == "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization."


def test_request_too_old_is_refused_with_aws_wording() -> None:
    error = refused(mongo_request(), verifier(EPOCH + 301))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == (
        "Signature expired: 20261124T022824Z is now earlier than 20261124T022825Z (20261124T023325Z - 5 min.)"
    )


def test_request_from_the_future_is_refused_with_aws_wording() -> None:
    error = refused(mongo_request(), verifier(EPOCH - 301))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == (
        "Signature not yet current: 20261124T022824Z is still later than 20261124T022823Z "
        "(20261124T022323Z + 5 min.)"
    )


@pytest.mark.parametrize("offset", [-300, 300])
def test_skew_of_exactly_the_limit_is_accepted(offset: int) -> None:
    verifier(EPOCH + offset).verify(mongo_request())


def test_skew_limit_is_configurable() -> None:
    v = SigV4Verifier(lookup_of(KEY), max_skew_seconds=90, now=lambda: EPOCH + 91)
    assert refused(mongo_request(), v).message.endswith("(20261124T022955Z - 90 sec.)")


def test_scope_date_must_match_request_date() -> None:
    error = refused(mongo_request(stamp="20261124T000001Z", scope_date="20261123"), verifier(EPOCH - 9000))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20261123' != '20261124', from '20261124T000001Z'."
    )


def test_scope_service_must_be_kms() -> None:
    error = refused(mongo_request(service="s3"))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert error.message == "Credential should be scoped to correct service: 'kms'. "


def test_scope_terminator_must_be_aws4_request() -> None:
    error = refused(mongo_request(terminator="aws5_request"))
    assert (
        error.message
        == "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. "
    )


@pytest.mark.parametrize("declared", ["UNSIGNED-PAYLOAD", hashlib.sha256(b"other").hexdigest()])
def test_content_sha256_must_be_the_body_hash(declared: str) -> None:
    request = botocore_signed(extra={"X-Amz-Content-SHA256": declared})
    error = refused(request, verifier(stamp_epoch(request)))
    assert (error.code, error.status) == ("InvalidSignatureException", 400)
    assert "x-amz-content-sha256" in error.message


@pytest.mark.parametrize("component", ["Credential", "SignedHeaders", "Signature"])
@pytest.mark.parametrize("valid_copy", ["first", "last"])
def test_a_repeated_component_is_refused_wherever_the_valid_copy_is(component: str, valid_copy: str) -> None:
    """A header that says two things (the first copy to one reader, the last to another) is refused outright."""
    request = botocore_signed()
    auth = request.headers["authorization"]
    value = re.search(component + r"=([^,\s]+)", auth).group(1)  # type: ignore[union-attr]
    decoy = f"{component}=" + {"Credential": "AKIAOTHERKEY0000000/20261124/us-east-1/kms/aws4_request",
                               "SignedHeaders": "host", "Signature": "0" * 64}[component]
    real = f"{component}={value}"
    repeated = auth.replace(real, f"{decoy}, {real}" if valid_copy == "last" else f"{real}, {decoy}")
    request.headers["authorization"] = repeated
    error = refused(request, verifier(stamp_epoch(request)))
    assert (error.code, error.status) == ("IncompleteSignatureException", 400)
    assert f"'{component}' appears more than once" in error.message


def test_an_unknown_component_is_refused() -> None:
    request = botocore_signed()
    request.headers["authorization"] = request.headers["authorization"].replace(", Signature", ", Region=x, Signature")
    error = refused(request, verifier(stamp_epoch(request)))
    assert error.code == "IncompleteSignatureException" and "'Region' is not a component" in error.message
