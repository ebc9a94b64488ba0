"""The wire itself, below boto3: authentication errors, framing, error shapes, and all 56 operations."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import socket
import ssl
import urllib.request
from typing import Any

import botocore.auth
import botocore.session
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from kms_harness import (
    TEST_ACCESS_KEY_ID,
    TEST_SECRET_ACCESS_KEY,
    RawResponse,
    ServerInfo,
    assert_json_error,
    raw_call,
    sign_headers,
    signed_call,
)

OPERATIONS = sorted(botocore.session.get_session().get_service_model("kms").operation_names)

# Operations the other conformance modules exercise: they must not answer UnsupportedOperationException.
IMPLEMENTED = {
    "CreateKey",
    "DescribeKey",
    "ListKeys",
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "UpdateKeyDescription",
    "Encrypt",
    "Decrypt",
    "ReEncrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateRandom",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "ListAliases",
    "TagResource",
    "UntagResource",
    "ListResourceTags",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "GetKeyRotationStatus",
    "RotateKeyOnDemand",
    "ListKeyRotations",
    "Sign",
    "Verify",
    "GetPublicKey",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
    "Encapsulate",
    "Decapsulate",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
}


def _ok(resp: RawResponse) -> dict[str, Any]:
    assert resp.status == 200, f"{resp.status}: {resp.body[:300]!r}"
    return resp.json()


def test_signed_request_works(server: ServerInfo) -> None:
    """Baseline for the negative tests below: the same hand-signed request succeeds."""
    resp = signed_call(server, "ListKeys", {"Limit": 1})
    doc = _ok(resp)
    assert "Keys" in doc
    assert "__type" not in doc
    assert resp.headers.get("x-amzn-RequestId"), "AWS answers carry x-amzn-RequestId (boto3 reads it)"


def test_unsigned_request_rejected(server: ServerInfo) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"}
    resp = raw_call(server, "POST", "/", b"{}", headers)
    doc = assert_json_error(resp)
    assert doc["__type"] not in ("InvalidSignatureException", "SerializationException"), doc


def test_bad_signature_rejected(server: ServerInfo) -> None:
    resp = signed_call(server, "ListKeys", {}, secret_access_key="w" * 40)
    assert_json_error(resp, "InvalidSignatureException")


def test_body_altered_after_signing_rejected(server: ServerInfo) -> None:
    headers = sign_headers("TrentService.ListKeys", b'{"Limit": 1}', url=f"{server.endpoint}/")
    resp = raw_call(server, "POST", "/", b'{"Limit": 2}', headers)
    assert_json_error(resp, "InvalidSignatureException")


def test_target_altered_after_signing_rejected(server: ServerInfo) -> None:
    headers = sign_headers("TrentService.ListKeys", b"{}", url=f"{server.endpoint}/")
    headers["X-Amz-Target"] = "TrentService.ListAliases"
    resp = raw_call(server, "POST", "/", b"{}", headers)
    assert_json_error(resp, "InvalidSignatureException")


def test_unknown_access_key_rejected(server: ServerInfo) -> None:
    resp = signed_call(server, "ListKeys", {}, access_key_id="AKIAUNKNOWNUNKNOWN00")
    assert_json_error(resp, "UnrecognizedClientException")


def test_stale_request_date_rejected(server: ServerInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A correctly signed request dated 20 minutes ago is refused (AWS allows 5 minutes of skew)."""
    stale = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda *a, **k: stale, raising=False)
    headers = sign_headers("TrentService.ListKeys", b"{}", url=f"{server.endpoint}/")
    assert headers["X-Amz-Date"] == stale.strftime("%Y%m%dT%H%M%SZ"), "could not back-date the signer"
    resp = raw_call(server, "POST", "/", b"{}", headers)
    assert_json_error(resp, {"InvalidSignatureException", "RequestExpired", "SignatureDoesNotMatch"})


def test_credential_scope_for_another_service_rejected(server: ServerInfo) -> None:
    req = AWSRequest(
        method="POST",
        url=f"{server.endpoint}/",
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"},
    )
    SigV4Auth(Credentials(TEST_ACCESS_KEY_ID, TEST_SECRET_ACCESS_KEY), "s3", "us-east-1").add_auth(req)
    resp = raw_call(server, "POST", "/", b"{}", dict(req.headers.items()))
    assert_json_error(resp)


def test_unknown_target_is_a_json_error(server: ServerInfo) -> None:
    assert_json_error(signed_call(server, "TrentService.Nope", {}))


def test_foreign_target_prefix_is_a_json_error(server: ServerInfo) -> None:
    assert_json_error(signed_call(server, "DynamoDB_20120810.ListTables", {}))


@pytest.mark.parametrize("body", [b"this is not json", b'{"Limit": ', b"\xff\xfe\x00garbage"])
def test_garbage_body_is_serialization_exception(server: ServerInfo, body: bytes) -> None:
    assert_json_error(signed_call(server, "ListKeys", body), "SerializationException")


@pytest.mark.parametrize("body", [b"[]", b'"string"', b"42"])
def test_non_object_json_body_is_a_json_error(server: ServerInfo, body: bytes) -> None:
    assert_json_error(signed_call(server, "ListKeys", body), {"SerializationException", "ValidationException"})


def test_wrong_field_type_is_a_json_error(server: ServerInfo) -> None:
    resp = signed_call(server, "ListKeys", {"Limit": "ten"})
    assert_json_error(resp, {"SerializationException", "ValidationException"})


def _read_response(sock: socket.socket) -> RawResponse:
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    return RawResponse(resp.status, resp.headers, resp.read())


def test_oversized_body_rejected_without_hanging(server: ServerInfo) -> None:
    body = b'{"Plaintext": "' + b"A" * (2 * 1024 * 1024) + b'", "KeyId": "alias/x"}'
    headers = sign_headers("TrentService.Encrypt", body, url=f"{server.endpoint}/")
    head = "POST / HTTP/1.1\r\n" + f"Host: 127.0.0.1:{server.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        sock.sendall(head.encode())
        # A good server refuses on Content-Length alone; one that reads first answers after the body.
        sock.settimeout(2)
        try:
            early = sock.recv(1, socket.MSG_PEEK)
        except TimeoutError:
            early = b""
        sock.settimeout(15)
        if not early:
            try:
                sock.sendall(body)
            except (BrokenPipeError, ConnectionResetError):
                pass
        resp = _read_response(sock)
    assert_json_error(resp)
    # and the server still serves
    with urllib.request.urlopen(f"{server.endpoint}/health", timeout=5) as health:
        assert health.status == 200


def test_get_root_is_a_json_error_not_html(server: ServerInfo) -> None:
    resp = raw_call(server, "GET", "/")
    assert b"<html" not in resp.body.lower()
    assert_json_error(resp)


def test_post_to_another_path_is_a_json_error(server: ServerInfo) -> None:
    body = b"{}"
    headers = sign_headers("TrentService.ListKeys", body, url=f"{server.endpoint}/nope")
    resp = raw_call(server, "POST", "/nope", body, headers)
    assert b"<html" not in resp.body.lower()
    assert_json_error(resp)


def test_keep_alive_serves_several_requests_on_one_connection(server: ServerInfo) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for _ in range(3):
            headers = sign_headers("TrentService.ListKeys", b"{}", url=f"{server.endpoint}/")
            conn.request("POST", "/", body=b"{}", headers=headers)
            resp = conn.getresponse()
            assert resp.status == 200
            assert "Keys" in json.loads(resp.read())
    finally:
        conn.close()


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_operation_answers_json(server: ServerInfo, operation: str) -> None:
    resp = signed_call(server, operation, {})
    assert resp.status < 500, f"{operation} -> HTTP {resp.status}: {resp.body[:300]!r}"
    assert b"<html" not in resp.body.lower()
    assert "json" in resp.headers.get("Content-Type", ""), resp.headers.get("Content-Type")
    doc = resp.json()
    if resp.status == 200:
        assert "__type" not in doc, doc
        return
    doc = assert_json_error(resp)
    code = doc["__type"].rsplit("#", 1)[-1]
    if code == "UnsupportedOperationException":
        assert operation in doc["message"], f"message does not name {operation}: {doc['message']!r}"
        assert operation not in IMPLEMENTED, f"{operation} should be implemented: {doc}"


def test_the_model_has_56_operations() -> None:
    assert len(OPERATIONS) == 56


# --------------------------------------------------------------------------- raw bytes: libmongocrypt's view


def _raw_exchange(sock: socket.socket, request: bytes) -> tuple[bytes, bytes, bytes]:
    """Send ``request``; return (header block, body, bytes that followed the body)."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the header block ended: {data!r}"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name == b"Content-Length":
            length = int(value.strip())
    assert length is not None, f"no header named exactly 'Content-Length' in {head!r}"
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the body ended"
        rest += chunk
    body, extra = rest[:length], rest[length:]
    sock.settimeout(1)
    try:
        while chunk := sock.recv(65536):
            extra += chunk
    except (TimeoutError, ConnectionResetError, ssl.SSLError):
        pass  # kept open, or closed: both are fine; only extra bytes are not
    return head, body, extra


def _mongocrypt_style_request(server: ServerInfo, host_header: str, target: str, body: bytes) -> bytes:
    """A request framed like libmongocrypt's: ``Name:value`` without a space, sorted, ``Connection:close``."""
    url = f"{server.endpoint}/"
    signed = sign_headers(target, body, url=url, extra_headers={"Host": host_header, "Content-Length": str(len(body))})
    headers = {
        "Connection": "close",
        "Content-Length": str(len(body)),
        "Content-Type": "application/x-amz-json-1.1",
        "Host": host_header,
        "X-Amz-Date": signed["X-Amz-Date"],
        "X-Amz-Target": target,
    }
    lines = [f"{k}:{v}" for k, v in sorted(headers.items(), key=lambda kv: kv[0].lower())]
    lines.append(f"Authorization: {signed['Authorization']}")
    return ("POST / HTTP/1.1\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode() + body


def _check_framing(head: bytes, body: bytes, extra: bytes, status: bytes) -> None:
    assert head.startswith(b"HTTP/1.1 " + status), head[:40]
    names = [line.partition(b":")[0] for line in head.split(b"\r\n")[1:]]
    assert b"Content-Length" in names, names
    assert b"content-length" not in names
    assert extra == b"", f"bytes after the body: {extra[:100]!r}"
    json.loads(body)


def test_raw_response_header_casing_plain(server: ServerInfo) -> None:
    request = _mongocrypt_style_request(server, f"127.0.0.1:{server.port}", "TrentService.ListKeys", b"{}")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        head, body, extra = _raw_exchange(sock, request)
    _check_framing(head, body, extra, b"200")


def test_raw_error_response_header_casing_plain(server: ServerInfo) -> None:
    request = (
        f"POST / HTTP/1.1\r\nHost:127.0.0.1:{server.port}\r\nContent-Length:2\r\n"
        "Content-Type:application/x-amz-json-1.1\r\nX-Amz-Target:TrentService.ListKeys\r\n"
        "Connection:close\r\n\r\n{}"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        head, body, extra = _raw_exchange(sock, request)
    assert head.startswith(b"HTTP/1.1 4"), head[:40]
    _check_framing(head, body, extra, b"4")
    assert "__type" in json.loads(body)


def test_raw_mongocrypt_framing_over_tls_with_portless_host(server: ServerInfo) -> None:
    """libmongocrypt's Encrypt request signs ``Host:127.0.0.1`` (no port) and sends it over TLS."""
    kms = server.client()
    arn = kms.create_key(Description="raw tls")["KeyMetadata"]["Arn"]
    body = json.dumps({"KeyId": arn, "Plaintext": "AAECAwQFBgcICQ=="}).encode()
    request = _mongocrypt_style_request(server, "127.0.0.1", "TrentService.Encrypt", body)
    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as sock:
            head, resp_body, extra = _raw_exchange(sock, request)
    _check_framing(head, resp_body, extra, b"200")
    doc = json.loads(resp_body)
    assert doc["KeyId"] == arn
    assert doc["CiphertextBlob"]
