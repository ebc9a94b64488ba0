"""The cloud cells' pure parts: request builders, the plan's cells and time, pairing with AWS Decrypt, the report."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bench import cloud, report
from bench.cloud_setup import CloudSetupError
from bench.measure import Cell, Runner
from bench.signing import PLAINTEXT_32, Request, static_script
from bench.suite import CELL_OVERHEAD_S, Plan, cloud_cells
from bench.systems import EXPECTED_REPLY_MEMBER

APP = cloud.AzureApp("tenant-1", "client-1", "s3cret+/=")


def _header(request: Request, name: str) -> str:
    return dict(request.headers)[name]


def test_parse_app_reads_the_cli_output_and_names_what_is_missing() -> None:
    text = "tenant_id     = t-1\nclient_id     = c-1\nclient_secret = a=b\n"
    assert cloud.parse_app(text) == cloud.AzureApp("t-1", "c-1", "a=b")
    with pytest.raises(ValueError, match="client_secret"):
        cloud.parse_app("tenant_id = t\nclient_id = c\n")


def test_azure_token_request_is_the_client_credentials_grant() -> None:
    request = cloud.azure_token_request(APP, 8200)
    assert (request.method, request.path, request.operation) == ("POST", "/tenant-1/oauth2/v2.0/token", "AzureToken")
    assert _header(request, "Content-Type") == cloud.FORM and _header(request, "Host") == "127.0.0.1:8200"
    assert "Authorization" not in dict(request.headers)
    form = parse_qs(request.body.decode())
    assert form == {"client_id": ["client-1"], "client_secret": ["s3cret+/="], "grant_type": ["client_credentials"],
                    "scope": [cloud.AZURE_SCOPE]}


def test_azure_requests_carry_the_bearer_token_and_base64url_values() -> None:
    value = bytes(range(250, 256)) * 16
    wrap = cloud.azure_wrap_request("tok", 8200, "v1", value)
    assert wrap.path == f"/keys/{cloud.AZURE_KEY}/v1/wrapkey?api-version=7.4"
    assert json.loads(wrap.body) == {"alg": "RSA-OAEP-256", "value": cloud.b64url(value)}
    assert "=" not in cloud.b64url(value) and "+" not in cloud.b64url(value)
    unwrap = cloud.azure_unwrap_request("tok", 8200, "v1", "abc_-")
    assert unwrap.operation == "AzureUnwrapKey"
    assert unwrap.path == f"/keys/{cloud.AZURE_KEY}/v1/unwrapkey?api-version=7.4"
    assert _header(unwrap, "Authorization") == "Bearer tok" and _header(unwrap, "Content-Type") == cloud.JSON
    assert json.loads(unwrap.body) == {"alg": "RSA-OAEP-256", "value": "abc_-"}
    create = cloud.azure_create_key_request("tok", 8200)
    assert json.loads(create.body) == {"kty": "RSA", "key_size": 2048}
    script = static_script(unwrap)
    assert f'wrk.path = "/keys/{cloud.AZURE_KEY}/v1/unwrapkey?api-version=7.4"' in script
    assert 'wrk.headers["Authorization"] = "Bearer tok"' in script


def test_key_version_is_the_identifiers_last_segment() -> None:
    assert cloud.key_version(f"https://127.0.0.1:1/keys/{cloud.AZURE_KEY}/abc123") == "abc123"
    with pytest.raises(ValueError):
        cloud.key_version(f"https://127.0.0.1:1/keys/{cloud.AZURE_KEY}")


def test_gcp_assertion_is_google_auths_rs256_jwt_for_an_hour() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    account = cloud.service_account({"client_email": "a@bench.iam.gserviceaccount.com", "private_key": pem,
                                     "private_key_id": "kid-1", "token_uri": "ignored"})
    assertion = cloud.gcp_assertion(account, now=1_000_000)
    assert jwt.get_unverified_header(assertion) == {"alg": "RS256", "kid": "kid-1", "typ": "JWT"}
    claims = jwt.decode(assertion, key.public_key(), algorithms=["RS256"], audience=cloud.GCP_AUDIENCE,
                        options={"verify_exp": False, "verify_iat": False})
    assert claims["iss"] == claims["sub"] == account.client_email
    assert claims["exp"] - claims["iat"] == 3600 and claims["scope"] == cloud.GCP_SCOPE
    token = cloud.gcp_token_request(assertion, 9000)
    assert (token.path, _header(token, "Content-Type")) == ("/token", cloud.FORM)
    assert parse_qs(token.body.decode()) == {"grant_type": [cloud.GCP_GRANT], "assertion": [assertion]}


def test_gcp_requests_address_the_bench_key() -> None:
    ring, key = cloud.gcp_setup_requests("tok", 9000)
    base = "/v1/projects/bench/locations/global/keyRings"
    assert ring.path == f"{base}?keyRingId=bench" and json.loads(ring.body) == {}
    assert key.path == f"{base}/bench/cryptoKeys?cryptoKeyId=bench"
    assert json.loads(key.body) == {"purpose": "ENCRYPT_DECRYPT"}
    encrypt = cloud.gcp_encrypt_request("tok", 9000)
    assert base64.b64decode(json.loads(encrypt.body)["plaintext"]) == PLAINTEXT_32
    decrypt = cloud.gcp_decrypt_request("tok", 9000, "Q0lQSEVS")
    assert decrypt.path == f"{base}/bench/cryptoKeys/bench:decrypt" and json.loads(decrypt.body) == {
        "ciphertext": "Q0lQSEVS"}
    assert _header(decrypt, "Authorization") == "Bearer tok"


def test_the_preflight_checks_each_cloud_answer_for_its_member() -> None:
    assert {op: EXPECTED_REPLY_MEMBER[op] for op in cloud.CLOUD_OPERATIONS} == {
        "AzureUnwrapKey": "value", "GcpDecrypt": "plaintext", "AzureToken": "access_token",
        "GcpToken": "access_token"}


def _plan(**extra: object) -> Plan:
    base = {"operations": ["Decrypt"], "concurrency": [1], "reps": 3, "duration_s": 3, "warmup_s": 0,
            "createkey_concurrency": [], "createkey_reps": 3, "scale_keys": [], "scale_reps": 3,
            "scale_connections": 8, "spread_keys": 10, "seed": 3, "deadline": 0.0, "profile_seconds": 0}
    return Plan(**{**base, **extra})  # type: ignore[arg-type]


class _FakeClient:
    def request(self, operation: str) -> str:
        return f"request:{operation}"


class _FakeSystem:
    def request(self, operation: str) -> str:
        return f"aws:{operation}"


def test_the_plan_pairs_every_cloud_cell_with_aws_decrypt_and_budgets_them() -> None:
    off = _plan()
    assert not off.cloud and off.cloud_seconds() == 0.0 and off.cloud_cells_per_rep() == 0
    on = _plan(cloud_concurrency=[1, 8, 64], cloud_token_concurrency=[1, 8])
    assert on.cloud_aws_concurrency() == [8, 64]  # AWS Decrypt at 1 is a main cell already
    assert on.cloud_cells_per_rep() == 6 + 2 + 4
    assert on.estimate() - off.estimate() == pytest.approx(on.cloud_seconds())
    assert on.cloud_rep_seconds() == pytest.approx(12 * (3 + CELL_OVERHEAD_S))
    assert 100 < on.cloud_seconds() < 150
    no_decrypt = _plan(operations=["Encrypt"], concurrency=[1, 8, 64], cloud_concurrency=[1, 8])
    assert no_decrypt.cloud_aws_concurrency() == [1, 8]


def test_cloud_cells_build_their_requests_when_the_cell_runs() -> None:
    plan = _plan(cloud_concurrency=[1, 8], cloud_token_concurrency=[8])
    cells = cloud_cells(plan, _FakeSystem(), _FakeClient())  # type: ignore[arg-type]
    named = {(c.system, c.operation, c.connections): make() for c, _, make in cells}
    assert named == {
        ("strongroom", "AzureUnwrapKey", 1): ["request:AzureUnwrapKey"],
        ("strongroom", "GcpDecrypt", 1): ["request:GcpDecrypt"],
        ("strongroom", "AzureUnwrapKey", 8): ["request:AzureUnwrapKey"],
        ("strongroom", "GcpDecrypt", 8): ["request:GcpDecrypt"],
        ("strongroom", "Decrypt", 8): ["aws:Decrypt"],
        ("strongroom", "AzureToken", 8): ["request:AzureToken"],
        ("strongroom", "GcpToken", 8): ["request:GcpToken"]}


def _run(operation: str, rep: int, rps: float, c: int = 8, **extra: object) -> dict[str, Any]:
    return {"system": "strongroom", "operation": operation, "connections": c, "mode": "fixed", "keys": 0, "rep": rep,
            "rps": rps, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 4.0, "server_cpu_s_per_1k": 0.5,
            "server_cores": 1.0, "wrk_cores": 0.3, "other_cores": 0.0, "steal_cores": 0.0, "errors": 0,
            "requests": 100, "memory": {"hwm_mib": 100.0, "pss_mib": 50.0}, "error": None, **extra}


RUNS = [_run("Decrypt", 0, 8000), _run("Decrypt", 1, 6000), _run("AzureUnwrapKey", 0, 2000),
        _run("AzureUnwrapKey", 1, 3000), _run("GcpDecrypt", 0, 4000), _run("GcpToken", 0, 2000),
        _run("AzureToken", 1, 3000, error="preflight failed")]


def test_cloud_ratios_pair_per_repetition_with_aws_decrypt() -> None:
    ratios = {(r["operation"], r["connections"]): r for r in report.cloud_ratios(RUNS, [8], [8])}
    assert set(ratios) == {("AzureUnwrapKey", 8), ("GcpDecrypt", 8), ("AzureToken", 8), ("GcpToken", 8)}
    azure = ratios["AzureUnwrapKey", 8]["vs_aws_decrypt"]
    assert (azure["median"], azure["min"], azure["max"], azure["pairs"]) == (0.375, 0.25, 0.5, 2)
    assert ratios["GcpDecrypt", 8]["vs_aws_decrypt"]["median"] == 0.5
    assert ratios["GcpToken", 8]["token"] and ratios["GcpToken", 8]["vs_aws_decrypt"]["median"] == 0.25
    assert ratios["AzureToken", 8]["vs_aws_decrypt"]["pairs"] == 0  # its only run failed
    assert report.cloud_ratios(RUNS, [], []) == []


def _results(runs: list[dict[str, Any]], **cloud_extra: Any) -> dict[str, Any]:
    config = {"operations": ["Decrypt"], "concurrency": [8], "createkey_concurrency": [], "scale_keys": [],
              "scale_connections": 8, "cloud_concurrency": [8], "cloud_token_concurrency": [8],
              "cloud_aws_concurrency": [], "workers": 2, "reps": 2, "duration_s": 3, "warmup_s": 0, "seed": 3,
              "quick": True, **cloud_extra.pop("config", {})}
    machine = {"nproc": 2, "cpu_model": "x", "mem_gib": 1.0, "kernel": "k", "os": "o", "python": "p", "wrk": "w",
               "versions": {}, "commit": "c"}
    return {"date": "d", "elapsed_seconds": 60, "machine": machine, "config": config,
            "summary": report.summarise(runs, config, {}), "runs": runs, **cloud_extra}


def test_the_report_renders_the_cloud_tables_and_console_lines() -> None:
    results = _results(RUNS)
    text = report.render_markdown(results)
    section = text[text.index("## Azure Key Vault and Google Cloud KMS"):text.index("## Every cell")]
    assert "| Azure unwrapkey | 8 | 2,500 | 1.00 | 4.00 | 0.500 | 7,000 | 1.00 | 4.00 | 0.38× (0.25–0.50) | 0 |" \
        in section
    assert "| Google decrypt | 8 | 4,000 | 1.00 | 4.00 | 0.500 | 7,000 | 1.00 | 4.00 | 0.50× | 0 |" in section
    assert "| Google token (JWT bearer) | 8 | 2,000 | 1.00 | 4.00 | 0.500 | 0.25× | 0 |" in section
    assert "| Azure token (client credentials) | 8 | – | – | – | – | – | 0 (+1 failed runs) |" in section
    assert "signed once per cell and replayed" in section
    assert "strongroom, Azure and Google" in text
    lines = report.cloud_lines(results["summary"])
    assert lines[0] == "Azure unwrapkey c=8: 2,500 req/s (p50 1.00 ms, p99 4.00 ms); AWS Decrypt 7,000 req/s: " \
                       "0.38× (0.25–0.50)"


def test_the_report_says_when_the_cloud_set_up_failed_or_the_cells_were_off() -> None:
    failed = _results([], cloud={"error": "azure apps create failed"},
                      config={"cloud_concurrency": [], "cloud_token_concurrency": []})
    assert "Not measured: the set-up failed (`azure apps create failed`)" in report.render_markdown(failed)
    off = _results([_run("Decrypt", 0, 8000)], config={"cloud_concurrency": [], "cloud_token_concurrency": []})
    assert "## Azure Key Vault" not in report.render_markdown(off)


def test_options_default_to_1_8_64_with_tokens_up_to_8_and_empty_disables() -> None:
    from bench.__main__ import parse_args

    full, quick = parse_args([]), parse_args(["--quick"])
    assert (full.cloud_concurrency, full.cloud_token_concurrency) == ([1, 8, 64], [1, 8])
    assert (quick.cloud_concurrency, quick.cloud_token_concurrency) == ([8], [8])
    off = parse_args(["--cloud-concurrency", ""])
    assert (off.cloud_concurrency, off.cloud_token_concurrency) == ([], [])
    tokens = parse_args(["--cloud-concurrency", "64", "--cloud-token-concurrency", "1,8"])
    assert (tokens.cloud_concurrency, tokens.cloud_token_concurrency) == ([64], [1, 8])


def test_a_refused_token_fails_the_cell_and_not_the_run(tmp_path: Path) -> None:
    def refused() -> list[Request]:
        raise CloudSetupError("AzureToken: HTTP 401 {}")

    runner = Runner("wrk", tmp_path, duration_s=1, warmup_s=0)
    run = runner.run(Cell("strongroom", "AzureUnwrapKey", 8), None, refused, rep=0, position=0)  # type: ignore[arg-type]
    assert not run.ok and run.error == "AzureToken: HTTP 401 {}"
