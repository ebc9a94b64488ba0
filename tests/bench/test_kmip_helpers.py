"""The KMIP cells' pure parts: the TTLV messages and answer checks, the load generator's arithmetic, the plan and the
report. Nothing here starts a server or times anything."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest

from bench import report, ttlv
from bench.kmip import kmip_cells
from bench.kmip_load import ClientReport, merge, percentile, split_connections
from bench.pykmip import server_config
from bench.suite import Plan
from strongroom_client.providers.kmip_messages import (
    AES,
    BATCH_COUNT,
    BLOCK_CIPHER_MODE,
    CBC,
    CRYPTOGRAPHIC_ALGORITHM,
    CRYPTOGRAPHIC_PARAMETERS,
    ENCRYPT,
    GET,
    OPERATION,
    PADDING_METHOD,
    PKCS5,
    PROTOCOL_VERSION,
    PROTOCOL_VERSION_MAJOR,
    PROTOCOL_VERSION_MINOR,
    RANDOM_IV,
    REQUEST_HEADER,
    REQUEST_PAYLOAD,
    UNIQUE_IDENTIFIER,
)
from strongroom_client.providers.ttlv import (
    DATE_TIME,
    Item,
    byte_string,
    decode,
    encode,
    enumeration,
    integer,
    structure,
    text,
)

RESPONSE_HEADER = 0x42007A

# libmongocrypt's golden Get request (kms-message/test/test_kms_kmip_request.c).
GOLDEN_GET = bytes.fromhex(
    "420078010000008842007701000000384200690100000020"
    "42006a02000000040000000100000000" "42006b02000000040000000000000000"
    "42000d02000000040000000100000000" "42000f0100000040" "42005c05000000040000000a00000000"
    "4200790100000028" "420094070000002037464a59766e5636586b6155435775593936624353633641756876"
    "6b50707149")
# A successful Register answer libmongocrypt accepts (kms-message/test/test_kms_kmip_response.c): uid "39".
GOLDEN_REGISTER_RESPONSE = bytes.fromhex(
    "42007b010000009042007a01000000484200690100000020"
    "42006a02000000040000000100000000" "42006b02000000040000000000000000"
    "42009209000000080000000061659715" "42000d02000000040000000100000000"
    "42000f0100000038" "42005c05000000040000000300000000" "42007f05000000040000000000000000"
    "42007c010000001042009407000000023339000000000000")

def _response(batch_children: list[Item]) -> bytes:
    header = structure(RESPONSE_HEADER, structure(PROTOCOL_VERSION, integer(PROTOCOL_VERSION_MAJOR, 1),
                                                  integer(PROTOCOL_VERSION_MINOR, 2)),
                       Item(0x420092, DATE_TIME, 1_700_000_000), integer(BATCH_COUNT, 1))
    return encode(structure(ttlv.RESPONSE_MESSAGE, header, structure(ttlv.BATCH_ITEM, *batch_children)))


def _success(operation: int, payload: list[Item]) -> bytes:
    return _response([enumeration(OPERATION, operation), enumeration(ttlv.RESULT_STATUS, 0),
                      structure(ttlv.RESPONSE_PAYLOAD, *payload)])


def _failure(operation: int) -> bytes:
    return _response([enumeration(OPERATION, operation), enumeration(ttlv.RESULT_STATUS, 1),
                      enumeration(ttlv.RESULT_REASON, 1), text(ttlv.RESULT_MESSAGE, "Could not locate object: nope")])


def _get_answer(material: bytes, kind: int = ttlv.SECRET_DATA) -> bytes:
    key_value = structure(ttlv.KEY_VALUE, byte_string(ttlv.KEY_MATERIAL, material))
    return _success(GET, [enumeration(0x420057, 7), text(UNIQUE_IDENTIFIER, "1"),
                          structure(kind, structure(ttlv.KEY_BLOCK, key_value))])


def _encrypt_answer(iv: bytes) -> bytes:
    return _success(ENCRYPT, [text(UNIQUE_IDENTIFIER, "2"), byte_string(ttlv.DATA, bytes(48)),
                              byte_string(ttlv.IV_COUNTER_NONCE, iv)])


def test_get_request_is_libmongocrypts_golden_bytes() -> None:
    assert ttlv.get_request("7FJYvnV6XkaUCWuY96bCSc6AuhvkPpqI") == GOLDEN_GET
    assert ttlv.message_length(GOLDEN_GET[:8]) == len(GOLDEN_GET)


def test_encrypt_request_has_libmongocrypts_shape() -> None:
    message = ttlv.encrypt_request("42", bytes(range(32)))
    assert len(message) % 8 == 0 and ttlv.message_length(message) == len(message)
    top = decode(message)
    version = top.path(REQUEST_HEADER, PROTOCOL_VERSION)
    assert version is not None and [c.value for c in version.value] == [1, 2]  # type: ignore[union-attr]
    batch = top.child(ttlv.BATCH_ITEM)
    assert batch is not None and batch.child(OPERATION).value == ENCRYPT  # type: ignore[union-attr]
    payload = batch.child(REQUEST_PAYLOAD)
    assert payload is not None
    assert payload.child(UNIQUE_IDENTIFIER).value == "42"  # type: ignore[union-attr]
    assert payload.child(ttlv.DATA).value == bytes(range(32))  # type: ignore[union-attr]
    params = payload.child(CRYPTOGRAPHIC_PARAMETERS)
    assert params is not None
    fields = {c.tag: c.value for c in params.value}  # type: ignore[union-attr]
    assert fields == {BLOCK_CIPHER_MODE: CBC, PADDING_METHOD: PKCS5, CRYPTOGRAPHIC_ALGORITHM: AES, RANDOM_IV: True}


def test_result_status_walks_to_the_batch_items_status() -> None:
    assert ttlv.result_status(GOLDEN_REGISTER_RESPONSE) == ttlv.SUCCESS
    assert ttlv.result_status(_failure(GET)) == 1
    assert ttlv.result_status(_get_answer(bytes(96))) == ttlv.SUCCESS
    assert ttlv.result_status(GOLDEN_GET) == -1  # a request, not a response
    assert ttlv.result_status(b"\x42\x00") == -1
    assert ttlv.result_status(_response([enumeration(OPERATION, 10)])) == -1  # no status at all


def test_result_status_is_not_fooled_by_status_bytes_inside_a_value() -> None:
    lookalike = encode(enumeration(ttlv.RESULT_STATUS, 0))
    message = _response([enumeration(OPERATION, 10), enumeration(ttlv.RESULT_STATUS, 1),
                         structure(ttlv.RESPONSE_PAYLOAD, byte_string(ttlv.DATA, lookalike))])
    assert ttlv.result_status(message) == 1


def test_check_reply_accepts_what_libmongocrypt_reads() -> None:
    assert ttlv.check_reply("KmipGet", _get_answer(bytes(96))) is None
    assert ttlv.check_reply("KmipGet", _get_answer(bytes(32), ttlv.SYMMETRIC_KEY)) is None
    assert ttlv.check_reply("KmipEncrypt", _encrypt_answer(bytes(16))) is None


def test_check_reply_explains_what_is_wrong() -> None:
    failed = ttlv.check_reply("KmipGet", _failure(GET))
    assert failed is not None and "ResultStatus 1" in failed and "Could not locate object" in failed
    assert "IVCounterNonce" in (ttlv.check_reply("KmipEncrypt", _encrypt_answer(bytes(12))) or "")
    assert "KeyMaterial" in (ttlv.check_reply("KmipGet", _success(GET, [])) or "")
    assert "unreadable" in (ttlv.check_reply("KmipGet", GOLDEN_REGISTER_RESPONSE[:-8]) or "")
    assert "not a ResponseMessage" in (ttlv.check_reply("KmipGet", GOLDEN_GET) or "")


def test_connections_are_split_evenly_over_the_client_processes() -> None:
    assert split_connections(1, 2) == [1]
    assert split_connections(8, 2) == [4, 4]
    assert split_connections(64, 3) == [22, 21, 21]
    assert split_connections(5, 8) == [1] * 5


def test_percentile_is_nearest_rank() -> None:
    ordered = list(range(1, 101))
    assert [percentile(ordered, q) for q in (0.5, 0.9, 0.99, 0.999, 1.0)] == [50, 90, 99, 100, 100]
    assert percentile([], 0.5) == 0 and percentile([7], 0.99) == 7


def test_merge_pools_the_client_processes() -> None:
    def client(latencies_ms: list[int], cpu: float, **extra: object) -> ClientReport:
        return ClientReport(requests=len(latencies_ms), latencies_ns=array("q", [v * 1_000_000 for v in latencies_ms])
                            .tobytes(), cpu_s=cpu, window_s=2.0, bytes_read=100 * len(latencies_ms), **extra)  # type: ignore[arg-type]

    result = merge([client([1, 2, 3], 0.25, tls="TLSv1.3 X", errors_status=1, error_samples=["a"]),
                    client([4, 5], 0.5, errors_socket=2, error_samples=["b", "c", "d"])], duration_s=2.0)
    assert (result.requests, result.rps, result.p50_ms, result.max_ms, result.mean_ms) == (5, 2.5, 3.0, 5.0, 3.0)
    assert (result.errors_status, result.errors_socket, result.errors, result.wrk_cpu_s) == (1, 2, 3, 0.75)
    assert result.tls == "TLSv1.3 X" and result.error_samples == ("a", "b", "c") and result.client_processes == 2
    row = result.as_dict()
    assert row["errors"] == 3 and row["error_samples"] == ["a", "b", "c"] and row["bytes_read"] == 500


def _plan(**extra: object) -> Plan:
    base = {"operations": ["Encrypt"], "concurrency": [1], "reps": 3, "duration_s": 3, "warmup_s": 0,
            "createkey_concurrency": [], "createkey_reps": 3, "scale_keys": [], "scale_reps": 3,
            "scale_connections": 8, "spread_keys": 10, "seed": 3, "deadline": 0.0, "profile_seconds": 0}
    return Plan(**{**base, **extra})  # type: ignore[arg-type]


def test_plan_counts_the_kmip_cells_and_their_time() -> None:
    off = _plan()
    assert off.kmip_cells_per_rep() == 0 and off.kmip_seconds() == 0.0
    on = _plan(kmip_concurrency=[1, 8, 64], kmip_systems=["strongroom", "pykmip"], kmip_reps=2)
    assert on.kmip_cells_per_rep() == 24  # 2 systems x 2 operations x 2 modes x 3 concurrencies
    assert on.estimate() - off.estimate() == pytest.approx(on.kmip_seconds())
    assert 150 < on.kmip_seconds() < 240  # the README's "about 3 minutes"
    capped = _plan(kmip_concurrency=[1, 8, 64], kmip_systems=["strongroom", "pykmip"], kmip_reps=2,
                   kmip_cap={"pykmip": 8})
    assert capped.kmip_cells_per_rep() == 20


def test_kmip_cells_leave_out_a_capped_system() -> None:
    targets = {"strongroom": object(), "pykmip": object()}
    cells = kmip_cells(targets, [8, 64], {"pykmip": 8})  # type: ignore[arg-type]
    named = {(c.system, c.operation, c.mode, c.connections) for c, _, _ in cells}
    assert len(cells) == 12 and ("pykmip", "KmipGet", "held", 64) not in named
    assert ("strongroom", "KmipEncrypt", "per-request", 64) in named


def test_pykmip_config_is_loopback_tls12_with_client_certificates(tmp_path: Path) -> None:
    text = server_config(15696, tmp_path / "s.pem", tmp_path / "s.key", tmp_path / "ca.pem", tmp_path / "p",
                         tmp_path / "db")
    lines = set(text.splitlines())
    assert {"[server]", "hostname=127.0.0.1", "port=15696", "auth_suite=TLS1.2", "enable_tls_client_auth=True",
            f"database_path={tmp_path / 'db'}"} <= lines


def _kmip_run(system: str, rep: int, rps: float, operation: str = "KmipGet", mode: str = "held",
              c: int = 8) -> dict:
    return {"system": system, "operation": operation, "connections": c, "mode": mode, "keys": 0, "rep": rep,
            "rps": rps, "p50_ms": 1.0, "p90_ms": 2.0, "p99_ms": 5.0, "server_cpu_s_per_1k": 0.3,
            "server_cores": 1.0, "wrk_cores": 0.3, "other_cores": 0.0, "steal_cores": 0.0, "errors": 0,
            "requests": 100, "memory": {"hwm_mib": 100.0, "pss_mib": 50.0}, "error": None}


def test_kmip_ratios_pair_per_repetition_and_mode() -> None:
    runs = [_kmip_run("strongroom", 0, 4000), _kmip_run("strongroom", 1, 6000),
            _kmip_run("pykmip", 0, 400), _kmip_run("pykmip", 1, 500),
            _kmip_run("strongroom", 0, 500, mode="per-request"), _kmip_run("pykmip", 0, 250, mode="per-request")]
    ratios = {(r["operation"], r["mode"], r["connections"]): r["vs_pykmip"] for r in report.kmip_ratios(runs, [8])}
    held = ratios["KmipGet", "held", 8]
    assert (held["median"], held["min"], held["max"], held["pairs"]) == (11.0, 10.0, 12.0, 2)
    assert ratios["KmipGet", "per-request", 8]["median"] == 2.0
    assert ratios["KmipEncrypt", "held", 8]["pairs"] == 0


def test_the_report_renders_the_kmip_section_apart_from_the_other_cells() -> None:
    runs = [_kmip_run("strongroom", 0, 4000), _kmip_run("pykmip", 0, 400)]
    config = {"operations": [], "concurrency": [], "createkey_concurrency": [], "scale_keys": [],
              "scale_connections": 8, "kmip_concurrency": [8], "kmip_systems": ["strongroom", "pykmip"],
              "kmip_reps": 1, "kmip_clients": 2, "kmip_cap": {}, "workers": 2, "reps": 1, "duration_s": 3,
              "warmup_s": 0, "seed": 3, "quick": True}
    machine = {"nproc": 2, "cpu_model": "x", "mem_gib": 1.0, "kernel": "k", "os": "o", "python": "p", "wrk": "w",
               "versions": {"pykmip": "0.11.0"}, "commit": "c"}
    results = {"date": "d", "elapsed_seconds": 60, "machine": machine, "config": config,
               "summary": report.summarise(runs, config, {}), "kmip": {"tls": {"pykmip": "TLSv1.2 X"}}, "runs": runs}
    text = report.render_markdown(results)
    kmip = text[text.index("## KMIP: Strongroom and PyKMIP"):text.index("## Every cell")]
    assert "| Get | held | 8 | 400 | 1.00 | 5.00 | 4,000 | 1.00 | 5.00 | 10.0× | 0 |" in kmip
    assert "client cores" in kmip and "TLSv1.2 X" in text
    assert "KmipGet" not in text[text.index("## Every cell"):]
    assert report.kmip_lines(results["summary"])[0] == "Get held c=8: Strongroom 4,000 req/s, PyKMIP 400 req/s: 10.0×"
