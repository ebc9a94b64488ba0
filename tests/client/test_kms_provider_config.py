"""Parsing kms_providers, kms_tls_options and endpoints, as MongoDB drivers and libmongocrypt read them."""

from __future__ import annotations

import base64
import os
import ssl

import pytest

from strongroom_client import ConfigurationError, KmsError
from strongroom_client.providers import build_providers, provider_kind
from strongroom_client.providers.endpoint import parse_endpoint
from strongroom_client.providers.http import HttpRequest, HttpResponse, RetryPolicy
from strongroom_client.providers.tls import ssl_context

AWS = {"accessKeyId": "AKIA", "secretAccessKey": "secret"}


@pytest.mark.parametrize(
    ("raw", "host", "port", "stored"),
    [
        ("127.0.0.1:8443", "127.0.0.1", 8443, "127.0.0.1:8443"),
        ("kms.example.test", "kms.example.test", 443, "kms.example.test"),
        ("https://kms.example.test:9000/path/x?q=1", "kms.example.test", 9000, "kms.example.test:9000"),
        ("kms.example.test/path:8080", "kms.example.test", 443, "kms.example.test"),
        ("kms.example.test?x=a:b", "kms.example.test", 443, "kms.example.test"),
    ],
)
def test_endpoints(raw: str, host: str, port: int, stored: str) -> None:
    endpoint = parse_endpoint(raw)
    assert (endpoint.host, endpoint.port, endpoint.host_and_port) == (host, port, stored)


@pytest.mark.parametrize("raw", ["localhost:8443", "[::1]:8443", "", "kms.example.test:99999", "kms.example.test:x"])
def test_bad_endpoints(raw: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_endpoint(raw)


def test_kmip_style_endpoints_may_skip_the_dot() -> None:
    assert parse_endpoint("localhost", default_port=5696, require_dot=False).port == 5696


def test_host_header_omits_only_the_default_port() -> None:
    assert parse_endpoint("kms.example.test:443").host_header == "kms.example.test"
    assert parse_endpoint("127.0.0.1:8443").host_header == "127.0.0.1:8443"


@pytest.mark.parametrize(("name", "kind"), [("local", "local"), ("aws:prod_2", "aws"), ("kmip:x", "kmip")])
def test_provider_names(name: str, kind: str) -> None:
    assert provider_kind(name) == kind


@pytest.mark.parametrize("name", ["aws:", "aws:pro-d", "vault", "AWS", "aws:a:b", ""])
def test_bad_provider_names(name: str) -> None:
    with pytest.raises(ConfigurationError, match="invalid KMS provider name"):
        provider_kind(name)


def test_local_key_may_be_base64() -> None:
    key = os.urandom(96)
    providers = build_providers({"local": {"key": base64.b64encode(key).decode()}})
    assert providers["local"].unwrap(providers["local"].wrap(b"k" * 96, {}), {}) == b"k" * 96


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "at least one"),
        ({"local": {"key": b"short"}}, "96 bytes"),
        ({"local": {"key": "not base64!"}}, "base64"),
        ({"local": {"key": os.urandom(96), "extra": 1}}, "exactly one field"),
        ({"aws": {}}, "on-demand"),
        ({"aws": {"accessKeyId": "A"}}, "'secretAccessKey' is required"),
        ({"aws": dict(AWS, region="x")}, "unexpected field 'region'"),
        ({"azure": {"tenantId": "t", "clientId": "c"}}, "'clientSecret' is required"),
        ({"gcp": {"email": "sa@p.iam.gserviceaccount.com"}}, "'privateKey' is required"),
        ({"gcp": {"email": "sa@p.iam.gserviceaccount.com", "privateKey": "bm90IGEga2V5"}}, "not a PKCS#8"),
        ({"vault": {}}, "invalid KMS provider name"),
        ({"kmip": {}}, "'endpoint' is required"),
        ({"kmip": {"endpoint": "kmip.example.test", "keyId": "1"}}, "unexpected field 'keyId'"),
        ({"kmip": {"endpoint": "kmip.example.test:0"}}, "bad port"),
    ],
)
def test_bad_kms_providers(config: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build_providers(config)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tlsInsecure": True}, "insecure"),
        ({"tlsAllowInvalidCertificates": True}, "insecure"),
        ({"tlsAllowInvalidHostnames": True}, "insecure"),
        ({"tls": False}, "TLS is required"),
        ({"tlsCAFlie": "x"}, "unknown option"),
        ({"tlsCAFile": "/nonexistent/ca.pem"}, "No such file"),
    ],
)
def test_bad_tls_options(options: dict, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        build_providers({"aws": AWS}, {"aws": options})


def test_tls_options_must_name_a_network_provider() -> None:
    with pytest.raises(ConfigurationError, match="not in kms_providers"):
        build_providers({"aws": AWS}, {"aws:other": {}})
    with pytest.raises(ConfigurationError, match="does not use TLS"):
        build_providers({"local": {"key": os.urandom(96)}}, {"local": {}})


def test_ssl_context_verifies() -> None:
    context = ssl_context("aws", None)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


def test_network_errors_are_retried_then_reported() -> None:
    calls: list[HttpRequest] = []

    def broken(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        raise ConnectionRefusedError("refused")

    sleeps: list[float] = []
    policy = RetryPolicy(sleep=sleeps.append, jitter=lambda: 1.0)
    make = lambda: HttpRequest("aws", "kms.example.test", 443, [], b"")  # noqa: E731
    with pytest.raises(KmsError, match="cannot reach kms.example.test:443") as info:
        policy.send(make, broken, {500})
    assert info.value.status is None
    assert len(calls) == 4 and sleeps == [0.2, 0.4, 0.8]


def test_certificate_failures_are_not_retried() -> None:
    calls = []

    def untrusted(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        raise ssl.SSLCertVerificationError("certificate verify failed")

    with pytest.raises(KmsError, match="TLS verification"):
        RetryPolicy(sleep=lambda s: None).send(lambda: HttpRequest("aws", "h.test", 443, [], b""), untrusted, {500})
    assert len(calls) == 1
